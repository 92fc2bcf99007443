// GET /hub/admin: the admin page, for signed-in users holding `admin-ui`. One page of users at a time (offset,
// limit, name_filter, as GET /hub/api/users), read in one query; every change goes through the REST API from the
// page (cookie + X-XSRFToken), so the API's scope checks apply.
import { Hono } from 'hono';
import { HttpError } from '../../errors.js';
import { resolveImage } from '../../servers/image.js';
import type { ApiDeps } from '../api/deps.js';
import { parsePaging } from '../api/pagination.js';
import type { AppEnv } from '../env.js';
import { xsrfToken } from '../middleware/csrf.js';
import { signInRedirect } from '../middleware/require-user.js';
import { adminPage, type AdminRow } from './admin-page.js';

/** Users per page unless ?limit= says otherwise (JupyterHub's admin page shows 50). */
const PAGE_SIZE = 50;

export function adminRoutes(deps: ApiDeps & { secret: Buffer }): Hono<AppEnv> {
  const base = deps.config.hub.base_url;
  const app = new Hono<AppEnv>();
  app.get('/admin', (c) => {
    const caller = c.get('caller');
    if (!caller || caller.kind !== 'user' || caller.via !== 'cookie') return signInRedirect(c, base);
    if (caller.scopes.holds('admin-ui') !== 'yes') throw new HttpError(403, 'The admin page is for admins (it needs the admin-ui scope).');
    const { offset, limit } = parsePaging(c, PAGE_SIZE);
    const nameFilter = (c.req.query('name_filter') ?? '').trim().toLowerCase();
    const page = deps.servers.page({ nameContains: nameFilter || undefined, sort: 'id', descending: false, offset, limit, count: true });
    const rows: AdminRow[] = page.rows.map(({ user, view }) => ({
      name: user.name,
      admin: user.admin,
      status: view.status,
      serverUrl: view.url,
      lastActivity: view.lastActivity ?? user.lastActivity,
      image: resolveImage(deps.config, user),
      adminImage: user.adminImage,
    }));
    const catalog = Object.fromEntries(Object.entries(deps.config.spawner.images).map(([label, e]) => [label, { description: e.description }]));
    const groups = deps.groups.list().map((g) => ({ name: g.name, members: deps.groups.members(g.name) }));
    return c.html(adminPage({
      baseUrl: base, me: caller.name, xsrf: xsrfToken(deps.secret, caller.sessionId ?? ''), adminAccess: deps.config.hub.admin_access, catalog, rows, groups,
      paging: { offset, limit, total: page.total ?? rows.length, nameFilter },
    }));
  });
  return app;
}
