// Whether hub.yaml names an admin and admits anyone at all (a hub without either starts, and says which key to set),
// and rules the policy makes moot (warned about by `berth check` and at start, never silently ignored).
import type { Config } from './schema.js';

/** Whether hub.yaml names an admin: by name, or by a sign-in method's admin_groups. */
export function namesAdmin(config: Config): boolean {
  const { auth } = config;
  return auth.admin_users.length > 0 ||
    (auth.pam.enabled && auth.pam.admin_groups.length > 0) ||
    (auth.oidc.issuer !== undefined && auth.oidc.admin_groups.length > 0);
}

const NAME_AN_ADMIN = 'To name an admin, set auth.admin_users in hub.yaml (with docker compose: BERTH_ADMIN=<your login> in the ' +
  'environment or in .env beside compose.yaml) and restart the hub.';

/**
 * What the log (at start and in `berth check`) and the login page say when hub.yaml names no admin, or null. A hub
 * without one still starts, as JupyterHub does, but nobody can manage it, and with no allow rule nobody can sign in.
 */
export function adminNotice(config: Config): string | null {
  if (namesAdmin(config)) return null;
  const { auth } = config;
  const admits =
    auth.allow_all ||
    auth.allowed_users.length > 0 ||
    auth.github.allowed_organizations.length > 0 ||
    (auth.pam.enabled && auth.pam.allowed_groups.length > 0) ||
    (auth.oidc.issuer !== undefined && auth.oidc.allowed_groups.length > 0);
  if (admits) return `No admin is named, so nobody can manage users or servers. ${NAME_AN_ADMIN}`;
  return 'No admin is named and the access policy admits nobody: set auth.admin_users, auth.allowed_users, ' +
    'auth.github.allowed_organizations (or auth.pam.allowed_groups with PAM, auth.oidc.allowed_groups with OpenID Connect), ' +
    `or auth.allow_all: true. Until then nobody can sign in. ${NAME_AN_ADMIN}`;
}

/**
 * Allow rules that auth.allow_all makes moot: OAuthenticator (and Berth, in the same order) admits everyone once
 * allow_all is true, so an org, team, user or group list beside it restricts nobody (GHSA-gprj-3p75-f996).
 */
export function admissionWarnings(config: Config): string[] {
  const { auth } = config;
  if (!auth.allow_all) return [];
  const moot = [
    auth.github.allowed_organizations.length > 0 ? 'auth.github.allowed_organizations' : null,
    auth.allowed_users.length > 0 ? 'auth.allowed_users' : null,
    auth.pam.enabled && auth.pam.allowed_groups.length > 0 ? 'auth.pam.allowed_groups' : null,
    auth.oidc.issuer !== undefined && auth.oidc.allowed_groups.length > 0 ? 'auth.oidc.allowed_groups' : null,
  ].filter((key): key is string => key !== null);
  if (moot.length === 0) return [];
  return [
    `auth.allow_all is true, so ${moot.join(', ')} restrict${moot.length === 1 ? 's' : ''} nobody: every account the authenticator ` +
      `accepts may sign in. Remove auth.allow_all to admit only ${moot.length === 1 ? 'that list' : 'those lists'}, or remove the list to make the intent clear.`,
  ];
}
