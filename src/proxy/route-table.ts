// Which part of the hub answers a request path: the Hono app, one user's server, or a redirect into /hub/.
// Pure. Targets are not stored here: they come from the RouteSource (the server state) on every request.
import { parseUsername } from '../users/username.js';

/**
 * Where `/user/<name>/` goes, read from the server state on each request so no route can outlive its server.
 * Implemented by the servers module; all three calls are in-memory and cheap (they run on the proxy's hot path).
 */
export interface RouteSource {
  /** `http://ip:port` (no path) while the server is running, else null. */
  target(userName: string): string | null;
  /** Bytes flowed to or from the server; the proxy already throttles to about once a second per user. */
  noteActivity(userName: string): void;
  /** The target refused or could not be reached: the state may be stale and should be checked. */
  noteUnreachable(userName: string): void;
}

export type Route =
  | { kind: 'hub' }
  /** `path` is the normalised path and query to forward unchanged (`/user/<name>/…?…`). */
  | { kind: 'user'; name: string; path: string }
  | { kind: 'redirect'; location: string };

const PARSE_BASE = 'http://berth.invalid';

/**
 * Classifies a request target. The path is normalised as WHATWG URLs do (dot segments, backslashes), which is
 * also what the proxy library forwards and what Hono routes on, so the user chosen here is the one reached.
 */
export function routeRequest(rawUrl: string, baseUrl: string): Route {
  let url: URL;
  try {
    url = new URL(rawUrl, PARSE_BASE);
  } catch {
    return { kind: 'redirect', location: `${baseUrl}hub/` };
  }
  const { pathname, search } = url;
  const hub = `${baseUrl}hub`;
  if (pathname.startsWith(hub) && (pathname.length === hub.length || pathname[hub.length] === '/')) {
    return { kind: 'hub' };
  }
  const name = userOfPath(pathname, baseUrl);
  if (name !== null) return { kind: 'user', name, path: pathname + search };
  return { kind: 'redirect', location: hubRedirect(pathname + search, baseUrl) };
}

/** The user a `<base_url>user/<name>[/…]` path belongs to, or null (names must already be in canonical form). */
export function userOfPath(pathname: string, baseUrl: string): string | null {
  const prefix = `${baseUrl}user/`;
  if (!pathname.startsWith(prefix)) return null;
  const end = pathname.indexOf('/', prefix.length);
  const segment = pathname.slice(prefix.length, end === -1 ? undefined : end);
  if (segment === '') return null;
  let decoded: string;
  try {
    decoded = decodeURIComponent(segment);
  } catch {
    return null;
  }
  // A non-canonical spelling (/user/Alice/) would reach alice's server with a path it does not serve;
  // the hub answers it instead.
  return parseUsername(decoded) === decoded ? decoded : null;
}

/**
 * JupyterHub's PrefixRedirectHandler: anything outside `<base_url>hub/` that is not routed is sent to the same
 * path under `<base_url>hub/` (`/` → `/hub/`, `/user/alice/lab?x` → `/hub/user/alice/lab?x`).
 */
export function hubRedirect(pathAndQuery: string, baseUrl: string): string {
  let rest: string;
  if (pathAndQuery.startsWith(baseUrl)) rest = pathAndQuery.slice(baseUrl.length);
  else if (`${pathAndQuery}/` === baseUrl || pathAndQuery.startsWith(`${baseUrl.slice(0, -1)}?`)) rest = pathAndQuery.slice(baseUrl.length - 1);
  else rest = pathAndQuery;
  // Never `//host`: the location must stay a path on this hub.
  return `${baseUrl}hub/${rest.replace(/^[/\\]+/, '')}`;
}
