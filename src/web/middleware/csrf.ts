// Refuses cross-site state changes: an unsafe request that could ride on the browser's hub cookie must come
// from this origin (Sec-Fetch-Site / Origin) or carry the session's _xsrf token. Token-authenticated calls pass untouched.
import type { Context, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { HttpError } from '../../errors.js';
import { LOGIN_COOKIE, type Sessions } from '../../auth/sessions.js';
import { readCookie, signValue, verifyValue } from '../../auth/signed-value.js';
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

/** `baseUrl`: the hub's base_url (default "/"), to tell the JSON API (<base_url>hub/api/) from pages. */
export function csrf(deps: { secret: Buffer; publicUrl: string; sessions: Sessions; baseUrl?: string }): MiddlewareHandler<AppEnv> {
  const publicOrigin = new URL(deps.publicUrl).origin;
  const apiPrefix = `${deps.baseUrl ?? '/'}hub/api/`;
  // The OAuth provider's endpoints are browser pages and form posts (consent) or cookie-less server calls, not the JSON API.
  const oauthPrefix = `${apiPrefix}oauth2/`;

  return async function csrfMiddleware(c, next) {
    // Browsers never attach an Authorization header on their own, so such a request is not riding on ambient credentials.
    if (/^(token|bearer)\s+\S/i.test(c.req.header('authorization') ?? '')) return next();
    const cookieHeader = c.req.header('cookie');
    const carriesLogin = readCookie(cookieHeader, LOGIN_COOKIE) !== undefined;
    const api = carriesLogin && c.req.path.startsWith(apiPrefix) && !c.req.path.startsWith(oauthPrefix);

    if (SAFE.has(c.req.method)) {
      // A page on another site may embed or script a GET (no-cors, cors), and Lax cookies ride along from sibling
      // sites: such reads of the API get no cookie identity (JupyterHub's rule since GHSA-m68r). Navigation is fine.
      if (api && crossSiteRead(c)) {
        throw new HttpError(403, `Cross-site request refused: ${c.req.method} ${c.req.path} with the hub cookie must come from a page of this hub (${publicOrigin}), or use an API token.`);
      }
      return next();
    }
    // text/plain and form encodings are what a cross-site <form> can send without a CORS preflight.
    const type = c.req.header('content-type');
    if (api && type !== undefined && !/^application\/json\s*(;|$)/i.test(type)) {
      throw new HttpError(403, `Cookie-authenticated API requests must send Content-Type: application/json (got ${JSON.stringify(type.slice(0, 100))}), or use an API token.`);
    }

    const verdict = sameOrigin(c, publicOrigin);
    if (verdict === 'yes') return next();
    if (carriesLogin && (await hasValidToken(c, deps, cookieHeader))) return next();
    if (verdict === 'no') {
      throw new HttpError(403, `Cross-site request refused: ${c.req.method} ${c.req.path} must come from a page of this hub (${publicOrigin}).`);
    }
    // No browser signal at all (a script, curl): harmless without the login cookie, e.g. the OAuth token endpoint.
    if (!carriesLogin) return next();
    throw new HttpError(403, `'${XSRF}' argument missing from ${c.req.method}: send the form's _xsrf field or the X-XSRFToken header, or authenticate with an API token.`);
  };

  async function hasValidToken(c: Context<AppEnv>, d: typeof deps, cookieHeader: string | undefined): Promise<boolean> {
    const signedIn = d.sessions.fromCookieHeader(cookieHeader);
    if (signedIn === null) return false;
    let given = c.req.header('x-xsrftoken') ?? c.req.query(XSRF);
    const type = c.req.header('content-type') ?? '';
    if (!given && (type.startsWith('application/x-www-form-urlencoded') || type.startsWith('multipart/form-data'))) {
      let field: unknown;
      await formLimit(c, async () => {
        field = (await c.req.parseBody())[XSRF];
      });
      if (typeof field === 'string') given = field;
    }
    return given !== undefined && verifyValue(d.secret, XSRF, `${signedIn.sessionId}.${given}`) === signedIn.sessionId;
  }
}

/** A GET the browser says comes from another site and is not a top-level navigation. */
function crossSiteRead(c: Context<AppEnv>): boolean {
  const site = c.req.header('sec-fetch-site');
  return (site === 'cross-site' || site === 'same-site') && c.req.header('sec-fetch-mode') !== 'navigate';
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
