// The server state machine (stopped → spawning → running → stopping → stopped), keyed by (user, server name), with
// at most ONE operation in flight per server — a spawn, a stop or a check — so "is something under way for this
// server?" has one answer: ops.get(key). Rows are written through server-rows.ts (which keeps the routes).
import type { HubConfig } from '../config/load.js';
import type { Clock } from '../clock.js';
import type { Server, User } from '../db/schema.js';
import { HttpError } from '../errors.js';
import type { Logger } from '../log.js';
import type { OAuthClientStore } from '../auth/oauth-clients.js';
import { serverClientId } from '../auth/oauth-clients.js';
import type { TokenStore } from '../auth/tokens.js';
import { SpawnError, type Spawner } from '../spawner/spawner.js';
import type { UserStore } from '../users/store.js';
import type { Membership } from '../groups/membership.js';
import { parseRequestedImage, resolveImage, type ImageChoice } from './image.js';
import { createProgressChannel, failedEvent, readyEvent, type ProgressChannel, type ProgressEvent } from './progress.js';
import { accessScopes, serverPrefix, serverUrl } from './server-env.js';
import type { ServerRows } from './server-rows.js';
import { spawnSpecFor } from './spawn-spec.js';
import { admitServer, DEFAULT_SERVER } from './server-names.js';
import { admitActiveServer } from './active-server-limit.js';
import { admitSpawn } from './concurrent-spawn-limit.js';

/** Which of a user's servers a call is about: `server` is '' (the default server, when omitted) or a named server's name. */
export interface ServerChoice {
  server?: string;
}

export interface ServerMachine {
  /**
   * Starts one of the user's servers (`options.server`, default ''). A named server is created by its first start,
   * within the named-server rules (server-names.ts: on/off, the name, the per-user limit; 400 otherwise).
   * Resolves 'started' when it is ready within the slow-spawn window (10 s), 'pending' when it is still starting
   * (or was already). Throws HttpError 400 (image outside the catalog,
   * already running, pending stop), 404 (no such user), 429 with Retry-After (too many starts in flight), 429
   * (spawner.active_server_limit servers already active: active-server-limit.ts),
   * 500 (the start failed within the window; the message says why). `waitMs` shortens the window; 0 answers 'pending' at once (pages, which show progress and failures).
   */
  start(userName: string, userOptions?: Record<string, unknown>, options?: { waitMs?: number } & ServerChoice): Promise<'started' | 'pending'>;
  /**
   * Stops the server (cancelling a pending start). 'stopped' when done within 10 s, else 'pending'. Stopped already → 'stopped'.
   * `remove` (named servers only) then deletes the server's record once it has stopped, as JupyterHub's
   * `{"remove": true}`; its volumes are kept. 404 for a named server the user does not have.
   */
  stop(userName: string, options?: ServerChoice & { remove?: boolean }): Promise<'stopped' | 'pending'>;
  /**
   * Progress of the current (or last) start: the events so far, then live ones until ready or failed.
   * Already running → only the ready event; last start failed → only the failed event; otherwise HttpError 400.
   * Ends early when `signal` aborts.
   */
  progress(userName: string, signal?: AbortSignal, serverName?: string): AsyncIterable<ProgressEvent>;
  /** The proxy could not connect to a server of this user: check their running containers soon and mark the gone ones stopped. */
  noteUnreachable(userName: string): void;
}

/** What reconcile needs beyond the public surface: the operations it may run, and whether one is under way. */
export interface MachineInternals extends ServerMachine {
  /** An operation is in flight for this server. */
  busy(userId: number, serverName: string): boolean;
  /** Servers with an operation in flight now. */
  busyKeys(): Set<string>;
  /** Checks a running server's container (marks it stopped when it is gone or dead); joins a check already under way. */
  check(userId: number, serverName: string): Promise<void>;
  /**
   * Stops a server whose row no operation owns (reconcile: left spawning or stopping by a hub that stopped, or
   * re-adopted but silent), recording `reason`; nothing happens when an operation is in flight or the row changed.
   * True when it stopped the server.
   */
  settle(row: Server, user: User, reason: string | null, stopContainer: string | null): Promise<boolean>;
  /** Cancels pending starts and waits for every operation. */
  close(): Promise<void>;
}

