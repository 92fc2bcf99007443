// Activity posts with a token this hub does not know come from servers another hub started (orphans: see
// servers/orphans.ts); jupyterhub-singleuser retries them for as long as it runs. They are still answered 403, but
// logged once per client address and user, with what to do, instead of one request line per retry.
import type { MiddlewareHandler } from 'hono';
import type { Logger } from '../../log.js';
import type { AppEnv } from '../env.js';

/** Addresses remembered at most; then the memory starts over (a line more per address, no unbounded growth). */
const MAX_REMEMBERED = 10_000;

export function unknownServerToken(deps: { logger: Logger; configFile: string }): MiddlewareHandler<AppEnv> {
  const seen = new Set<string>();
  return async function unknownServerTokenMiddleware(c, next) {
    const presented = c.req.header('authorization') !== undefined;
    if (c.req.method !== 'POST' || !presented || c.var.caller !== null) return next();
    // The hub's listeners put the client's own address last (the internal one: the container's).
    const forwarded = c.req.header('x-forwarded-for') ?? '';
    const address = forwarded.slice(forwarded.lastIndexOf(',') + 1).trim() || 'unknown';
    const user = c.req.param('name') ?? '';
    const key = `${address} ${user}`;
    if (seen.has(key)) {
      c.set('quietLog', true);
    } else {
      if (seen.size >= MAX_REMEMBERED) seen.clear();
      seen.add(key);
      c.var.log.warn(
        { address, user },
        `A server at ${address} posts activity for ${user} with a token this hub does not know (answered 403; later ` +
          'posts from it are not logged): most likely a container another hub started, e.g. before docker compose ' +
          `down -v. The hub lists such containers at start; adopt or remove them with berth adopt --config ${deps.configFile} (--remove) NAME.`,
      );
    }
    return next();
  };
}
