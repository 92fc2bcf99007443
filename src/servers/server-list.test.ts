import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../config/load.js';
import { openDatabase, type OpenedDb } from '../db/open.js';
import { createUserStore } from '../users/store.js';
import { pageUsers, type UserPageQuery } from './server-list.js';

const dir = mkdtempSync(path.join(tmpdir(), 'berth-server-list-'));
const config = parseConfig('auth: {admin_users: [admin]}\nhub: {base_url: /j/}', path.join(dir, 'hub.yaml'), {});
let opened: OpenedDb;
const T = (minutes: number) => Date.UTC(2026, 0, 1, 0, minutes);

beforeAll(() => {
  opened = openDatabase(dir);
  const users = createUserStore(opened.db);
  // [name, server status or none, user last activity, server last activity]
  const rows: [string, string | null, number | null, number | null][] = [
    ['ann', 'running', T(1), T(50)],
    ['bob', null, T(40), null],
    ['cat', 'stopped', null, T(30)],
    ['dan', 'spawning', null, null],
    ['eve', 'stopping', T(20), T(10)],
    ['anna', 'running', T(5), null],
    ['zed', null, null, null],
  ];
  const insert = opened.db.$client.prepare("INSERT INTO servers (user_id, name, status, last_activity, user_options) VALUES (?, '', ?, ?, '{\"image\":\"gpu\"}')");
  for (const [name, status, userActivity, serverActivity] of rows) {
    const user = users.create(name)!;
    if (userActivity !== null) users.update(name, { lastActivity: new Date(userActivity) });
    if (status !== null) insert.run(user.id, status, serverActivity);
  }
});
afterAll(() => {
  opened.close();
  rmSync(dir, { recursive: true, force: true });
});

const page = (q: Partial<UserPageQuery> = {}) =>
  pageUsers(opened.db, config, { sort: 'id', descending: false, offset: 0, limit: 50, count: true, ...q });
const names = (q: Partial<UserPageQuery> = {}) => page(q).rows.map((r) => r.user.name);

