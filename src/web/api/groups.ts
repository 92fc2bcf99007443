// /hub/api/groups: list and bulk create; one group's GET/POST/DELETE; membership (POST/DELETE …/users) and
// PUT …/properties. Members are named by user name; unknown users are a 400 that lists them.
import { Hono, type Context } from 'hono';
import type { ScopeSet } from '../../auth/scopes.js';
import type { Group } from '../../db/schema.js';
import { HttpError } from '../../errors.js';
import type { AppEnv } from '../env.js';
import { onGroup, requireScope, type CallerEnv } from '../middleware/require-scope.js';
import { findUsers } from '../middleware/require-user.js';
import { parseJsonBody } from './body.js';
import { groupMembersBody, groupPropertiesBody, newGroupBody, newGroupsBody } from './bodies.js';
import type { ApiDeps } from './deps.js';
import { groupModel } from './models.js';
import { paginate, parsePaging } from './pagination.js';

const GROUP_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.@-]{0,99}$/;

export function groupRoutes(deps: ApiDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const model = (group: Group, scopes: ScopeSet) => groupModel(group, deps.groups.members(group.name), scopes);
  const mustExist = (name: string): Group => {
    const group = deps.groups.get(name);
    if (group === null) throw new HttpError(404, `No such group: ${name}`);
    return group;
  };
  const validName = (name: string) => {
    if (!GROUP_NAME.test(name)) throw new HttpError(400, `Invalid group name: ${JSON.stringify(name)} (1-100 of A-Z, a-z, 0-9, "_", ".", "@", "-")`);
    return name;
  };
  const userIds = (names: readonly string[]): number[] => findUsers(deps.users, names).map((u) => u.id);

  app.get('/groups', requireScope('list:groups', 'any'), (c) => {
    const caller = c.var.caller;
    const all = deps.groups.list().filter((g) => caller.scopes.holds('list:groups', { group: g.name }) === 'yes');
    return c.json(paginate(c, parsePaging(c), all.map((g) => model(g, caller.scopes))) as object);
  });

  app.post('/groups', requireScope('admin:groups', 'unfiltered'), async (c) => {
    const caller = c.var.caller;
    const body = await parseJsonBody(c, newGroupsBody);
    const names = body.groups.map(validName);
    const members = userIds(body.users ?? []);
    const existing = names.filter((n) => deps.groups.get(n) !== null);
    if (existing.length > 0) throw new HttpError(409, `Group(s) already exist: ${existing.join(', ')}`);
    const created = names.map((n) => {
      const group = deps.groups.create(n) as Group;
      deps.groups.addMembers(group.id, members);
      return group;
    });
    return c.json(created.map((g) => model(g, caller.scopes)), 201);
  });

  app.get('/groups/:group', requireScope(['read:groups', 'read:groups:name', 'read:roles:groups'], onGroup), (c) => {
    return c.json(model(mustExist(c.req.param('group')), c.var.caller.scopes));
  });

  app.post('/groups/:group', requireScope('admin:groups', 'unfiltered'), async (c) => {
    const name = validName(c.req.param('group'));
    const caller = c.var.caller;
    const body = await parseJsonBody(c, newGroupBody, { empty: {} });
    const members = userIds(body.users ?? []);
    const group = deps.groups.create(name);
    if (group === null) throw new HttpError(409, `Group ${name} already exists`);
    deps.groups.addMembers(group.id, members);
    return c.json(model(group, caller.scopes), 201);
  });

  app.delete('/groups/:group', requireScope('delete:groups', onGroup), (c) => {
    const name = c.req.param('group');
    mustExist(name);
    deps.groups.remove(name);
    return c.body(null, 204);
  });

  const membership = (add: boolean) => async (c: Context<AppEnv & CallerEnv>) => {
    const caller = c.var.caller;
    const group = mustExist(c.req.param('group') ?? '');
    const body = await parseJsonBody(c, groupMembersBody);
    const ids = userIds(body.users);
    if (add) deps.groups.addMembers(group.id, ids);
    else deps.groups.removeMembers(group.id, ids);
    return c.json(model(group, caller.scopes));
  };
  app.post('/groups/:group/users', requireScope('groups', onGroup), membership(true));
  app.delete('/groups/:group/users', requireScope('groups', onGroup), membership(false));

  app.put('/groups/:group/properties', requireScope('groups', onGroup), async (c) => {
    const name = c.req.param('group');
    mustExist(name);
    const properties = await parseJsonBody(c, groupPropertiesBody);
    const group = deps.groups.setProperties(name, properties) as Group;
    return c.json(model(group, c.var.caller.scopes));
  });

  return app;
}
