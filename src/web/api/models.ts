// JupyterHub's JSON models (user, server, token, group), each key shown only when the caller's scopes allow it
// for that resource (APIHandler.user_model and friends). Timestamps are ISO 8601 with a Z suffix, or null.
import type { ScopeName, ScopeSet } from '../../auth/scopes.js';
import type { ApiToken } from '../../auth/tokens.js';
import type { HubConfig } from '../../config/load.js';
import type { Group, User } from '../../db/schema.js';
import { groupsOfMember } from '../../groups/membership.js';
import { resolveImage } from '../../servers/image.js';
import type { ServerView } from '../../servers/servers.js';
import type { ApiDeps } from './deps.js';

export function iso(date: Date | null | undefined): string | null {
  return date ? date.toISOString() : null;
}

/**
 * JupyterHub 5's server model. `full_url` / `full_progress_url` are absolute when the hub's public origin is known
 * (hub.public_url or hub.subdomain_host, JupyterHub's public_url), null otherwise; with subdomain_host `url` is
 * already a full URL on the user's own host.
 */
export function serverModel(config: Pick<HubConfig, 'urls'>, userName: string, view: ServerView): Record<string, unknown> {
  const origin = config.urls.configuredOrigin;
  const fullUrl = URL.canParse(view.url) ? view.url : origin ? `${origin}${view.url}` : null;
  return {
    name: view.name,
    full_name: `${userName}/${view.name}`,
    last_activity: iso(view.lastActivity),
    started: iso(view.started),
    pending: view.pending,
    ready: view.ready,
    stopped: view.status === 'stopped',
    url: view.url,
    progress_url: view.progressUrl,
    full_url: fullUrl,
    full_progress_url: origin ? `${origin}${view.progressUrl}` : null,
    user_options: view.userOptions,
  };
}

const isActive = (view: ServerView | null): view is ServerView => view !== null && view.status !== 'stopped';

export function userModel(
  deps: Pick<ApiDeps, 'config' | 'groups' | 'servers'>,
  user: User,
  scopes: ScopeSet,
  /** `view`, `named` and `groups` when the caller already read them (a page of users); looked up otherwise. */
  options: { includeStopped?: boolean; view?: ServerView | null; named?: ServerView[]; groups?: string[] } = {},
): Record<string, unknown> {
  const allows = (...names: ScopeName[]) => names.some((n) => scopes.holds(n, { user: user.name }) === 'yes');
  const view = options.view !== undefined ? options.view : deps.servers?.get(user.name) ?? null;
  const lastActivity = latest(user.lastActivity, view?.lastActivity ?? null);
  const model: Record<string, unknown> = {};
  if (!allows('read:users', 'read:users:name', 'read:users:groups', 'read:users:activity', 'read:servers', 'read:roles:users', 'admin:auth_state')) return model;
  model.kind = 'user';
  model.name = user.name;
  if (allows('read:users', 'read:users:name', 'read:roles:users')) model.admin = user.admin;
  if (allows('read:users', 'read:roles:users')) model.roles = user.admin ? ['admin', 'user'] : ['user'];
  if (allows('read:users', 'read:users:groups')) model.groups = options.groups ?? deps.groups.groupsOf(user.id);
  if (allows('read:users')) {
    model.server = view?.ready ? view.url : null;
    model.pending = view?.pending ?? null;
    model.created = iso(user.created);
    const memberOf = groupsOfMember(options.groups ?? deps.groups.groupsOf(user.id), user);
    const { label, source } = resolveImage(deps.config, user, undefined, memberOf);
    model.image = { label, source };
  }
  if (allows('read:users', 'read:users:activity')) model.last_activity = iso(lastActivity);
  if (allows('read:servers')) {
    // The default server, then the named ones (JupyterHub lists every spawner the user has).
    const all = [view, ...(options.named ?? deps.servers?.named(user.name) ?? [])].filter((v): v is ServerView => v !== null && (isActive(v) || options.includeStopped === true));
    // `state` is the spawner's (DockerSpawner keeps the container id), shown only with admin:server_state.
    const state = allows('admin:server_state');
    model.servers = Object.fromEntries(all.map((v) => [v.name, state ? { ...serverModel(deps.config, user.name, v), state: { container_id: v.containerId } } : serverModel(deps.config, user.name, v)]));
  }
  if (allows('admin:auth_state')) model.auth_state = null;
  return model;
}

function latest(a: Date | null, b: Date | null): Date | null {
  if (a === null) return b;
  if (b === null) return a;
  return a.getTime() >= b.getTime() ? a : b;
}

export function groupModel(group: Group, members: string[], scopes: ScopeSet): Record<string, unknown> {
  const allows = (...names: ScopeName[]) => names.some((n) => scopes.holds(n, { group: group.name }) === 'yes');
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
