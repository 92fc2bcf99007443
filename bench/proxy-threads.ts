// Issue 16 point 4: hub.proxy_threads, one thread against two, in the same run and to the same nginx container the
// proxy benchmark measures. Two hubs run side by side, one per setting, each proxying /services/nginx/ to that
// container (the same fast lane and route lookup as a user's server), and wrk alternates between them, round by round,
// so drift of the machine hits both alike. Requests per CPU-second of each hub process say whether a second thread
// costs efficiency; req/s says how much more it serves.
import type { BenchContext } from './lib/context.js';
import { cpuSecondsOf, startHub, type HubProcess } from './lib/hub-process.js';
import { NGINX_IMAGE } from './lib/context.js';
import { checkBody, WRK } from './proxy.js';
import { formatNumber, formatRatio, ratio, unavailable, type BenchResult, type TargetCheck } from './lib/report.js';
import { runWrk, type WrkResult } from './lib/wrk.js';

/** The cells issue 16 asks for: 1 KB at 10 and 100 connections, 1 MB at 100. */
export const THREAD_CELLS = [{ body: '1k', connections: 10 }, { body: '1k', connections: 100 }, { body: '1m', connections: 100 }] as const;
const THREADS = [1, 2] as const;
/** Rounds per cell (the median reported): a second thread's gain on 2 busy cores is smaller than one round's spread. */
const ROUNDS = 3;

export type ThreadRun = WrkResult & { threads: number; body: string; round: number; cpuSeconds: number | null };
type Cell = (threads: number, body: string, connections: number) => ThreadRun | undefined;

export async function proxyThreadsBench(ctx: BenchContext): Promise<BenchResult> {
  const began = performance.now();
  const f = await ctx.fixture();
  const notes: string[] = [];
  const hubs = new Map<number, HubProcess>();
  try {
    for (const threads of THREADS) {
      try {
        // A network each: a hub's internal API listens on its network's gateway, one hub per address.
        const hub = await startHub({
          build: ctx.build, network: await ctx.docker.createNetwork(), images: { nginx: NGINX_IMAGE }, defaultImage: NGINX_IMAGE,
          proxyThreads: threads, services: [{ name: 'nginx', url: `http://${f.nginxIp}:8888` }],
        });
        hubs.set(threads, hub);
        const problem = await checkBody(`${hub.url}/services/nginx/1k`, 1024);
        if (problem) notes.push(`${threads} thread(s): not available: ${problem}`);
      } catch (err) {
        notes.push(`${threads} thread(s): not available: ${(err as Error).message.split('\n')[0]}`);
      }
    }
    if (hubs.size < THREADS.length || notes.length > 0) return { ...unavailable('proxy-threads', notes.join('; ')), notes };

    const seconds = ctx.options.quick ? WRK.quickSeconds : WRK.seconds;
    const rounds = ctx.options.quick ? 1 : Math.max(ROUNDS, ctx.options.repeat);
    const all: ThreadRun[] = [];
    for (const { body, connections } of THREAD_CELLS) {
      for (let round = 0; round < rounds; round++) {
        for (const threads of THREADS) {
          const hub = hubs.get(threads)!;
          const url = `${hub.url}/services/nginx/${body}`;
          await runWrk(url, connections, WRK.warmupSeconds, WRK.threads, WRK.timeoutSeconds).catch(() => undefined);
          try {
            const cpu0 = cpuSecondsOf(hub.pid);
            const r = await runWrk(url, connections, seconds, WRK.threads, WRK.timeoutSeconds);
            const spent = cpuSecondsOf(hub.pid) - cpu0;
            all.push({ ...r, threads, body, round, cpuSeconds: Number.isFinite(spent) && spent > 0 ? spent : null });
          } catch (err) {
            notes.push(`${threads} thread(s) ${body} c=${connections}: wrk failed: ${(err as Error).message.split('\n')[0]}`);
          }
        }
      }
    }
    const runs = medianRounds(all);
    const get: Cell = (threads, body, connections) => runs.find((r) => r.threads === threads && r.body === body && r.connections === connections);

    const size = (body: string) => (body === '1k' ? '1 KB' : '1 MB');
    const perCpu = (r?: ThreadRun) => (r?.cpuSeconds ? r.requests / r.cpuSeconds : null);
    const busy = (r?: ThreadRun) => (r?.cpuSeconds ? ` (${Math.round((r.cpuSeconds / r.seconds) * 100)}% of a core)` : '');
    const rows = THREAD_CELLS.map(({ body, connections }) => {
      const [one, two] = THREADS.map((t) => get(t, body, connections));
      return [
        size(body), connections,
        formatNumber(one?.requestsPerSec, 0), formatNumber(two?.requestsPerSec, 0), formatRatio(ratio(two?.requestsPerSec, one?.requestsPerSec)),
        `${formatNumber(perCpu(one), 0)}${busy(one)}`, `${formatNumber(perCpu(two), 0)}${busy(two)}`, formatRatio(ratio(perCpu(two), perCpu(one))),
        `${formatNumber(one?.p99, 2)} / ${formatNumber(two?.p99, 2)}`,
      ];
    });
    notes.push(
      `Two hubs, hub.proxy_threads 1 and 2, each proxying /services/nginx/ to the proxy benchmark's nginx container (${f.nginxIp}); wrk -t${WRK.threads}, ${seconds} s per cell after a ${WRK.warmupSeconds} s warm-up, the hubs alternating, median of ${rounds} round(s).`,
      'CPU is each hub process\'s whole (main thread and proxy threads, /proc). On this machine wrk, the target nginx and the proxy threads share the same cores: a second thread can only take a larger share of them, not an idle core (bench/README.md, "Proxy threads on bigger machines").',
    );
    return {
      name: 'proxy-threads',
      status: 'ok',
      tables: [{
        title: 'hub.proxy_threads: 2 threads against 1 (req/s; requests per CPU-second of the hub process; p99 ms)',
        columns: ['body', 'conns', '1 thread req/s', '2 threads req/s', '2 / 1', '1 thread per CPU-s', '2 threads per CPU-s', '2 / 1 per CPU-s', 'p99 1 / 2 threads'],
        rows,
      }],
      targets: threadTargets(get),
      notes,
      data: { runs, rounds: all, wrk: WRK },
      seconds: (performance.now() - began) / 1000,
    };
  } finally {
    for (const hub of hubs.values()) await hub.stop();
  }
}

