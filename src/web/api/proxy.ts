// GET /hub/api/proxy: the routing table as configurable-http-proxy would report it, derived from the servers
// that are running (the in-process proxy keeps no second copy). Berth has no external proxy to re-sync or switch.
import { Hono } from 'hono';
import type { AppEnv } from '../env.js';
import { requireUnfilteredScopes } from '../middleware/authorize.js';
import type { ApiDeps } from './deps.js';
import { parsePaging } from './pagination.js';

export function proxyRoutes(deps: ApiDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const servers = deps.servers;
  app.get('/proxy', (c) => {
    requireUnfilteredScopes(c, ['proxy']);
    const paging = parsePaging(c);
    const routes: [string, Record<string, unknown>][] = [];
    for (const user of deps.users.list()) {
      const view = servers?.get(user.name) ?? null;
      if (!view || view.status !== 'running') continue;
      const target = servers?.target(user.name) ?? null;
      routes.push([view.url, { routespec: view.url, target, data: { user: user.name, server_name: view.name, jupyterhub: true } }]);
    }
    const page = Object.fromEntries(routes.slice(paging.offset, paging.offset + paging.limit));
    if (!paging.envelope) return c.json(page);
    const nextOffset = paging.offset + paging.limit;
    const url = new URL(c.req.url);
    url.searchParams.set('offset', String(nextOffset));
    url.searchParams.set('limit', String(paging.limit));
    const next = nextOffset < routes.length ? { offset: nextOffset, limit: paging.limit, url: url.toString() } : null;
    return c.json({ items: page, _pagination: { offset: paging.offset, limit: paging.limit, total: routes.length, next } });
  });
  return app;
}
