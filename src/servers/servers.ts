// The server state machine (stopped → spawning → running → stopping → stopped) and the owner of the `servers`
// table: start/stop, progress events, activity, and reconciling the table with Docker on boot and periodically.

import { and, eq, isNotNull, ne, sql } from 'drizzle-orm';
import type { HubConfig } from '../config/load.js';
import type { Db } from '../db/open.js';
import { servers as serversTable, users as usersTable, type Server, type User } from '../db/schema.js';
import { HttpError } from '../errors.js';
import type { Logger } from '../log.js';
import type { OAuthClientStore } from '../auth/oauth-clients.js';
import { serverClientId } from '../auth/oauth-clients.js';
import type { TokenStore } from '../auth/tokens.js';
import { LABELS } from '../spawner/labels.js';
import { SpawnError, type Spawner } from '../spawner/spawner.js';
import type { UserStore } from '../users/store.js';
import { createActivityBatch } from './activity.js';
import { parseRequestedImage, resolveImage, type ImageChoice } from './image.js';
import { createProgressChannel, failedEvent, readyEvent, type ProgressChannel } from './progress.js';
import { accessScopes, serverPrefix, serverUrl } from './server-env.js';
import { answersHttp } from './http-check.js';
import { spawnSpecFor } from './spawn-spec.js';
import { pageUsers, serverView, type UserPage, type UserPageQuery } from './server-list.js';

export type ServerStatus = 'stopped' | 'spawning' | 'running' | 'stopping';

/** A progress event in JupyterHub's format (GET …/server/progress). */
export interface ProgressEvent {
  progress: number;
  message: string;
  html_message?: string;
  ready?: boolean;
  url?: string;
  failed?: boolean;
}

/** The default server of one user, as the REST API and pages show it. */
export interface ServerView {
  /** '' for the default server. */
  name: string;
  status: ServerStatus;
  ready: boolean;
  pending: 'spawn' | 'stop' | null;
  /** Public URL of the server: <base_url>user/<name>/, on the user's own host with hub.subdomain_host. */
  url: string;
  /** Public path of the progress stream: <base_url>hub/api/users/<name>/server/progress */
  progressUrl: string;
  started: Date | null;
  lastActivity: Date | null;
  userOptions: Record<string, unknown>;
  /** Catalog label the server was (last) started with; null = spawner.image. */
  imageLabel: string | null;
  image: string | null;
  containerId: string | null;
  /** Why the last start failed; cleared by the next start. */
  lastError: string | null;
}

export interface Servers {
  /**
   * Starts the user's default server. Resolves 'started' when it is ready within the slow-spawn window (10 s),
   * 'pending' when it is still starting (or was already). Throws HttpError 400 (image outside the catalog,
   * already running, pending stop), 404 (no such user), 429 with Retry-After (too many starts in flight),
   * 500 (the start failed within the window; the message says why). `waitMs` shortens the window; 0 answers 'pending' at once (pages, which show progress and failures).
   */
  start(userName: string, userOptions?: Record<string, unknown>, options?: { waitMs?: number }): Promise<'started' | 'pending'>;
  /** Stops the server (cancelling a pending start). 'stopped' when done within 10 s, else 'pending'. Stopped already → 'stopped'. */
  stop(userName: string): Promise<'stopped' | 'pending'>;
  /**
   * Progress of the current (or last) start: the events so far, then live ones until ready or failed.
   * Already running → only the ready event; last start failed → only the failed event; otherwise HttpError 400.
   * Ends early when `signal` aborts.
   */
  progress(userName: string, signal?: AbortSignal): AsyncIterable<ProgressEvent>;
  /** Aligns the table with the containers that carry this hub's id (boot, periodic, after noteUnreachable). */
  reconcile(): Promise<void>;
  /** The user's default server, or null when the user does not exist. */
  get(userName: string): ServerView | null;
  /** One page of users with their default servers, filtered and sorted in one query (GET /hub/api/users). */
  page(query: UserPageQuery): UserPage;
  /** Where the proxy sends /user/<name>/ (http://ip:port, no path); null unless running. In memory, kept by this module's transitions. */
  target(userName: string): string | null;
  /** Every route now, then each change as it happens (the proxy thread keeps its own copy of the table). */
  watchRoutes(listener: (userName: string, target: string | null) => void): [string, string][];
  /** Records traffic for the server; cheap, written to the database in batches. */
  noteActivity(userName: string): void;
  /** Moves the server's last activity forward to `at` (activity reported by the server itself); batched too. */
  recordActivity(userName: string, at: Date): void;
  /** The proxy could not connect: check the container soon and mark the server stopped if it is gone. */
  noteUnreachable(userName: string): void;
  /** Starts the periodic container check (after the first reconcile). */
  watch(): void;
  /** Cancels pending starts, flushes activity, stops timers. Running containers are left running. */
  close(): Promise<void>;
}

