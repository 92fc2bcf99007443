// Users named in hub.yaml exist from the hub's start, as JupyterHub's init_users makes them, so an admin can set
// their image or add them to groups before their first sign-in. auth.admin_users are made admins (the hub's own
// grant) at every start; the rows stay unbound to a sign-in method until their first sign-in (auth/name-owner.ts).
import type { Config } from '../config/schema.js';
import type { UserStore } from './store.js';

/** Creates the users auth.admin_users and auth.allowed_users name; returns the names it created. */
export function ensureConfiguredUsers(auth: Pick<Config['auth'], 'admin_users' | 'allowed_users'>, users: UserStore): string[] {
  const created = users.createMany(auth.admin_users, { admin: true }).map((u) => u.name);
  for (const name of auth.admin_users) {
    if (!users.get(name)?.admin) users.update(name, { admin: true });
  }
  created.push(...users.createMany(auth.allowed_users).map((u) => u.name));
  return created;
}
