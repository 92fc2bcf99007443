// Which groups a user is in, for rules that follow group membership (catalog entries' `groups`): the hub's own
// groups (the groups API and admin page) and the groups the sign-in method reported at the user's last sign-in
// (PAM's UNIX groups, the OpenID Connect groups claim), as JupyterHub's auth-managed groups would be.
import type { User } from '../db/schema.js';
import type { GroupStore } from './store.js';

export type Membership = (user: Pick<User, 'id' | 'authGroups'>) => string[];

/** The user's groups, given the hub groups already read (a page of users reads them in one query). */
export function groupsOfMember(hubGroups: readonly string[], user: Pick<User, 'authGroups'>): string[] {
  return [...new Set([...hubGroups, ...user.authGroups])];
}

export function createMembership(groups: Pick<GroupStore, 'groupsOf'>): Membership {
  return (user) => groupsOfMember(groups.groupsOf(user.id), user);
}
