// The admin flag a sign-in leaves on a user, the same rule for every method. Admin granted by the hub
// (auth.admin_users, or an admin through the API or admin page) is kept until an admin removes it; admin from a
// method's admin_groups (PAM, OIDC) holds only while the user's last sign-in was as a member of one, so it never
// outlives the membership or carries over to a method that did not grant it.
import type { Config } from '../config/schema.js';
import type { User } from '../db/schema.js';
import type { Logger } from '../log.js';
import type { UserStore } from '../users/store.js';

export type AdminGrant = Pick<User, 'admin' | 'adminSource'>;

export interface AdminFacts {
  /** Listed in auth.admin_users. */
  listed: boolean;
  /** Signed in as a member of one of the method's admin_groups (auth.pam or auth.oidc; always false for GitHub). */
  inAdminGroup: boolean;
  /** Some method's admin_groups is in use on this hub (the method on and the list not empty). */
  adminGroupsInUse: boolean;
}

/** Whether this hub grants admin through a method's admin_groups (auth.pam, auth.oidc). */
export function adminGroupsInUse(auth: Config['auth']): boolean {
  return (auth.pam.enabled && auth.pam.admin_groups.length > 0) || (auth.oidc.issuer !== undefined && auth.oidc.admin_groups.length > 0);
}

/**
 * At start-up: when admin_groups is no longer in use, the admin it granted ends now rather than at each user's next
 * sign-in (their open sessions would stay admin until then).
 */
export function revokeUnbackedGroupAdmins(auth: Config['auth'], users: UserStore, logger: Logger): void {
  if (adminGroupsInUse(auth)) return;
  const revoked = users.revokeAdmin('admin_groups');
  if (revoked.length > 0) {
    logger.warn({ users: revoked.slice(0, 20), count: revoked.length }, 'admin granted by admin_groups revoked: the hub no longer uses admin groups');
  }
}

const NOT_ADMIN: AdminGrant = { admin: false, adminSource: null };

/** The admin flag and its source after a successful sign-in, from the row as it was (null for a new user). */
export function adminAfterSignIn(row: AdminGrant | null, facts: AdminFacts): AdminGrant {
  if (facts.listed) return { admin: true, adminSource: 'hub' };
  if (row?.admin && row.adminSource === 'hub') return row;
  if (facts.inAdminGroup) return { admin: true, adminSource: 'admin_groups' };
  // An admin flag from before its source was recorded: on a hub that grants admin through admin_groups it may be a
  // stale group grant, so it goes (as JupyterHub's authoritative admin_groups would); otherwise only the hub set it.
  if (row?.admin && row.adminSource === null && !facts.adminGroupsInUse) return { admin: true, adminSource: 'hub' };
  return NOT_ADMIN;
}
