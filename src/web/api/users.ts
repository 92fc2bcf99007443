// /hub/api/users: list (state, name_filter, sort, pagination), bulk create, and one user's GET/POST/PATCH/DELETE,
// plus POST …/activity from single-user servers. PATCH also takes Berth's `image` (the admin's per-user choice).
import { Hono } from 'hono';
import { parseScope, scopeFilter } from '../../auth/scopes.js';
import type { User } from '../../db/schema.js';
import { HttpError } from '../../errors.js';
import type { ServerView } from '../../servers/servers.js';
import { parseUsername, USERNAME_RULE } from '../../users/username.js';
import type { AppEnv } from '../env.js';
import { requireScopes, requireUnfilteredScopes } from '../middleware/authorize.js';
import { readJsonObject, stringList } from './body.js';
import type { ApiDeps } from './deps.js';
import { userModel } from './models.js';
import { pageResponse, parsePaging } from './pagination.js';

const READ_USER_SCOPES = ['read:users', 'read:users:name', 'read:servers', 'read:users:groups', 'read:users:activity', 'read:roles:users'];
const STATES = ['active', 'inactive', 'ready'] as const;
const SORTS = ['id', 'name', 'last_activity'] as const;
/** A single-user server's clock may run ahead a little; more than this is a bug or an attack (JupyterHub: 59 min). */
const MAX_FUTURE_MS = 59 * 60_000;

