// Gives every request an id (echoed as X-Request-Id) and a child logger, and logs one line when it ends.
import { randomUUID } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import type { Logger } from '../../log.js';
import { redactUrl } from '../../log.js';
import type { AppEnv } from '../env.js';

export function requestLog(logger: Logger): MiddlewareHandler<AppEnv> {
  return async function requestLogMiddleware(c, next) {
    const requestId = c.req.header('x-request-id')?.slice(0, 64) || randomUUID();
    const log = logger.child({ requestId });
    c.set('requestId', requestId);
    c.set('log', log);
    const started = performance.now();
    // As version.ts does: c.header() after the handler copies the whole answer (0.2 ms of a 2 ms API call).
    c.header('X-Request-Id', requestId);
    await next();
    c.res.headers.set('X-Request-Id', requestId);
    const status = c.res.status;
    const line = { method: c.req.method, url: redactUrl(c.req.url.replace(/^https?:\/\/[^/]+/, '')), status, ms: Math.round(performance.now() - started) };
    if (status >= 500) log.error(line, 'request');
    else if (c.var.quietLog) log.debug(line, 'request');
    else log.info(line, 'request');
  };
}
