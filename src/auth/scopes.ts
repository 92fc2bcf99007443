// What a token may do: JupyterHub's scopes as data (the scope table, the default roles), expansion (subscopes,
// `self`, bound filters), a token's scopes bounded by its owner's, and ScopeSet, the parsed form every check reads.
import { closestKey } from '../config/nearest.js';

export interface ScopeInfo {
  description: string;
  subscopes?: readonly string[];
}

/** JupyterHub 5.x's scope table (scopes.py). Subscopes inherit the parent's filter. */
export const SCOPES = {
  self: { description: "Your own resources (expands to the user's own scopes)." },
  inherit: { description: 'Everything the token owner can do.' },
  'admin-ui': { description: 'Access the admin page.' },
  'admin:users': { description: 'Read, write, create and delete users and their auth state.', subscopes: ['admin:auth_state', 'users', 'read:roles:users', 'delete:users'] },
  'admin:auth_state': { description: "Read a user's authentication state." },
  users: { description: 'Read and write permissions to user models.', subscopes: ['read:users', 'list:users', 'users:activity'] },
  'delete:users': { description: 'Delete users.' },
  'list:users': { description: 'List users, including at least their names.', subscopes: ['read:users:name'] },
  'read:users': { description: 'Read user models.', subscopes: ['read:users:name', 'read:users:groups', 'read:users:activity'] },
  'read:users:name': { description: 'Read names of users.' },
  'read:users:groups': { description: "Read users' group membership." },
  'read:users:activity': { description: 'Read time of last user activity.' },
  'read:roles': { description: 'Read role assignments.', subscopes: ['read:roles:users', 'read:roles:services', 'read:roles:groups'] },
  'read:roles:users': { description: 'Read user role assignments.' },
  'read:roles:services': { description: 'Read service role assignments.' },
  'read:roles:groups': { description: 'Read group role assignments.' },
  'users:activity': { description: 'Update last activity time.', subscopes: ['read:users:activity'] },
  'admin:servers': { description: 'Read, start, stop, create and delete servers and their state.', subscopes: ['admin:server_state', 'servers'] },
  'admin:server_state': { description: 'Read and write users’ server state.' },
  servers: { description: "Start and stop user servers.", subscopes: ['read:servers', 'delete:servers'] },
  'read:servers': { description: 'Read users’ names and their server models (without the server state).', subscopes: ['read:users:name'] },
  'delete:servers': { description: "Stop and delete users' servers." },
  tokens: { description: 'Read, write, create and delete user tokens.', subscopes: ['read:tokens'] },
  'read:tokens': { description: 'Read user tokens.' },
  'admin:groups': { description: 'Read and write group information, create and delete groups.', subscopes: ['groups', 'read:roles:groups', 'delete:groups'] },
  groups: { description: 'Read and write group information, including adding and removing users.', subscopes: ['read:groups', 'list:groups'] },
  'list:groups': { description: 'List groups, including at least their names.', subscopes: ['read:groups:name'] },
  'read:groups': { description: 'Read group models.', subscopes: ['read:groups:name'] },
  'read:groups:name': { description: 'Read group names.' },
  'delete:groups': { description: 'Delete groups.' },
  'list:services': { description: 'List services, including at least their names.', subscopes: ['read:services:name'] },
  'read:services': { description: 'Read service models.', subscopes: ['read:services:name'] },
  'read:services:name': { description: 'Read service names.' },
  'read:hub': { description: 'Read detailed information about the Hub.' },
  'access:servers': { description: 'Access user servers via the API or browser.' },
  'access:services': { description: 'Access services via the API or browser.' },
  'users:shares': { description: "Read and revoke a user's access to shared servers.", subscopes: ['read:users:shares'] },
  'read:users:shares': { description: 'Read servers shared with a user.' },
  'groups:shares': { description: "Read and revoke a group's access to shared servers.", subscopes: ['read:groups:shares'] },
  'read:groups:shares': { description: 'Read servers shared with a group.' },
  'read:shares': { description: 'Read information about shared access to servers.' },
  shares: { description: 'Manage access to shared servers.', subscopes: ['access:servers', 'read:shares', 'users:shares', 'groups:shares'] },
  proxy: { description: 'Read the proxy routing table.' },
  shutdown: { description: 'Shutdown the hub.' },
  'read:metrics': { description: 'Read prometheus metrics.' },
} as const satisfies Record<string, ScopeInfo>;