export function userRoutes(deps: ApiDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const view = (name: string): ServerView | null => deps.servers.get(name);
  const isActive = (v: ServerView | null) => v !== null && v.status !== 'stopped';
  const includeStopped = (raw: string | undefined) => raw !== undefined && raw !== '0' && raw !== 'false';

  const mustExist = (name: string): User => {
    const user = deps.users.get(name);
    if (user === null) throw new HttpError(404, `No such user: ${name}`);
    return user;
  };

  app.get('/users', (c) => {
    const caller = requireScopes(c, ['list:users']);
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
    const only = scopeFilter(caller.scopes, 'list:users') === 'all' ? undefined : caller.scopes
      .map(parseScope).filter((p) => p?.name === 'list:users' && p.filter?.kind === 'user' && p.filter.value !== null)
      .map((p) => p!.filter!.value as string);
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
    });
    const stopped = includeStopped(c.req.query('include_stopped_servers'));
    const groupsOf = deps.groups.groupsOfUsers(rows.map((r) => r.user.id));
    const items = rows.map((r) => userModel(deps, r.user, caller.scopes, { includeStopped: stopped, view: r.view, groups: groupsOf.get(r.user.id) ?? [] }));
    return c.json(pageResponse(c, paging, items, total ?? items.length) as object);
  });

  app.post('/users', async (c) => {
    const caller = requireUnfilteredScopes(c, ['admin:users']);
    const body = await readJsonObject(c);
    const raw = stringList(body.usernames ?? [], 'usernames');
    if (raw.length === 0) throw new HttpError(400, 'Must specify at least one user to create (body: {"usernames": [...]})');
    if (body.admin !== undefined && typeof body.admin !== 'boolean') throw new HttpError(400, 'admin must be true or false');
    const admin = body.admin === true;
    if (admin && !caller.admin) throw new HttpError(403, 'Only admins can grant admin permissions');
    const names = raw.map((r) => ({ raw: r, name: parseUsername(r) }));
    const invalid = names.filter((n) => n.name === null).map((n) => n.raw);
    if (invalid.length > 0) throw new HttpError(400, `Invalid usernames: ${invalid.join(', ')} (${USERNAME_RULE})`);
    const wanted = [...new Set(names.map((n) => n.name as string))];
    const created = deps.users.createMany(wanted, { admin, addedByAdmin: true });
    if (created.length === 0) throw new HttpError(409, `All ${wanted.length} users already exist`);
    // New users have no server and no groups: no lookups per user.
    return c.json(created.map((u) => userModel(deps, u, caller.scopes, { view: null, groups: [] })), 201);
  });

  app.get('/users/:name', (c) => {
    const name = c.req.param('name');
    const caller = requireScopes(c, READ_USER_SCOPES, { user: name });
    const user = mustExist(name);
    return c.json(userModel(deps, user, caller.scopes, { includeStopped: includeStopped(c.req.query('include_stopped_servers')) }));
  });

  app.post('/users/:name', async (c) => {
    const raw = c.req.param('name');
    const caller = requireUnfilteredScopes(c, ['admin:users']);
    const body = await readJsonObject(c, {});
    const name = parseUsername(raw);
    if (name === null || name !== raw) throw new HttpError(400, `Invalid username: ${raw} (${USERNAME_RULE})`);
    if (body.admin !== undefined && typeof body.admin !== 'boolean') throw new HttpError(400, 'admin must be true or false');
    if (body.admin === true && !caller.admin) throw new HttpError(403, 'Only admins can grant admin permissions');
    const user = deps.users.create(name, { admin: body.admin === true, addedByAdmin: true });
    if (user === null) throw new HttpError(409, `User ${name} already exists`);
    return c.json(userModel(deps, user, caller.scopes), 201);
  });

  app.patch('/users/:name', async (c) => {
    const name = c.req.param('name');
    const caller = requireScopes(c, ['admin:users'], { user: name });
    let user = mustExist(name);
    const body = await readJsonObject(c);
    const known = ['name', 'admin', 'image', 'groups', 'roles', 'auth_state'];
    const unknown = Object.keys(body).filter((k) => !known.includes(k));
    if (unknown.length > 0) throw new HttpError(400, `Unknown fields: ${unknown.join(', ')} (allowed: name, admin, image)`);
    if (body.admin !== undefined && typeof body.admin !== 'boolean') throw new HttpError(400, 'admin must be true or false');
    if ((body.admin === true || user.admin) && !caller.admin) throw new HttpError(403, 'Only admins can modify admin users or grant admin permissions');
    if (body.groups !== undefined) stringList(body.groups, 'groups');
    if (body.roles !== undefined) stringList(body.roles, 'roles');

    const fields: Parameters<typeof deps.users.update>[1] = {};
    if (typeof body.admin === 'boolean') fields.admin = body.admin;
    if (body.image !== undefined) {
      if (body.image !== null && (typeof body.image !== 'string' || !(body.image in deps.config.spawner.images))) {
        const labels = Object.keys(deps.config.spawner.images);
        throw new HttpError(400, `image must be a label of spawner.images (${labels.join(', ') || 'none configured'}) or null, got ${JSON.stringify(body.image)}`);
      }
      fields.adminImage = body.image as string | null;
    }
    if (body.name !== undefined && body.name !== name) {
      const newName = parseUsername(body.name);
      if (newName === null || newName !== body.name) throw new HttpError(400, `Invalid new name: ${String(body.name)} (${USERNAME_RULE})`);
      if (deps.users.get(newName) !== null) throw new HttpError(400, `User ${newName} already exists, username must be unique`);
      // A filtered grant names users; renaming would move a user out of (or into) someone's filter.
      requireUnfilteredScopes(c, ['admin:users']);
      // The server, its route and its credentials are keyed by name: renaming under a live server would orphan them.
      if (isActive(view(name))) throw new HttpError(400, `${name}'s server is running; stop it before renaming the user`);
      fields.name = newName;
    }
    if (Object.keys(fields).length > 0) user = deps.users.update(name, fields) ?? user;
    return c.json(userModel(deps, user, caller.scopes));
  });

  app.delete('/users/:name', (c) => {
    const name = c.req.param('name');
    const caller = requireScopes(c, ['delete:users'], { user: name });
    mustExist(name);
    if (caller.kind === 'user' && caller.name === name) throw new HttpError(400, 'Cannot delete yourself');
    if (isActive(view(name))) throw new HttpError(400, `${name}'s server is running; stop it before deleting the user`);
    deps.users.remove(name);
    return c.body(null, 204);
  });

  app.post('/users/:name/activity', async (c) => {
    const name = c.req.param('name');
    requireScopes(c, ['users:activity'], { user: name });
    const user = mustExist(name);
    const body = await readJsonObject(c);
    if (body.last_activity === undefined && body.servers === undefined) {
      throw new HttpError(400, 'body has neither last_activity nor servers');
    }
    const now = Date.now();
    const parseTime = (value: unknown, where: string): Date => {
      const date = typeof value === 'string' ? new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(value) ? value : `${value}Z`) : null;
      if (date === null || Number.isNaN(date.getTime())) throw new HttpError(400, `${where} is not an ISO 8601 timestamp: ${JSON.stringify(value)}`);
      if (date.getTime() > now + MAX_FUTURE_MS) throw new HttpError(400, `${where} is in the future: ${JSON.stringify(value)}`);
      return date;
    };
    const serverTimes: [string, Date][] = [];
    if (body.servers !== undefined) {
      if (body.servers === null || typeof body.servers !== 'object' || Array.isArray(body.servers)) {
        throw new HttpError(400, 'servers must be {"<server name>": {"last_activity": "<timestamp>"}}');
      }
      for (const [server, entry] of Object.entries(body.servers as Record<string, unknown>)) {
        if (server !== '') throw new HttpError(400, `No such server: ${name}/${server} (Berth runs only the default server "")`);
        if (entry === null || typeof entry !== 'object' || !('last_activity' in entry)) {
          throw new HttpError(400, `servers[${JSON.stringify(server)}] must be {"last_activity": "<timestamp>"}`);
        }
        serverTimes.push([server, parseTime((entry as Record<string, unknown>).last_activity, `servers[${JSON.stringify(server)}].last_activity`)]);
      }
    }
    let latest = body.last_activity !== undefined ? parseTime(body.last_activity, 'last_activity') : null;
    for (const [, at] of serverTimes) if (latest === null || at > latest) latest = at;
    if (latest !== null && (user.lastActivity === null || latest > user.lastActivity)) deps.users.update(name, { lastActivity: latest });
    for (const [, at] of serverTimes) deps.servers?.recordActivity(name, at);
    return c.body(null, 200);
  });

  return app;
}

