// XSRF as JupyterHub 4.1+ does it (CVE-2024-28233): a request that rides on the login cookie must carry the
// session's _xsrf token when it changes state or reads the JSON API other than by navigation. Same-origin is not
// enough: users' servers share the hub's origin. Token-authenticated calls pass; cookie-less ones get a cross-site check.
import { timingSafeEqual } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { deleteCookie, setCookie } from 'hono/cookie';
import { HttpError } from '../../errors.js';
import type { Sessions } from '../../auth/sessions.js';
import { readCookie, signValue } from '../../auth/signed-value.js';
import type { HubConfig } from '../../config/load.js';
import type { AppEnv } from '../env.js';

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);
const XSRF = '_xsrf';
/** Forms carry a few fields; a body read only to find _xsrf must not let anyone make the hub buffer megabytes. */
export const FORM_LIMIT_BYTES = 64 * 1024;
const formLimit = bodyLimit({
  maxSize: FORM_LIMIT_BYTES,
  onError: (c) => {
    // No `Connection: close`: closing with the body unread resets the connection, which can lose this answer on
    // its way through the proxy. The node adapter drains what is left (64 MiB or 500 ms at most) instead.
    throw new HttpError(413, `The form sent to ${c.req.path} is too large (${FORM_LIMIT_BYTES / 1024} KiB at most).`);
  },
});

/** The _xsrf value for a session: forms carry it as a hidden `_xsrf` field, scripts as the X-XSRFToken header. */
export function xsrfToken(secret: Buffer, sessionId: string): string {
  return signValue(secret, XSRF, sessionId).slice(sessionId.length + 1);
}

/** Where the `_xsrf` cookie lives and how long: the login cookie's path and Secure flag, readable by page scripts. */
export interface XsrfCookie {
  path: string;
  secure: boolean;
  maxAge: number;
}

/** The `_xsrf` cookie's place for this hub: beside the login cookie, for as long as a session lasts. */
export function xsrfCookie(deps: { sessions: Pick<Sessions, 'cookieOptions'>; config: Pick<HubConfig, 'auth'> }): XsrfCookie {
  const { path, secure } = deps.sessions.cookieOptions;
  // Read when a cookie is set: auth.session_max_age applies live (config/live-config.ts).
  return {
    path,
    secure,
    get maxAge() {
      return deps.config.auth.session_max_age;
    },
  };
}

/** Gives the browser the session's `_xsrf` cookie, which JupyterHub clients send back as X-XSRFToken. */
export function setXsrfCookie(c: Context, secret: Buffer, sessionId: string, cookie: XsrfCookie): void {
  // Not HttpOnly, by design: page scripts read it. A user's page on the shared origin cannot, because the cookie's
  // path is the hub's and hub answers are never framed or left scriptable by their opener (page-isolation.ts).
  setCookie(c, XSRF, xsrfToken(secret, sessionId), { path: cookie.path, secure: cookie.secure, httpOnly: false, sameSite: 'Lax', maxAge: cookie.maxAge });
}

export function clearXsrfCookie(c: Context, cookie: XsrfCookie): void {
  deleteCookie(c, XSRF, { path: cookie.path, secure: cookie.secure });
}

/**
 * Runs after identify(). `baseUrl`: the hub's base_url, to tell the JSON API (<base_url>hub/api/) from pages;
 * `cookie`: where the `_xsrf` cookie is set when a page is shown to a signed-in browser.
 */
