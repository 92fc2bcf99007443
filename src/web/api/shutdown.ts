// POST /hub/api/shutdown (scope `shutdown`, as JupyterHub's admin tools call it): answers 202, then the hub stops
// gracefully. Users' servers keep running unless the body says {"servers": true}; `proxy` is accepted and checked
// for compatibility only, since Berth's proxy is the hub process itself and always stops with it.
import { Hono } from 'hono';
import type { AppEnv } from '../env.js';
import { requireScope } from '../middleware/require-scope.js';
import { parseJsonBody } from './body.js';
import { shutdownBody } from './bodies.js';
import type { ApiDeps } from './deps.js';

export function shutdownRoutes(deps: ApiDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.post('/shutdown', requireScope('shutdown', 'unfiltered'), async (c) => {
    const caller = c.var.caller;
    const body = await parseJsonBody(c, shutdownBody, { empty: {} });
    c.get('log').warn({ by: `${caller.kind} ${caller.name}`, servers: body.servers === true }, 'shutdown requested through the API');
    deps.shutdown({ servers: body.servers === true });
    return c.json({ message: 'Shutting down Hub' }, 202);
  });
  return app;
}
