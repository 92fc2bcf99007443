// GET /hub/api/usage on a hub whose clock the test moves: server-hours of servers that ran a known time, split at
// UTC midnight, per user and per group, as JSON and CSV; bad queries refused; admins only.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiApp, type ApiApp } from '../helpers/api-app.js';

const clock = { at: Date.parse('2026-03-01T10:00:00Z'), now: () => clock.at };
const MINUTE = 60_000;

describe('GET /hub/api/usage', () => {
  let t: ApiApp;
  let admin: string;
  const stop = async (user: string) => expect((await t.request(`/hub/api/users/${user}/server`, { method: 'DELETE', token: admin })).status).toBe(204);
  const usage = async (query: string) => {
    const res = await t.request(`/hub/api/usage?${query}`, { token: admin });
    expect(res.status).toBe(200);
    return res.json();
  };

  // Servers that ran known times, on a clock the test moves: alice 90 minutes on March 1st; bob from 23:00 on the
  // 2nd to 01:00 on the 3rd, with a periodic sample on the way; carol (in no group) 30 minutes on the 1st.
  beforeAll(async () => {
    t = createApiApp({}, { clock });
    admin = t.tokenFor('admin');
    for (const name of ['alice', 'bob', 'carol']) t.deps.users.ensure(name);
    const physics = t.deps.groups.create('physics')!;
    t.deps.groups.addMembers(physics.id, [t.deps.users.get('bob')!.id, t.deps.users.get('alice')!.id]);
    clock.at = Date.parse('2026-03-01T10:00:00Z');
    await t.startServer('alice');
    clock.at += 90 * MINUTE;
    await stop('alice');
    clock.at = Date.parse('2026-03-02T23:00:00Z');
    await t.startServer('bob');
    clock.at += 45 * MINUTE;
    await t.hub.usage.sample();
    clock.at += 75 * MINUTE;
    await stop('bob');
    clock.at = Date.parse('2026-03-01T12:00:00Z');
    await t.startServer('carol');
    clock.at += 30 * MINUTE;
    await stop('carol');
    clock.at = Date.parse('2026-03-20T08:00:00Z');
  });
  afterAll(() => t.close());

  it('shows the server-hours of a server that ran a known time', async () => {
    const report = await usage('since=2026-03-01&until=2026-03-01&group=physics');
    expect(report).toMatchObject({ since: '2026-03-01', until: '2026-03-01', group: 'physics' });
    expect(report.users).toEqual([{ name: 'alice', day: '2026-03-01', server_hours: 1.5, cpu_seconds: 0, peak_memory_bytes: 0 }]);
  });

  it('adds up samples, splits at UTC midnight and sums per group', async () => {
    const report = await usage('since=2026-03-02&until=2026-03-03');
    expect(report.users).toEqual([
      { name: 'bob', day: '2026-03-02', server_hours: 1, cpu_seconds: 0, peak_memory_bytes: 0 },
      { name: 'bob', day: '2026-03-03', server_hours: 1, cpu_seconds: 0, peak_memory_bytes: 0 },
    ]);
    expect(report.groups).toEqual([
      { name: 'physics', day: '2026-03-02', users: 1, server_hours: 1, cpu_seconds: 0, peak_memory_bytes: 0 },
      { name: 'physics', day: '2026-03-03', users: 1, server_hours: 1, cpu_seconds: 0, peak_memory_bytes: 0 },
    ]);
    // One group: only its members' use (carol, in no group, is left out).
    const physicsOnly = await usage('since=2026-03-01&until=2026-03-03&group=physics');
    expect(physicsOnly.users.map((u: { name: string; day: string }) => `${u.name} ${u.day}`)).toEqual(['alice 2026-03-01', 'bob 2026-03-02', 'bob 2026-03-03']);
    expect(physicsOnly.groups.map((g: { day: string; users: number }) => [g.day, g.users])).toEqual([['2026-03-01', 1], ['2026-03-02', 1], ['2026-03-03', 1]]);
  });

  it('exports one CSV line per user, server and day', async () => {
    const res = await t.request('/hub/api/usage?since=2026-03-01&until=2026-03-03&format=csv', { token: admin });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="berth-usage-2026-03-01-to-2026-03-03.csv"');
    expect((await res.text()).split('\r\n')).toEqual([
      'day,user,server,server_hours,cpu_seconds,peak_memory_bytes',
      '2026-03-01,alice,,1.5,0,0',
      '2026-03-01,carol,,0.5,0,0',
      '2026-03-02,bob,,1,0,0',
      '2026-03-03,bob,,1,0,0',
      '',
    ]);
  });

  it('defaults to the 30 days up to today (UTC)', async () => {
    const report = await usage('');
    expect([report.since, report.until]).toEqual(['2026-02-19', '2026-03-20']);
    expect(report.users).toHaveLength(4);
  });

  it.each([
    ['since=2026-02-30', 400, 'since="2026-02-30" is not a day'],
    ['until=yesterday', 400, 'until="yesterday" is not a day'],
    ['since=2026-03-03&until=2026-03-01', 400, 'since (2026-03-03) is after until (2026-03-01)'],
    ['since=2024-01-01&until=2026-03-01', 400, 'at most 366'],
    ['format=xml', 400, 'format="xml" is not known'],
    ['group=nobody-here', 404, 'No such group: nobody-here'],
  ])('refuses ?%s with %i', async (query, status, message) => {
    const res = await t.request(`/hub/api/usage?${query}`, { token: admin });
    expect(res.status).toBe(status);
    expect((await res.json()).message).toContain(message);
  });

  it('shows the totals per user and per group on the usage panel for signed-in admins', async () => {
    const res = await t.request('/hub/admin/usage?since=2026-03-01&until=2026-03-03', { headers: { cookie: await t.signIn('admin') } });
    expect(res.status).toBe(200);
    const html = await res.text();
    const row = (table: string, name: string) => new RegExp(`id="${table}".*?<tr data-name="${name}"><th scope="row">${name}</th><td class="text-end">(\\d+)</td><td class="text-end">([\\d.]+)</td>`, 's').exec(html)?.slice(1);
    expect(row('usage-users', 'bob')).toEqual(['2', '2.00']); // two days, one hour each
    expect(row('usage-users', 'alice')).toEqual(['1', '1.50']);
    expect(row('usage-groups', 'physics')).toEqual(['3', '3.50']);
    expect(html).toContain('href="/hub/api/usage?since=2026-03-01&amp;until=2026-03-03&amp;format=csv"');
    const user = await t.request('/hub/admin/usage', { headers: { cookie: await t.signIn('alice') } });
    expect(user.status).toBe(403);
  });

  it('is for admins only', async () => {
    expect((await t.request('/hub/api/usage')).status).toBe(403);
    const res = await t.request('/hub/api/usage', { token: t.tokenFor('alice') });
    expect(res.status).toBe(403);
    expect((await res.json()).message).toContain('admin:users');
  });
});
