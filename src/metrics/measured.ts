// Puts the hub's timings into its metrics without the measured parts knowing: a Spawner whose start, stop and
// poll are timed (JupyterHub's spawn, stop and poll histograms), and servers whose refused starts are counted.
import { ActiveServerLimitError } from '../servers/active-server-limit.js';
import { SpawnThrottleError } from '../servers/concurrent-spawn-limit.js';
import type { Servers } from '../servers/servers.js';
import type { Spawner } from '../spawner/spawner.js';
import type { HubMetrics } from './hub-metrics.js';

const seconds = (since: number) => (performance.now() - since) / 1000;

/** The same spawner, timed. A start that fails or is cancelled is a failure, as in JupyterHub. */
export function measuredSpawner(spawner: Spawner, metrics: HubMetrics): Spawner {
  return {
    prepare: () => spawner.prepare(),
    ping: () => spawner.ping(),
    list: () => spawner.list(),
    // Optional parts of the contract pass through as they are (a missing one stays missing).
    listForeign: spawner.listForeign?.bind(spawner),
    stats: spawner.stats?.bind(spawner),
    async start(spec, onProgress, signal) {
      const began = performance.now();
      try {
        const started = await spawner.start(spec, onProgress, signal);
        metrics.observeSpawn('success', seconds(began));
        return started;
      } catch (err) {
        metrics.observeSpawn('failure', seconds(began));
        throw err;
      }
    },
    async stop(containerId) {
      const began = performance.now();
      try {
        await spawner.stop(containerId);
        metrics.observeStop('success', seconds(began));
      } catch (err) {
        metrics.observeStop('failure', seconds(began));
        throw err;
      }
    },
    async poll(containerId) {
      const began = performance.now();
      const result = await spawner.poll(containerId);
      metrics.observePoll(result.running, seconds(began));
      return result;
    },
  };
}

/**
 * The same servers; a start refused because too many are starting (429) is JupyterHub's `throttled` spawn, one
 * refused by spawner.active_server_limit its `too-many-users`.
 */
export function measuredServers(servers: Servers, metrics: HubMetrics): Servers {
  return {
    ...servers,
    async start(userName, userOptions, options) {
      const began = performance.now();
      try {
        return await servers.start(userName, userOptions, options);
      } catch (err) {
        if (err instanceof ActiveServerLimitError) metrics.observeSpawn('too-many-users', seconds(began));
        else if (err instanceof SpawnThrottleError) metrics.observeSpawn('throttled', seconds(began));
        throw err;
      }
    },
  };
}
