import { describe, expect, it } from 'vitest';
import { adminAfterSignIn, type AdminGrant } from './admin-grant.js';

const facts = { listed: false, inAdminGroup: false, adminGroupsInUse: true };
const row = (admin: boolean, adminSource: AdminGrant['adminSource']): AdminGrant => ({ admin, adminSource });

describe('the admin flag a sign-in leaves', () => {
  it('makes auth.admin_users admins, as a grant of the hub', () => {
    expect(adminAfterSignIn(null, { ...facts, listed: true })).toEqual(row(true, 'hub'));
    expect(adminAfterSignIn(row(true, 'admin_groups'), { ...facts, listed: true })).toEqual(row(true, 'hub'));
  });

  it('keeps admin the hub granted, in or out of admin_groups', () => {
    expect(adminAfterSignIn(row(true, 'hub'), facts)).toEqual(row(true, 'hub'));
    expect(adminAfterSignIn(row(true, 'hub'), { ...facts, inAdminGroup: true })).toEqual(row(true, 'hub'));
  });

  it('grants admin from admin_groups only while the sign-in is a group member', () => {
    expect(adminAfterSignIn(null, { ...facts, inAdminGroup: true })).toEqual(row(true, 'admin_groups'));
    expect(adminAfterSignIn(row(false, null), { ...facts, inAdminGroup: true })).toEqual(row(true, 'admin_groups'));
    expect(adminAfterSignIn(row(true, 'admin_groups'), facts)).toEqual(row(false, null));
    expect(adminAfterSignIn(row(true, 'admin_groups'), { ...facts, adminGroupsInUse: false })).toEqual(row(false, null));
  });

  it('drops an admin flag of unknown source where admin_groups is in use, and keeps it as the hub\'s elsewhere', () => {
    expect(adminAfterSignIn(row(true, null), facts)).toEqual(row(false, null));
    expect(adminAfterSignIn(row(true, null), { ...facts, inAdminGroup: true })).toEqual(row(true, 'admin_groups'));
    expect(adminAfterSignIn(row(true, null), { ...facts, adminGroupsInUse: false })).toEqual(row(true, 'hub'));
  });

  it('leaves a user who is none of these not admin', () => {
    expect(adminAfterSignIn(null, facts)).toEqual(row(false, null));
    expect(adminAfterSignIn(row(false, null), { ...facts, adminGroupsInUse: false })).toEqual(row(false, null));
  });
});
