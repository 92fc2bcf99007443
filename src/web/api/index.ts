// Mounts JupyterHub's REST API under <base_url>hub/api: the headers every API response carries, then one router
// per resource. Routers guard with requireScope/requireUser (web/middleware), parse bodies with bodies.ts's schemas,
// and throw HttpError; web/errors.ts renders the JSON.
import { Hono } from 'hono';
import type { AppEnv } from '../env.js';
import type { ApiDeps } from './deps.js';
import { authorizationRoutes } from './authorizations.js';
import { groupRoutes } from './groups.js';
import { oauth2Routes } from './oauth2.js';
import { proxyRoutes } from './proxy.js';
import { rootRoutes } from './root.js';
import { selfRoutes } from './self.js';
import { tokenRoutes } from './tokens.js';
import { userRoutes } from './users.js';
import { serviceRoutes } from './services.js';
import { serverRoutes } from './servers.js';
import { shutdownRoutes } from './shutdown.js';
import { shareRoutes } from './shares.js';
import { usageRoutes } from './usage.js';

export function apiRoutes(deps: ApiDeps): Hono<AppEnv> {
  const hubPrefix = deps.config.urls.hub;
  const csp = `frame-ancestors 'none'; report-uri ${hubPrefix}security/csp-report; default-src 'none'`;
  const api = new Hono<AppEnv>();
  api.use('*', async function apiHeaders(c, next) {
    // Set before the handler runs so error responses (rendered from the same context) carry them too.
    c.header('Access-Control-Allow-Headers', 'accept, content-type, authorization');
    c.header('Content-Security-Policy', csp);
    if (c.req.method === 'OPTIONS') return c.body(null, 200);
    await next();
    if (!c.res.headers.has('Content-Security-Policy')) c.res.headers.set('Content-Security-Policy', csp);
  });
  api.route('/', rootRoutes(deps));
  api.route('/', selfRoutes(deps));
  api.route('/', userRoutes(deps));
  api.route('/', serverRoutes(deps));
  api.route('/', tokenRoutes(deps));
  api.route('/', groupRoutes(deps));
  api.route('/', authorizationRoutes(deps));
  api.route('/', proxyRoutes(deps));
  api.route('/', serviceRoutes(deps));
  api.route('/', shutdownRoutes(deps));
  api.route('/', shareRoutes({ config: deps.config, sharing: deps.sharing, server: (owner, server) => deps.servers.get(owner, server) }));
  api.route('/', oauth2Routes(deps));
  api.route('/', usageRoutes(deps.usage));
  return api;
}