/** A scope of the table (not `custom:`): what routes require. */
export type ScopeName = keyof typeof SCOPES;

/** Own keys only: `constructor` or `toString` are not scopes, though `in` would say so. */
export function isScopeName(name: string): name is ScopeName {
  return Object.hasOwn(SCOPES, name);
}

function scopeInfo(name: string): ScopeInfo | undefined {
  return isScopeName(name) ? SCOPES[name] : undefined;
}

/** What every user holds through the `user` role's `self`. */
const SELF_SCOPES = [
  'read:users', 'read:users:name', 'read:users:groups', 'users:shares', 'read:users:shares', 'read:shares',
  'users:activity', 'read:users:activity', 'servers', 'delete:servers', 'read:servers', 'tokens', 'read:tokens', 'access:servers',
] as const;

/**
 * hub.user_sharing: what the `user` role adds to `self` (JupyterHub's documented role for sharing): `shares!user`,
 * the right to share one's own servers. Whether users may name each other when they do is the share rule's
 * (src/shares/sharing.ts), so `full` does not hand every user `read:users:name` for the whole REST API.
 */
export const USER_SHARING_SCOPES = {
  off: [],
  codes: ['shares!user'],
  full: ['shares!user'],
} as const satisfies Record<string, readonly string[]>;
export type UserSharing = keyof typeof USER_SHARING_SCOPES;

const ADMIN_SCOPES = [
  'admin-ui', 'admin:users', 'admin:servers', 'tokens', 'admin:groups', 'list:services', 'read:services',
  'read:hub', 'proxy', 'shutdown', 'access:services', 'read:roles', 'read:metrics',
  // JupyterHub's admin has `shares`, which holds `access:servers`; here only with hub.admin_access (below), so an
  // admin without it can see and revoke shares but not grant anyone (themselves included) access.
  'read:shares', 'users:shares', 'groups:shares',
] as const;

/** JupyterHub's default roles; Berth has no others. */
export const ROLE_NAMES = ['user', 'admin', 'server', 'token'] as const;
export type RoleName = (typeof ROLE_NAMES)[number];
export const isRoleName = (name: string): name is RoleName => (ROLE_NAMES as readonly string[]).includes(name);

/**
 * The default roles (roles.py). `access:servers` joins `admin` only with hub.admin_access, as the issue asks; `user`
 * gets the sharing scopes hub.user_sharing names.
 */
export function roleScopes(role: RoleName, options: { adminAccess?: boolean; sharing?: UserSharing } = {}): string[] {
  switch (role) {
    case 'user': return ['self', ...USER_SHARING_SCOPES[options.sharing ?? 'off']];
    case 'admin': return options.adminAccess ? [...ADMIN_SCOPES, 'access:servers', 'shares'] : [...ADMIN_SCOPES];
    case 'server': return ['users:activity!user', 'access:servers!server'];
    case 'token': return ['inherit'];
  }
}

/** Identify scopes every token gets for reading its own owner's name and groups (SelfAPIHandler). */
export function identifyScopes(userName: string): string[] {
  return [`read:users:name!user=${userName}`, `read:users:groups!user=${userName}`];
}

/** One line of a consent page: a scope, JupyterHub's description of it, and whom it applies to. */
export interface ScopeDescription {
  scope: string;
  description: string;
  /** '' for every resource; "only you", "user bob", "server alice/", "users in group g", "service s" otherwise. */
  appliesTo: string;
}

