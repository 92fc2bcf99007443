// GET /hub/api[/] (the version check every single-user server and the idle culler make, no auth) and /hub/api/info.
import { Hono, type Context } from 'hono';
import type { AppEnv } from '../env.js';
import { requireScopes } from '../middleware/authorize.js';
import type { ApiDeps } from './deps.js';
import { HUB_API_VERSION } from './version.js';

export function rootRoutes(_deps: ApiDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const version = (c: Context<AppEnv>) => {
    c.header('Access-Control-Allow-Origin', '*');
    return c.json({ version: HUB_API_VERSION });
  };
  app.get('/', version);
  app.get('', version);
  app.get('/info', (c) => {
    requireScopes(c, ['read:hub']);
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
