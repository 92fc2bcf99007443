// /hub/api/proxy. GET: the routing table as configurable-http-proxy would report it, derived from the servers that
// are running (the in-process proxy keeps no second copy). POST and PATCH: JupyterHub's "check the proxy's routes";
// Berth's routes are written with the server rows, so re-syncing them is a reconcile pass against Docker.
import { Hono } from 'hono';
import type { AppEnv } from '../env.js';
import { requireScope } from '../middleware/require-scope.js';
import type { ApiDeps } from './deps.js';
import { serverRoutespec } from '../../servers/server-env.js';
import { parseJsonBody } from './body.js';
import { proxyPatchBody } from './bodies.js';
import { pageResponse, parsePaging } from './pagination.js';

export function proxyRoutes(deps: ApiDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const servers = deps.servers;
  app.get('/proxy', requireScope('proxy', 'unfiltered'), (c) => {
    const paging = parsePaging(c);
    // A route exists exactly while a server runs: the page of ready servers, read in one query.
    const { rows, total } = servers.page({ state: 'ready', sort: 'id', descending: false, offset: paging.offset, limit: paging.limit, count: paging.envelope });
    const page = Object.fromEntries(rows.map(({ user, view }) => {
      const routespec = serverRoutespec(deps.config, user.name);
      return [routespec, { routespec, target: servers.target(user.name), data: { user: user.name, server_name: view.name, jupyterhub: true } }];
    }));
    return c.json(pageResponse(c, paging, page, total ?? 0) as object);
  });

  // 200 with an empty body once the routes match the containers that run, as JupyterHub answers after check_routes.
  app.post('/proxy', requireScope('proxy', 'unfiltered'), async (c) => {
    await servers.reconcile();
    return c.body(null, 200);
  });
  app.patch('/proxy', requireScope('proxy', 'unfiltered'), async (c) => {
    const body = await parseJsonBody(c, proxyPatchBody);
    if (body.api_url !== undefined || body.auth_token !== undefined) {
      c.var.log.warn({ api_url: body.api_url }, "PATCH /hub/api/proxy: Berth's proxy runs inside the hub; api_url and auth_token are ignored");
    }
    await servers.reconcile();
    return c.body(null, 200);
  });
  return app;
}
