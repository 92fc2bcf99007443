// hub.proxy_threads proxy threads (thread.ts) serving the one public port together. The first binds it; the others
// accept on the same socket through descriptors of their own (listener-fd.ts), and the kernel hands each new
// connection to whichever thread's loop takes it first. This module is the hub's one view of them: it keeps the route
// table every thread copies (a new thread starts from a snapshot), sends each reload to all, merges their activity
// before it reaches the database, sums their counters, starts a thread again in place of one that dies, and starts
// the next one when every running thread is busy (up to `count`): a thread is 10 MB of RSS, an idle hub needs one,
// and on a small machine shared with users' servers one thread answers with a shorter tail than two (README).
import os from 'node:os';
import { createActivityMeter } from './activity.js';
import { clearClientTableColumn, createClientTableBuffer } from './client-table.js';
import { STATUS_CLASSES, type ProxyCounts } from './counters.js';
import type { ProxyLimits, TlsPair } from './public-listener.js';
import { startProxyThread, type BootedProxyThread, type ProxyThread, type ProxyThreadOptions, type RouteFeed } from './thread.js';

/** The default of hub.proxy_threads: one per core, at most this many (see its description in config/schema.ts). */
export const MAX_DEFAULT_PROXY_THREADS = 8;

export function defaultProxyThreads(): number {
  return Math.max(1, Math.min(os.availableParallelism(), MAX_DEFAULT_PROXY_THREADS));
}

/**
 * A thread whose loop worked at least this share of a second is busy; when every running thread has been busy for
 * BUSY_REPORTS reports in a row, one more starts. Below half, a thread still has time to spare for bursts.
 */
const BUSY = 0.5;
const BUSY_REPORTS = 2;

/** More deaths than this within RESTART_WINDOW_MS is a crash loop: the hub stops instead of starting threads forever. */
const MAX_RESTARTS = 5;
const RESTART_WINDOW_MS = 60_000;

export interface ProxyThreadsOptions extends Omit<ProxyThreadOptions, 'thread' | 'threads' | 'clientTable' | 'shareFd' | 'onExit' | 'onLoad'> {
  /** The most threads that accept on the port (hub.proxy_threads, or one per core). */
  count: number;
  /** How many of them start at once (default all); the others start one at a time as load needs them (BUSY). */
  startWith?: number;
  /** No thread serves the port any more and none could be started again (or they keep dying): the hub must stop. */
  onExit(code: number): void;
}

export interface ProxyThreads extends Omit<ProxyThread, 'fd' | 'counts'> {
  /** How many threads serve the port now: the first and those started as load needed them; one that died counts again once restarted. */
  running(): number;
  /** Every thread's counters summed (see ProxyThread.counts); null while no thread answers. */
  counts(timeoutMs?: number): Promise<ProxyCounts | null>;
  /** Each thread's counters, by thread index (null: stopped, or not answering and never answered). */
  countsByThread(timeoutMs?: number): Promise<(ProxyCounts | null)[]>;
}

