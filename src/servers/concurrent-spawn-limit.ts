// The hub-wide cap on starts in flight (spawner.concurrent_spawn_limit, JupyterHub's concurrent_spawn_limit): a burst
// of sign-ins cannot ask the engine for more containers at once than this. 0 is no cap, as in JupyterHub. A start
// beyond it is refused before anything is written, so it changes nothing.
import type { HubConfig } from '../config/load.js';
import { HttpError } from '../errors.js';

/** Starts are seconds long, so a short wait is enough; JupyterHub draws 30–60 s at random. */
export const SPAWN_RETRY_AFTER_S = 10;

/** JupyterHub's answer, in its words and with its rounding to tens of seconds: API clients that retry on it keep working. */
export const SPAWN_THROTTLE_MESSAGE = `Too many users trying to log in right now. Try again in ${SPAWN_RETRY_AFTER_S} seconds.`;

/** A start refused because `limit` starts are already in flight; `advice` is what the spawn page tells a person. */
export class SpawnThrottleError extends HttpError {
  constructor(readonly limit: number) {
    super(429, SPAWN_THROTTLE_MESSAGE, { headers: { 'Retry-After': String(SPAWN_RETRY_AFTER_S) } });
  }

  get advice(): string {
    return `This hub starts at most ${this.limit} server${this.limit === 1 ? '' : 's'} at a time, and that many are starting now. ` +
      `Try again in ${SPAWN_RETRY_AFTER_S} seconds; if this keeps happening, ask an administrator of this hub to raise spawner.concurrent_spawn_limit.`;
  }
}

/** Throws SpawnThrottleError when `spawning` starts already fill the cap; counts nothing while there is none. */
export function admitSpawn(config: Pick<HubConfig, 'spawner'>, spawning: number): void {
  const limit = config.spawner.concurrent_spawn_limit;
  if (limit > 0 && spawning >= limit) throw new SpawnThrottleError(limit);
}
