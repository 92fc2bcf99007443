// The built-in idle culler (jupyterhub-idle-culler's rules, inside the hub): every `culler.cull_every` it stops
// running servers, default and named, idle for `culler.timeout` or older than `culler.max_age`, and with
// `cull_users` deletes users left with nothing running. Before stopping an idle server it asks the server what it is
// doing (server-work.ts): a busy or starting kernel counts as activity. Settings are read from the config at every pass.
import type { HubConfig } from '../config/load.js';
import type { Clock } from '../clock.js';
import type { Server, User } from '../db/schema.js';
import type { Logger } from '../log.js';
import type { TokenStore } from '../auth/tokens.js';
import type { UserStore } from '../users/store.js';
import type { ActivityBatch } from './activity.js';
import { accessScopes, serverPrefix } from './server-env.js';
import type { ServerRows } from './server-rows.js';
import type { FetchServerWork } from './server-work.js';
import type { MachineInternals } from './state-machine.js';

export interface CullerDeps {
  config: Pick<HubConfig, 'culler' | 'urls'>;
  rows: Pick<ServerRows, 'notStopped' | 'update' | 'get'>;
  users: Pick<UserStore, 'getById' | 'list' | 'remove'>;
  machine: Pick<MachineInternals, 'stop' | 'busy'>;
  activity: Pick<ActivityBatch, 'note' | 'flush'>;
  tokens: Pick<TokenStore, 'issue' | 'revoke'>;
  fetchWork: FetchServerWork;
  clock: Clock;
  logger: Logger;
}

export interface Culler {
  /** One pass over every server (and user, with cull_users); a call while one runs joins it. */
  cull(): Promise<void>;
  /** Runs passes every cull_every (looking again at the config each time) until close(). */
  start(): void;
  close(): Promise<void>;
}

/** How often the timer looks at the config while the culler is off, so turning it on needs no restart. */
const IDLE_CHECK_MS = 60_000;
/** jupyterhub-idle-culler's cull_every default is half the timeout; more than 5 minutes apart is too coarse. */
const MAX_DEFAULT_EVERY_S = 300;
/** The probe's token lives just long enough for the server to check it with the hub. */
const PROBE_TOKEN_S = 60;

/** 3725 → "1h 2m 5s", for reasons people read. */
export function formatDuration(seconds: number): string {
  const s = Math.round(seconds);
  const parts = [[Math.floor(s / 86400), 'd'], [Math.floor((s % 86400) / 3600), 'h'], [Math.floor((s % 3600) / 60), 'm'], [s % 60, 's']] as const;
  const shown = parts.filter(([n]) => n > 0).map(([n, unit]) => `${n}${unit}`);
  return shown.length > 0 ? shown.join(' ') : '0s';
}