/** Each hub's round with the median throughput, per cell. */
export function medianRounds(all: ThreadRun[]): ThreadRun[] {
  const runs: ThreadRun[] = [];
  for (const { body, connections } of THREAD_CELLS) {
    for (const threads of THREADS) {
      const rounds = all.filter((r) => r.threads === threads && r.body === body && r.connections === connections).sort((a, b) => a.requestsPerSec - b.requestsPerSec);
      if (rounds.length) runs.push(rounds[Math.floor((rounds.length - 1) / 2)]!);
    }
  }
  return runs;
}

/** More than 1% failed answers makes a cell meaningless; a target that uses it is n/a. */
const invalid = (r: WrkResult) => r.errors > r.requests * 0.01;

/**
 * Issue 16 point 4, each cell: two threads serve at least as many requests as one (they add capacity where there is
 * a core to take), and spend no more CPU per request than one (threads that cost efficiency would not scale on a
 * bigger machine either). The ratios themselves are in the table.
 */
export function threadTargets(get: Cell): TargetCheck[] {
  const targets: TargetCheck[] = [];
  for (const { body, connections } of THREAD_CELLS) {
    const [one, two] = THREADS.map((t) => get(t, body, connections));
    const usable = one !== undefined && two !== undefined && !invalid(one) && !invalid(two);
    const cell = `${body === '1k' ? '1 KB' : '1 MB'}, ${connections} conns`;
    const rps = ratio(two?.requestsPerSec, one?.requestsPerSec);
    const perCpu = ratio(two?.cpuSeconds ? two.requests / two.cpuSeconds : null, one?.cpuSeconds ? one.requests / one.cpuSeconds : null);
    targets.push(
      {
        target: `${cell}: 2 proxy threads serve >= 1 thread's req/s`, issue: 16, point: 4,
        measured: `${formatNumber(two?.requestsPerSec, 0)} vs ${formatNumber(one?.requestsPerSec, 0)} (${formatRatio(rps)})`,
        met: usable && rps !== null ? rps >= 1 : null,
      },
      {
        target: `${cell}: 2 proxy threads' requests per CPU-second >= 90% of 1 thread's`, issue: 16, point: 4,
        // One decimal: a rounded "0.90×" next to "no" would read as a contradiction.
        measured: perCpu === null ? '–' : `${(perCpu * 100).toFixed(1)}%`,
        met: usable && perCpu !== null ? perCpu >= 0.9 : null,
      },
    );
  }
  return targets;
}