describe('pageUsers', () => {
  it('filters by state in the query: ready = running, active = anything but stopped, inactive = stopped or never started', () => {
    expect(names({ state: 'ready' })).toEqual(['ann', 'anna']);
    expect(names({ state: 'active' })).toEqual(['ann', 'dan', 'eve', 'anna']);
    expect(names({ state: 'inactive' })).toEqual(['bob', 'cat', 'zed']);
    expect(names()).toEqual(['ann', 'bob', 'cat', 'dan', 'eve', 'anna', 'zed']);
  });

  it('counts every match, with and without name filters, and skips the count when not asked', () => {
    expect(page({ state: 'ready', limit: 1 }).total).toBe(2);
    expect(page({ state: 'active', limit: 1 }).total).toBe(4);
    expect(page({ state: 'inactive', limit: 1 }).total).toBe(3);
    expect(page({ limit: 1 }).total).toBe(7);
    expect(page({ state: 'active', nameContains: 'an', limit: 1 }).total).toBe(3);
    expect(page({ state: 'inactive', only: ['bob', 'ann'], limit: 1 }).total).toBe(1);
    expect(page({ count: false }).total).toBeNull();
  });

  it('pages with LIMIT and OFFSET after filtering', () => {
    expect(names({ state: 'active', offset: 1, limit: 2 })).toEqual(['dan', 'eve']);
    expect(names({ offset: 6, limit: 5 })).toEqual(['zed']);
    expect(names({ offset: 7 })).toEqual([]);
  });

  it('filters by exact substring of the name and by a list of names', () => {
    expect(names({ nameContains: 'nn' })).toEqual(['ann', 'anna']);
    expect(names({ nameContains: '%' })).toEqual([]);
    expect(names({ nameContains: 'AN' })).toEqual([]);
    expect(names({ only: ['zed', 'cat', 'nobody'] })).toEqual(['cat', 'zed']);
    expect(names({ only: [] })).toEqual([]);
  });

  it('sorts by name and by the later of user and server activity, never-active first, ties by id', () => {
    expect(names({ sort: 'name' })).toEqual(['ann', 'anna', 'bob', 'cat', 'dan', 'eve', 'zed']);
    expect(names({ sort: 'name', descending: true })).toEqual(['zed', 'eve', 'dan', 'cat', 'bob', 'anna', 'ann']);
    expect(names({ sort: 'last_activity' })).toEqual(['dan', 'zed', 'anna', 'eve', 'cat', 'bob', 'ann']);
    expect(names({ sort: 'last_activity', descending: true })).toEqual(['ann', 'bob', 'cat', 'eve', 'anna', 'zed', 'dan']);
  });

  it('builds the same view servers.get shows: status, pending, URLs under base_url, options', () => {
    const byName = Object.fromEntries(page().rows.map((r) => [r.user.name, r.view]));
    expect(byName.ann).toMatchObject({ name: '', status: 'running', ready: true, pending: null, url: '/j/user/ann/', progressUrl: '/j/hub/api/users/ann/server/progress', userOptions: { image: 'gpu' } });
    expect(byName.ann!.lastActivity?.getTime()).toBe(T(50));
    expect(byName.dan).toMatchObject({ status: 'spawning', ready: false, pending: 'spawn' });
    expect(byName.eve).toMatchObject({ status: 'stopping', ready: false, pending: 'stop' });
    expect(byName.bob).toMatchObject({ status: 'stopped', ready: false, pending: null, started: null, lastActivity: null, userOptions: {} });
  });

  it('reads each user row exactly as the user store does (every column, decoded)', () => {
    const users = createUserStore(opened.db);
    users.update('anna', { admin: true, adminImage: 'gpu', lastActivity: new Date(T(7)) });
    for (const q of [{}, { state: 'ready' as const }, { sort: 'last_activity' as const }, { offset: 3, limit: 2 }]) {
      for (const { user } of page(q).rows) expect(user).toStrictEqual(users.get(user.name));
    }
    users.update('anna', { admin: false, adminImage: null, lastActivity: new Date(T(5)) });
  });

  it('pages deep offsets with the name filters and sorts that read users alone', () => {
    expect(names({ sort: 'name', offset: 2, limit: 3 })).toEqual(['bob', 'cat', 'dan']);
    expect(names({ sort: 'name', descending: true, offset: 5 })).toEqual(['anna', 'ann']);
    expect(names({ nameContains: 'a', offset: 1, limit: 2 })).toEqual(['cat', 'dan']);
    expect(names({ only: ['zed', 'eve', 'bob'], sort: 'name', offset: 1 })).toEqual(['eve', 'zed']);
    expect(page({ nameContains: 'a', offset: 1, limit: 2 }).total).toBe(4);
  });

  it('counts a user\'s named servers in the state filters and counts: ann\'s running named server keeps her ready, bob\'s makes him active', () => {
    const ids = Object.fromEntries(page().rows.map((r) => [r.user.name, r.user.id]));
    const insert = opened.db.$client.prepare("INSERT INTO servers (user_id, name, status) VALUES (?, ?, ?)");
    insert.run(ids.bob, 'work', 'running');
    insert.run(ids.ann, 'work', 'running');
    insert.run(ids.zed, 'old', 'stopped');
    try {
      expect(names({ state: 'ready' })).toEqual(['ann', 'bob', 'anna']);
      expect(page({ state: 'ready', limit: 1 }).total).toBe(3);
      expect(names({ state: 'active' })).toEqual(['ann', 'bob', 'dan', 'eve', 'anna']);
      expect(page({ state: 'active', limit: 1 }).total).toBe(5);
      expect(names({ state: 'inactive' })).toEqual(['cat', 'zed']);
      expect(page({ state: 'inactive', limit: 1 }).total).toBe(2);
      // The row's view stays the default server's.
      expect(page({ state: 'ready' }).rows.find((r) => r.user.name === 'bob')!.view).toMatchObject({ name: '', status: 'stopped' });
    } finally {
      opened.db.$client.prepare("DELETE FROM servers WHERE name != ''").run();
    }
  });

  it('sorts admins together and users with any server not stopped (default or named) together, by name within each', () => {
    const users = createUserStore(opened.db);
    users.update('eve', { admin: true });
    users.update('bob', { admin: true });
    try {
      expect(names({ sort: 'admin', descending: true })).toEqual(['bob', 'eve', 'ann', 'anna', 'cat', 'dan', 'zed']);
      expect(names({ sort: 'admin', descending: true, offset: 1, limit: 2 })).toEqual(['eve', 'ann']);
      expect(names({ sort: 'running', descending: true })).toEqual(['ann', 'anna', 'dan', 'eve', 'bob', 'cat', 'zed']);
      const ids = Object.fromEntries(page().rows.map((r) => [r.user.name, r.user.id]));
      opened.db.$client.prepare("INSERT INTO servers (user_id, name, status) VALUES (?, 'work', 'running')").run(ids.zed);
      expect(names({ sort: 'running', descending: true, limit: 5 })).toEqual(['ann', 'anna', 'dan', 'eve', 'zed']);
      expect(names({ sort: 'running' })).toEqual(['bob', 'cat', 'ann', 'anna', 'dan', 'eve', 'zed']);
    } finally {
      users.update('eve', { admin: false });
      users.update('bob', { admin: false });
      opened.db.$client.prepare("DELETE FROM servers WHERE name != ''").run();
    }
  });

  it('reads the page\'s named servers when asked, by name, and only the page\'s', () => {
    const ids = Object.fromEntries(page().rows.map((r) => [r.user.name, r.user.id]));
    const insert = opened.db.$client.prepare('INSERT INTO servers (user_id, name, status) VALUES (?, ?, ?)');
    insert.run(ids.bob, 'zeta', 'running');
    insert.run(ids.bob, 'alpha', 'stopped');
    insert.run(ids.zed, 'work', 'spawning');
    try {
      expect(page().rows[0]!.named).toBeUndefined();
      const rows = page({ named: true, limit: 3 }).rows;
      expect(rows.map((r) => [r.user.name, r.named!.map((v) => `${v.name}:${v.status}`)])).toEqual([['ann', []], ['bob', ['alpha:stopped', 'zeta:running']], ['cat', []]]);
      expect(rows[1]!.named![1]).toMatchObject({ url: '/j/user/bob/zeta/', ready: true });
      expect(page({ named: true, offset: 6 }).rows[0]!.named!.map((v) => v.name)).toEqual(['work']);
    } finally {
      opened.db.$client.prepare("DELETE FROM servers WHERE name != ''").run();
    }
  });
});
