// Runs the public listener (src/proxy/worker.ts) on a worker thread of the hub process and keeps its route table in
// step with the server state. The only place the threads talk; messages are the types below. threads.ts runs
// several of these on the one public port.
import type { AddressInfo } from 'node:net';
import { Worker } from 'node:worker_threads';
import type { Logger } from '../log.js';
import { createClientTableBuffer } from './client-table.js';
import type { ProxyLimits, TlsPair } from './public-listener.js';
import type { ProxyCounts } from './counters.js';
import type { RouteSource } from './route-table.js';

export interface WorkerSetup {
  baseUrl: string;
  /** hub.subdomain_host, when users' servers are on hosts of their own. */
  subdomainHost?: string | null;
  host: string;
  port: number;
  hubTarget: string;
  keepAliveTimeoutMs?: number;
  requestHeaderTimeoutMs?: number;
  maxConnectionsPerClient?: number;
  trustedProxies?: string[];
  /** hub.tls's certificate: the port serves HTTPS. */
  tls?: TlsPair | null;
  activityIntervalMs?: number;
  /** This thread's index among `threads`, its column in `clientTable`. */
  thread: number;
  threads: number;
  /** Connections per client, counted by every thread (client-table.ts). */
  clientTable: SharedArrayBuffer;
  /** A descriptor of the public port another thread listens on, to accept on too; null: bind `host`:`port`. */
  shareFd: number | null;
  logLevel: string;
  routes: [string, string][];
  /** hub.yaml services with a url: name → target (`http://host:port`); replaced by a `services` message on reload. */
  services: [string, string][];
}

export type ToWorker =
  | { type: 'setup'; setup: WorkerSetup }
  | { type: 'route'; name: string; target: string | null }
  | { type: 'close'; graceMs: number }
  | { type: 'limits'; limits: ProxyLimits }
  | { type: 'services'; services: [string, string][] }
  | { type: 'certificate'; pair: TlsPair }
  | { type: 'counts' };

export type ToMain =
  | { type: 'listening'; address: AddressInfo; fd: number }
  | { type: 'listen-error'; code: string; message: string }
  | { type: 'activity'; name: string; server: string }
  | { type: 'unreachable'; name: string }
  | { type: 'log'; line: string }
  | { type: 'counts'; counts: ProxyCounts }
  /** Every second: the share of it the thread's event loop spent working rather than waiting for events (0–1). */
  | { type: 'load'; utilization: number }
  | { type: 'closed' };

export interface RouteFeed extends Pick<RouteSource, 'noteActivity' | 'noteUnreachable'> {
  watchRoutes(listener: (userName: string, target: string | null) => void): [string, string][];
}

export interface ProxyThreadOptions extends Omit<WorkerSetup, 'routes' | 'logLevel' | 'services' | 'thread' | 'threads' | 'clientTable' | 'shareFd'>,
  Partial<Pick<WorkerSetup, 'thread' | 'threads' | 'clientTable' | 'shareFd'>> {
  /** See WorkerSetup.services; default none. */
  services?: [string, string][];
  routes: RouteFeed;
  logger: Logger;
  /** The thread stopped without close() (it crashed), and its descriptor of the public port with it; threads.ts decides what follows. */
  onExit(code: number): void;
  /** The module the thread runs; default this directory's worker. */
  module?: URL;
  /** A thread booted ahead (bootProxyThread, with the same module): it gets its setup now instead of starting. */
  booted?: BootedProxyThread;
  /** The thread's load, every second (ToMain 'load'). */
  onLoad?(utilization: number): void;
}

/**
 * A proxy thread started before the hub knows its routes: it loads its modules (100–400 ms) while the main thread
 * still loads its own and asks Docker about running servers, then waits for its setup (startProxyThread `booted`).
 * Unreferenced until then, so a hub that fails to start does not stay alive for it.
 */
export interface BootedProxyThread {
  readonly worker: Worker;
  /** Why the thread ended before its setup (a module failed to load); null while it waits. */
  failure(): Error | null;
}

export function bootProxyThread(module?: URL): BootedProxyThread {
  const worker = createWorker(module, null);
  worker.unref();
  let failure: Error | null = null;
  worker.once('error', (err) => (failure ??= err));
  worker.once('exit', (code) => (failure ??= new Error(`the proxy thread exited (code ${code}) before it listened`)));
  return { worker, failure: () => failure };
}

/** The built hub runs dist/proxy/worker.js; tests and `tsx` run the TypeScript source through tsx's loader. */
function createWorker(module: URL | undefined, workerData: WorkerSetup | null): Worker {
  const source = module ?? new URL(import.meta.url.endsWith('.ts') ? './worker.ts' : './worker.js', import.meta.url);
  return source.pathname.endsWith('.ts')
    ? new Worker(`import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(source.href)}); });`, { eval: true, workerData })
    : new Worker(source, { workerData });
}

