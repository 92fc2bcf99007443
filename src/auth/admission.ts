// What a sign-in that passed the access policy does to the users table: refuses a name another sign-in method owns,
// binds an unbound name to this method (ending the other method's sessions under it), and sets the admin flag.
import type { HubConfig } from '../config/load.js';
import type { User } from '../db/schema.js';
import type { Logger } from '../log.js';
import type { UserStore } from '../users/store.js';
import { adminAfterSignIn, adminGroupsInUse } from './admin-grant.js';
import { nameOwnedElsewhere, type SignInMethod } from './name-owner.js';
import type { Sessions } from './sessions.js';

export interface Admission {
  /**
   * The user this sign-in becomes, or why it is refused. Synchronous, so two sign-ins cannot both claim a name.
   * `extra`: other fields the sign-in stores on the row (the sealed GitHub token).
   */
  admit(
    log: Logger, name: string, via: SignInMethod, facts: { listed: boolean; inAdminGroup: boolean },
    extra?: Parameters<UserStore['update']>[1],
  ): { refused: string } | { row: User };
}

export function createAdmission(deps: { config: HubConfig; users: UserStore; sessions: Pick<Sessions, 'endOtherMethods'> }): Admission {
  const { config, users, sessions } = deps;
  const groupsGrantAdmin = adminGroupsInUse(config.auth);
  return {
    admit(log, name, via, facts, extra = {}) {
      const existing = users.get(name);
      const refused = nameOwnedElsewhere(existing, via, config.auth);
      if (refused !== null) {
        log.warn({ username: name, via, owner: existing?.authenticator }, 'sign-in refused: the name belongs to another sign-in method');
        return { refused };
      }
      const row = existing ?? users.ensure(name, { authenticator: via });
      const grant = adminAfterSignIn(row, { ...facts, adminGroupsInUse: groupsGrantAdmin });
      if (row.admin && row.adminSource === null && !grant.admin) {
        log.warn({ username: name, via }, 'admin flag from before Berth recorded its source dropped, as auth.pam.admin_groups is in use: an admin can grant it again');
      }
      const bind = row.authenticator === null ? { authenticator: via } : {};
      // A name bound now (added by an admin, or from before methods were recorded): sessions another method opened
      // under it, and the tokens issued in them, are not this person's.
      if (row.authenticator === null && !config.auth.allow_shared_names) sessions.endOtherMethods(row.id, via);
      return { row: users.update(name, { ...grant, ...bind, ...extra }) ?? row };
    },
  };
}