/** JupyterHub's describe_raw_scopes, for expanded (bound) scopes: what a consent page shows `username`. */
export function describeScopes(scopes: readonly string[], username: string): ScopeDescription[] {
  return scopes.map((scope) => {
    const parsed = parseScope(scope);
    const name = parsed?.name ?? scope;
    const f = parsed?.filter ?? null;
    const appliesTo = f === null ? ''
      : f.kind === 'user' && f.value === username ? 'only you'
        : f.kind === 'group' ? `users in group ${f.value ?? ''}`
          : `${f.kind} ${f.value ?? ''}`;
    return { scope, description: scopeInfo(name)?.description ?? name, appliesTo };
  });
}

export type FilterKind = 'user' | 'server' | 'group' | 'service';
export interface ParsedScope {
  name: string;
  /** null: every resource. A null value is a bare filter (`!user`), bound to the owner when expanded. */
  filter: { kind: FilterKind; value: string | null } | null;
}

const FILTER_KINDS: readonly FilterKind[] = ['user', 'server', 'group', 'service'];
const CUSTOM_SCOPE = /^custom:[a-z0-9:_-]+$/i;

/** Splits `name!kind=value`; null when the syntax is wrong or the name is not a known (or custom:) scope. */
export function parseScope(scope: string): ParsedScope | null {
  const bang = scope.indexOf('!');
  const name = bang === -1 ? scope : scope.slice(0, bang);
  if (!isScopeName(name) && !CUSTOM_SCOPE.test(name)) return null;
  if (bang === -1) return { name, filter: null };
  const rest = scope.slice(bang + 1);
  const eq = rest.indexOf('=');
  const kind = (eq === -1 ? rest : rest.slice(0, eq)) as FilterKind;
  if (!FILTER_KINDS.includes(kind)) return null;
  const value = eq === -1 ? null : rest.slice(eq + 1);
  if (value === '' || (kind === 'group' && value === null)) return null;
  if (kind === 'server' && value !== null && !value.includes('/')) return null;
  return { name, filter: { kind, value } };
}

/** The scopes in `raw` that are not valid scope expressions, for a 400 or a config error that names them. */
export function invalidScopes(raw: readonly string[]): string[] {
  return raw.filter((s) => s !== 'self' && s !== 'inherit' && parseScope(s) === null);
}

/** What is wrong with a scope `invalidScopes` refused: an unknown name (with the nearest one), or a bad filter. */
export function scopeProblem(scope: string): string {
  const bang = scope.indexOf('!');
  const name = bang === -1 ? scope : scope.slice(0, bang);
  if (isScopeName(name) || CUSTOM_SCOPE.test(name)) {
    return `${JSON.stringify(scope)} has an invalid filter "${scope.slice(bang)}" (use !user=NAME, !server=USER/SERVER, !group=NAME or !service=NAME)`;
  }
  const hint = closestKey(name, Object.keys(SCOPES));
  return `${JSON.stringify(scope)} is not a known scope${hint ? ` (did you mean "${hint}"?)` : ''}; names come from JupyterHub's scope table, or custom:NAME`;
}

export interface ScopeOwner {
  /** The owning user's name: binds `!user`, and `self`. */
  user?: string;
  /** The owning service's name: binds `!service`. */
  service?: string;
  /** Server name for binding `!server` (default server ''). */
  server?: string;
  /** Members of each group, so `!group=g` also yields `!user=<member>` and no check needs the database. */
  groupMembers?: (group: string) => readonly string[];
}

/**
 * Expands raw scopes into a sorted, de-duplicated list: `self` → the user's own scopes, bare filters bound to the
 * owner, subscopes added with the parent's filter (except `read:users*` under a `!server` filter), unfiltered
 * scopes absorbing their filtered copies. `inherit` and unknown names are dropped here (see `tokenScopes`).
 */
