// One identity per name: a hub user belongs to the sign-in method that first signed the name in, so the host
// account alice, the GitHub login alice and the OpenID Connect alice (different people, possibly) are not one user.
import type { Config } from '../config/schema.js';
import type { User } from '../db/schema.js';

export type SignInMethod = NonNullable<User['authenticator']>;

const HOW: Record<SignInMethod, (auth: Config['auth']) => { owner: string; action: string; account: string }> = {
  github: () => ({ owner: 'a GitHub user on this hub', action: 'sign in with GitHub', account: 'GitHub account' }),
  oidc: (auth) => ({
    owner: `a user on this hub who signs in with ${auth.oidc.display_name}`, action: `sign in with ${auth.oidc.display_name}`,
    account: `${auth.oidc.display_name} account`,
  }),
  pam: () => ({ owner: 'a user on this hub who signs in with a username and password', action: 'sign in that way', account: 'host account' }),
};

/**
 * Why `via` may not sign in to this existing user, or null when it may: the name is unbound (added by an admin,
 * or from before methods were recorded), already owned by `via`, or auth.allow_shared_names lets methods share it.
 */
export function nameOwnedElsewhere(row: Pick<User, 'name' | 'authenticator'> | null, via: SignInMethod, auth: Config['auth']): string | null {
  if (row === null || row.authenticator === null || row.authenticator === via || auth.allow_shared_names) return null;
  const owner = HOW[row.authenticator](auth);
  return `${row.name} is already ${owner.owner}: ${owner.action}, or ask an administrator to delete the hub user ${row.name} ` +
    `if this ${HOW[via](auth).account} should have the name (auth.allow_shared_names: true lets all sign-in methods share names).`;
}
