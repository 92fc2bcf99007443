// The admin flag a sign-in leaves on a user. Admin granted by the hub (auth.admin_users, or an admin through the
// API or admin page) is kept until an admin removes it; admin from PAM's admin_groups holds only while the user's
// last sign-in was through PAM as a group member, so it never outlives the membership or carries over to GitHub.
import type { User } from '../db/schema.js';

export type AdminGrant = Pick<User, 'admin' | 'adminSource'>;

export interface AdminFacts {
  /** Listed in auth.admin_users. */
  listed: boolean;
  /** Signed in through PAM as a member of one of auth.pam.admin_groups (always false for GitHub). */
  inAdminGroup: boolean;
  /** auth.pam.admin_groups is in use on this hub (PAM enabled and the list not empty). */
  adminGroupsInUse: boolean;
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
