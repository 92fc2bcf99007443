// /hub/api/users: list (state, name_filter, sort, pagination), bulk create, and one user's GET/POST/PATCH/DELETE,
// plus POST …/activity from single-user servers. PATCH also takes Berth's `image` (the admin's per-user choice).
import { Hono } from 'hono';
import { HttpError } from '../../errors.js';
import type { ServerView } from '../../servers/servers.js';
import { parseUsername, USERNAME_RULE } from '../../users/username.js';
import type { AppEnv } from '../env.js';
import { checkScope, onUser, requireScope } from '../middleware/require-scope.js';
import { requireUser } from '../middleware/require-user.js';
import { parseJsonBody } from './body.js';
import { activityBody, newUserBody, newUsersBody, userPatchBody } from './bodies.js';
import type { ApiDeps } from './deps.js';
import { userModel } from './models.js';
import { pageResponse, parsePaging } from './pagination.js';

const READ_USER_SCOPES = ['read:users', 'read:users:name', 'read:servers', 'read:users:groups', 'read:users:activity', 'read:roles:users'] as const;
const STATES = ['active', 'inactive', 'ready'] as const;
const SORTS = ['id', 'name', 'last_activity'] as const;
/** A single-user server's clock may run ahead a little; more than this is a bug or an attack (JupyterHub: 59 min). */
const MAX_FUTURE_MS = 59 * 60_000;

