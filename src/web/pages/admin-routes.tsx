// GET /hub/admin: the admin page, for signed-in users holding `admin-ui`. One page of users at a time (offset, limit,
// name_filter, sort), read with their default and named servers in two queries whatever the number of users; every
// change goes through the REST API from the page (cookie + X-XSRFToken), so the API's scope checks apply.
import { Hono } from 'hono';
import { HttpError } from '../../errors.js';
import { groupsOfMember } from '../../groups/membership.js';
import { resolveImage } from '../../servers/image.js';
import type { ServerView } from '../../servers/server-list.js';
import type { ApiDeps } from '../api/deps.js';
import { parsePaging } from '../api/pagination.js';
import type { AppEnv } from '../env.js';
import { xsrfToken } from '../middleware/csrf.js';
import { signInRedirect } from '../middleware/require-user.js';
import { ADMIN_SORTS, AdminPage, SORT_DESCENDING, type AdminRow, type AdminServer, type AdminSort } from './admin-page.js';
import { renderPage } from './layout.js';
import { frameOf } from './page-frame.js';

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
    const sort = parseSort(c.req.query('sort'));
    const page = deps.servers.page({ nameContains: nameFilter || undefined, sort, descending: SORT_DESCENDING[sort], offset, limit, count: true, named: true });
    // The page's users' groups in one query: a catalog entry only some groups may use decides their next image.
    const hubGroups = deps.groups.groupsOfUsers(page.rows.map((r) => r.user.id));
    const rows: AdminRow[] = page.rows.map(({ user, view, named }) => ({
      name: user.name,
      admin: user.admin,
      lastActivity: view.lastActivity ?? user.lastActivity,
      servers: [view, ...(named ?? [])].map(adminServer),
      next: resolveImage(deps.config, user, undefined, groupsOfMember(hubGroups.get(user.id) ?? [], user)),
      adminImage: user.adminImage,
    }));
    const catalog = Object.fromEntries(Object.entries(deps.config.spawner.images).map(([label, e]) => [label, { description: e.description }]));
    const groups = deps.groups.list().map((g) => ({ name: g.name, members: deps.groups.members(g.name), properties: g.properties }));
    return c.html(renderPage(
      <AdminPage frame={frameOf(c)} me={caller.name} xsrf={xsrfToken(deps.secret, caller.sessionId ?? '')} adminAccess={deps.config.hub.admin_access}
        catalog={catalog} rows={rows} groups={groups} paging={{ offset, limit, total: page.total ?? rows.length, nameFilter, sort }} configProblem={deps.configProblem()} />,
    ));
  });
  return app;
}

function parseSort(raw: string | undefined): AdminSort {
  if (raw === undefined || raw === '') return 'id';
  if (Object.hasOwn(ADMIN_SORTS, raw)) return raw as AdminSort;
  throw new HttpError(400, `sort must be one of ${Object.keys(ADMIN_SORTS).join(', ')}, got ${JSON.stringify(raw)}`);
}

function adminServer(view: ServerView): AdminServer {
  return {
    name: view.name,
    status: view.status,
    url: view.url,
    running: view.status === 'stopped' ? undefined : view.imageLabel,
    culled: view.status === 'stopped' && view.cullReason !== null && view.culledAt !== null ? { reason: view.cullReason, at: view.culledAt } : undefined,
  };
}
