// GET /hub/api/usage: server-hours, CPU seconds and peak memory per user and per group per UTC day
// (src/usage/usage-report.ts), as JSON or, with ?format=csv, a CSV file. Everyone's use is an admin's view: the
// caller needs admin:users without a filter.
import { Hono } from 'hono';
import type { AppEnv } from '../env.js';
import { requireScope } from '../middleware/require-scope.js';
import { parseUsageQuery, usageCsv, usageReport, type UsageSources } from '../../usage/usage-report.js';

export interface UsageApiDeps {
  usage: UsageSources;
  now(): number;
}

export function usageRoutes(deps: UsageApiDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get('/usage', requireScope('admin:users', 'unfiltered'), (c) => {
    const query = parseUsageQuery((name) => c.req.query(name), deps.now());
    if (query.format === 'json') return c.json(usageReport(deps.usage, query));
    const file = `berth-usage-${query.since}-to-${query.until}${query.group === null ? '' : `-${query.group}`}.csv`;
    return c.body(usageCsv(deps.usage, query), 200, {
      'Content-Type': 'text/csv; charset=utf-8',
      'Content-Disposition': `attachment; filename="${file}"`,
    });
  });
  return app;
}