export interface MachineDeps {
  config: Pick<HubConfig, 'hub' | 'spawner' | 'users' | 'urls'>;
  rows: ServerRows;
  users: UserStore;
  spawner: Spawner;
  tokens: TokenStore;
  oauthClients: OAuthClientStore;
  logger: Logger;
  clock: Clock;
  /** The hub API URL containers use (JUPYTERHUB_API_URL); known once the internal listener is up. */
  hubApiUrl(): string;
  /** The groups a user is in (groups/membership.ts), for catalog entries limited to groups. */
  memberOf: Membership;
  /** Extra environment for a user's container, e.g. GITHUB_TOKEN (auth.github.pass_token). */
  userEnv?(user: User): Record<string, string>;
  /** How long start() and stop() wait before answering 'pending' (JupyterHub's slow_spawn_timeout, slow_stop_timeout). */
  slowSpawnMs: number;
  slowStopMs: number;
}

type Operation =
  | { kind: 'spawn'; done: Promise<'ready' | 'failed'>; controller: AbortController; progress: ProgressChannel; error: string | null }
  | { kind: 'stop'; done: Promise<void> }
  | { kind: 'check'; done: Promise<void> };

export const serverKey = (userId: number, serverName: string): string => `${userId}/${serverName}`;

export function createServerMachine(deps: MachineDeps): MachineInternals {
  const { config, rows, users, spawner, tokens, oauthClients, logger, clock } = deps;
  const ops = new Map<string, Operation>();
  let closed = false;
  let spawning = 0;

  const requireUser = (name: string): User => {
    const user = users.get(name);
    if (!user) throw new HttpError(404, `No such user: ${name}`);
    return user;
  };

  /** Registers `op` as the server's one operation until its promise settles. */
  function begin<T extends Operation>(key: string, op: T): T {
    ops.set(key, op);
    if (op.kind === 'spawn') spawning++;
    const finish = () => {
      if (ops.get(key) === op) ops.delete(key);
      if (op.kind === 'spawn') spawning--;
    };
    (op.done as Promise<unknown>).then(finish, finish);
    return op;
  }

  /** The one way to "not running": clears the container and URL, revokes the server's credentials. */
  function markStopped(server: Server, userName: string, lastError: string | null): void {
    oauthClients.remove(serverClientId(userName, server.name));
    tokens.revokeWhere({ serverId: server.id });
    rows.update(server.id, { status: 'stopped', containerId: null, containerName: null, url: null, lastError });
  }

  async function runSpawn(user: User, server: Server, image: ImageChoice, spawn: Extract<Operation, { kind: 'spawn' }>): Promise<'ready' | 'failed'> {
    const startTimeout = AbortSignal.timeout(config.spawner.start_timeout * 1000);
    const broken = new AbortController();
    const signal = AbortSignal.any([spawn.controller.signal, startTimeout, broken.signal]);
    spawn.progress.emit({ progress: 0, message: 'Server requested' });
    try {
      const prefix = serverPrefix(config, user.name, server.name);
      const url = serverUrl(config, user.name, server.name);
      const clientId = serverClientId(user.name, server.name);
      const access = accessScopes(user.name, server.name)[0];
      const { token } = tokens.issue({
        userId: user.id,
        serverId: server.id,
        note: `Server at ${prefix}`,
        scopes: [access, `users:activity!user=${user.name}`],
      });
      const starting = spawner.start(
        spawnSpecFor(config, user, server.name, image, { apiToken: token, clientId, hubApiUrl: deps.hubApiUrl(), extra: deps.userEnv?.(user) }),
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
          allowedScopes: [access],
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
      // Ready now: a slow start (a pull, a big image) is not idle time for the culler.
      rows.update(server.id, {
        status: 'running', containerId: started.containerId, containerName: started.containerName, url: started.url, lastActivity: new Date(clock.now()),
      });
      logger.info({ user: user.name, server: server.name, container: started.containerName, image: image.image }, 'server ready');
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
      if (cancelled) logger.info({ user: user.name, server: server.name }, 'start cancelled');
      else if (err instanceof SpawnError || startTimeout.aborted) logger.warn({ user: user.name, server: server.name, reason }, 'start failed');
      else logger.error({ user: user.name, server: server.name, err }, 'start failed unexpectedly');
      markStopped(server, user.name, reason);
      spawn.error = reason ?? 'Spawn cancelled';
      spawn.progress.emit(failedEvent(reason));
      return 'failed';
    }
  }

  async function stopContainer(user: User, server: Server): Promise<void> {
    try {
      if (server.containerId) await spawner.stop(server.containerId);
      markStopped(server, user.name, null);
      logger.info({ user: user.name, server: server.name }, 'server stopped');
    } catch (err) {
      // The row stays "stopping"; the next reconcile retries.
      logger.error({ user: user.name, err }, 'stopping the container failed');
    }
  }

  async function runCheck(userId: number, serverName: string): Promise<void> {
    try {
      const server = rows.get(userId, serverName);
      const user = users.getById(userId);
      if (!server || !user || server.status !== 'running' || !server.containerId) return;
      const state = await spawner.poll(server.containerId);
      if (state.running) {
        if (state.url && state.url !== server.url) rows.update(server.id, { url: state.url });
        return;
      }
      if (!state.gone) await spawner.stop(server.containerId);
      const reason = state.gone ? 'The container was removed outside the hub' : `The server stopped: ${state.error}`;
      logger.warn({ user: user.name, reason }, 'server found not running');
      markStopped(server, user.name, reason);
    } catch (err) {
      logger.error({ err, userId }, 'checking a server failed');
    }
  }

  function check(userId: number, serverName: string): Promise<void> {
    const key = serverKey(userId, serverName);
    const current = ops.get(key);
    // A start or stop under way decides the server's state itself; a check under way is joined.
    if (current) return current.kind === 'check' ? current.done : Promise.resolve();
    return begin(key, { kind: 'check', done: runCheck(userId, serverName) }).done;
  }

  /** "alice's server" or "alice's server work", for messages. */
  const describe = (userName: string, serverName: string) => (serverName === DEFAULT_SERVER ? `${userName}'s server` : `${userName}'s server ${JSON.stringify(serverName)}`);

  /** Deletes a removed named server's row once it has stopped, unless it was started again meanwhile. */
  function removeIfStopped(user: User, serverName: string): void {
    const row = rows.get(user.id, serverName);
    if (!row || row.status !== 'stopped' || ops.has(serverKey(user.id, serverName))) return;
    rows.remove(row.id);
    logger.info({ user: user.name, server: serverName }, 'named server removed');
  }

  const machine: MachineInternals = {
    async start(userName, userOptions = {}, options = {}) {
      if (closed) throw new HttpError(503, 'The hub is shutting down');
      const user = requireUser(userName);
      const serverName = options.server ?? DEFAULT_SERVER;
      const groups = deps.memberOf(user);
      const requested = parseRequestedImage(config, userOptions, groups);
      const key = serverKey(user.id, serverName);
      const existing = rows.get(user.id, serverName);
      admitServer(config, userName, serverName, {
        exists: existing !== null,
        namedCount: existing !== null || serverName === DEFAULT_SERVER ? 0 : rows.ofUser(user.id).filter((r) => r.name !== DEFAULT_SERVER).length,
      });
      // A new named server's row is made only once the start is admitted, so a refused start leaves no record.
      let server = existing;
      let current = ops.get(key);
      if (current?.kind === 'check') {
        await current.done;
        server = rows.get(user.id, serverName) ?? server;
        current = ops.get(key);
      }
      if (current?.kind === 'spawn') return 'pending';
      if (current?.kind === 'stop' || server?.status === 'stopping') {
        throw new HttpError(400, `${describe(userName, serverName)} is pending stop; start it again once it has stopped`);
      }
      if (server?.status === 'running') {
        await check(user.id, serverName);
        server = rows.get(user.id, serverName) as Server;
        if (server.status === 'running') throw new HttpError(400, `${describe(userName, serverName)} is already running`);
        current = ops.get(key);
        if (current?.kind === 'spawn') return 'pending';
        if (current) throw new HttpError(400, `${describe(userName, serverName)} is pending stop; start it again once it has stopped`);
      }
      admitSpawn(config, spawning);
      admitActiveServer(config, rows.countNotStopped);
      const choice = resolveImage(config, user, requested, groups);
      if (requested !== undefined) users.update(user.name, { userImage: requested });
      const now = new Date(clock.now());
      const spawningRow = rows.update((server ?? rows.ensure(user.id, serverName)).id, {
        status: 'spawning',
        image: choice.image,
        imageLabel: choice.label,
        userOptions: requested === undefined ? {} : { image: requested },
        started: now,
        lastActivity: now,
        lastError: null,
        cullReason: null,
        culledAt: null,
        containerId: null,
        containerName: null,
        url: null,
      });
      if (spawningRow === null) throw new HttpError(404, `No such user: ${userName}`);
      const spawn = { kind: 'spawn' as const, controller: new AbortController(), progress: createProgressChannel(), done: Promise.resolve<'ready' | 'failed'>('failed'), error: null };
      logger.info({ user: userName, server: serverName, image: choice.image, source: choice.source }, 'starting server');
      spawn.done = runSpawn(user, spawningRow, choice, spawn);
      begin(key, spawn);
      // No window at all: a start that fails within a millisecond must still be reported on the pending page,
      // not race a 0 ms timer into a 500.
      if (options.waitMs === 0) return 'pending';
      const outcome = await raceTimeout(spawn.done, options.waitMs ?? deps.slowSpawnMs);
      if (outcome === 'ready') return 'started';
      if (outcome === 'failed') throw new HttpError(500, `Spawn failed: ${spawn.error}`);
      return 'pending';
    },

    async stop(userName, options = {}) {
      const user = requireUser(userName);
      const serverName = options.server ?? DEFAULT_SERVER;
      if (serverName !== DEFAULT_SERVER) {
        if (!rows.get(user.id, serverName)) throw new HttpError(404, `${userName} has no server named ${JSON.stringify(serverName)}`);
      } else if (options.remove) {
        throw new HttpError(400, 'Cannot delete the default server');
      }
      const key = serverKey(user.id, serverName);
      let current = ops.get(key);
      if (current?.kind === 'check') {
        await current.done;
        current = ops.get(key);
      }
      let done: Promise<unknown> | null = null;
      if (current?.kind === 'spawn') {
        current.controller.abort(new Error('stop requested'));
        done = current.done;
      } else if (current) {
        done = current.done;
      } else {
        const server = rows.get(user.id, serverName);
        if (server && server.status !== 'stopped') {
          const marked = rows.update(server.id, { status: 'stopping' }) ?? server;
          done = begin(key, { kind: 'stop', done: stopContainer(user, marked) }).done;
        }
      }
      if (options.remove && done === null) removeIfStopped(user, serverName);
      else if (options.remove) void done?.then(() => removeIfStopped(user, serverName));
      if (done === null) return 'stopped';
      return (await raceTimeout(done.then(() => true), deps.slowStopMs)) ? 'stopped' : 'pending';
    },

    progress(userName, signal, serverName = DEFAULT_SERVER) {
      const user = requireUser(userName);
      const current = ops.get(serverKey(user.id, serverName));
      if (current?.kind === 'spawn') return current.progress.follow(signal);
      const server = rows.get(user.id, serverName);
      if (serverName !== DEFAULT_SERVER && !server) throw new HttpError(404, `${userName} has no server named ${JSON.stringify(serverName)}`);
      const only = server?.status === 'running' ? readyEvent(serverUrl(config, userName, serverName))
        : server?.status === 'stopped' && server.lastError ? failedEvent(server.lastError)
        : null;
      if (!only) throw new HttpError(400, `${describe(userName, serverName)} is not starting`);
      return (async function* () {
        yield only;
      })();
    },

    noteUnreachable(userName) {
      const user = users.get(userName);
      if (!user) return;
      for (const server of rows.ofUser(user.id)) if (server.status === 'running') void check(user.id, server.name);
    },

    busy: (userId, serverName) => ops.has(serverKey(userId, serverName)),
    busyKeys: () => new Set(ops.keys()),
    check,

    async settle(row, user, reason, stopContainerId) {
      const key = serverKey(row.userId, row.name);
      if (ops.has(key)) return false;
      let stopped = false;
      const done = (async () => {
        const now = rows.get(row.userId, row.name);
        // Started, stopped or checked since the caller read the row: that newer state wins.
        if (now?.status !== row.status || now.containerId !== row.containerId) return;
        if (stopContainerId) await spawner.stop(stopContainerId);
        if (reason) logger.warn({ user: user.name, reason }, row.status === 'running' ? 'server found not answering' : 'server found not running');
        markStopped(now, user.name, reason);
        stopped = true;
      })();
      await begin(key, { kind: 'stop', done }).done;
      return stopped;
    },

    async close() {
      closed = true;
      for (const op of ops.values()) if (op.kind === 'spawn') op.controller.abort(new Error('hub stopping'));
      await Promise.allSettled([...ops.values()].map((op) => op.done));
    },
  };
  return machine;
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
