// What /hub/metrics shows: JupyterHub's metrics (jupyterhub/metrics.py, 5.x: names, label sets, buckets) where Berth
// has the same thing to measure, and the proxy thread's counters as berth_proxy_*. One registry per hub (tests build
// many hubs in one process), filled by observe…() calls and, for gauges and the proxy, read when scraped.
import { createRequire } from 'node:module';
import type * as PromClient from 'prom-client';
import type { ProxyCounts } from '../proxy/counters.js';
import { STATUS_CLASSES } from '../proxy/counters.js';

/** What the gauges read at each scrape. */
export interface MetricSources {
  totalUsers(): number;
  /** Users active at or after each cutoff. */
  activeUsers(cutoffs: readonly Date[]): number[];
  runningServers(): number;
  /** The proxy thread's counters now; null before the proxy listens. */
  proxyCounts(): Promise<ProxyCounts | null>;
  /** Proxy threads serving the public port now (0 before the proxy listens). */
  proxyThreads(): number;
  now(): number;
}

export type SpawnStatus = 'success' | 'failure' | 'throttled' | 'too-many-users';
export type StopStatus = 'success' | 'failure';

export interface HubMetrics {
  /** Prometheus text exposition format (version 0.0.4). */
  render(): Promise<string>;
  readonly contentType: string;
  observeRequest(method: string, handler: string, code: number, seconds: number): void;
  observeSpawn(status: SpawnStatus, seconds: number): void;
  observeStop(status: StopStatus, seconds: number): void;
  observePoll(running: boolean, seconds: number): void;
  /** One pass of reconcile: the first one is JupyterHub's init_spawners, the later ones its check_routes. */
  observeReconcile(first: boolean, seconds: number): void;
  observeStartup(seconds: number): void;
}

// The four classes from their own files: prom-client's index also loads its Summary, Pushgateway (node:http and
// node:https), cluster aggregator and default process metrics, none of which the hub uses, 1.3 MB of the main
// thread's heap. test/api/metrics.test.ts and test/metrics-and-usage.test.ts read the exposition, so a prom-client that moved them fails there.
const require = createRequire(import.meta.url);
const Counter = require('prom-client/lib/counter') as typeof PromClient.Counter;
const Gauge = require('prom-client/lib/gauge') as typeof PromClient.Gauge;
const Histogram = require('prom-client/lib/histogram') as typeof PromClient.Histogram;
const Registry = require('prom-client/lib/registry') as typeof PromClient.Registry;

// JupyterHub's buckets: prometheus_client's defaults for requests and stops, its own for spawns.
const DEFAULT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];
const SPAWN_BUCKETS = [0.5, 1, 2.5, 5, 10, 15, 30, 60, 120, 180, 300, 600];
const ACTIVE_PERIODS = [['24h', 1], ['7d', 7], ['30d', 30]] as const;
const DAY_MS = 86_400_000;

