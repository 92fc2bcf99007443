// GET /hub/api[/] (the version check every single-user server and the idle culler make, no auth) and /hub/api/info.
import { Hono, type Context } from 'hono';
import type { AppEnv } from '../env.js';
import { requireScope } from '../middleware/require-scope.js';
import type { ApiDeps } from './deps.js';
import { BERTH_VERSION, HUB_API_VERSION } from './version.js';

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
      // JupyterHub's spec has strings here; Berth has no Python, so it names what runs instead of answering null.
      python: `none: Berth runs on Node.js ${process.version}`,
      sys_executable: process.execPath,
      node: process.version,
      spawner: { class: 'berth.DockerSpawner', version: BERTH_VERSION },
      authenticator: { class: 'berth.Authenticator', version: BERTH_VERSION },
    });
  });
  return app;
}
