// Servers, assembled from their parts: the state machine (state-machine.ts), reconcile (reconcile.ts), the route
// table (route-table.ts, written with the rows by server-rows.ts), the read model (server-list.ts) and activity
// (activity.ts) and the idle culler (culler.ts). This module only wires them and runs the periodic check; each job
// lives in its own file.
import type { Db } from '../db/open.js';
import type { HubConfig } from '../config/load.js';
import { createActivityBatch, type ActivityNotes } from './activity.js';
import { createCuller } from './culler.js';
import { fetchServerWork, type FetchServerWork } from './server-work.js';
import { createReconciler } from './reconcile.js';
import type { RouteReader } from './route-table.js';
import { createServerReads, type ServerReads } from './server-list.js';
import { createServerRows } from './server-rows.js';
import { createServerMachine, type MachineDeps, type ServerMachine } from './state-machine.js';

export type { ProgressEvent } from './progress.js';
export type { ServerStatus, ServerView } from './server-list.js';
export type { ServerMachine } from './state-machine.js';
export type { RunningServer, ServerReads } from './server-list.js';
export type { RouteReader } from './route-table.js';
export type { ActivityNotes } from './activity.js';

export interface ServersLifecycle {
  /** Aligns the table with the containers that carry this hub's id (boot, periodic, after noteUnreachable). */
  reconcile(): Promise<void>;
  /** Stops every server that is not stopped, default and named (POST /hub/api/shutdown with servers); stops still under way when this resolves finish in close(). */
  stopAll(): Promise<void>;
  /** Starts the periodic container check (after the first reconcile) and the culler's timer. */
  watch(): void;
  /** One pass of the idle culler now (it also runs every culler.cull_every once watching); nothing while culler.timeout is unset. */
  cull(): Promise<void>;
  /** Cancels pending starts, flushes activity, stops timers. Running containers are left running. */
  close(): Promise<void>;
}

/** Everything the hub asks of its servers; consumers take the part they use (e.g. the proxy a RouteReader). */
export type Servers = ServerMachine & ServerReads & RouteReader & ActivityNotes & ServersLifecycle;

/** What the state machine needs, but the database instead of its rows (built here) and timings instead of windows. */
export type ServersDeps = Omit<MachineDeps, 'rows' | 'slowSpawnMs' | 'slowStopMs' | 'config'> & {
  config: MachineDeps['config'] & Pick<HubConfig, 'culler'>;
  db: Db;
  /** How the culler asks a server about its kernels (default: over HTTP, server-work.ts). */
  fetchWork?: FetchServerWork;
  timing?: Partial<ServerTiming>;
  /** Told how long each reconcile pass took (metrics); `first` for the one at boot. */
  onReconciled?(first: boolean, seconds: number): void;
};

export interface ServerTiming {
  /** How long start() waits before answering 'pending' (JupyterHub's slow_spawn_timeout). */
  slowSpawnMs: number;
  /** How long stop() waits before answering 'pending' (slow_stop_timeout). */
  slowStopMs: number;
  /** How often running servers' containers are checked (JupyterHub's poll_interval). */
  pollIntervalMs: number;
  /** How often noted activity is written to the database. */
  activityFlushMs: number;
  /**
   * How long the first reconcile waits for re-adopted servers to answer HTTP before the hub serves (JupyterHub's
   * init_spawners_timeout); slower checks go on in the background and stop the servers that never answer.
   */
  adoptWaitMs: number;
}

const DEFAULT_TIMING: ServerTiming = { slowSpawnMs: 10_000, slowStopMs: 10_000, pollIntervalMs: 30_000, activityFlushMs: 10_000, adoptWaitMs: 10_000 };

export function createServers(deps: ServersDeps): Servers {
  const { config, db, users, spawner, logger, clock } = deps;
  const timing = { ...DEFAULT_TIMING, ...deps.timing };
  const rows = createServerRows(db, users);
  const machine = createServerMachine({ ...deps, rows, slowSpawnMs: timing.slowSpawnMs, slowStopMs: timing.slowStopMs });
  const reconciler = createReconciler({ config, rows, users, spawner, machine, logger, adoptWaitMs: timing.adoptWaitMs });
  const reads = createServerReads(db, config, users, rows);
  const activity = createActivityBatch(db, timing.activityFlushMs);
  const culler = createCuller({
    config, rows, users, machine, activity, tokens: deps.tokens, clock, logger, fetchWork: deps.fetchWork ?? fetchServerWork,
  });
  let pollTimer: NodeJS.Timeout | null = null;
  let reconciling: Promise<void> | null = null;
  let closed = false;

  const servers: Servers = {
    start: machine.start,
    stop: machine.stop,
    progress: machine.progress,
    noteUnreachable: machine.noteUnreachable,
    get: reads.get,
    named: reads.named,
    page: reads.page,
    running: reads.running,
    target: rows.routes.target,
    watchRoutes: rows.routes.watchRoutes,
    noteActivity: (userName, serverName = '') => activity.note(userName, clock.now(), serverName),
    recordActivity: (userName, at, serverName) => activity.note(userName, at.getTime(), serverName),
    reconcile() {
      const began = performance.now();
      const pass = reconciler.reconcile();
      if (pass !== reconciling) {
        // A new pass, not one joined while it runs: measured once.
        const first = reconciling === null;
        void pass.then(() => deps.onReconciled?.(first, (performance.now() - began) / 1000), () => undefined);
      }
      reconciling = pass;
      return reconciling;
    },
    async stopAll() {
      const stops = rows.notStopped().map((row) => {
        const user = users.getById(row.userId);
        return user ? machine.stop(user.name, { server: row.name }) : null;
      });
      await Promise.allSettled(stops);
    },
    watch() {
      if (pollTimer || closed) return;
      pollTimer = setInterval(() => {
        servers.reconcile().catch((err) => logger.error({ err }, 'periodic server check failed'));
      }, timing.pollIntervalMs);
      pollTimer.unref();
      culler.start();
    },
    cull: () => culler.cull(),
    async close() {
      if (closed) return;
      closed = true;
      if (pollTimer) clearInterval(pollTimer);
      await culler.close();
      await Promise.allSettled([machine.close(), reconciling]);
      activity.close();
    },
  };
  return servers;
}
