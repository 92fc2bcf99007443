// GET /hub/api/proxy: the routing table as configurable-http-proxy would report it, derived from the servers
// that are running (the in-process proxy keeps no second copy). Berth has no external proxy to re-sync or switch.
import { Hono } from 'hono';
import type { AppEnv } from '../env.js';
import { requireScope } from '../middleware/require-scope.js';
import type { ApiDeps } from './deps.js';
import { serverRoutespec } from '../../servers/server-env.js';
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
  return app;
}
