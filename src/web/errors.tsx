// The one place errors become responses: JSON {status, message} under /api/, an HTML page elsewhere (and at the
// OAuth provider's authorize step, a page a browser navigates to).
import type { Context } from 'hono';
import { HttpError } from '../errors.js';
import type { AppEnv } from './env.js';
import { ErrorPage } from './pages/error-page.js';
import { renderPage } from './pages/layout.js';
import { frameOf } from './pages/page-frame.js';

export function isApiPath(path: string): boolean {
  return /\/hub\/api(\/|$)/.test(path) && !/\/hub\/api\/oauth2\/authorize$/.test(path);
}

export function renderError(err: unknown, c: Context<AppEnv>): Response {
  const status = err instanceof HttpError ? err.status : 500;
  const message = err instanceof HttpError ? err.message : 'Internal error: the hub could not complete this request (see the hub log)';
  if (!(err instanceof HttpError) || status >= 500) {
    (c.get('log') ?? console).error({ err }, 'request failed');
  }
  const headers = err instanceof HttpError ? err.headers : {};
  if (isApiPath(c.req.path)) {
    return c.json({ status, message }, status as 400, headers);
  }
  return c.html(renderPage(<ErrorPage frame={frameOf(c)} status={status} message={message} />), status as 400, headers);
}