export function userRoutes(deps: ApiDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const isActive = (v: ServerView | null) => v !== null && v.status !== 'stopped';
  /** The user's default server, else a named one, that is not stopped; null when all are. */
  const activeServer = (name: string): ServerView | null =>
    [deps.servers.get(name), ...deps.servers.named(name)].find(isActive) ?? null;
  const describe = (name: string, v: ServerView) => (v.name === '' ? `${name}'s server is` : `${name}'s server ${JSON.stringify(v.name)} is`);
  const includeStopped = (raw: string | undefined) => raw !== undefined && raw !== '0' && raw !== 'false';
  const patchBody = userPatchBody(deps.config);
  const loadUser = requireUser(deps.users);

  app.get('/users', requireScope('list:users', 'any'), (c) => {
    const caller = c.var.caller;
    const paging = parsePaging(c);
    const state = c.req.query('state');
    if (state !== undefined && state !== '' && !STATES.includes(state as (typeof STATES)[number])) {
      throw new HttpError(400, `Unrecognized state filter: ${JSON.stringify(state)}; use one of ${STATES.join(', ')}`);
    }
    const sortRaw = c.req.query('sort') ?? 'id';
    const sortKey = sortRaw.replace(/^-/, '');
    if (!SORTS.includes(sortKey as (typeof SORTS)[number])) {
      throw new HttpError(400, `sort must be one of ${SORTS.join(', ')} (prefix - for descending), got ${JSON.stringify(sortRaw)}`);
    }
    const nameFilter = (c.req.query('name_filter') ?? '').toLowerCase();
    // A filtered list:users lists the users its filters name: expansion already turned !group=g into !user=<member>,
    // and other filter kinds never match a user.
    const listed = caller.scopes.filtersOf('list:users');
    const only = listed === 'all' ? undefined : listed.filter((f) => f.kind === 'user').map((f) => f.value);
    // Filter, sort and page in one query: building a view per user made a page cost O(all users) (230 ms at 20,000).
    const { rows, total } = deps.servers.page({
      state: state === undefined || state === '' ? undefined : (state as (typeof STATES)[number]),
      nameContains: nameFilter || undefined,
      only,
      sort: sortKey as (typeof SORTS)[number],
      descending: sortRaw.startsWith('-'),
      offset: paging.offset,
      limit: paging.limit,
      count: paging.envelope,
      // Named servers for the whole page in one more query, not two per user in userModel.
      named: true,
    });
    const stopped = includeStopped(c.req.query('include_stopped_servers'));
    const groupsOf = deps.groups.groupsOfUsers(rows.map((r) => r.user.id));
    const items = rows.map((r) => userModel(deps, r.user, caller.scopes, { includeStopped: stopped, view: r.view, named: r.named, groups: groupsOf.get(r.user.id) ?? [] }));
    return c.json(pageResponse(c, paging, items, total ?? items.length) as object);
  });

  app.post('/users', requireScope('admin:users', 'unfiltered'), async (c) => {
    const caller = c.var.caller;
    const body = await parseJsonBody(c, newUsersBody);
    const admin = body.admin === true;
    if (admin && !caller.admin) throw new HttpError(403, 'Only admins can grant admin permissions');
    const names = body.usernames.map((r) => ({ raw: r, name: parseUsername(r) }));
    const invalid = names.filter((n) => n.name === null).map((n) => n.raw);
    if (invalid.length > 0) throw new HttpError(400, `Invalid usernames: ${invalid.join(', ')} (${USERNAME_RULE})`);
    const wanted = [...new Set(names.map((n) => n.name as string))];
    const created = deps.users.createMany(wanted, { admin, addedByAdmin: true });
    if (created.length === 0) throw new HttpError(409, `All ${wanted.length} users already exist`);
    // New users have no server and no groups: no lookups per user.
    return c.json(created.map((u) => userModel(deps, u, caller.scopes, { view: null, groups: [] })), 201);
  });

  app.get('/users/:name', requireScope(READ_USER_SCOPES, onUser), loadUser, (c) => {
    return c.json(userModel(deps, c.var.user, c.var.caller.scopes, { includeStopped: includeStopped(c.req.query('include_stopped_servers')) }));
  });

  app.post('/users/:name', requireScope('admin:users', 'unfiltered'), async (c) => {
    const raw = c.req.param('name');
    const caller = c.var.caller;
    const body = await parseJsonBody(c, newUserBody, { empty: {} });
    const name = parseUsername(raw);
    if (name === null || name !== raw) throw new HttpError(400, `Invalid username: ${raw} (${USERNAME_RULE})`);
    if (body.admin === true && !caller.admin) throw new HttpError(403, 'Only admins can grant admin permissions');
    const user = deps.users.create(name, { admin: body.admin === true, addedByAdmin: true });
    if (user === null) throw new HttpError(409, `User ${name} already exists`);
    return c.json(userModel(deps, user, caller.scopes), 201);
  });

  app.patch('/users/:name', requireScope('admin:users', onUser), loadUser, async (c) => {
    const name = c.req.param('name');
    const caller = c.var.caller;
    const body = await parseJsonBody(c, patchBody);
    if ((body.admin === true || c.var.user.admin) && !caller.admin) throw new HttpError(403, 'Only admins can modify admin users or grant admin permissions');

    const fields: Parameters<typeof deps.users.update>[1] = {};
    if (body.admin !== undefined) fields.admin = body.admin;
    if (body.image !== undefined) fields.adminImage = body.image;
    if (body.name !== undefined && body.name !== name) {
      const newName = parseUsername(body.name);
      if (newName === null || newName !== body.name) throw new HttpError(400, `Invalid new name: ${body.name} (${USERNAME_RULE})`);
      if (deps.users.get(newName) !== null) throw new HttpError(400, `User ${newName} already exists, username must be unique`);
      // A filtered grant names users; renaming would move a user out of (or into) someone's filter.
      checkScope(c, ['admin:users'], 'unfiltered');
      // The server, its route and its credentials are keyed by name: renaming under a live server would orphan them.
      const active = activeServer(name);
      if (active) throw new HttpError(400, `${describe(name, active)} running; stop it before renaming the user`);
      fields.name = newName;
    }
    const updated = Object.keys(fields).length > 0 ? deps.users.update(name, fields) ?? c.var.user : c.var.user;
    return c.json(userModel(deps, updated, caller.scopes));
  });

  app.delete('/users/:name', requireScope('delete:users', onUser), loadUser, (c) => {
    const name = c.req.param('name');
    const caller = c.var.caller;
    if (caller.kind === 'user' && caller.name === name) throw new HttpError(400, 'Cannot delete yourself');
    const active = activeServer(name);
    if (active) throw new HttpError(400, `${describe(name, active)} running; stop it before deleting the user`);
    deps.users.remove(name);
    return c.body(null, 204);
  });

  app.post('/users/:name/activity', requireScope('users:activity', onUser), loadUser, async (c) => {
    const name = c.req.param('name');
    const user = c.var.user;
    const body = await parseJsonBody(c, activityBody);
    const now = Date.now();
    const notInFuture = (date: Date, where: string): Date => {
      if (date.getTime() > now + MAX_FUTURE_MS) throw new HttpError(400, `${where} is in the future: ${date.toISOString()}`);
      return date;
    };
    const serverTimes: [string, Date][] = [];
    for (const [server, entry] of Object.entries(body.servers ?? {})) {
      if (server !== '' && deps.servers.get(name, server) === null) throw new HttpError(400, `No such server: ${name}/${server}`);
      serverTimes.push([server, notInFuture(entry.last_activity, `servers[${JSON.stringify(server)}].last_activity`)]);
    }
    let latest = body.last_activity !== undefined ? notInFuture(body.last_activity, 'last_activity') : null;
    for (const [, at] of serverTimes) if (latest === null || at > latest) latest = at;
    if (latest !== null && (user.lastActivity === null || latest > user.lastActivity)) deps.users.update(name, { lastActivity: latest });
    for (const [server, at] of serverTimes) deps.servers?.recordActivity(name, at, server);
    return c.body(null, 200);
  });

  return app;
}

