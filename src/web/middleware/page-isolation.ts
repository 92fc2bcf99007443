// Keeps hub answers out of reach of scripts that share the hub's origin (a user's server at /user/<name>/ does):
// no hub answer may be framed, stay scriptable by the window that opened it, or be read back from the HTTP cache,
// and a signed-in browser gets hub pages only by navigating to them, so fetch(), a frame or an embed cannot scrape
// a page's _xsrf.
import type { MiddlewareHandler } from 'hono';
import { LOGIN_COOKIE } from '../../auth/sessions.js';
import { readCookie } from '../../auth/signed-value.js';
import { HttpError } from '../../errors.js';
import type { AppEnv } from '../env.js';
import { HUB_IMAGES } from '../pages/logo-routes.js';
import { renderError } from '../errors.js';

/**
 * On every answer, JSON included: a framed or opened JSON answer is a same-origin document too, and its
 * document.cookie holds the `_xsrf` cookie. frame-ancestors is 'none', not 'self': 'self' is the shared origin,
 * users' servers included.
 */
const ISOLATION_HEADERS: Record<string, string> = {
  'Content-Security-Policy': "frame-ancestors 'none'",
  'X-Frame-Options': 'DENY',
  // A window opened by a user's page ends up in another browsing context group: the opener's handle goes dead.
  'Cross-Origin-Opener-Policy': 'same-origin',
  // fetch(url, {cache: 'force-cache'}) answers from the HTTP cache without asking the hub: a page the user visited
  // (with its _xsrf) or an API answer must not be there to read back. A handler may still choose its own.
  'Cache-Control': 'no-store',
};

/** `baseUrl`: the hub's base_url; pages are everything under <base_url>hub/ except the JSON API. */
export function pageIsolation(deps: { baseUrl: string }): MiddlewareHandler<AppEnv> {
  if (!deps.baseUrl) throw new Error('pageIsolation() needs baseUrl');
  const apiPrefix = `${deps.baseUrl}hub/api/`;
  // The OAuth provider's authorize endpoint is a page (the consent form carries _xsrf).
  const oauthPrefix = `${apiPrefix}oauth2/`;

  // The proxy sends requests for a stopped server here, scripts' API calls included: those get JupyterHub's JSON 424
  // (server-routes.ts), so they are not refused up front; an HTML answer to them is still never let through.
  const userUrlPrefix = `${deps.baseUrl}hub/user/`;
  // Images every page may embed (the logo, the icon); they hold nothing about the visitor.
  const images = new Set(HUB_IMAGES.map((name) => `${deps.baseUrl}hub/${name}`));
  // The pages' stylesheets and scripts (pages/static-assets.ts): the same bytes for everyone.
  const staticPrefix = `${deps.baseUrl}hub/static/`;

  return async function pageIsolationMiddleware(c, next) {
    // Set before anything can throw: answers made through the context (errors included) carry them.
    for (const [name, value] of Object.entries(ISOLATION_HEADERS)) c.header(name, value);
    const dest = c.req.header('sec-fetch-dest');
    const path = c.req.path;
    const page = !(path.startsWith(apiPrefix) || `${path}/` === apiPrefix) || path.startsWith(oauthPrefix);
    // JupyterHub lets script fetch its pages (their forms carry _xsrf); with users on the same origin that leaks it.
    const scripted = dest !== undefined && dest !== 'document' && page && !images.has(path) && !path.startsWith(staticPrefix) && (c.req.method === 'GET' || c.req.method === 'HEAD')
      && readCookie(c.req.header('cookie'), LOGIN_COOKIE) !== undefined;
    const refusal = () => new HttpError(403, `Hub pages are only served to a browser navigating to them: ${path} was requested for "${dest}" (a script, frame or embed). Open it from a link or the address bar.`);
    if (scripted && !path.startsWith(userUrlPrefix)) throw refusal();
    await next();
    if (scripted && /^text\/html/i.test(c.res.headers.get('content-type') ?? '')) c.res = renderError(refusal(), c);
  };
}