/** Resolves once the first thread listens (rejecting with its listen error, e.g. EADDRINUSE); the others join as they start. */
export async function startProxyThreads(options: ProxyThreadsOptions): Promise<ProxyThreads> {
  const { count, startWith = count, routes, logger, onExit, booted, ...common } = options;
  if (!Number.isInteger(count) || count < 1) throw new Error(`proxy threads: ${count} is not a number of threads (hub.proxy_threads takes 1 or more)`);
  if (!Number.isInteger(startWith) || startWith < 1 || startWith > count) throw new Error(`proxy threads: cannot start ${startWith} of ${count} threads`);
  const log = logger.child({ component: 'proxy' });
  // What a thread started now (first, or in place of one that died) must be told; reloads update it.
  let current = { ...common };
  const clientTable = createClientTableBuffer(count);
  const table = new Map<string, string>();
  const watchers = new Set<(name: string, target: string | null) => void>();
  for (const [name, target] of routes.watchRoutes((name, target) => {
    if (target === null) table.delete(name);
    else table.set(name, target);
    for (const watch of watchers) watch(name, target);
  })) table.set(name, target);
  // Each thread already reports a server at most once per interval; so does the hub for all of them together, so the
  // database sees one note per server per interval however many threads carried the traffic (the batch keeps the latest).
  const noteActivity = createActivityMeter(
    (name, server) => routes.noteActivity(name, server),
    (err) => log.error({ err }, 'recording activity failed'),
    common.activityIntervalMs ?? 1000,
  );
  const threads: (ProxyThread | null)[] = Array<ProxyThread | null>(count).fill(null);
  const starting = new Set<Promise<ProxyThread>>();
  const deaths: number[] = [];
  let retired: ProxyCounts | null = null;
  let reloadedLimits: ProxyLimits | null = null;
  let closing = false;
  /** Busy reports in a row, by thread. */
  const busyStreak = Array<number>(count).fill(0);
  let growing = true;
  /** Threads that died and are being started again in their place (replace). */
  const replacing = new Set<number>();

  function start(index: number, shareFd: number | null, booted?: BootedProxyThread): Promise<ProxyThread> {
    let watch: ((name: string, target: string | null) => void) | undefined;
    const feed: RouteFeed = {
      watchRoutes(listener) {
        watch = listener;
        watchers.add(listener);
        return [...table];
      },
      noteActivity,
      noteUnreachable: (name) => routes.noteUnreachable(name),
    };
    const told = current;
    busyStreak[index] = 0;
    const started = startProxyThread({
      ...told, routes: feed, logger, thread: index, threads: count, clientTable, shareFd, booted,
      onLoad: (utilization) => noteLoad(index, utilization),
      onExit: (code) => {
        if (watch !== undefined) watchers.delete(watch);
        const dead = threads[index];
        threads[index] = null;
        replacing.add(index);
        void retire(dead).then(() => replace(index, code)).finally(() => replacing.delete(index));
      },
    }).then((thread) => {
      threads[index] = thread;
      // A reload while the thread started reached only the others: this one is told now.
      if (current !== told) {
        if (reloadedLimits !== null) thread.setLimits(reloadedLimits);
        if (current.services !== told.services) thread.setServices(current.services ?? []);
        if (current.tls && current.tls !== told.tls) thread.setCertificate(current.tls);
      }
      return thread;
    }, (err: unknown) => {
      if (watch !== undefined) watchers.delete(watch);
      throw err;
    });
    starting.add(started);
    void started.finally(() => starting.delete(started)).catch(() => undefined);
    return started;
  }

  /** Keeps what a dead thread last reported in the sums, so the hub's counters never go back (Prometheus would read a reset). */
  async function retire(dead: ProxyThread | null): Promise<void> {
    const last = dead === null ? null : await dead.counts(0);
    if (last !== null) retired = addCounts(retired ?? ZERO, { ...last, openConnections: 0 });
  }

  function noteLoad(index: number, utilization: number): void {
    busyStreak[index] = utilization >= BUSY ? busyStreak[index]! + 1 : 0;
    if (!growing || closing || starting.size > 0 || replacing.size > 0) return;
    const running = threads.flatMap((thread, i) => (thread === null ? [] : [i]));
    const next = threads.indexOf(null);
    const donor = threads.find((thread) => thread !== null && thread.fd() >= 0);
    if (next < 0 || !donor || running.some((i) => busyStreak[i]! < BUSY_REPORTS)) return;
    for (const i of running) busyStreak[i] = 0;
    log.info({ thread: next, threads: running.length + 1, utilization: Number(utilization.toFixed(2)) },
      'every proxy thread is busy: starting another on the public port');
    start(next, donor.fd()).catch((err: unknown) => {
      // It would fail the same way again: the running threads go on alone.
      growing = false;
      if (!closing) log.error({ err, thread: next }, 'could not start another proxy thread; the others serve the public port without it');
    });
  }

  async function replace(index: number, code: number): Promise<void> {
    if (closing) return;
    clearClientTableColumn(clientTable, index);
    const now = Date.now();
    deaths.push(now);
    while (deaths[0]! <= now - RESTART_WINDOW_MS) deaths.shift();
    if (deaths.length > MAX_RESTARTS) {
      log.fatal({ thread: index, code, stops: deaths.length }, `proxy threads stopped ${deaths.length} times within a minute: the hub stops rather than restart them forever (see the errors above)`);
      onExit(code);
      return;
    }
    // A thread still listening lends its socket; with none left the port is bound again (it was free a moment ago).
    const donor = threads.find((thread) => thread !== null && thread.fd() >= 0) ?? null;
    log.error({ thread: index, code }, 'a proxy thread stopped (its open connections with it); starting another in its place');
    try {
      await start(index, donor?.fd() ?? null);
      log.info({ thread: index }, 'proxy thread started again');
    } catch (err) {
      if (closing) return;
      if (threads.some((thread) => thread !== null)) {
        log.error({ err, thread: index }, 'could not start a proxy thread again; the others keep serving the public port');
        return;
      }
      log.fatal({ err, thread: index }, 'the last proxy thread stopped and none could be started again: the public port is closed');
      onExit(code);
    }
  }

  const first = await start(0, null, booted);
  // Port 0 was a free port chosen by the kernel: a thread started again must bind that one.
  current = { ...current, port: first.address().port };
  // The others join once they are up (each a few hundred ms: a thread, and a helper process for its descriptor), so
  // the hub starts as fast with 8 threads as with 1. One that cannot start at all would fail the same way again.
  for (let i = 1; i < startWith; i++) {
    start(i, first.fd()).catch((err: unknown) => {
      if (!closing) log.error({ err, thread: i }, 'a proxy thread could not start; the others serve the public port without it');
    });
  }
  const address = first.address();
  const each = <T>(work: (thread: ProxyThread) => T) => threads.filter((thread) => thread !== null).map(work);

  return {
    address: () => address,
    async close(graceMs = 2000) {
      closing = true;
      // A thread still starting needs the others' descriptor until it has its own (a closed number may be another
      // file by then): it finishes starting, then stops with the rest.
      await Promise.allSettled([...starting]);
      await Promise.all(each((thread) => thread.close(graceMs)));
    },
    setLimits(limits: ProxyLimits) {
      current = { ...current, ...limits };
      reloadedLimits = limits;
      each((thread) => thread.setLimits(limits));
    },
    setServices(services: [string, string][]) {
      current = { ...current, services };
      each((thread) => thread.setServices(services));
    },
    setCertificate(pair: TlsPair) {
      current = { ...current, tls: pair };
      each((thread) => thread.setCertificate(pair));
    },
    running: () => threads.filter((thread) => thread !== null).length,
    countsByThread: (timeoutMs) => Promise.all(threads.map((thread) => (thread === null ? null : thread.counts(timeoutMs)))),
    async counts(timeoutMs) {
      const counts = [...(await Promise.all(each((thread) => thread.counts(timeoutMs)))), retired].filter((c) => c !== null);
      return counts.length === 0 ? null : counts.reduce(addCounts);
    },
  };
}

const ZERO: ProxyCounts = {
  requests: { '1xx': 0, '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0 }, bytesIn: 0, bytesOut: 0, openConnections: 0, backendErrors: 0, websocketUpgrades: 0,
};

function addCounts(a: ProxyCounts, b: ProxyCounts): ProxyCounts {
  return {
    requests: Object.fromEntries(STATUS_CLASSES.map((name) => [name, a.requests[name] + b.requests[name]])) as ProxyCounts['requests'],
    bytesIn: a.bytesIn + b.bytesIn,
    bytesOut: a.bytesOut + b.bytesOut,
    openConnections: a.openConnections + b.openConnections,
    backendErrors: a.backendErrors + b.backendErrors,
    websocketUpgrades: a.websocketUpgrades + b.websocketUpgrades,
  };
}
