// Aligns the servers table with the containers that carry this hub's id: on boot (re-adopting running servers that
// still answer HTTP, as JupyterHub's init_spawners does), periodically, and after the proxy found a server
// unreachable. It changes servers only through the state machine's operations, never beside one.
import type { HubConfig } from '../config/load.js';
import type { Server, User } from '../db/schema.js';
import type { Logger } from '../log.js';
import { LABELS } from '../spawner/labels.js';
import { answersHttp, readyPathFor } from '../spawner/readiness.js';
import type { Spawner } from '../spawner/spawner.js';
import type { UserStore } from '../users/store.js';
import { serverPrefix } from './server-env.js';
import type { ServerRows } from './server-rows.js';
import { serverKey, type MachineInternals } from './state-machine.js';

export interface ReconcileDeps {
  config: Pick<HubConfig, 'spawner' | 'urls'>;
  rows: ServerRows;
  users: Pick<UserStore, 'get' | 'getById'>;
  spawner: Spawner;
  machine: MachineInternals;
  logger: Logger;
  /**
   * How long the first reconcile waits for re-adopted servers to answer HTTP before the hub serves (JupyterHub's
   * init_spawners_timeout); slower checks go on in the background and stop the servers that never answer.
   */
  adoptWaitMs: number;
}

/**
 * Re-adopted servers checked over HTTP at one time after a restart. All at once, thousands of checks (a swarm's
 * worth: bench/swarm-scale.ts) queued behind each other until their own deadlines passed, and the hub stopped
 * servers that were up; a few dozen at a time, each check's http_timeout is its own.
 */
const ADOPT_CHECKS_AT_ONCE = 32;

/** Runs `work` on every item, at most `limit` at a time. */
async function eachAtMost<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
}

/** Runs one pass at a time: a call while one runs joins it. */
export function createReconciler(deps: ReconcileDeps): { reconcile(): Promise<void> } {
  const { config, rows, users, spawner, machine, logger } = deps;
  /** The first pass (boot) also checks over HTTP that re-adopted servers answer. */
  let adopted = false;
  let running: Promise<void> | null = null;

  async function dropIfSilent(server: Server, user: User, dropped: Set<string>): Promise<void> {
    const path = readyPathFor(serverPrefix(config, user.name, server.name));
    if (!server.url || (await answersHttp(server.url + path, config.spawner.http_timeout * 1000))) return;
    const reason = `The server did not answer HTTP at ${path} within spawner.http_timeout (${config.spawner.http_timeout} s) after the hub restarted`;
    try {
      if ((await machine.settle(server, user, reason, server.containerId)) && server.containerId) dropped.add(server.containerId);
    } catch (err) {
      logger.error({ user: user.name, err }, 'stopping a server that does not answer failed');
    }
  }

  async function once(): Promise<void> {
    // An operation in flight while Docker is listed may finish before the table is read: leave its server alone.
    const busyAtList = machine.busyKeys();
    const busy = (userId: number, serverName: string) => busyAtList.has(serverKey(userId, serverName)) || machine.busy(userId, serverName);
    const containers = await spawner.list();
    const byId = new Map(containers.map((c) => [c.containerId, c]));
    const readopted: { server: Server; user: User }[] = [];
    for (const server of rows.notStopped()) {
      if (busy(server.userId, server.name)) continue;
      const user = users.getById(server.userId);
      if (!user) continue;
      const container = server.containerId ? byId.get(server.containerId) : undefined;
      if (server.status === 'running') {
        if (container?.running) {
          // A row written by another process (`berth adopt` beside a running hub) is routed at the next pass.
          const moved = container.url && (container.url !== server.url || rows.routes.target(user.name, server.name) !== container.url);
          const current = moved ? rows.update(server.id, { url: container.url }) : server;
          if (!adopted && current) readopted.push({ server: current, user });
        } else {
          await machine.check(server.userId, server.name);
        }
        continue;
      }
      // "spawning" or "stopping" with nothing in flight: the hub stopped in the middle of it.
      const reason = server.status === 'spawning' ? 'The hub restarted during the start; start the server again' : null;
      await machine.settle(server, user, reason, container?.containerId ?? null);
    }
    // Start-up waits for the re-adopted servers' HTTP checks at most adoptWaitMs; they stay routed while theirs go on.
    const dropped = new Set<string>();
    const checked = eachAtMost(readopted, ADOPT_CHECKS_AT_ONCE, ({ server, user }) => dropIfSilent(server, user, dropped)).catch((err) => {
      logger.error({ err }, 'checking re-adopted servers failed');
    });
    let waited: NodeJS.Timeout | undefined;
    await Promise.race([checked, new Promise<void>((resolve) => (waited = setTimeout(resolve, deps.adoptWaitMs)))]);
    clearTimeout(waited);
    adopted = true;
    // This hub's containers that no server claims (e.g. the hub died between creating one and recording it).
    const claimed = rows.claimedContainers();
    for (const container of containers) {
      if (claimed.has(container.containerId) || dropped.has(container.containerId)) continue;
      const owner = users.get(container.labels[LABELS.user] ?? '');
      if (owner && busy(owner.id, container.labels[LABELS.server] ?? '')) continue;
      logger.info({ container: container.containerName }, 'removing a container no server claims');
      await spawner.stop(container.containerId);
    }
  }

  return {
    reconcile() {
      running ??= once().finally(() => {
        running = null;
      });
      return running;
    },
  };
}
