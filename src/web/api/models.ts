// JupyterHub's JSON models (user, server, token, group), each key shown only when the caller's scopes allow it
// for that resource (APIHandler.user_model and friends). Timestamps are ISO 8601 with a Z suffix, or null.
import { holds, scopeChecker } from '../../auth/scopes.js';
import type { ApiToken } from '../../auth/tokens.js';
import type { HubConfig } from '../../config/load.js';
import type { Group, User } from '../../db/schema.js';
import type { ServerView } from '../../servers/servers.js';
import type { ApiDeps } from './deps.js';

export function iso(date: Date | null | undefined): string | null {
  return date ? date.toISOString() : null;
}

/** Where a user's image choice comes from: a hub.yaml pin beats the admin's choice, which beats the user's own. */
export function imageChoice(config: HubConfig, user: User): { label: string | null; source: 'file' | 'admin' | 'user' | 'default' } {
  const pinned = config.users[user.name]?.image;
  if (pinned !== undefined) return { label: pinned, source: 'file' };
  if (user.adminImage !== null && user.adminImage in config.spawner.images) return { label: user.adminImage, source: 'admin' };
  if (user.userImage !== null && user.userImage in config.spawner.images) return { label: user.userImage, source: 'user' };
  const label = Object.entries(config.spawner.images).find(([, entry]) => entry.image === config.spawner.image)?.[0] ?? null;
  return { label, source: 'default' };
}

export function serverModel(view: ServerView): Record<string, unknown> {
  return {
    name: view.name,
    last_activity: iso(view.lastActivity),
    started: iso(view.started),
    pending: view.pending,
    ready: view.ready,
    stopped: view.status === 'stopped',
    url: view.url,
    progress_url: view.progressUrl,
    user_options: view.userOptions,
  };
}

const isActive = (view: ServerView | null): view is ServerView => view !== null && view.status !== 'stopped';

/** One checker per scopes list: a page of models checks the same caller's scopes a dozen times per user. */
const checkers = new WeakMap<readonly string[], ReturnType<typeof scopeChecker>>();
function checkerFor(scopes: readonly string[]): ReturnType<typeof scopeChecker> {
  let checker = checkers.get(scopes);
  if (!checker) checkers.set(scopes, (checker = scopeChecker(scopes)));
  return checker;
}

export function userModel(
  deps: Pick<ApiDeps, 'config' | 'groups' | 'servers'>,
  user: User,
  scopes: readonly string[],
  /** `view` and `groups` when the caller already read them (a page of users); looked up otherwise. */
  options: { includeStopped?: boolean; view?: ServerView | null; groups?: string[] } = {},
): Record<string, unknown> {
  const check = checkerFor(scopes);
  const allows = (...names: string[]) => names.some((n) => check(n, { user: user.name }) === 'yes');
  const view = options.view !== undefined ? options.view : deps.servers?.get(user.name) ?? null;
  const lastActivity = latest(user.lastActivity, view?.lastActivity ?? null);
  const model: Record<string, unknown> = {};
  const nameScopes = ['read:users', 'read:users:name', 'read:users:groups', 'read:users:activity', 'read:servers', 'read:roles:users', 'admin:auth_state'];
  if (!allows(...nameScopes)) return model;
  model.kind = 'user';
  model.name = user.name;
  if (allows('read:users', 'read:users:name', 'read:roles:users')) model.admin = user.admin;
  if (allows('read:users', 'read:roles:users')) model.roles = user.admin ? ['admin', 'user'] : ['user'];
  if (allows('read:users', 'read:users:groups')) model.groups = options.groups ?? deps.groups.groupsOf(user.id);
  if (allows('read:users')) {
    model.server = view?.ready ? view.url : null;
    model.pending = view?.pending ?? null;
    model.created = iso(user.created);
    model.image = imageChoice(deps.config, user);
  }
  if (allows('read:users', 'read:users:activity')) model.last_activity = iso(lastActivity);
  if (allows('read:servers')) {
    model.servers = view && (isActive(view) || options.includeStopped) ? { [view.name]: serverModel(view) } : {};
  }
  if (allows('admin:auth_state')) model.auth_state = null;
  return model;
}

function latest(a: Date | null, b: Date | null): Date | null {
  if (a === null) return b;
  if (b === null) return a;
  return a.getTime() >= b.getTime() ? a : b;
}

export function groupModel(group: Group, members: string[], scopes: readonly string[]): Record<string, unknown> {
  const allows = (...names: string[]) => names.some((n) => holds(scopes, n, { group: group.name }) === 'yes');
  const model: Record<string, unknown> = { kind: 'group', name: group.name };
  if (allows('read:roles:groups')) model.roles = [];
  if (allows('read:groups')) {
    model.users = members;
    model.properties = group.properties;
  }
  return model;
}

export function tokenModel(row: ApiToken, owner: { user?: string; service?: string }, scopes: string[], clientDescription: string | null): Record<string, unknown> {
  return {
    ...(owner.user !== undefined ? { user: owner.user } : { service: owner.service }),
    id: `a${row.id}`,
    kind: 'api_token',
    roles: [],
    scopes,
    created: iso(row.created),
    last_activity: iso(row.lastActivity),
    expires_at: iso(row.expiresAt),
    note: row.note,
    session_id: row.sessionId,
    oauth_client: clientDescription ?? 'JupyterHub',
  };
}
