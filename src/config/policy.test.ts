import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from './load.js';
import { admissionWarnings } from './policy.js';

const config = (auth: string) => parseConfig(`auth: ${auth}\n`, path.join('/srv/berth', 'hub.yaml'), {});

describe('admissionWarnings', () => {
  it('warns that allow_all makes organisation, user and PAM group lists moot (GHSA-gprj), naming each key', () => {
    const [warning, ...rest] = admissionWarnings(config('{allow_all: true, allowed_users: [bob], github: {allowed_organizations: [acme]}, pam: {enabled: true, allowed_groups: [staff]}}'));
    expect(rest).toEqual([]);
    expect(warning).toContain('auth.allow_all is true, so auth.github.allowed_organizations, auth.allowed_users, auth.pam.allowed_groups restrict nobody');
    expect(warning).toContain('Remove auth.allow_all');
    expect(admissionWarnings(config('{allow_all: true, github: {allowed_organizations: ["acme:core"]}}'))[0]).toMatch(/so auth\.github\.allowed_organizations restricts nobody/);
  });

  it('says nothing when allow_all stands alone or is off, or when a PAM group list belongs to a disabled PAM', () => {
    expect(admissionWarnings(config('{allow_all: true, blocked_users: [mallory], admin_users: [alice]}'))).toEqual([]);
    expect(admissionWarnings(config('{allowed_users: [bob], github: {allowed_organizations: [acme]}}'))).toEqual([]);
    expect(admissionWarnings(config('{allow_all: true, pam: {enabled: false, allowed_groups: [staff]}}'))).toEqual([]);
  });
});
