import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase, type OpenedDb } from '../db/open.js';
import { createLogger } from '../log.js';
import type { RunningServer } from '../servers/servers.js';
import type { ContainerStats } from '../spawner/spawner.js';
import { waitFor } from '../../test/helpers/wait-for.js';
import { createUsageMeter, type UsageMeter } from './usage-meter.js';
import { createUsageStore } from './usage-store.js';

const GB = 2 ** 30;

/** A hub's worth of what the meter reads: running servers, their route changes, their containers' counters. */
function world() {
  const running: RunningServer[] = [];
  const listeners: ((key: string, target: string | null) => void)[] = [];
  const stats = new Map<string, ContainerStats>();
  const clock = { at: Date.parse('2026-05-04T08:00:00Z'), now: () => clock.at };
  return {
    clock,
    stats,
    servers: { running: () => [...running], watchRoutes: (l: (key: string, target: string | null) => void) => (listeners.push(l), []) },
    spawner: { stats: async (id: string) => stats.get(id) ?? null },
    run(userName: string, containerId: string) {
      running.push({ userName, serverName: '', containerId, started: new Date(clock.at) });
      for (const l of listeners) l(userName, 'http://10.0.0.2:8888');
    },
    stop(userName: string) {
      running.splice(running.findIndex((r) => r.userName === userName), 1);
      for (const l of listeners) l(userName, null);
    },
  };
}

describe('the usage meter', () => {
  const dirs: string[] = [];
  const opened: OpenedDb[] = [];
  const meters: UsageMeter[] = [];
  const db = (dir?: string) => {
    const d = dir ?? mkdtempSync(path.join(tmpdir(), 'berth-usage-'));
    if (!dir) dirs.push(d);
    const o = openDatabase(d);
    opened.push(o);
    return { dir: d, store: createUsageStore(o.db) };
  };
  const meterOn = (w: ReturnType<typeof world>, store: ReturnType<typeof createUsageStore>) => {
    const meter = createUsageMeter({ store, spawner: w.spawner, clock: w.clock, logger: createLogger('silent'), intervalMs: 3_600_000 });
    meters.push(meter);
    return meter;
  };
  afterEach(async () => {
    for (const m of meters.splice(0)) await m.close();
    for (const o of opened.splice(0)) o.close();
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('counts CPU time as the growth of the container counter, and the highest memory sampled that day', async () => {
    const w = world();
    const { store } = db();
    const meter = meterOn(w, store);
    meter.start(w.servers);
    w.run('alice', 'c1');
    w.stats.set('c1', { cpuNs: 2e9, memoryBytes: 1 * GB }); // 2 s of CPU while starting
    w.clock.at += 600_000;
    await meter.sample();
    w.stats.set('c1', { cpuNs: 5e9, memoryBytes: 3 * GB });
    w.clock.at += 600_000;
    await meter.sample();
    w.stats.set('c1', { cpuNs: 9e9, memoryBytes: 2 * GB });
    w.clock.at += 600_000;
    await meter.sample();
    w.stats.set('c1', { cpuNs: 10e9, memoryBytes: 4 * GB }); // after the last sample: not seen
    w.clock.at += 60_000;
    w.stop('alice');
    expect(store.rows('2026-05-04', '2026-05-04')).toEqual([
      { userName: 'alice', serverName: '', day: '2026-05-04', serverSeconds: 1860, cpuSeconds: 9, peakMemoryBytes: 3 * GB },
    ]);
  });

  it('goes on after a hub restart from where the last sample left a server that kept running', async () => {
    const w = world();
    const first = db();
    const before = meterOn(w, first.store);
    before.start(w.servers);
    w.run('bob', 'c2');
    w.stats.set('c2', { cpuNs: 1e9, memoryBytes: GB });
    w.clock.at += 3_600_000;
    await before.sample();
    await before.close();
    opened.pop()!.close();

    // The hub is down for an hour; the container is not.
    w.clock.at += 3_600_000;
    w.stats.set('c2', { cpuNs: 4e9, memoryBytes: GB });
    const again = db(first.dir);
    const after = meterOn(w, again.store);
    after.start(w.servers);
    await after.sample();
    expect(again.store.rows('2026-05-04', '2026-05-04')).toEqual([
      { userName: 'bob', serverName: '', day: '2026-05-04', serverSeconds: 7200, cpuSeconds: 4, peakMemoryBytes: GB },
    ]);
  });

  it("asks for a round's stats together, so that one tick of the engine's collector answers them all", async () => {
    const w = world();
    const { store } = db();
    const answers: (() => void)[] = [];
    const spawner = { stats: () => new Promise<ContainerStats>((resolve) => void answers.push(() => resolve({ cpuNs: 1e9, memoryBytes: GB }))) };
    const meter = createUsageMeter({ store, spawner, clock: w.clock, logger: createLogger('silent'), intervalMs: 3_600_000 });
    meters.push(meter);
    meter.start(w.servers);
    for (let i = 0; i < 50; i++) w.run(`user${i}`, `c${i}`);
    const round = meter.sample();
    // Every request is asked before any is answered, as the engine answers them: all at its next tick.
    await waitFor(() => expect(answers).toHaveLength(50));
    for (const answer of answers) answer();
    await round;
    expect(store.rows('2026-05-04', '2026-05-04').map((row) => row.cpuSeconds)).toEqual(Array(50).fill(1));
  });
});
