// One identity per name: a hub user belongs to the sign-in method that first signed the name in, so the host
// account alice and the GitHub login alice (two different people, possibly) cannot both be the hub user alice.
import type { Config } from '../config/schema.js';
import type { User } from '../db/schema.js';

export type SignInMethod = NonNullable<User['authenticator']>;

const HOW: Record<SignInMethod, { owner: string; action: string; account: string }> = {
  github: { owner: 'a GitHub user on this hub', action: 'sign in with GitHub', account: 'GitHub account' },
  pam: { owner: 'a user on this hub who signs in with a username and password', action: 'sign in that way', account: 'host account' },
};

/**
 * Why `via` may not sign in to this existing user, or null when it may: the name is unbound (added by an admin,
 * or from before methods were recorded), already owned by `via`, or auth.allow_shared_names lets methods share it.
 */
export function nameOwnedElsewhere(row: Pick<User, 'name' | 'authenticator'> | null, via: SignInMethod, auth: Config['auth']): string | null {
  if (row === null || row.authenticator === null || row.authenticator === via || auth.allow_shared_names) return null;
  const owner = HOW[row.authenticator];
  return `${row.name} is already ${owner.owner}: ${owner.action}, or ask an administrator to delete the hub user ${row.name} ` +
    `if this ${HOW[via].account} should have the name (auth.allow_shared_names: true lets all sign-in methods share names).`;
}
