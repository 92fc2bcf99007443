// A known /hub/api path asked with a method it does not take is a 405 naming the methods it does take (Allow), as
// HTTP and JupyterHub's handlers answer, not the 404 of an unknown path. Which methods a path takes is read from the
// app's own routes when the first miss comes, so no second table can drift from the routers.
import type { Context } from 'hono';
import { PatternRouter } from 'hono/router/pattern-router';
import { HttpError } from '../../errors.js';
import type { AppEnv } from '../env.js';
import { isApiPath } from '../errors.js';

interface RouteEntry {
  method: string;
  path: string;
}

/** The error for a request no route answered: 405 with Allow when its path is a known API path, else 404. */
export function unmatchedRequest(routes: () => readonly RouteEntry[]): (c: Context<AppEnv>) => HttpError {
  let router: PatternRouter<string> | null = null;
  return (c) => {
    const path = c.req.path;
    if (isApiPath(path)) {
      router ??= methodsByPath(routes());
      const methods = new Set(router.match('GET', path)[0].map(([method]) => method));
      if (methods.size > 0) {
        // Every API path answers OPTIONS (api/index.ts) and Hono answers HEAD wherever it answers GET.
        if (methods.has('GET')) methods.add('HEAD');
        methods.add('OPTIONS');
        const allow = [...methods].sort().join(', ');
        return new HttpError(405, `Method ${c.req.method} is not allowed on ${path}; it takes ${allow}`, { headers: { Allow: allow } });
      }
    }
    return new HttpError(404, `Not found: ${path}`);
  };
}

/** Each route's method, found by its path. Middleware (method ALL, e.g. `use('*')`) answers any method and is left out. */
function methodsByPath(routes: readonly RouteEntry[]): PatternRouter<string> {
  const router = new PatternRouter<string>();
  const seen = new Set<string>();
  for (const { method, path } of routes) {
    const key = `${method} ${path}`;
    if (method === 'ALL' || seen.has(key)) continue;
    seen.add(key);
    router.add('GET', path, method);
  }
  return router;
}