export function createHubMetrics(sources: MetricSources): HubMetrics {
  const registry = new Registry();
  const registers = [registry];

  const requests = new Histogram({
    name: 'jupyterhub_request_duration_seconds', help: 'Request duration for all HTTP requests',
    labelNames: ['method', 'handler', 'code'] as const, buckets: DEFAULT_BUCKETS, registers,
  });
  const spawns = new Histogram({
    name: 'jupyterhub_server_spawn_duration_seconds', help: 'Time taken for server spawning operation',
    labelNames: ['status'] as const, buckets: SPAWN_BUCKETS, registers,
  });
  const stops = new Histogram({
    name: 'jupyterhub_server_stop_seconds', help: 'Time taken for server stopping operation',
    labelNames: ['status'] as const, buckets: DEFAULT_BUCKETS, registers,
  });
  const polls = new Histogram({
    name: 'jupyterhub_server_poll_duration_seconds', help: 'Time taken to poll if server is running',
    labelNames: ['status'] as const, buckets: DEFAULT_BUCKETS, registers,
  });
  const checkRoutes = new Histogram({
    name: 'jupyterhub_check_routes_duration_seconds', help: 'Time taken to validate all routes in proxy', buckets: DEFAULT_BUCKETS, registers,
  });
  const initSpawners = new Histogram({
    name: 'jupyterhub_init_spawners_duration_seconds', help: 'Time taken for spawners to initialize', buckets: DEFAULT_BUCKETS, registers,
  });
  const startup = new Histogram({
    name: 'jupyterhub_hub_startup_duration_seconds', help: 'Time taken for Hub to start', buckets: DEFAULT_BUCKETS, registers,
  });
  // As JupyterHub does, every status exists from the start, so dashboards and alerts see zeros rather than nothing.
  for (const status of ['success', 'failure', 'throttled', 'too-many-users'] satisfies SpawnStatus[]) spawns.zero({ status });
  for (const status of ['success', 'failure']) stops.zero({ status });
  for (const status of ['running', 'stopped']) polls.zero({ status });

  new Gauge({
    name: 'jupyterhub_total_users', help: 'Total number of users', registers,
    collect() {
      this.set(sources.totalUsers());
    },
  });
  new Gauge({
    name: 'jupyterhub_running_servers', help: 'The number of user servers currently running', registers,
    collect() {
      this.set(sources.runningServers());
    },
  });
  new Gauge({
    name: 'jupyterhub_active_users', help: 'Number of users who were active in the given time period', labelNames: ['period'] as const, registers,
    collect() {
      const now = sources.now();
      const counts = sources.activeUsers(ACTIVE_PERIODS.map(([, days]) => new Date(now - days * DAY_MS)));
      ACTIVE_PERIODS.forEach(([period], i) => this.set({ period }, counts[i] ?? 0));
    },
  });

  // The proxy's counters are the thread's own: read once per scrape, then each metric copies its part.
  let proxyNow: ProxyCounts | null = null;
  const proxyCounter = (name: string, help: string, read: (c: ProxyCounts) => number) =>
    new Counter({
      name, help, registers,
      collect() {
        if (proxyNow === null) return;
        this.reset();
        this.inc(read(proxyNow));
      },
    });
  new Counter({
    name: 'berth_proxy_requests_total', help: 'Answers the public port wrote to clients, by status class (a completed WebSocket upgrade is 1xx)',
    labelNames: ['code'] as const, registers,
    collect() {
      if (proxyNow === null) return;
      this.reset();
      for (const code of STATUS_CLASSES) this.inc({ code }, proxyNow.requests[code]);
    },
  });
  proxyCounter('berth_proxy_received_bytes_total', 'Bytes read from clients on the public port', (c) => c.bytesIn);
  proxyCounter('berth_proxy_sent_bytes_total', 'Bytes written to clients on the public port', (c) => c.bytesOut);
  proxyCounter('berth_proxy_backend_errors_total', 'Requests a server or the hub app did not answer usably (the proxy answered 502/503 or cut the response short)', (c) => c.backendErrors);
  proxyCounter('berth_proxy_websocket_upgrades_total', 'WebSocket upgrades a server accepted', (c) => c.websocketUpgrades);
  new Gauge({
    name: 'berth_proxy_open_connections', help: 'Client connections open on the public port', registers,
    collect() {
      if (proxyNow !== null) this.set(proxyNow.openConnections);
    },
  });
  new Gauge({
    name: 'berth_proxy_threads', help: 'Proxy threads serving the public port (more start as load needs them, up to hub.proxy_threads)', registers,
    collect() {
      this.set(sources.proxyThreads());
    },
  });

  return {
    contentType: registry.contentType,
    async render() {
      proxyNow = await sources.proxyCounts();
      return registry.metrics();
    },
    observeRequest: (method, handler, code, seconds) => requests.observe({ method, handler, code }, seconds),
    observeSpawn: (status, seconds) => spawns.observe({ status }, seconds),
    observeStop: (status, seconds) => stops.observe({ status }, seconds),
    observePoll: (running, seconds) => polls.observe({ status: running ? 'running' : 'stopped' }, seconds),
    observeReconcile: (first, seconds) => (first ? initSpawners : checkRoutes).observe(seconds),
    observeStartup: (seconds) => startup.observe(seconds),
  };
}
