// The Authenticator contract (JupyterHub's seam for "who is this?") and the one completeSignIn() every method ends
// in: the allow rules (auth/allow.ts), one identity per name (name-owner.ts), the admin flag (admin-grant.ts), the row.
import type { HubConfig } from '../config/load.js';
import type { User } from '../db/schema.js';
import type { Logger } from '../log.js';
import type { UserStore } from '../users/store.js';
import { adminAfterSignIn, adminGroupsInUse } from './admin-grant.js';
import { decideAccess } from './allow.js';
import { nameOwnedElsewhere, type SignInMethod } from './name-owner.js';
import type { Sessions } from './sessions.js';

export type { SignInMethod } from './name-owner.js';

/** Who a sign-in method says the person is (JupyterHub's authentication model: name, admin, groups, auth_state). */
export interface Identity {
  method: SignInMethod;
  /** A valid hub user name (users/username.ts), already normalised. */
  name: string;
  /** The groups the method reports (PAM: UNIX groups; OIDC: the groups claim; GitHub: none). */
  groups: readonly string[];
  /** A member of one of the method's admin_groups (PAM, OIDC). Admin from auth.admin_users is completeSignIn's. */
  inAdminGroup: boolean;
  /**
   * The method's own allow rule this person meets (GitHub org or team, PAM or OIDC allowed_groups), or null. Asked
   * only when no earlier rule decided, as it may cost requests to the provider.
   */
  membership(): Promise<string | null>;
  /** What the sign-in keeps on the users row (JupyterHub's auth_state): the sealed GitHub token when passed on. */
  authState?: Pick<User, 'githubTokenEncrypted'>;
}

/**
 * One sign-in method. `authenticate` answers an expected "no" (a wrong password) with null and throws an HttpError
 * for what the person or an administrator must fix (a refused code, a provider that is down). It never touches
 * sessions, cookies or the users table: completeSignIn and the web layer do.
 */
export interface Authenticator<Input> {
  readonly method: SignInMethod;
  authenticate(input: Input, log: Logger): Promise<Identity | null>;
}

/** The redirect half of an OAuth 2 / OpenID Connect method; the web layer keeps state, verifier and nonce (oauth-state.ts). */
export interface OAuthAuthenticator extends Authenticator<OAuthCallback> {
  readonly method: 'github' | 'oidc';
  /** Shown on the login button and in errors ("GitHub", or auth.oidc.display_name). */
  readonly displayName: string;
  /** The redirect_uri registered with the provider. */
  readonly callbackUrl: string;
  /** The provider's authorize URL for this round trip (PKCE S256; the nonce only where the method uses one). */
  authorizeUrl(round: { state: string; verifier: string; nonce: string }): Promise<URL>;
}

/** What the provider sent back, with the verifier and nonce the round trip began with. */
export interface OAuthCallback {
  code: string;
  verifier: string;
  nonce: string;
}

export type SignInOutcome = { user: User; rule: string } | { refused: string };

export interface SignInCompleter {
  /**
   * Applies the allow rules, then (synchronously, so two sign-ins cannot both claim a name) refuses a name another
   * method owns, creates or binds the user, sets or revokes admin and stores the auth state. The web layer starts
   * the session for `user`; `refused` is the reason to show.
   */
  completeSignIn(identity: Identity, log: Logger): Promise<SignInOutcome>;
}

export function createSignInCompleter(deps: {
  config: Pick<HubConfig, 'auth'>; users: UserStore; sessions: Pick<Sessions, 'endOtherMethods'>;
}): SignInCompleter {
  const { config, users, sessions } = deps;
  return {
    async completeSignIn(identity, log) {
      const { name, method } = identity;
      const listed = config.auth.admin_users.includes(name);
      const decision = await decideAccess(name, config.auth, {
        admin: listed || identity.inAdminGroup,
        addedByAdmin: users.get(name)?.addedByAdmin ?? false,
        memberOf: () => identity.membership(),
      }, method);
      if (!decision.allowed) {
        log.info({ username: name, via: method, reason: decision.reason }, 'sign-in refused by policy');
        return { refused: decision.reason };
      }
      // From here on nothing awaits: the name check and the write are one step.
      const existing = users.get(name);
      const refused = nameOwnedElsewhere(existing, method, config.auth);
      if (refused !== null) {
        log.warn({ username: name, via: method, owner: existing?.authenticator }, 'sign-in refused: the name belongs to another sign-in method');
        return { refused };
      }
      const row = existing ?? users.ensure(name, { authenticator: method });
      const grant = adminAfterSignIn(row, { listed, inAdminGroup: identity.inAdminGroup, adminGroupsInUse: adminGroupsInUse(config.auth) });
      if (row.admin && row.adminSource === null && !grant.admin) {
        log.warn({ username: name, via: method }, 'admin flag from before Berth recorded its source dropped, as admin_groups are in use: an admin can grant it again');
      }
      const bind = row.authenticator === null ? { authenticator: method } : {};
      // A name bound now (added by an admin, or from before methods were recorded): sessions another method opened
      // under it, and the tokens issued in them, are not this person's.
      if (row.authenticator === null && !config.auth.allow_shared_names) sessions.endOtherMethods(row.id, method);
      // The method's groups are kept for catalog entries limited to groups (servers/image.ts), as of this sign-in.
      const user = users.update(name, { ...grant, ...bind, ...identity.authState, authGroups: [...identity.groups] }) ?? row;
      log.info({ username: name, via: method, rule: decision.rule, admin: user.admin }, 'signed in');
      return { user, rule: decision.rule };
    },
  };
}