export function csrf(deps: { secret: Buffer; publicUrl: string; baseUrl: string; cookie: XsrfCookie }): MiddlewareHandler<AppEnv> {
  if (!deps.secret || !deps.publicUrl || !deps.baseUrl || !deps.cookie) throw new Error('csrf() needs secret, publicUrl, baseUrl and cookie');
  const publicOrigin = new URL(deps.publicUrl).origin;
  const apiPrefix = `${deps.baseUrl}hub/api/`;
  // The OAuth provider's endpoints are browser pages and form posts (consent) or cookie-less server calls, not the JSON API.
  const oauthPrefix = `${apiPrefix}oauth2/`;
  const isJsonApi = (path: string) => (path.startsWith(apiPrefix) || `${path}/` === apiPrefix) && !path.startsWith(oauthPrefix);

  return async function csrfMiddleware(c, next) {
    const caller = c.get('caller');
    if (caller?.via === 'token') return next();
    const method = c.req.method;
    const safe = SAFE.has(method);
    if (!safe && sameOrigin(c, publicOrigin) === 'no') {
      throw new HttpError(403, `Cross-site request refused: ${method} ${c.req.path} must come from a page of this hub (${publicOrigin}).`);
    }
    const sessionId = caller?.kind === 'user' && caller.via === 'cookie' ? caller.sessionId : null;
    // No session behind the cookie (or none at all): nothing ambient to ride on, e.g. the OAuth token endpoint.
    if (!sessionId) return next();

    if (needsXsrf(c, isJsonApi(c.req.path))) {
      // text/plain and form encodings are what a <form> can send without a CORS preflight.
      const type = c.req.header('content-type');
      if (!safe && isJsonApi(c.req.path) && type !== undefined && !/^application\/json\s*(;|$)/i.test(type)) {
        throw new HttpError(403, `Cookie-authenticated API requests must send Content-Type: application/json (got ${JSON.stringify(type.slice(0, 100))}), or use an API token.`);
      }
      const given = await presentedXsrf(c);
      const valid = given !== undefined && sameValue(given, xsrfToken(deps.secret, sessionId));
      if (safe && !valid) {
        // As JupyterHub's APIHandler: such a read is answered as anonymous (public endpoints still answer).
        c.var.log.warn({ method, path: c.req.path, mode: c.req.header('sec-fetch-mode') }, `not accepting the login cookie without _xsrf on a ${method} that is not a navigation`);
        c.set('caller', null);
        return next();
      }
      if (given === undefined) {
        throw new HttpError(403, `'${XSRF}' argument missing from ${method} ${c.req.path}: send the session's _xsrf (the X-XSRFToken header, from the _xsrf cookie, or the form's _xsrf field), or authenticate with an API token.`);
      }
      if (!valid) {
        throw new HttpError(403, `XSRF cookie does not match ${method} argument (${c.req.path}): reload the hub page you came from (signing in again gives a new _xsrf), or authenticate with an API token.`);
      }
    }
    await next();

    // As JupyterHub: the cookie is (re)set only when a page is shown to a navigation, never on API answers.
    const mode = c.req.header('sec-fetch-mode');
    const page = /^text\/html/i.test(c.res.headers.get('content-type') ?? '');
    if (page && (mode === undefined || mode === 'navigate') && readCookie(c.req.header('cookie'), XSRF) !== xsrfToken(deps.secret, sessionId)) {
      setXsrfCookie(c, deps.secret, sessionId, deps.cookie);
    }
  };
}

/**
 * JupyterHub's _needs_check_xsrf, stricter on `no-cors`, which JupyterHub never checks: here a no-cors state change
 * is checked like any other, and so is a no-cors read of the JSON API, because a same-origin no-cors answer is
 * readable by the page that asked.
 */
function needsXsrf(c: Context<AppEnv>, jsonApi: boolean): boolean {
  const mode = c.req.header('sec-fetch-mode');
  if (mode === 'websocket') return false;
  if (!SAFE.has(c.req.method)) return true;
  if (mode === undefined || mode === 'navigate') return false;
  // Reads of hub pages are page-isolation.ts's business: only navigations get them.
  return jsonApi;
}

/** The _xsrf a request presents: X-XSRFToken (or X-CSRFToken), the `_xsrf` query argument, or the form field. */
async function presentedXsrf(c: Context<AppEnv>): Promise<string | undefined> {
  const given = c.req.header('x-xsrftoken') || c.req.header('x-csrftoken') || c.req.query(XSRF);
  if (given) return given;
  const type = c.req.header('content-type') ?? '';
  if (!type.startsWith('application/x-www-form-urlencoded') && !type.startsWith('multipart/form-data')) return undefined;
  let field: unknown;
  await formLimit(c, async () => {
    field = (await c.req.parseBody())[XSRF];
  });
  return typeof field === 'string' && field !== '' ? field : undefined;
}

function sameValue(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** 'yes' / 'no' from the browser's own headers, or 'unknown' when it sent neither (not a browser, or a very old one). */
function sameOrigin(c: Context<AppEnv>, publicOrigin: string): 'yes' | 'no' | 'unknown' {
  const site = c.req.header('sec-fetch-site');
  if (site !== undefined) return site === 'same-origin' || site === 'none' ? 'yes' : 'no';
  const origin = c.req.header('origin');
  if (origin === undefined) return 'unknown';
  const host = c.req.header('host');
  const requestOrigin = host ? `${new URL(c.req.url).protocol}//${host}` : null;
  return origin === publicOrigin || origin === requestOrigin ? 'yes' : 'no';
}
