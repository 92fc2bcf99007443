// The containers and the network a benchmark run starts itself, all labelled berth.bench=true and berth.test=true,
// and the sweep that removes them (and whatever a bench hub started on the run's network) afterwards.
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import Docker from 'dockerode';

export const BENCH_LABELS = { 'berth.bench': 'true', 'berth.test': 'true' } as const;

export interface BenchDocker {
  readonly docker: Docker;
  /** This run's private bridge network (hubs started by the run use it as spawner.network). */
  readonly network: string;
  readonly runId: string;
  /**
   * Another private network for a second bench hub: each hub binds its internal listener to its network's gateway
   * on a fixed port, so two hubs cannot share one network.
   */
  createNetwork(): Promise<string>;
  /** Starts a container on the run's network and returns its id and IP. */
  run(image: string, options?: { name?: string; env?: Record<string, string>; network?: string }): Promise<{ id: string; ip: string }>;
  /** Waits until http://ip:port/path answers with a status below 500. */
  waitHttp(url: string, timeoutMs?: number): Promise<void>;
  remove(id: string): Promise<void>;
  /** Removes the containers a bench hub started on the run's network for these users. */
  removeUsers(users: (name: string) => boolean): Promise<number>;
  /** Removes every container on the run's network and every container labelled by this run, then the network. */
  cleanup(): Promise<void>;
}

export async function createBenchDocker(): Promise<BenchDocker> {
  const docker = new Docker();
  try {
    await docker.ping();
  } catch (err) {
    throw new Error(`No Docker engine answers (${(err as Error).message}); the benchmarks need one: run \`bash scripts/setup-host.sh\`.`);
  }
  await sweepStale(docker);
  const runId = randomBytes(4).toString('hex');
  const network = `berth-bench-${runId}`;
  const networks = [network];
  const makeNetwork = (name: string) =>
    docker.createNetwork({
      Name: name, Driver: 'bridge', CheckDuplicate: true,
      // As the hub makes its user network by default (spawner.isolate_containers), which it requires of one it adopts.
      Options: { 'com.docker.network.bridge.enable_icc': 'false' },
      Labels: { ...BENCH_LABELS, 'berth.bench.run': runId, 'berth.bench.pid': String(process.pid), 'berth.bench.host': os.hostname() },
    });
  await makeNetwork(network);
  let counter = 0;

  const bench: BenchDocker = {
    docker,
    network,
    runId,
    async createNetwork() {
      const name = `${network}-${networks.length}`;
      await makeNetwork(name);
      networks.push(name);
      return name;
    },
    async run(image, options = {}) {
      const on = options.network ?? network;
      const container = await docker.createContainer({
        name: options.name ?? `berth-bench-${runId}-${++counter}`,
        Image: image,
        Env: Object.entries(options.env ?? {}).map(([k, v]) => `${k}=${v}`),
        Labels: { ...BENCH_LABELS, 'berth.bench.run': runId },
        HostConfig: { NetworkMode: on, AutoRemove: false },
      });
      await container.start();
      const info = await container.inspect();
      const ip = info.NetworkSettings.Networks?.[on]?.IPAddress;
      if (!ip) throw new Error(`container ${info.Name} has no address on ${on}`);
      return { id: info.Id, ip };
    },
    waitHttp,
    async remove(id) {
      await docker.getContainer(id).remove({ force: true }).catch(() => undefined);
    },
    async removeUsers(users) {
      const list = await docker.listContainers({ all: true, filters: { label: ['berth.user'] } });
      const ours = new Set(networks);
      const doomed = list.filter((c) => Object.keys(c.NetworkSettings?.Networks ?? {}).some((n) => ours.has(n)) && users(c.Labels['berth.user'] ?? ''));
      await Promise.all(doomed.map((c) => docker.getContainer(c.Id).remove({ force: true, v: true }).catch(() => undefined)));
      return doomed.length;
    },
    async cleanup() {
      const ids = new Set<string>();
      for (const name of networks) {
        for (const c of await docker.listContainers({ all: true, filters: { network: [name] } })) ids.add(c.Id);
      }
      for (const c of await docker.listContainers({ all: true, filters: { label: [`berth.bench.run=${runId}`] } })) ids.add(c.Id);
      await Promise.all([...ids].map((id) => docker.getContainer(id).remove({ force: true, v: true }).catch(() => undefined)));
      await Promise.all(networks.map((name) => docker.getNetwork(name).remove().catch(() => undefined)));
    },
  };
  return bench;
}

export async function waitHttp(url: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer();
      if (res.status < 500) return;
      last = `status ${res.status}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await sleep(5);
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms (last: ${last})`);
}

/** Containers and networks left by an earlier run whose process is gone (a live run's are never touched). */
async function sweepStale(docker: Docker): Promise<void> {
  const networks = await docker.listNetworks({ filters: { label: ['berth.bench=true'] } });
  const live = new Set<string>();
  for (const net of networks) {
    const labels = net.Labels ?? {};
    if (isAlive(Number(labels['berth.bench.pid']), labels['berth.bench.host'])) {
      live.add(labels['berth.bench.run'] ?? '');
      continue;
    }
    const on = await docker.listContainers({ all: true, filters: { network: [net.Name] } });
    await Promise.all(on.map((c) => docker.getContainer(c.Id).remove({ force: true, v: true }).catch(() => undefined)));
    await docker.getNetwork(net.Id).remove().catch(() => undefined);
  }
  const left = await docker.listContainers({ all: true, filters: { label: ['berth.bench=true'] } });
  const stale = left.filter((c) => !live.has(c.Labels['berth.bench.run'] ?? ''));
  await Promise.all(stale.map((c) => docker.getContainer(c.Id).remove({ force: true, v: true }).catch(() => undefined)));
}

function isAlive(pid: number, host: string | undefined): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  if (host !== undefined && host !== os.hostname()) return true; // another machine's run: not ours to judge
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
