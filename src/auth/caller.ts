// Who is making a request and what they may do: a user (by token or login cookie) or a hub.yaml service,
// with expanded JupyterHub scopes whose filters are bound (e.g. `servers!user=alice`), parsed once here (ScopeSet).
import type { HubConfig } from '../config/load.js';
import type { User } from '../db/schema.js';
import type { GroupStore } from '../groups/store.js';
import type { UserStore } from '../users/store.js';
import { expandScopes, roleScopes, ScopeSet, tokenScopes, type ScopeOwner } from './scopes.js';
import type { ApiToken, TokenStore } from './tokens.js';
import type { ShareStore } from '../shares/store.js';

export type Caller =
  | { kind: 'user'; name: string; userId: number; admin: boolean; scopes: ScopeSet; via: 'token' | 'cookie'; tokenId?: number; sessionId?: string | null }
  | { kind: 'service'; name: string; admin: boolean; scopes: ScopeSet; via: 'token'; tokenId?: number };

export interface CallerResolver {
  /** The caller a token stands for, or null (unknown, expired, revoked, or its owner is gone). */
  fromToken(token: string): { caller: Caller; row: ApiToken } | null;
  /** A browser signed in with the hub login cookie: every scope the user holds. */
  fromSignedIn(user: User, sessionId: string | null): Caller;
  /** A user's own expanded scopes: role `user` (`self`) and auth.extra_user_scopes, `admin` when admin, shares granted to them, `!group=` resolved to members. */
  userScopes(user: User): string[];
  /** A hub.yaml service's expanded scopes; null when the service is no longer in the file. */
  serviceScopes(name: string): string[] | null;
  /** Binds bare filters and `self` for this owner (token creation, OAuth scopes). */
  expandFor(user: User, raw: readonly string[]): string[];
}

export function createCallerResolver(deps: { config: Pick<HubConfig, 'hub' | 'auth' | 'services'>; users: UserStore; groups: GroupStore; tokens: TokenStore; shares: Pick<ShareStore, 'scopesOf'> }): CallerResolver {
  const { config, users, groups, tokens, shares } = deps;
  const groupMembers = (g: string) => groups.members(g);
  const ownerOf = (user: User): ScopeOwner => ({ user: user.name, server: '', groupMembers });

  const resolver: CallerResolver = {
    userScopes(user) {
      const roles = [
        ...roleScopes('user', { sharing: config.hub.user_sharing }),
        ...config.auth.extra_user_scopes,
        ...(user.admin ? roleScopes('admin', { adminAccess: config.hub.admin_access }) : []),
      ];
      // What others shared with the user (directly or with a group): JupyterHub 5 keeps these in the user's scopes,
      // so every check (the OAuth step, a server token's /hub/api/user) sees a revocation at once.
      return expandScopes([...roles, ...shares.scopesOf(user.id)], ownerOf(user));
    },
    serviceScopes(name) {
      const service = config.services.find((s) => s.name === name);
      if (!service) return null;
      const raw = [...service.scopes, ...(service.admin ? roleScopes('admin', { adminAccess: config.hub.admin_access }) : [])];
      return expandScopes(raw, { service: name, groupMembers });
    },
    expandFor(user, raw) {
      return expandScopes(raw, ownerOf(user));
    },
    fromSignedIn(user, sessionId) {
      return { kind: 'user', name: user.name, userId: user.id, admin: user.admin, scopes: ScopeSet.of(resolver.userScopes(user)), via: 'cookie', sessionId };
    },
    fromToken(token) {
      const row = tokens.find(token);
      if (row === null) return null;
      if (row.userId !== null) {
        const user = users.getById(row.userId);
        if (user === null) return null;
        const scopes = ScopeSet.of(tokenScopes(row.scopes, resolver.userScopes(user), ownerOf(user)));
        return { row, caller: { kind: 'user', name: user.name, userId: user.id, admin: user.admin, scopes, via: 'token', tokenId: row.id, sessionId: row.sessionId } };
      }
      if (row.serviceName !== null) {
        const owned = resolver.serviceScopes(row.serviceName);
        if (owned === null) return null;
        const service = config.services.find((s) => s.name === row.serviceName);
        const scopes = ScopeSet.of(tokenScopes(row.scopes, owned, { service: row.serviceName, groupMembers }));
        return { row, caller: { kind: 'service', name: row.serviceName, admin: service?.admin ?? false, scopes, via: 'token', tokenId: row.id } };
      }
      return null;
    },
  };
  return resolver;
}
