// Who may sign in, for every method, decided in OAuthenticator's order: blocked → allow_all → admin → allowed_users →
// the method's own rule (GitHub organisations/teams, PAM UNIX groups, OIDC groups claim) → users added by an admin.
import type { Config } from '../config/schema.js';
import type { SignInMethod } from './name-owner.js';

export type Decision =
  | { allowed: true; rule: string }
  | { allowed: false; reason: string };

export interface AccessFacts {
  /** The users row says an admin added this user (JupyterHub's allow_existing_users). */
  addedByAdmin: boolean;
  /** Admin by config or by an admin group. */
  admin: boolean;
  /** The first allowed_organizations entry (GitHub) or allowed_groups entry (PAM, OIDC) the user is in, if any; asked lazily. */
  memberOf?: () => Promise<string | null>;
}

export async function decideAccess(name: string, auth: Config['auth'], facts: AccessFacts, via: SignInMethod): Promise<Decision> {
  if (auth.blocked_users.includes(name)) return { allowed: false, reason: `${name} is listed in auth.blocked_users.` };
  if (auth.allow_all) return { allowed: true, rule: 'auth.allow_all' };
  if (facts.admin) return { allowed: true, rule: 'admin' };
  if (auth.allowed_users.includes(name)) return { allowed: true, rule: 'auth.allowed_users' };
  const membership = facts.memberOf ? await facts.memberOf() : null;
  if (membership !== null) return { allowed: true, rule: via === 'github' ? `member of ${membership}` : `in group ${membership}` };
  if (facts.addedByAdmin) return { allowed: true, rule: 'added by an admin' };
  return { allowed: false, reason: denial(name, auth, via) };
}

function denial(name: string, auth: Config['auth'], via: SignInMethod): string {
  const base = `${name} is not allowed to use this hub: not an admin, not in auth.allowed_users, and not added by an admin`;
  if (via === 'github' && auth.github.allowed_organizations.length > 0) {
    return `${base}, and not a member of ${auth.github.allowed_organizations.join(', ')} (auth.github.allowed_organizations). ` +
      'If your membership is private, the hub can only see it when the organisation has approved this OAuth app ' +
      '(the read:org scope is requested; an organisation owner must grant access under Settings → Third-party access).';
  }
  if (via === 'oidc' && auth.oidc.allowed_groups.length > 0) {
    return `${base}, and not in any of the groups ${auth.oidc.allowed_groups.join(', ')} (auth.oidc.allowed_groups) ` +
      `that ${auth.oidc.display_name} sent in the ${auth.oidc.groups_claim} claim.`;
  }
  if (via === 'pam' && auth.pam.allowed_groups.length > 0) {
    return `${base}, and not in any of the UNIX groups ${auth.pam.allowed_groups.join(', ')} (auth.pam.allowed_groups).`;
  }
  return `${base}. Ask an administrator to add you.`;
}