export interface ProxyThread {
  address(): AddressInfo;
  /** The thread's descriptor of the listening socket, which another thread may share (WorkerSetup.shareFd). */
  fd(): number;
  /** Stops the listener (connections between requests at once, the rest after `graceMs`) and ends the thread. */
  close(graceMs?: number): Promise<void>;
  /** Sends new limits (hub.yaml reloaded); open connections are kept. */
  setLimits(limits: ProxyLimits): void;
  /** Sends the services with a url (hub.yaml reloaded): name → target, replacing the thread's whole list. */
  setServices(services: [string, string][]): void;
  /** A renewed or replaced certificate, for new connections (HTTPS only). */
  setCertificate(pair: TlsPair): void;
  /**
   * The thread's traffic counters, asked for now (a scrape): the thread answers between two events of its loop.
   * A thread that does not answer within `timeoutMs` (or has stopped) gives the last counts it sent, or null.
   */
  counts(timeoutMs?: number): Promise<ProxyCounts | null>;
}

/** Resolves once the thread listens; rejects with the listen error (EADDRINUSE, EACCES) or if the thread fails to start. */
export function startProxyThread(options: ProxyThreadOptions): Promise<ProxyThread> {
  const { routes, logger, onExit, onLoad, module, booted, services = [], thread = 0, threads = 1, shareFd = null, clientTable = createClientTableBuffer(threads), ...rest } = options;
  let worker: Worker;
  let closing = false;
  let lastCounts: ProxyCounts | null = null;
  let listenFd = -1;
  // The thread answers in the order it was asked, so the oldest waiter takes each answer.
  const countWaiters: ((counts: ProxyCounts) => void)[] = [];
  const ready = new Promise<AddressInfo>((resolve, reject) => {
    // Route changes are queued by the worker's message port until the thread reads them: none is lost.
    const initial = routes.watchRoutes((name, target) => worker.postMessage({ type: 'route', name, target } satisfies ToWorker));
    const setup: WorkerSetup = { ...rest, thread, threads, clientTable, shareFd, logLevel: logger.level, routes: initial, services };
    if (booted) {
      worker = booted.worker;
      const failure = booted.failure();
      if (failure) return reject(failure);
      worker.ref();
      // Before any route message the watcher above may send: the port keeps its messages in order.
      worker.postMessage({ type: 'setup', setup } satisfies ToWorker);
    } else worker = createWorker(module, setup);
    worker.on('message', (message: ToMain) => {
      switch (message.type) {
        case 'listening':
          listenFd = message.fd;
          resolve(message.address);
          break;
        case 'listen-error':
          reject(Object.assign(new Error(message.message), { code: message.code }));
          void worker.terminate();
          break;
        case 'activity':
          routes.noteActivity(message.name, message.server);
          break;
        case 'unreachable':
          routes.noteUnreachable(message.name);
          break;
        case 'log':
          relayLog(logger, message.line);
          break;
        case 'counts':
          lastCounts = message.counts;
          countWaiters.shift()?.(message.counts);
          break;
        case 'load':
          onLoad?.(message.utilization);
          break;
        case 'closed':
          break;
      }
    });
    worker.once('error', (err) => {
      logger.error({ err }, 'the proxy thread failed');
      reject(err);
    });
    worker.once('exit', (code) => reject(new Error(`the proxy thread exited (code ${code}) before it listened`)));
  });

  return ready.then((address) => {
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    worker.on('exit', (code) => {
      if (closing) return;
      onExit(code);
    });
    return {
      address: () => address,
      fd: () => listenFd,
      close(graceMs = 2000) {
        closing = true;
        worker.postMessage({ type: 'close', graceMs } satisfies ToWorker);
        return exited;
      },
      setLimits: (limits) => worker.postMessage({ type: 'limits', limits } satisfies ToWorker),
      setServices: (services) => worker.postMessage({ type: 'services', services } satisfies ToWorker),
      setCertificate: (pair) => worker.postMessage({ type: 'certificate', pair } satisfies ToWorker),
      counts(timeoutMs = 2000) {
        if (closing) return Promise.resolve(lastCounts);
        return new Promise<ProxyCounts | null>((resolve) => {
          const timer = setTimeout(() => resolve(lastCounts), timeoutMs);
          countWaiters.push((counts) => {
            clearTimeout(timer);
            resolve(counts);
          });
          worker.postMessage({ type: 'counts' } satisfies ToWorker);
        });
      },
    };
  });
}

/** Writes a log line of the proxy thread through the hub's logger, so both threads log alike and to one place. */
function relayLog(logger: Logger, line: string): void {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(line) as Record<string, unknown>;
  } catch {
    logger.warn({ line }, 'unreadable log line from the proxy thread');
    return;
  }
  const { level, msg, time: _time, ...fields } = record;
  const method = typeof level === 'string' && level in LEVELS ? (level as keyof typeof LEVELS) : 'info';
  logger[method](fields, typeof msg === 'string' ? msg : '');
}

const LEVELS = { trace: 1, debug: 1, info: 1, warn: 1, error: 1, fatal: 1 };
