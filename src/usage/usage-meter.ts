// Measures what each running server uses: server time from the moment it is routed (ready) to the moment it is not,
// and CPU time and memory from one-shot container stats taken at the poll interval, several at a time. Each sample
// adds to the day rows of usage-store.ts and records where the next one goes on from, so a hub restart loses
// nothing: a server that kept running meanwhile is counted from where it was left. CPU time a server uses after its
// last sample and before its stop (under one poll interval) is not counted: a sample at the stop would delay every
// stop by the engine's answer (about a second), which is not worth it.
import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import type { RouteReader, RunningServer } from '../servers/servers.js';
import type { ContainerStats, Spawner } from '../spawner/spawner.js';
import { dayOf, splitByDay } from './usage-days.js';
import type { UsageAddition, UsageStore } from './usage-store.js';

export interface UsageMeterDeps {
  store: UsageStore;
  /** Samples containers; without `stats` only server time is counted. */
  spawner: Pick<Spawner, 'stats'>;
  clock: Clock;
  logger: Logger;
  /** Time between samples (the hub's poll interval, 30 s). */
  intervalMs?: number;
}

export interface UsageMeter {
  /** Begins metering these servers (at hub start): the running ones now, then each route change. */
  start(servers: { running(): RunningServer[] } & Pick<RouteReader, 'watchRoutes'>): void;
  /** Samples every running server now (the timer calls it; tests may too). */
  sample(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Stats requests in flight at once. The engine answers a one-shot request at its collector's next tick (once a
 * second on Docker 20.10), and every request waiting for that tick is answered by it: ten at a time cost a second of
 * waiting per ten servers, while a round of up to this many is answered together in about one second. The bound keeps
 * a very large hub from opening thousands of engine connections at once.
 */
const CONCURRENT_STATS = 100;

interface Metered {
  userName: string;
  serverName: string;
  /** Learned at the first sample after the route appears. */
  containerId: string | null;
  /** Counted up to here (epoch ms). */
  since: number;
  /** The container's CPU counter at the last sample; null: count it all. */
  cpuNs: number | null;
}

export function createUsageMeter(deps: UsageMeterDeps): UsageMeter {
  const { store, spawner, clock, logger } = deps;
  const metered = new Map<string, Metered>();
  let source: { running(): RunningServer[] } | null = null;
  let timer: NodeJS.Timeout | null = null;
  let sampling: Promise<void> | null = null;
  let closed = false;

  const keyOf = (userName: string, serverName: string) => `${userName}/${serverName}`;

  /** A server seen running without having been seen to start (the hub restarted): go on from its latest row. */
  function adopt(server: RunningServer): Metered {
    const from = store.continuation(server.userName, server.serverName);
    const same = from !== null && from !== undefined && from.containerId === server.containerId;
    return {
      userName: server.userName,
      serverName: server.serverName,
      containerId: server.containerId,
      since: same ? from.accountedUntil.getTime() : (server.started?.getTime() ?? clock.now()),
      cpuNs: same ? from.cpuNs : null,
    };
  }

  /** What `m` used from its last sample up to `now`, spread over the days it spans. */
  function additions(m: Metered, now: number, stats: ContainerStats | null): UsageAddition[] {
    const cpuNs = stats === null ? 0 : m.cpuNs !== null && stats.cpuNs >= m.cpuNs ? stats.cpuNs - m.cpuNs : stats.cpuNs;
    const parts = splitByDay(m.since, now);
    const today = dayOf(now);
    if (parts.length === 0 || parts.at(-1)!.day !== today) parts.push({ day: today, seconds: 0 });
    const total = parts.reduce((sum, p) => sum + p.seconds, 0);
    const out = parts.map((p): UsageAddition => ({
      userName: m.userName,
      serverName: m.serverName,
      day: p.day,
      serverSeconds: p.seconds,
      // CPU time is known only as a total since the last sample: spread like the time it was used in.
      cpuSeconds: total === 0 ? (p.day === today ? cpuNs / 1e9 : 0) : (cpuNs / 1e9) * (p.seconds / total),
      memoryBytes: p.day === today ? (stats?.memoryBytes ?? 0) : 0,
    }));
    if (m.containerId !== null) out.at(-1)!.continuation = { containerId: m.containerId, cpuNs: stats?.cpuNs ?? m.cpuNs, accountedUntil: new Date(now) };
    m.since = Math.max(m.since, now);
    if (stats !== null) m.cpuNs = stats.cpuNs;
    return out;
  }

  function record(list: UsageAddition[]): void {
    if (list.length === 0 || closed) return;
    try {
      store.add(list);
    } catch (err) {
      logger.error({ err }, 'recording usage failed');
    }
  }

  async function statsOf(containerId: string): Promise<ContainerStats | null> {
    if (!spawner.stats) return null;
    try {
      return await spawner.stats(containerId);
    } catch (err) {
      logger.warn({ err, container: containerId }, 'reading container stats for usage failed');
      return null;
    }
  }

  async function sampleOnce(): Promise<void> {
    if (source === null) return;
    const running = source.running();
    const seen = new Set<string>();
    for (const server of running) {
      const key = keyOf(server.userName, server.serverName);
      seen.add(key);
      const m = metered.get(key);
      if (m === undefined) metered.set(key, adopt(server));
      else if (m.containerId !== server.containerId) {
        m.containerId = server.containerId;
        m.cpuNs = null;
      }
    }
    // Stopped without a route change reaching us: counted up to now, then forgotten.
    const gone = [...metered].filter(([key]) => !seen.has(key));
    for (const [key] of gone) metered.delete(key);
    record(gone.flatMap(([, m]) => additions(m, clock.now(), null)));

    const samples = new Map<string, ContainerStats | null>();
    let next = 0;
    await Promise.all(Array.from({ length: Math.min(CONCURRENT_STATS, running.length) }, async () => {
      while (next < running.length) {
        const server = running[next++]!;
        samples.set(server.containerId, await statsOf(server.containerId));
      }
    }));
    const now = clock.now();
    const list: UsageAddition[] = [];
    for (const server of running) {
      const m = metered.get(keyOf(server.userName, server.serverName));
      // Stopped or replaced while the stats were read: the route change has counted it.
      if (m === undefined || m.containerId !== server.containerId) continue;
      list.push(...additions(m, now, samples.get(server.containerId) ?? null));
    }
    record(list);
  }

  const meter: UsageMeter = {
    start(servers) {
      if (closed || source !== null) return;
      source = servers;
      for (const server of servers.running()) metered.set(keyOf(server.userName, server.serverName), adopt(server));
      servers.watchRoutes((routeKey, target) => {
        if (closed) return;
        // Route keys are `<user>` or `<user>/<server>`; user names never hold a '/'.
        const cut = routeKey.indexOf('/');
        const userName = cut === -1 ? routeKey : routeKey.slice(0, cut);
        const serverName = cut === -1 ? '' : routeKey.slice(cut + 1);
        const key = keyOf(userName, serverName);
        const m = metered.get(key);
        if (target !== null) {
          // A new URL for a server already metered is the same server.
          if (m === undefined) metered.set(key, { userName, serverName, containerId: null, since: clock.now(), cpuNs: null });
          return;
        }
        if (m === undefined) return;
        metered.delete(key);
        record(additions(m, clock.now(), null));
      });
      timer = setInterval(() => void meter.sample(), deps.intervalMs ?? 30_000);
      timer.unref();
    },
    sample() {
      sampling ??= sampleOnce()
        .catch((err) => logger.error({ err }, 'sampling usage failed'))
        .finally(() => {
          sampling = null;
        });
      return sampling;
    },
    async close() {
      closed = true;
      if (timer) clearInterval(timer);
      await sampling;
    },
  };
  return meter;
}

