// GET /hub/admin/usage: the usage panel (usage-panel.tsx) on a page of its own, for signed-in admins, until the
// admin page shows it. The numbers are GET /hub/api/usage's, for the same query.
import { Hono } from 'hono';
import { HttpError } from '../../errors.js';
import { parseUsageQuery, usageReport } from '../../usage/usage-report.js';
import type { ApiDeps } from '../api/deps.js';
import type { AppEnv } from '../env.js';
import { signInRedirect } from '../middleware/require-user.js';
import { Layout, renderPage } from './layout.js';
import { frameOf } from './page-frame.js';
import { UsagePanel } from './usage-panel.js';

export function usagePageRoutes(deps: Pick<ApiDeps, 'config' | 'usage'>): Hono<AppEnv> {
  const base = deps.config.hub.base_url;
  const app = new Hono<AppEnv>();
  app.get('/admin/usage', (c) => {
    const caller = c.get('caller');
    if (!caller || caller.kind !== 'user' || caller.via !== 'cookie') return signInRedirect(c, base);
    if (caller.scopes.holds('admin-ui') !== 'yes' || caller.scopes.holds('admin:users') !== 'yes') {
      throw new HttpError(403, 'The usage page is for admins (it needs the admin-ui and admin:users scopes).');
    }
    const query = parseUsageQuery((name) => c.req.query(name), deps.usage.now());
    const report = usageReport(deps.usage.usage, query);
    const csv = new URLSearchParams({ since: query.since, until: query.until, format: 'csv' });
    if (query.group !== null) csv.set('group', query.group);
    const panel = <UsagePanel report={report} formAction={`${base}hub/admin/usage`} csvHref={`${base}hub/api/usage?${csv}`} />;
    return c.html(renderPage(
      <Layout frame={frameOf(c)} title="Usage"><p><a href={`${base}hub/admin`}>Admin</a></p>{panel}</Layout>,
    ));
  });
  return app;
}
