// Usage samples from the real engine: the spawner asks for one-shot stats, which the engine answers from one reading
// of its collector (precpu_stats empty) instead of waiting for a second, so the CPU a server used is the growth of
// its counter between two of the hub's own samples.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type OpenedDb } from '../src/db/open.js';
import { createLogger } from '../src/log.js';
import { fetchOneShotStats } from '../src/spawner/container-stats.js';
import { createDockerSpawner } from '../src/spawner/docker-spawner.js';
import { createUsageMeter } from '../src/usage/usage-meter.js';
import { createUsageStore } from '../src/usage/usage-store.js';
import { waitFor } from './helpers/wait-for.js';

const docker = new Docker();
const logger = createLogger('silent');
let container: Docker.Container;
let dir: string;
let opened: OpenedDb;

beforeAll(async () => {
  container = await docker.createContainer({ Image: 'berth/backend:test', Labels: { 'berth.test': 'true' } });
  await container.start();
  dir = mkdtempSync(path.join(tmpdir(), 'berth-usage-stats-'));
  opened = openDatabase(dir);
});
afterAll(async () => {
  await container?.remove({ force: true });
  opened?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Runs `seconds` of CPU in the container and resolves once that process has ended. */
async function burnCpu(seconds: number): Promise<void> {
  const exec = await container.exec({ Cmd: ['python3', '-c', `import time\nt = time.process_time()\nwhile time.process_time() - t < ${seconds}: pass`] });
  await exec.start({ Detach: true });
  await waitFor(async () => expect((await exec.inspect()).Running).toBe(false), { timeoutMs: 30_000 });
}

describe('usage samples of a running container', () => {
  it('are one-shot: the engine answers with the CPU counter and no precpu_stats', async () => {
    const raw = await fetchOneShotStats(docker, container.id);
    expect(raw?.cpu_stats?.cpu_usage?.total_usage).toBeGreaterThan(0);
    expect(raw?.memory_stats?.usage).toBeGreaterThan(0);
    // Without one-shot the engine waits for a second reading and fills this with the first.
    expect(raw?.precpu_stats?.cpu_usage?.total_usage ?? 0).toBe(0);
  });

  it('count the CPU used between two samples as the growth of the counter the hub kept from the first', async () => {
    const spawner = createDockerSpawner({ docker, network: 'unused', isolate: true, hubId: 'usage-stats-test', port: 8888, logger });
    const store = createUsageStore(opened.db);
    const meter = createUsageMeter({ store, spawner, clock: { now: () => Date.now() }, logger, intervalMs: 3_600_000 });
    meter.start({ running: () => [{ userName: 'alice', serverName: '', containerId: container.id, started: new Date() }], watchRoutes: () => [] });
    const cpuSeconds = () => store.rows('2000-01-01', '2999-12-31').reduce((sum, row) => sum + row.cpuSeconds, 0);
    await meter.sample();
    const first = cpuSeconds();
    await burnCpu(1);
    await meter.sample();
    expect(cpuSeconds() - first).toBeGreaterThanOrEqual(1);
    await meter.close();
  });
});
