// The hub-wide cap on active servers (spawner.active_server_limit, JupyterHub's active_server_limit): a server is
// active from the moment its start is asked for until it has completely stopped, default and named alike. A start
// beyond the cap is refused before anything is written, so it changes nothing.
import type { HubConfig } from '../config/load.js';
import { HttpError } from '../errors.js';

/** JupyterHub's answer, word for word: API clients that retry on it keep working. */
export const ACTIVE_LIMIT_MESSAGE = 'Active user limit exceeded. Try again in a few minutes.';

/** A start refused because the hub runs as many servers as it may; `limit` lets a page say more than the API does. */
export class ActiveServerLimitError extends HttpError {
  constructor(readonly limit: number) {
    super(429, ACTIVE_LIMIT_MESSAGE);
  }

  /** What the spawn page says: why, and what the person can do about it. */
  get advice(): string {
    return `This hub runs at most ${this.limit} server${this.limit === 1 ? '' : 's'} at once, and that many are starting, running or stopping now. ` +
      'Try again in a few minutes, once another server has stopped; if you need one now, ask an administrator of this hub ' +
      '(who can stop idle servers or raise spawner.active_server_limit).';
  }
}

/** Throws ActiveServerLimitError when `activeCount()` servers already fill the cap; counts nothing while there is none. */
export function admitActiveServer(config: Pick<HubConfig, 'spawner'>, activeCount: () => number): void {
  const limit = config.spawner.active_server_limit;
  if (limit > 0 && activeCount() >= limit) throw new ActiveServerLimitError(limit);
}
