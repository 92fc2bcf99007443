// Reconcile without Docker: the fake spawner's list() is what an earlier hub left behind.
import { afterEach, describe, expect, it } from 'vitest';
import { createTestServers, type TestServers } from '../../test/helpers/test-servers.js';
import { servers as serversTable } from '../db/schema.js';

let t: TestServers;
afterEach(() => t?.close());

const statusOf = (name: string) => t.servers.get(name)?.status;

/** A server row as an earlier hub would have left it. */
function leaveRow(userName: string, fields: Partial<typeof serversTable.$inferInsert>): void {
  const user = t.users.ensure(userName);
  t.db.insert(serversTable).values({ userId: user.id, name: '', status: 'running', started: new Date(), ...fields }).run();
}

describe('reconcile', () => {
  it('adopts a running server that answers and routes it, without starting it again', async () => {
    t = createTestServers();
    const left = await t.spawner.leave('alice');
    leaveRow('alice', { containerId: left.id, url: left.url });
    const servers = await t.restart();
    await servers.reconcile();
    expect(statusOf('alice')).toBe('running');
    expect(servers.target('alice')).toBe(left.url);
    expect(t.spawner.starts).toEqual([]);
    expect(t.spawner.stops).toEqual([]);
  });

  it('drops a re-adopted server that does not answer HTTP within http_timeout, and removes its container', async () => {
    t = createTestServers({ http_timeout: 1 });
    const left = await t.spawner.leave('alice', { answering: false });
    leaveRow('alice', { containerId: left.id, url: left.url });
    await (await t.restart()).reconcile();
    expect(t.servers.get('alice')).toMatchObject({ status: 'stopped', lastError: expect.stringMatching(/did not answer HTTP at \/user\/alice\/api within spawner\.http_timeout \(1 s\)/) });
    expect(t.spawner.stops).toEqual([left.id]);
    expect(t.servers.target('alice')).toBeNull();
  });

  it('checks re-adopted servers a few dozen at a time, so a restart with many servers cannot time them out together', async () => {
    t = createTestServers();
    const left = [];
    for (let i = 0; i < 80; i++) {
      const container = await t.spawner.leave(`u${i}`);
      container.answerDelayMs = 100;
      leaveRow(`u${i}`, { containerId: container.id, url: container.url });
      left.push(container);
    }
    await (await t.restart()).reconcile();
    expect(left.every((c) => statusOf(c.userName) === 'running')).toBe(true);
    expect(t.spawner.mostRequestsAtOnce).toBeGreaterThan(1);
    expect(t.spawner.mostRequestsAtOnce).toBeLessThanOrEqual(32);
  });

  it('marks stopped a running server whose container is gone, and one left "spawning" by a hub that stopped', async () => {
    t = createTestServers();
    leaveRow('alice', { containerId: 'gone-1', url: 'http://127.0.0.1:9' });
    const half = await t.spawner.leave('bob');
    leaveRow('bob', { status: 'spawning', containerId: half.id });
    await (await t.restart()).reconcile();
    expect(t.servers.get('alice')).toMatchObject({ status: 'stopped', lastError: 'The container was removed outside the hub' });
    expect(t.servers.get('bob')).toMatchObject({ status: 'stopped', lastError: 'The hub restarted during the start; start the server again' });
    expect(t.spawner.containerOf('bob')).toBeUndefined();
  });

  it('removes this hub\'s containers that no server claims, but not one whose start is under way', async () => {
    t = createTestServers();
    const stray = await t.spawner.leave('carol');
    t.users.ensure('dave');
    t.spawner.behave('dave', 'slow');
    await t.servers.start('dave', {}, { waitMs: 0 });
    await t.spawner.starting('dave');
    await t.servers.reconcile();
    expect(t.spawner.stops).toEqual([stray.id]);
    expect(t.spawner.containerOf('dave')).toBeDefined();
    expect(statusOf('dave')).toBe('spawning');
  });

  it('leaves a server alone while an operation on it is under way', async () => {
    t = createTestServers();
    t.users.ensure('alice');
    await t.servers.start('alice');
    const release = t.spawner.holdStops();
    const stopping = t.servers.stop('alice');
    await t.servers.reconcile();
    expect(statusOf('alice')).toBe('stopping');
    release();
    expect(await stopping).toBe('stopped');
    expect(t.servers.get('alice')?.lastError).toBeNull();
  });
});
