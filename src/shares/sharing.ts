// Who may share what, for the REST API and the home page alike (JupyterHub 5's apihandlers/shares.py): every
// operation checks the caller's scopes itself, resolves names to rows (404 for an unknown owner or server, 400 for an
// unknown user or group named in a body), and goes to the store only once everything was checked, so a refused
// request changes nothing.
import type { Resource, ScopeName, ScopeSet } from '../auth/scopes.js';
import type { Db } from '../db/open.js';
import type { Group, User } from '../db/schema.js';
import { HttpError } from '../errors.js';
import type { GroupStore } from '../groups/store.js';
import type { ServerView } from '../servers/servers.js';
import type { UserStore } from '../users/store.js';
import { shareScopes } from './rules.js';
import { namedServerId, type Grantee, type ShareCodeView, type ShareStore, type ShareTarget, type ShareView } from './store.js';

export interface SharingDeps {
  /** hub.user_sharing `full`: whoever may share a server may name any user or group to share it with. */
  byName: boolean;
  db: Db;
  users: Pick<UserStore, 'get' | 'getById'>;
  groups: Pick<GroupStore, 'get'>;
  shares: ShareStore;
  /** A server's view, or null when the owner has no server of that name (the default server always exists). */
  server(owner: string, server: string): ServerView | null;
}

/** A request naming whom to share with (or whom to take a share from): exactly one of the two. */
export interface GranteeRequest {
  user?: string | null;
  group?: string | null;
  scopes?: string[] | null;
}

export interface ResolvedServer {
  owner: User;
  serverName: string;
  view: ServerView;
  target: ShareTarget;
}

export interface Sharing {
  /** The owner's server; 404 when either does not exist. */
  server(ownerName: string, serverName: string): ResolvedServer;
  grant(scopes: ScopeSet, ownerName: string, serverName: string, request: GranteeRequest): ShareView;
  /** null: the share is gone (or there was none, or the user or group does not exist, as in JupyterHub). */
  revoke(scopes: ScopeSet, ownerName: string, serverName: string, request: GranteeRequest): ShareView | null;
  revokeAll(scopes: ScopeSet, ownerName: string, serverName: string): void;
  /** Shares of one server, or of all the owner's servers when serverName is null. */
  list(scopes: ScopeSet, ownerName: string, serverName: string | null): ShareView[];
  sharedWithUser(scopes: ScopeSet, userName: string): ShareView[];
  sharedWithGroup(scopes: ScopeSet, groupName: string): ShareView[];
  /** One user's (or group's) share of one server; 404 when there is none. */
  shareOf(scopes: ScopeSet, who: { user: string } | { group: string }, ownerName: string, serverName: string): ShareView;
  /** Leaving a share (the user or group side): needs users:shares / groups:shares, not the owner's `shares`. */
  leave(scopes: ScopeSet, who: { user: string } | { group: string }, ownerName: string, serverName: string): void;
  issueCode(scopes: ScopeSet, ownerName: string, serverName: string, request: { scopes?: string[] | null; expires_in: number }): { code: string; row: ShareCodeView };
  codes(scopes: ScopeSet, ownerName: string, serverName: string | null): ShareCodeView[];
  /** Deletes one code (by the code itself or its `sc_<id>`), or all the server's codes when neither is given. */
  deleteCodes(scopes: ScopeSet, ownerName: string, serverName: string, which: { code?: string; id?: string }): void;
  /** The code a signed-in user was given, with its server; 404 when unknown or expired, 400 for the owner's own code. */
  invitation(user: User, code: string): { code: ShareCodeView; server: ResolvedServer };
  /** Redeems the code for `user` (accept-share's POST). */
  accept(user: User, code: string): { share: ShareView; server: ResolvedServer };
}

const NOT_FOUND_FILTERED = 'No access to resources or resources not found';

/** The route guards' rule (require-scope.ts) for scopes a handler checks while running: 403 naming them, or 404 when held only for others. */
function must(scopes: ScopeSet, anyOf: readonly ScopeName[], resource: Resource): void {
  let other = false;
  for (const name of anyOf) {
    const held = scopes.holds(name, resource);
    if (held === 'yes') return;
    if (held === 'other') other = true;
  }
  if (other) throw new HttpError(404, NOT_FOUND_FILTERED);
  throw new HttpError(403, `Action is not authorized with current scopes; requires any of [${anyOf.join(', ')}]`);
}

