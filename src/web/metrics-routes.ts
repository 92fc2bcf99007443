// GET /hub/metrics (and /hub/api/metrics, as JupyterHub serves both): Prometheus' text format. With
// hub.authenticate_prometheus (the default) the caller needs `read:metrics`, as in JupyterHub; without, anyone who
// reaches the hub may scrape.
import { Hono, type MiddlewareHandler } from 'hono';
import type { HubMetrics } from '../metrics/hub-metrics.js';
import type { AppEnv } from './env.js';
import { checkScope } from './middleware/require-scope.js';

/** `authenticate()` is asked per request: hub.authenticate_prometheus applies when hub.yaml is reloaded. */
export function metricsRoutes(metrics: Pick<HubMetrics, 'render' | 'contentType'>, authenticate: () => boolean): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const serve: MiddlewareHandler<AppEnv> = async function metricsHandler(c) {
    const body = await metrics.render();
    return c.body(body, 200, { 'Content-Type': metrics.contentType, 'Cache-Control': 'no-store' });
  };
  for (const path of ['/metrics', '/api/metrics']) {
    app.get(path, async (c, next) => {
      if (authenticate()) checkScope(c, ['read:metrics'], 'unfiltered');
      await next();
    }, serve);
  }
  return app;
}
