// The users table's store: bulk creation in one transaction, and slugs that stay unique across renames.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type OpenedDb } from '../db/open.js';
import { createUserStore, type UserStore } from './store.js';

let dir: string;
let opened: OpenedDb;
let users: UserStore;

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'berth-user-store-'));
  opened = openDatabase(dir);
  users = createUserStore(opened.db);
});
afterEach(() => {
  opened.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('user store', () => {
  it('creates many users at once, skipping taken names, in the order given', () => {
    users.create('bob');
    const created = users.createMany(['carl', 'bob', 'amy'], { addedByAdmin: true, admin: true });
    expect(created.map((u) => [u.name, u.admin, u.addedByAdmin])).toEqual([['carl', true, true], ['amy', true, true]]);
    expect(users.get('bob')?.addedByAdmin).toBe(false);
    expect(users.count()).toBe(3);
  });

  it('rolls back every user of a batch when one insert fails', () => {
    expect(() => users.createMany(['ok1', null as unknown as string])).toThrow();
    expect(users.get('ok1')).toBeNull();
  });

  it('gives a new user a suffixed slug when a renamed user kept theirs', () => {
    users.create('zoe');
    users.update('zoe', { name: 'zed' });
    expect(users.create('zoe')?.slug).toBe('zoe-2');
    expect(users.get('zed')?.slug).toBe('zoe');
    expect(users.create('Zoe')?.slug).toBe('-5aoe');
  });

  it('records admin set without a source as granted by the hub, and clears the source with the flag', () => {
    expect(users.create('amy', { admin: true })).toMatchObject({ admin: true, adminSource: 'hub', authenticator: null });
    users.update('amy', { admin: true, adminSource: 'admin_groups' });
    expect(users.update('amy', { admin: true })).toMatchObject({ admin: true, adminSource: 'hub' });
    expect(users.update('amy', { admin: false })).toMatchObject({ admin: false, adminSource: null });
    expect(users.update('amy', { userImage: 'gpu' })).toMatchObject({ admin: false, adminSource: null });
  });

  it('creates a user owned by the sign-in method that created it', () => {
    expect(users.ensure('bob', { authenticator: 'pam' })).toMatchObject({ authenticator: 'pam', admin: false, adminSource: null });
    expect(users.ensure('bob', { authenticator: 'github' }).authenticator).toBe('pam');
  });

  it('revokes only the admin flags that came from the source named', () => {
    users.create('amy', { admin: true });
    users.create('bob');
    users.update('bob', { admin: true, adminSource: 'admin_groups' });
    expect(users.revokeAdmin('admin_groups')).toEqual(['bob']);
    expect(users.get('bob')).toMatchObject({ admin: false, adminSource: null });
    expect(users.get('amy')).toMatchObject({ admin: true, adminSource: 'hub' });
  });
});