export function createSharing(deps: SharingDeps): Sharing {
  const { shares } = deps;
  const onServer = (owner: string, server: string): Resource => ({ user: owner, server: `${owner}/${server}` });

  const resolve = (ownerName: string, serverName: string): ResolvedServer => {
    const owner = deps.users.get(ownerName);
    const view = owner === null ? null : deps.server(ownerName, serverName);
    if (owner === null || view === null) throw new HttpError(404, `No such server: ${ownerName}/${serverName}`);
    return { owner, serverName, view, target: { ownerId: owner.id, serverName, serverId: namedServerId(deps.db, owner.id, serverName) } };
  };
  const ownerId = (ownerName: string): number => {
    const owner = deps.users.get(ownerName);
    if (owner === null) throw new HttpError(404, `No such user: ${ownerName}`);
    return owner.id;
  };

  /**
   * The user or group a body names, after checking the caller may name it (JupyterHub: read:users:name or
   * read:groups:name for it; with hub.user_sharing `full`, holding `shares` on the server is enough); null when it
   * does not exist.
   */
  function grantee(scopes: ScopeSet, request: GranteeRequest, check: boolean): { grantee: Grantee; name: string; kind: 'user' | 'group' } | null {
    const { user, group } = request;
    if (user != null && group != null) throw new HttpError(400, 'Expected exactly one of `user` or `group`, not both.');
    if (user != null) {
      if (check && !deps.byName && scopes.holds('read:users:name', { user }) !== 'yes') throw new HttpError(403, "Need scope 'read:users:name' to share with users by name");
      const row = deps.users.get(user);
      return row === null ? null : { grantee: { userId: row.id }, name: user, kind: 'user' };
    }
    if (group != null) {
      if (check && !deps.byName && scopes.holds('read:groups:name', { group }) !== 'yes') throw new HttpError(403, "Need scope 'read:groups:name' to share with groups by name");
      const row: Group | null = deps.groups.get(group);
      return row === null ? null : { grantee: { groupId: row.id }, name: group, kind: 'group' };
    }
    throw new HttpError(400, 'Specify exactly one of `user` or `group`');
  }

  /** The scopes to grant, each of which the caller must hold for this server (JupyterHub's has_scope per scope). */
  function grantable(scopes: ScopeSet, requested: string[] | null | undefined, owner: string, server: string): string[] {
    const bound = shareScopes(requested, owner, server);
    for (const scope of bound) {
      const name = scope.slice(0, scope.indexOf('!')) as ScopeName;
      if (scopes.holds(name, onServer(owner, server)) !== 'yes') throw new HttpError(403, `Do not have permission to grant share with scope ${scope}`);
    }
    return bound;
  }

  const sharing: Sharing = {
    server: resolve,
    grant(scopes, ownerName, serverName, request) {
      must(scopes, ['shares'], onServer(ownerName, serverName));
      const granted = grantable(scopes, request.scopes, ownerName, serverName);
      const server = resolve(ownerName, serverName);
      const who = grantee(scopes, request, true);
      if (who === null) throw new HttpError(400, `No such ${request.user != null ? 'user' : 'group'}: ${request.user ?? request.group}`);
      if (who.kind === 'user' && who.name === ownerName) throw new HttpError(400, `${ownerName} owns ${ownerName}/${serverName}: there is nothing to share with them`);
      return shares.grant(server.target, who.grantee, granted);
    },
    revoke(scopes, ownerName, serverName, request) {
      must(scopes, ['shares'], onServer(ownerName, serverName));
      // Checked before anything else, so a malformed request is a 400 even for a name that does not exist.
      const revoked = request.scopes == null || request.scopes.length === 0 ? null : shareScopes(request.scopes, ownerName, serverName);
      const server = resolve(ownerName, serverName);
      // Taking access away needs no right to read the name (JupyterHub); an unknown one has nothing to revoke.
      const who = grantee(scopes, request, false);
      if (who === null) return null;
      return shares.revoke(server.target, who.grantee, revoked);
    },
    revokeAll(scopes, ownerName, serverName) {
      must(scopes, ['shares'], onServer(ownerName, serverName));
      shares.removeAll(resolve(ownerName, serverName).target);
    },
    list(scopes, ownerName, serverName) {
      if (serverName === null) {
        must(scopes, ['read:shares'], { user: ownerName });
        return shares.ofOwner(ownerId(ownerName), null);
      }
      must(scopes, ['read:shares'], onServer(ownerName, serverName));
      return shares.ofOwner(resolve(ownerName, serverName).owner.id, serverName);
    },
    sharedWithUser(scopes, userName) {
      must(scopes, ['read:users:shares'], { user: userName });
      return shares.sharedWithUser(ownerId(userName));
    },
    sharedWithGroup(scopes, groupName) {
      must(scopes, ['read:groups:shares'], { group: groupName });
      const group = deps.groups.get(groupName);
      if (group === null) throw new HttpError(404, `No such group: ${groupName}`);
      return shares.sharedWithGroup(group.id);
    },
    shareOf: (scopes, who, ownerName, serverName) =>
      findShare(scopes, who, ownerName, serverName, 'user' in who ? 'read:users:shares' : 'read:groups:shares'),
    leave(scopes, who, ownerName, serverName) {
      shares.remove(findShare(scopes, who, ownerName, serverName, 'user' in who ? 'users:shares' : 'groups:shares').id);
    },
    issueCode(scopes, ownerName, serverName, request) {
      must(scopes, ['shares'], onServer(ownerName, serverName));
      const granted = grantable(scopes, request.scopes, ownerName, serverName);
      return shares.issueCode(resolve(ownerName, serverName).target, granted, request.expires_in);
    },
    codes(scopes, ownerName, serverName) {
      if (serverName === null) {
        must(scopes, ['read:shares'], { user: ownerName });
        return shares.codesOf(ownerId(ownerName), null);
      }
      must(scopes, ['read:shares'], onServer(ownerName, serverName));
      return shares.codesOf(resolve(ownerName, serverName).owner.id, serverName);
    },
    deleteCodes(scopes, ownerName, serverName, which) {
      must(scopes, ['shares'], onServer(ownerName, serverName));
      const { target } = resolve(ownerName, serverName);
      if (which.code) {
        const row = shares.findCode(which.code, target);
        if (row === null) throw new HttpError(404, 'No matching code found');
        shares.removeCode(row.id);
      } else if (which.id) {
        const m = /^sc_(\d+)$/.exec(which.id);
        const row = m ? shares.codesOf(target.ownerId, serverName).find((r) => r.id === Number(m[1])) : undefined;
        if (row === undefined) throw new HttpError(404, `No code found matching id=${which.id}`);
        shares.removeCode(row.id);
      } else {
        shares.removeCodes(target);
      }
    },
    invitation(user, code) {
      const row = shares.findCode(code);
      if (row === null) throw new HttpError(404, 'Share not found or expired: ask for a new link');
      if (row.ownerId === user.id) throw new HttpError(400, "You can't share with yourself!");
      return { code: row, server: resolve(row.owner, row.serverName) };
    },
    accept(user, code) {
      const { server } = sharing.invitation(user, code);
      const redeemed = shares.redeem(code, user.id);
      if (redeemed === null) throw new HttpError(404, 'Share not found or expired: ask for a new link');
      return { share: redeemed.share, server };
    },
  };

  function findShare(scopes: ScopeSet, who: { user: string } | { group: string }, ownerName: string, serverName: string, scope: ScopeName): ShareView {
    const resource: Resource = 'user' in who ? { user: who.user } : { group: who.group };
    must(scopes, [scope], resource);
    const label = 'user' in who ? `user ${who.user}` : `group ${who.group}`;
    const missing = new HttpError(404, `No such share for ${label} on ${ownerName}/${serverName}`);
    const owner = deps.users.get(ownerName);
    if (owner === null) throw missing;
    const grantee: Grantee | null = 'user' in who
      ? ((u) => (u ? { userId: u.id } : null))(deps.users.get(who.user))
      : ((g) => (g ? { groupId: g.id } : null))(deps.groups.get(who.group));
    if (grantee === null) throw missing;
    const share = shares.find({ ownerId: owner.id, serverName, serverId: null }, grantee);
    if (share === null) throw missing;
    return share;
  }

  return sharing;
}

