// Whether the access policy in hub.yaml admits anyone at all. A hub nobody can sign in to is a config
// mistake, so `berth check` and start-up both refuse it and say which key to set.
import type { Config } from './schema.js';

export function admissionProblems(config: Config): string[] {
  const { auth } = config;
  const admits =
    auth.allow_all ||
    auth.admin_users.length > 0 ||
    auth.allowed_users.length > 0 ||
    auth.github.allowed_organizations.length > 0 ||
    (auth.pam.enabled && (auth.pam.allowed_groups.length > 0 || auth.pam.admin_groups.length > 0));
  if (admits) return [];
  return [
    'auth: the access policy admits nobody: set auth.admin_users, auth.allowed_users, ' +
      'auth.github.allowed_organizations (or auth.pam.allowed_groups with PAM), or auth.allow_all: true',
  ];
}