export interface ServersDeps {
  config: HubConfig;
  db: Db;
  users: UserStore;
  spawner: Spawner;
  tokens: TokenStore;
  oauthClients: OAuthClientStore;
  logger: Logger;
  /** The hub API URL containers use (JUPYTERHUB_API_URL); known once the internal listener is up. */
  hubApiUrl(): string;
  /** Extra environment for a user's container, e.g. GITHUB_TOKEN (auth.github.pass_token). */
  userEnv?(user: User): Record<string, string>;
  timing?: Partial<ServerTiming>;
}

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
const RETRY_AFTER_S = 10;

interface Spawn {
  controller: AbortController;
  progress: ProgressChannel;
  done: Promise<'ready' | 'failed'>;
  error: string | null;
}

export function createServers(deps: ServersDeps): Servers {
  const { config, db, users, spawner, tokens, oauthClients, logger } = deps;
  const timing = { ...DEFAULT_TIMING, ...deps.timing };
  const spawns = new Map<number, Spawn>();
  const stops = new Map<number, Promise<void>>();
  const activity = createActivityBatch(db, timing.activityFlushMs);
  const checks = new Set<number>();
  let reconciling: Promise<void> | null = null;
  /** The first reconcile (boot) also checks over HTTP that re-adopted servers answer. */
  let adopted = false;
  let pollTimer: NodeJS.Timeout | null = null;
  let closed = false;

  // The proxy asks for a target on every request, so routable targets live in memory (STYLE: no DB work on the
  // proxy path). They are loaded from the table here and changed only in update(), the one writer of a server's
  // status and URL, so the route table stays derived from this module's state and cannot drift from it.
  const routes = new Map<string, string>();
  const routeListeners: ((userName: string, target: string | null) => void)[] = [];
  const routable = db
    .select({ name: usersTable.name, url: serversTable.url })
    .from(serversTable)
    .innerJoin(usersTable, eq(usersTable.id, serversTable.userId))
    .where(and(eq(serversTable.name, ''), eq(serversTable.status, 'running'), isNotNull(serversTable.url)))
    .all();
  for (const { name, url } of routable) routes.set(name, url!);
  const rowQuery = db
    .select()
    .from(serversTable)
    .where(and(eq(serversTable.userId, sql.placeholder('userId')), eq(serversTable.name, '')))
    .prepare();

  const rowOf = (userId: number): Server | null => rowQuery.get({ userId }) ?? null;
  const requireUser = (name: string): User => {
    const user = users.get(name);
    if (!user) throw new HttpError(404, `No such user: ${name}`);
    return user;
  };
  const ensureRow = (userId: number): Server => {
    db.insert(serversTable).values({ userId, name: '' }).onConflictDoNothing().run();
    return rowOf(userId) as Server;
  };
  const update = (id: number, fields: Partial<Server>): Server => {
    const row = db.update(serversTable).set(fields).where(eq(serversTable.id, id)).returning().get() as Server | undefined;
    if (row === undefined) return undefined as unknown as Server; // the user (and the row with it) was deleted meanwhile
    if ('status' in fields || 'url' in fields) {
      const name = users.getById(row.userId)?.name;
      if (name !== undefined) {
        const target = row.status === 'running' && row.url ? row.url : null;
        if (target !== null) routes.set(name, target);
        else routes.delete(name);
        for (const listener of routeListeners) listener(name, target);
      }
    }
    return row;
  };

  function revokeCredentials(server: Server, userName: string): void {
    oauthClients.remove(serverClientId(userName));
    tokens.revokeWhere({ serverId: server.id });
  }

  /** The one way to "not running": clears the container and URL, revokes the server's credentials. */
  function markStopped(server: Server, userName: string, lastError: string | null): void {
    revokeCredentials(server, userName);
    update(server.id, { status: 'stopped', containerId: null, containerName: null, url: null, lastError });
  }

  async function runSpawn(user: User, server: Server, image: ImageChoice, spawn: Spawn): Promise<'ready' | 'failed'> {
    const startTimeout = AbortSignal.timeout(config.spawner.start_timeout * 1000);
    const broken = new AbortController();
    const signal = AbortSignal.any([spawn.controller.signal, startTimeout, broken.signal]);
    spawn.progress.emit({ progress: 0, message: 'Server requested' });
    try {
      const prefix = serverPrefix(config, user.name);
      const url = serverUrl(config, user.name);
      const clientId = serverClientId(user.name);
      const { token } = tokens.issue({
        userId: user.id,
        serverId: server.id,
        note: `Server at ${prefix}`,
        scopes: [`access:servers!server=${user.name}/`, `users:activity!user=${user.name}`],
      });
      const starting = spawner.start(
        spawnSpecFor(config, user, image, { apiToken: token, clientId, hubApiUrl: deps.hubApiUrl(), extra: deps.userEnv?.(user) }),
        (event) => spawn.progress.emit(event),
        signal,
      );
      // The client is used only once the server is ready and a browser signs in, so it is registered after the
      // spawner has begun (its secret is hashed once, as generated tokens are: no CPU worth overlapping).
      try {
        oauthClients.register({
          identifier: clientId,
          secret: token,
          redirectUri: `${url}oauth_callback`,
          description: `Server at ${prefix}`,
          allowedScopes: [accessScopes(user.name)[0]],
          serverId: server.id,
        });
      } catch (err) {
        broken.abort(err);
        await starting.catch(() => undefined);
        throw err;
      }
      const started = await starting;
      if (signal.aborted) {
        await spawner.stop(started.containerId);
        signal.throwIfAborted();
      }
      update(server.id, { status: 'running', containerId: started.containerId, containerName: started.containerName, url: started.url });
      logger.info({ user: user.name, container: started.containerName, image: image.image }, 'server ready');
      spawn.progress.emit(readyEvent(url));
      return 'ready';
    } catch (err) {
      const cancelled = spawn.controller.signal.aborted;
      const reason = cancelled
        ? null
        : startTimeout.aborted
          ? `The server did not start within spawner.start_timeout (${config.spawner.start_timeout} s)`
          : err instanceof SpawnError
            ? err.message
            : `Unexpected error while starting: ${(err as Error).message} (see the hub log)`;
      if (cancelled) logger.info({ user: user.name }, 'start cancelled');
      else if (err instanceof SpawnError || startTimeout.aborted) logger.warn({ user: user.name, reason }, 'start failed');
      else logger.error({ user: user.name, err }, 'start failed unexpectedly');
      markStopped(server, user.name, reason);
      spawn.error = reason ?? 'Spawn cancelled';
      spawn.progress.emit(failedEvent(reason));
      return 'failed';
    } finally {
      spawns.delete(user.id);
    }
  }

  async function stopContainer(user: User, server: Server): Promise<void> {
    try {
      if (server.containerId) await spawner.stop(server.containerId);
      markStopped(server, user.name, null);
      logger.info({ user: user.name }, 'server stopped');
    } catch (err) {
      // The row stays "stopping"; the next reconcile retries.
      logger.error({ user: user.name, err }, 'stopping the container failed');
    } finally {
      stops.delete(user.id);
    }
  }

  /** Marks a running server stopped when its container is gone or dead; removes a dead one. */
  async function check(userId: number): Promise<void> {
    if (checks.has(userId) || spawns.has(userId) || stops.has(userId)) return;
    checks.add(userId);
    try {
      const server = rowOf(userId);
      const user = users.getById(userId);
      if (!server || !user || server.status !== 'running' || !server.containerId) return;
      const state = await spawner.poll(server.containerId);
      if (state.running) {
        if (state.url && state.url !== server.url) update(server.id, { url: state.url });
        return;
      }
      if (!state.gone) await spawner.stop(server.containerId);
      const reason = state.gone ? 'The container was removed outside the hub' : `The server stopped: ${state.error}`;
      logger.warn({ user: user.name, reason }, 'server found not running');
      markStopped(server, user.name, reason);
    } catch (err) {
      logger.error({ err, userId }, 'checking a server failed');
    } finally {
      checks.delete(userId);
    }
  }

  async function dropIfSilent(server: Server, user: User): Promise<void> {
    const path = `${serverPrefix(config, user.name)}api`;
    if (!server.url || (await answersHttp(server.url + path, config.spawner.http_timeout * 1000))) return;
    const now = rowOf(server.userId);
    // Stopped, restarted or already checked while we waited: that newer state wins.
    if (inFlight(server.userId) || now?.status !== 'running' || now.containerId !== server.containerId) return;
    const reason = `The server did not answer HTTP at ${path} within spawner.http_timeout (${config.spawner.http_timeout} s) after the hub restarted`;
    logger.warn({ user: user.name, reason }, 'server found not answering');
    try {
      if (now.containerId) await spawner.stop(now.containerId);
      markStopped(now, user.name, reason);
    } catch (err) {
      logger.error({ user: user.name, err }, 'stopping a server that does not answer failed');
    }
  }

  const inFlight = (userId: number) => spawns.has(userId) || stops.has(userId) || checks.has(userId);

  async function reconcileOnce(): Promise<void> {
    // A start or stop in flight while Docker is listed may finish before the table is read: leave its user alone.
    const busyAtList = new Set([...spawns.keys(), ...stops.keys()]);
    const busy = (userId: number) => busyAtList.has(userId) || spawns.has(userId) || stops.has(userId);
    const containers = await spawner.list();
    const byId = new Map(containers.map((c) => [c.containerId, c]));
    const rows = db.select().from(serversTable).where(ne(serversTable.status, 'stopped')).all();
    const readopted: { server: Server; user: User }[] = [];
    for (const server of rows) {
      if (busy(server.userId)) continue;
      const user = users.getById(server.userId);
      if (!user) continue;
      const container = server.containerId ? byId.get(server.containerId) : undefined;
      if (server.status === 'running') {
        if (container?.running) {
          if (container.url && container.url !== server.url) update(server.id, { url: container.url });
          if (!adopted) readopted.push({ server: rowOf(server.userId) ?? server, user });
        } else {
          await check(server.userId);
        }
        continue;
      }
      // "spawning" or "stopping" with nothing in flight: the hub stopped in the middle of it.
      if (container) await spawner.stop(container.containerId);
      const reason = server.status === 'spawning' ? 'The hub restarted during the start; start the server again' : null;
      if (reason) logger.warn({ user: user.name, reason }, 'server found not running');
      markStopped(server, user.name, reason);
    }
    // JupyterHub's check after a restart: a re-adopted server must answer HTTP within http_timeout, or it is stopped.
    // Start-up waits for these checks at most adoptWaitMs; the servers stay routed while theirs go on.
    const checked = Promise.all(readopted.map(({ server, user }) => dropIfSilent(server, user))).catch((err) => {
      logger.error({ err }, 'checking re-adopted servers failed');
    });
    let waited: NodeJS.Timeout | undefined;
    await Promise.race([checked, new Promise<void>((resolve) => (waited = setTimeout(resolve, timing.adoptWaitMs)))]);
    clearTimeout(waited);
    adopted = true;
    // This hub's containers that no server claims (e.g. the hub died between creating one and recording it).
    const claimed = new Set(
      db.select({ containerId: serversTable.containerId }).from(serversTable).where(isNotNull(serversTable.containerId)).all()
        .map((r) => r.containerId),
    );
    for (const container of containers) {
      if (claimed.has(container.containerId)) continue;
      const owner = users.get(container.labels[LABELS.user] ?? '');
      if (owner && busy(owner.id)) continue;
      logger.info({ container: container.containerName }, 'removing a container no server claims');
      await spawner.stop(container.containerId);
    }
  }

  const servers: Servers = {
    async start(userName, userOptions = {}, options = {}) {
      if (closed) throw new HttpError(503, 'The hub is shutting down');
      const user = requireUser(userName);
      const requested = parseRequestedImage(config, userOptions);
      let server = ensureRow(user.id);
      if (spawns.has(user.id)) return 'pending';
      if (server.status === 'stopping' || stops.has(user.id)) {
        throw new HttpError(400, `${userName}'s server is pending stop; start it again once it has stopped`);
      }
      if (server.status === 'running') {
        await check(user.id);
        server = rowOf(user.id) as Server;
        if (server.status === 'running') throw new HttpError(400, `${userName}'s server is already running`);
      }
      if (spawns.has(user.id)) return 'pending';
      if (spawns.size >= config.spawner.concurrent_spawn_limit) {
        throw new HttpError(429, `Too many servers are starting (spawner.concurrent_spawn_limit = ${config.spawner.concurrent_spawn_limit}); try again in a few seconds`, {
          headers: { 'Retry-After': String(RETRY_AFTER_S) },
        });
      }
      const choice = resolveImage(config, user, requested);
      if (requested !== undefined) users.update(user.name, { userImage: requested });
      server = update(server.id, {
        status: 'spawning',
        image: choice.image,
        imageLabel: choice.label,
        userOptions: requested === undefined ? {} : { image: requested },
        started: new Date(),
        lastActivity: new Date(),
        lastError: null,
        containerId: null,
        containerName: null,
        url: null,
      });
      const spawn: Spawn = { controller: new AbortController(), progress: createProgressChannel(), done: Promise.resolve('failed'), error: null };
      spawns.set(user.id, spawn);
      logger.info({ user: userName, image: choice.image, source: choice.source }, 'starting server');
      spawn.done = runSpawn(user, server, choice, spawn);
      // No window at all: a start that fails within a millisecond must still be reported on the pending page,
      // not race a 0 ms timer into a 500.
      if (options.waitMs === 0) return 'pending';
      const outcome = await raceTimeout(spawn.done, options.waitMs ?? timing.slowSpawnMs);
      if (outcome === 'ready') return 'started';
      if (outcome === 'failed') throw new HttpError(500, `Spawn failed: ${spawn.error}`);
      return 'pending';
    },

    async stop(userName) {
      const user = requireUser(userName);
      const spawn = spawns.get(user.id);
      if (spawn) {
        spawn.controller.abort(new Error('stop requested'));
        return (await raceTimeout(spawn.done, timing.slowStopMs)) === undefined ? 'pending' : 'stopped';
      }
      const pending = stops.get(user.id);
      if (pending) return (await raceTimeout(pending.then(() => true), timing.slowStopMs)) ? 'stopped' : 'pending';
      const server = rowOf(user.id);
      if (!server || server.status === 'stopped') return 'stopped';
      update(server.id, { status: 'stopping' });
      const stopping = stopContainer(user, server);
      stops.set(user.id, stopping);
      return (await raceTimeout(stopping.then(() => true), timing.slowStopMs)) ? 'stopped' : 'pending';
    },

    progress(userName, signal) {
      const user = requireUser(userName);
      const spawn = spawns.get(user.id);
      if (spawn) return spawn.progress.follow(signal);
      const server = rowOf(user.id);
      const only = server?.status === 'running' ? readyEvent(serverUrl(config, userName))
        : server?.status === 'stopped' && server.lastError ? failedEvent(server.lastError)
        : null;
      if (!only) throw new HttpError(400, `${userName}'s server is not starting`);
      return (async function* () {
        yield only;
      })();
    },

    reconcile() {
      reconciling ??= reconcileOnce().finally(() => {
        reconciling = null;
      });
      return reconciling;
    },

    get(userName) {
      const user = users.get(userName);
      if (!user) return null;
      return serverView(config, userName, rowOf(user.id));
    },

    page: (query) => pageUsers(db, config, query),

    target: (userName) => routes.get(userName) ?? null,

    watchRoutes(listener) {
      routeListeners.push(listener);
      return [...routes];
    },

    noteActivity(userName) {
      activity.note(userName, Date.now());
    },

    recordActivity(userName, at) {
      activity.note(userName, at.getTime());
    },

    noteUnreachable(userName) {
      const user = users.get(userName);
      if (user) void check(user.id);
    },

    watch() {
      if (pollTimer || closed) return;
      pollTimer = setInterval(() => {
        servers.reconcile().catch((err) => logger.error({ err }, 'periodic server check failed'));
      }, timing.pollIntervalMs);
      pollTimer.unref();
    },

    async close() {
      if (closed) return;
      closed = true;
      if (pollTimer) clearInterval(pollTimer);
      for (const spawn of spawns.values()) spawn.controller.abort(new Error('hub stopping'));
      await Promise.allSettled([...[...spawns.values()].map((s) => s.done), ...stops.values(), reconciling]);
      activity.close();
    },
  };
  return servers;
}

async function raceTimeout<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