export function expandScopes(raw: readonly string[], owner: ScopeOwner = {}): string[] {
  const out = new Set<string>();
  const add = (name: string, filter: string) => {
    const key = name + filter;
    if (out.has(key)) return;
    out.add(key);
    for (const sub of scopeInfo(name)?.subscopes ?? []) {
      if (filter.startsWith('!server=') && sub.startsWith('read:users')) continue;
      add(sub, filter);
    }
  };
  for (const scope of raw) {
    if (scope === 'inherit') continue;
    if (scope === 'self') {
      if (owner.user !== undefined) for (const s of SELF_SCOPES) add(s, `!user=${owner.user}`);
      continue;
    }
    const parsed = parseScope(scope);
    if (parsed === null) continue;
    const filter = bindFilter(parsed, owner);
    if (filter === undefined) continue;
    add(parsed.name, filter);
    if (parsed.filter?.kind === 'group' && owner.groupMembers) {
      for (const member of owner.groupMembers(parsed.filter.value as string)) add(parsed.name, `!user=${member}`);
    }
  }
  return normalize(out);
}

/** '' for unfiltered, `!kind=value` when bound, undefined when a bare filter cannot be bound to this owner. */
function bindFilter(parsed: ParsedScope, owner: ScopeOwner): string | undefined {
  const f = parsed.filter;
  if (f === null) return '';
  if (f.value !== null) return `!${f.kind}=${f.value}`;
  if (f.kind === 'user' && owner.user !== undefined) return `!user=${owner.user}`;
  if (f.kind === 'server' && owner.user !== undefined) return `!server=${owner.user}/${owner.server ?? ''}`;
  if (f.kind === 'service' && owner.service !== undefined) return `!service=${owner.service}`;
  return undefined;
}

function normalize(scopes: Iterable<string>): string[] {
  const all = new Set(scopes);
  return [...all].filter((s) => {
    const bang = s.indexOf('!');
    return bang === -1 || !all.has(s.slice(0, bang));
  }).sort();
}

function split(scope: string): [string, string] {
  const bang = scope.indexOf('!');
  return bang === -1 ? [scope, ''] : [scope.slice(0, bang), scope.slice(bang)];
}

/** Whether filter `outer` (e.g. `!user=alice`) covers `inner` (e.g. `!server=alice/`). '' covers everything. */
function covers(outer: string, inner: string): boolean {
  if (outer === '' || outer === inner) return true;
  return outer.startsWith('!user=') && inner.startsWith(`!server=${outer.slice('!user='.length)}/`);
}

/** The scopes held by both expanded lists: for each name, the narrower of the two filter sets. */
export function intersectScopes(a: readonly string[], b: readonly string[]): string[] {
  const byName = (list: readonly string[]) => {
    const map = new Map<string, string[]>();
    for (const s of list) {
      const [name, filter] = split(s);
      map.set(name, [...(map.get(name) ?? []), filter]);
    }
    return map;
  };
  const left = byName(a);
  const right = byName(b);
  const out: string[] = [];
  for (const [name, lf] of left) {
    const rf = right.get(name);
    if (!rf) continue;
    for (const f of lf) if (rf.some((g) => covers(g, f))) out.push(name + f);
    for (const g of rf) if (lf.some((f) => covers(f, g))) out.push(name + g);
  }
  return normalize(out);
}

/** The expanded scopes in `wanted` that `held` does not cover (empty when `held` covers them all). */
export function scopesBeyond(wanted: readonly string[], held: readonly string[]): string[] {
  return wanted.filter((s) => !intersectScopes([s], held).includes(s));
}

/**
 * A token's effective scopes: its own (expanded; `inherit` = everything the owner has) intersected with the
 * owner's, so a token never exceeds its owner, even after the owner loses a role.
 */
export function tokenScopes(raw: readonly string[], ownerScopes: readonly string[], owner: ScopeOwner): string[] {
  if (raw.includes('inherit')) return [...ownerScopes];
  return intersectScopes(expandScopes(raw, owner), ownerScopes);
}

export interface Resource {
  user?: string;
  /** `<user>/<server>`, e.g. `alice/` for the default server. */
  server?: string;
  group?: string;
  service?: string;
}