export function createCuller(deps: CullerDeps): Culler {
  const { rows, users, machine, activity, tokens, clock } = deps;
  const log = deps.logger.child({ component: 'culler' });
  let running: Promise<void> | null = null;
  let timer: NodeJS.Timeout | null = null;
  let closed = false;

  const settings = () => deps.config.culler;
  const everyMs = () => {
    const { timeout, cull_every: every } = settings();
    if (timeout === undefined) return IDLE_CHECK_MS;
    return (every ?? Math.min(timeout / 2, MAX_DEFAULT_EVERY_S)) * 1000;
  };

  /** Stops the server, recording why first so the admin page can say it even while the stop is under way. */
  async function cullServer(row: Server, user: User, reason: string, now: number): Promise<void> {
    const { remove_named_servers: removeNamed } = settings();
    rows.update(row.id, { cullReason: reason, culledAt: new Date(now) });
    log.info({ user: user.name, server: row.name, reason }, 'culling server');
    await machine.stop(user.name, { server: row.name, remove: removeNamed && row.name !== '' });
  }

  /** The latest sign of work the server itself reports (now for a busy kernel), or null for none or no answer. */
  async function workSeen(row: Server, user: User, now: number): Promise<number | null> {
    if (!row.url) return null;
    const { token, row: tokenRow } = tokens.issue({
      userId: user.id,
      serverId: row.id,
      note: 'culler: kernel activity check',
      scopes: [accessScopes(user.name, row.name)[0]],
      expiresIn: PROBE_TOKEN_S,
    });
    try {
      const work = await deps.fetchWork(row.url, serverPrefix(deps.config, user.name, row.name), token);
      return work.busy ? now : work.lastActivity;
    } catch (err) {
      log.info({ user: user.name, server: row.name, err: (err as Error).message }, 'could not ask the server about its kernels; judging by the hub\'s activity alone');
      return null;
    } finally {
      tokens.revoke(tokenRow.id);
    }
  }

  async function consider(row: Server, user: User, now: number): Promise<void> {
    const { timeout, max_age: maxAge, busy_kernels_count_as_activity: kernelsCount } = settings();
    if (timeout === undefined) return;
    const started = row.started?.getTime() ?? now;
    if (maxAge !== undefined && now - started >= maxAge * 1000) {
      await cullServer(row, user, `max_age ${formatDuration(maxAge)}`, now);
      return;
    }
    const last = row.lastActivity?.getTime() ?? started;
    if (now - last < timeout * 1000) return;
    if (kernelsCount) {
      const seen = await workSeen(row, user, now);
      if (seen !== null && now - seen < timeout * 1000) {
        log.debug({ user: user.name, server: row.name, at: new Date(seen).toISOString() }, 'server kept: its kernels or terminals are active');
        activity.note(user.name, seen, row.name);
        return;
      }
      // The question can take seconds on a loaded server: traffic in the meantime (the answer to a request that was
      // in flight, a browser coming back) and a stop or restart by someone else are read before deciding.
      activity.flush();
      const fresh = rows.get(row.userId, row.name);
      if (fresh?.status !== 'running' || fresh.containerId !== row.containerId) return;
      const latest = fresh.lastActivity?.getTime() ?? last;
      if (clock.now() - latest < timeout * 1000) {
        log.debug({ user: user.name, server: row.name, at: new Date(latest).toISOString() }, 'server kept: it had traffic while it was asked about its kernels');
        return;
      }
    }
    await cullServer(row, user, `idle ${formatDuration((now - last) / 1000)}`, now);
  }

  function cullUsers(now: number): void {
    const { timeout } = settings();
    if (timeout === undefined) return;
    const active = new Set(rows.notStopped().map((r) => r.userId));
    for (const user of users.list()) {
      if (user.admin || active.has(user.id)) continue;
      const last = (user.lastActivity ?? user.created).getTime();
      if (now - last < timeout * 1000) continue;
      if (users.remove(user.name)) log.info({ user: user.name, idle: formatDuration((now - last) / 1000) }, 'culled user');
    }
  }

  async function pass(): Promise<void> {
    if (settings().timeout === undefined) return;
    // Activity noted by the proxy in the last seconds is written first, so it counts.
    activity.flush();
    const now = clock.now();
    const candidates = rows.notStopped().filter((row) => row.status === 'running' && !machine.busy(row.userId, row.name));
    await Promise.all(candidates.map(async (row) => {
      const user = users.getById(row.userId);
      if (!user) return;
      try {
        await consider(row, user, now);
      } catch (err) {
        log.error({ err, user: user.name, server: row.name }, 'culling a server failed');
      }
    }));
    if (settings().cull_users) cullUsers(now);
  }

  const culler: Culler = {
    cull() {
      running ??= pass().finally(() => {
        running = null;
      });
      return running;
    },
    start() {
      if (timer || closed) return;
      const schedule = () => {
        timer = setTimeout(() => {
          culler.cull().catch((err) => log.error({ err }, 'culler pass failed')).finally(() => {
            if (!closed) schedule();
          });
        }, everyMs());
        timer.unref();
      };
      schedule();
    },
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
  return culler;
}
