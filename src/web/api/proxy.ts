// /hub/api/proxy. GET: every route the proxy has, in JupyterHub 5's shape (`{routespec: {routespec, target, data}}`,
// sorted by routespec and paged as JupyterHub pages it): each running server, default and named, from the route
// table the proxy thread copies, and each hub.yaml service with a url, from the specs the proxy thread is given.
// POST and PATCH: JupyterHub's "check the proxy's routes"; Berth's routes are written with the server rows, so
// re-syncing them is a reconcile pass against Docker.
import { Hono } from 'hono';
import type { HubConfig } from '../../config/load.js';
import type { AppEnv } from '../env.js';
import { requireScope } from '../middleware/require-scope.js';
import type { ApiDeps, ApiServers } from './deps.js';
import { serverRoutespec } from '../../servers/server-env.js';
import { serviceHostname } from '../../services/service-origin.js';
import { serviceSpecs } from '../../services/service-specs.js';
import { parseJsonBody } from './body.js';
import { proxyPatchBody } from './bodies.js';
import { pageResponse, parsePaging } from './pagination.js';

/** One route as JupyterHub's Proxy.get_all_routes reports it: `data` is what the hub added the route with. */
interface RouteModel {
  routespec: string;
  target: string;
  data: { user: string; server_name: string } | { service: string };
}

/** Every route, unsorted: servers with a target now, then services with a url (JupyterHub's add_service data). */
function allRoutes(config: HubConfig, servers: ApiServers): RouteModel[] {
  const routes: RouteModel[] = [];
  for (const { userName, serverName } of servers.running()) {
    const target = servers.target(userName, serverName);
    if (target === null) continue;
    routes.push({ routespec: serverRoutespec(config, userName, serverName), target, data: { user: userName, server_name: serverName } });
  }
  const sub = config.urls.subdomainHost;
  for (const spec of serviceSpecs(config)) {
    if (spec.target === null) continue;
    routes.push({ routespec: `${sub === null ? '' : serviceHostname(sub, spec.name)}${spec.prefix}`, target: spec.target, data: { service: spec.name } });
  }
  return routes;
}

export function proxyRoutes(deps: ApiDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const servers = deps.servers;
  app.get('/proxy', requireScope('proxy', 'unfiltered'), (c) => {
    const paging = parsePaging(c);
    const all = allRoutes(deps.config, servers).sort((a, b) => (a.routespec < b.routespec ? -1 : a.routespec > b.routespec ? 1 : 0));
    const page = Object.fromEntries(all.slice(paging.offset, paging.offset + paging.limit).map((route) => [route.routespec, route]));
    return c.json(pageResponse(c, paging, page, all.length) as object);
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
