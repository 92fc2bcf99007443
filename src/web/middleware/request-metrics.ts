// Times every request of the hub app into jupyterhub_request_duration_seconds. JupyterHub labels a request with its
// handler class; Berth's handler is the route pattern that answered (`/hub/api/users/:name`), so the label set
// stays as small as the route table whatever names and paths clients send.
import type { MiddlewareHandler } from 'hono';
import { routePath } from 'hono/route';
import type { HubMetrics } from '../../metrics/hub-metrics.js';
import type { AppEnv } from '../env.js';

export function requestMetrics(metrics: Pick<HubMetrics, 'observeRequest'>): MiddlewareHandler<AppEnv> {
  return async function requestMetricsMiddleware(c, next) {
    const began = performance.now();
    await next();
    // Paths no route matched end at a catch-all middleware ('…/*'): one label for all of them.
    const route = routePath(c);
    const handler = route.endsWith('*') ? 'unmatched' : route;
    metrics.observeRequest(c.req.method, handler, c.res.status, (performance.now() - began) / 1000);
  };
}
