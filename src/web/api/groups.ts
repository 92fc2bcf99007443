// /hub/api/groups: list and bulk create; one group's GET/POST/DELETE; membership (POST/DELETE …/users) and
// PUT …/properties. Members are named by user name; unknown users are a 400 that lists them.
import { Hono, type Context } from 'hono';
import { scopeFilter } from '../../auth/scopes.js';
import type { Group } from '../../db/schema.js';
import { HttpError } from '../../errors.js';
import type { AppEnv } from '../env.js';
import { requireScopes, requireUnfilteredScopes } from '../middleware/authorize.js';
import { readJson, readJsonObject, stringList } from './body.js';
import type { ApiDeps } from './deps.js';
import { groupModel } from './models.js';
import { paginate, parsePaging } from './pagination.js';

const GROUP_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.@-]{0,99}$/;

export function groupRoutes(deps: ApiDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const model = (group: Group, scopes: readonly string[]) => groupModel(group, deps.groups.members(group.name), scopes);
  const mustExist = (name: string): Group => {
    const group = deps.groups.get(name);
    if (group === null) throw new HttpError(404, `No such group: ${name}`);
    return group;
  };
  const validName = (name: string) => {
    if (!GROUP_NAME.test(name)) throw new HttpError(400, `Invalid group name: ${JSON.stringify(name)} (1-100 of A-Z, a-z, 0-9, "_", ".", "@", "-")`);
    return name;
  };
  const userIds = (names: string[]): number[] => {
    const found = names.map((n) => ({ n, user: deps.users.get(n) }));
    const missing = found.filter((f) => f.user === null).map((f) => f.n);
    if (missing.length > 0) throw new HttpError(400, `No such users: ${missing.join(', ')}`);
    return found.map((f) => f.user!.id);
  };

  app.get('/groups', (c) => {
    const caller = requireScopes(c, ['list:groups']);
    const visible = scopeFilter(caller.scopes, 'list:groups');
    let all = deps.groups.list();
    if (visible !== 'all' && visible !== null) all = all.filter((g) => visible({ group: g.name }));
    return c.json(paginate(c, parsePaging(c), all.map((g) => model(g, caller.scopes))) as object);
  });

  app.post('/groups', async (c) => {
    const caller = requireUnfilteredScopes(c, ['admin:groups']);
    const body = await readJsonObject(c);
    const names = stringList(body.groups ?? [], 'groups').map(validName);
    if (names.length === 0) throw new HttpError(400, 'Must specify at least one group to create (body: {"groups": [...]})');
    const members = userIds(stringList(body.users ?? [], 'users'));
    const existing = names.filter((n) => deps.groups.get(n) !== null);
    if (existing.length > 0) throw new HttpError(409, `Group(s) already exist: ${existing.join(', ')}`);
    const created = names.map((n) => {
      const group = deps.groups.create(n) as Group;
      deps.groups.addMembers(group.id, members);
      return group;
    });
    return c.json(created.map((g) => model(g, caller.scopes)), 201);
  });

  app.get('/groups/:group', (c) => {
    const name = c.req.param('group');
    const caller = requireScopes(c, ['read:groups', 'read:groups:name', 'read:roles:groups'], { group: name });
    return c.json(model(mustExist(name), caller.scopes));
  });

  app.post('/groups/:group', async (c) => {
    const name = validName(c.req.param('group'));
    const caller = requireUnfilteredScopes(c, ['admin:groups']);
    const body = await readJsonObject(c, {});
    const members = userIds(stringList(body.users ?? [], 'users'));
    const group = deps.groups.create(name);
    if (group === null) throw new HttpError(409, `Group ${name} already exists`);
    deps.groups.addMembers(group.id, members);
    return c.json(model(group, caller.scopes), 201);
  });

  app.delete('/groups/:group', (c) => {
    const name = c.req.param('group');
    requireScopes(c, ['delete:groups'], { group: name });
    mustExist(name);
    deps.groups.remove(name);
    return c.body(null, 204);
  });

  const membership = (add: boolean) => async (c: Context<AppEnv>) => {
    const name = c.req.param('group') as string;
    const caller = requireScopes(c, ['groups'], { group: name });
    const group = mustExist(name);
    const body = await readJsonObject(c);
    const ids = userIds(stringList(body.users, 'users'));
    if (add) deps.groups.addMembers(group.id, ids);
    else deps.groups.removeMembers(group.id, ids);
    return c.json(model(group, caller.scopes));
  };
  app.post('/groups/:group/users', membership(true));
  app.delete('/groups/:group/users', membership(false));

  app.put('/groups/:group/properties', async (c) => {
    const name = c.req.param('group');
    const caller = requireScopes(c, ['groups'], { group: name });
    mustExist(name);
    const body = await readJson(c);
    if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new HttpError(400, 'properties must be a JSON object');
    const group = deps.groups.setProperties(name, body as Record<string, unknown>) as Group;
    return c.json(model(group, caller.scopes));
  });

  return app;
}
