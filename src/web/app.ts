// Builds the Hono app served under <base_url>hub/: middleware, then each area's routes.
// It knows its collaborators only through WebDeps, which the composition root (hub.ts) fills in.
import { Hono } from 'hono';
import type { HubConfig } from '../config/load.js';
import type { Logger } from '../log.js';
import { HttpError } from '../errors.js';
import type { AppEnv } from './env.js';
import { renderError } from './errors.js';
import { healthRoutes, type HealthChecks } from './health.js';
import { requestLog } from './middleware/request-log.js';

export interface WebDeps {
  config: HubConfig;
  logger: Logger;
  health: HealthChecks;
}

export function createWebApp(deps: WebDeps): Hono<AppEnv> {
  const hubPrefix = `${deps.config.hub.base_url}hub`;
  const app = new Hono<AppEnv>().basePath(hubPrefix);
  app.use('*', requestLog(deps.logger));
  app.onError(renderError);
  app.notFound((c) => renderError(new HttpError(404, `Not found: ${c.req.path}`), c));

  app.route('/', healthRoutes(deps.health));
  app.route('/api', healthRoutes(deps.health));
  return app;
}
