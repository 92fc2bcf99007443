// What a proxied request's headers become before they reach a user's server: X-Forwarded-* added (the
// single-user server trusts them) and the hub's login cookie removed (it must never reach user code).
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';

/** The hub's own login cookie (and its __Host- variant). The single-user server never reads it. */
const HUB_LOGIN_COOKIE = 'jupyterhub-hub-login';

/**
 * The Cookie header without the hub's login cookie; undefined when nothing is left.
 * `_xsrf` is kept on purpose: the hub's `_xsrf` has path `<base_url>hub/`, so browsers never send it to
 * `/user/…`, while the single-user server sets and checks its own cookie of the same name there.
 */
export function withoutHubCookies(cookie: string | undefined): string | undefined {
  if (cookie === undefined || !cookie.includes(HUB_LOGIN_COOKIE)) return cookie;
  const kept: string[] = [];
  for (const part of cookie.split(';')) {
    const pair = part.trim();
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const name = (eq === -1 ? pair : pair.slice(0, eq)).trim();
    if (name === HUB_LOGIN_COOKIE || name === `__Host-${HUB_LOGIN_COOKIE}`) continue;
    kept.push(pair);
  }
  return kept.length > 0 ? kept.join('; ') : undefined;
}

/**
 * Rewrites `req.headers` in place for forwarding (the proxy library copies them as they are); the hub's own
 * cookie is withheld unless the request goes to the hub app (`toHub`).
 * X-Forwarded-For/Proto/Port are appended to what a front proxy sent, as configurable-http-proxy does;
 * X-Forwarded-Host keeps the first value. Proto is http/https for WebSockets too (tornado ignores ws/wss).
 */
export function prepareForwardedHeaders(req: IncomingMessage, toHub = false): void {
  const headers = req.headers;
  if (!toHub) {
    const cookie = withoutHubCookies(headers.cookie);
    if (cookie === undefined) delete headers.cookie;
    else headers.cookie = cookie;
  }

  const encrypted = (req.socket as TLSSocket).encrypted === true;
  const host = headers.host ?? '';
  const port = /:(\d+)$/.exec(host)?.[1] ?? (encrypted ? '443' : '80');
  append(headers, 'x-forwarded-for', req.socket.remoteAddress ?? '');
  append(headers, 'x-forwarded-proto', encrypted ? 'https' : 'http');
  append(headers, 'x-forwarded-port', port);
  if (!headers['x-forwarded-host']) headers['x-forwarded-host'] = host;
}

function append(headers: IncomingHttpHeaders, name: string, value: string): void {
  const prior = headers[name];
  headers[name] = prior ? `${Array.isArray(prior) ? prior.join(',') : prior},${value}` : value;
}
