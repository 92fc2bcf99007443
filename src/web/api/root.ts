// GET /hub/api[/] (the version check every single-user server and the idle culler make, no auth) and /hub/api/info.
import { Hono, type Context } from 'hono';
import type { AppEnv } from '../env.js';
import { requireScope } from '../middleware/require-scope.js';
import type { ApiDeps } from './deps.js';
import { HUB_API_VERSION } from './version.js';

export function rootRoutes(deps: ApiDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const rootWithSlash = `${deps.config.hub.base_url}hub/api/`;
  const version = (c: Context<AppEnv>) => {
    c.header('Access-Control-Allow-Origin', '*');
    return c.json({ version: HUB_API_VERSION });
  };
  app.get('', version);
  // Hono's strict routing never maps a sub-app's '/' onto '<prefix>/api/' — the culler's `GET {url}/` needs it.
  app.use('*', async function apiRootWithSlash(c, next) {
    if ((c.req.method === 'GET' || c.req.method === 'HEAD') && c.req.path === rootWithSlash) return version(c);
    await next();
  });
  app.get('/info', requireScope('read:hub', 'unfiltered'), (c) => {
    return c.json({
      version: HUB_API_VERSION,
      node: process.version,
      python: null,
      sys_executable: process.execPath,
      spawner: { class: 'berth.DockerSpawner', version: HUB_API_VERSION },
      authenticator: { class: 'berth.Authenticator', version: HUB_API_VERSION },
    });
  });
  return app;
}