/** A bound filter: the resources one held scope covers. */
export interface Filter {
  kind: FilterKind;
  value: string;
}

/** What one scope name is held for: everything, or the bound filters, indexed by kind for O(1) checks. */
interface Held {
  all: boolean;
  filters: Filter[];
  byKind: Record<FilterKind, Set<string>>;
}

/**
 * Expanded scopes parsed once, when a caller is resolved: every check is a map lookup and a set lookup per
 * resource kind, however many users a group filter expanded to. `list` is the same scopes as JupyterHub writes
 * them (sorted), for API models and tokens.
 */
export class ScopeSet {
  readonly #byName = new Map<string, Held>();
  readonly list: readonly string[];

  private constructor(expanded: readonly string[]) {
    this.list = [...new Set(expanded)].sort();
    for (const scope of this.list) {
      const parsed = parseScope(scope);
      // Expansion binds or drops bare filters, so a scope without a value cannot name a resource.
      if (parsed === null || (parsed.filter !== null && parsed.filter.value === null)) continue;
      let held = this.#byName.get(parsed.name);
      if (held === undefined) {
        held = { all: false, filters: [], byKind: { user: new Set(), server: new Set(), group: new Set(), service: new Set() } };
        this.#byName.set(parsed.name, held);
      }
      if (parsed.filter === null) held.all = true;
      else {
        const filter = parsed.filter as Filter;
        held.filters.push(filter);
        held.byKind[filter.kind].add(filter.value);
      }
    }
  }

  /** From expanded scopes (expandScopes / tokenScopes), never raw ones: `self` and bare filters mean nothing here. */
  static of(expanded: readonly string[]): ScopeSet {
    return new ScopeSet(expanded);
  }

  /** These scopes plus `extra` (expanded too), e.g. the identify scopes every token may use. */
  with(extra: readonly string[]): ScopeSet {
    return new ScopeSet([...this.list, ...extra]);
  }

  /** 'yes' when `name` covers the resource, 'other' when it is held only for other resources, 'no' otherwise. */
  holds(name: ScopeName, r: Resource = {}): 'yes' | 'other' | 'no' {
    const held = this.#byName.get(name);
    if (held === undefined) return 'no';
    if (held.all) return 'yes';
    const { user, server, group, service } = held.byKind;
    if (r.user !== undefined && user.has(r.user)) return 'yes';
    if (r.server !== undefined) {
      if (server.has(r.server)) return 'yes';
      // A user filter covers that user's servers, `<user>/<server>` (user names have no "/").
      const slash = r.server.indexOf('/');
      if (slash !== -1 && user.has(r.server.slice(0, slash))) return 'yes';
    }
    if (r.group !== undefined && group.has(r.group)) return 'yes';
    if (r.service !== undefined && service.has(r.service)) return 'yes';
    return 'other';
  }

  /** For list endpoints: 'all' when `name` is held unfiltered, else the filters it is held with ([] = not held). */
  filtersOf(name: ScopeName): 'all' | readonly Filter[] {
    const held = this.#byName.get(name);
    return held === undefined ? [] : held.all ? 'all' : held.filters;
  }

  /** Serialised as the list, so a model that embeds the set shows JupyterHub's strings. */
  toJSON(): readonly string[] {
    return this.list;
  }
}

/**
 * Checks the scope names code requires (route guards) when the app is built: a misspelt name would otherwise be a
 * permanent 403 for everyone. `where` says which guard, for the error.
 */
export function assertScopeNames(names: readonly string[], where: string): asserts names is readonly ScopeName[] {
  if (names.length === 0) throw new Error(`${where}: name at least one scope`);
  for (const name of names) {
    if (isScopeName(name)) continue;
    const hint = closestKey(name, Object.keys(SCOPES));
    throw new Error(`${where}: ${JSON.stringify(name)} is not a scope in JupyterHub's table (src/auth/scopes.ts)${hint ? `; did you mean "${hint}"?` : ''}`);
  }
}
