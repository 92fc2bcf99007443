// Which part of the hub answers a request: the Hono app, one user's server, a hub.yaml service, a redirect, or a refusal. By path, and
// with hub.subdomain_host also by Host. Pure. Targets are not stored here: the RouteSource (server state) has them.
import { userHostname, userOrigin, type SubdomainHost } from '../servers/user-origin.js';
import { parseUsername } from '../users/username.js';
import { serviceHostname, serviceOrigin } from '../services/service-origin.js';

/**
 * Where `/user/<name>/` goes, read from the server state on each request so no route can outlive its server.
 * Implemented by the servers module; all three calls are in-memory and cheap (they run on the proxy's hot path).
 */
export interface RouteSource {
  /**
   * `http://ip:port` (no path) while the server `path` is for runs, else null: a running named server whose prefix
   * `path` is under (`/user/<name>/<server>/…`) before the user's default server, the longer prefix first.
   */
  target(userName: string, path: string): RouteTarget | null;
  /** `http://ip:port` of a hub.yaml service with a url (its prefix `<base_url>services/<name>/`), else null. */
  serviceTarget(serviceName: string): string | null;
  /** Bytes flowed to or from a server (`serverName` '' is the default one); the proxy throttles to about once a second per server. */
  noteActivity(userName: string, serverName: string): void;
  /** The target refused or could not be reached: the state may be stale and should be checked. */
  noteUnreachable(userName: string): void;
}

export type Route =
  | { kind: 'hub' }
  /**
   * `path` is the normalised path and query to forward unchanged (`/user/<name>/…?…`); `fallback` is where to send
   * a browser while the server is not running (the hub's /hub/user/<name>/… page, on the hub's host).
   */
  | { kind: 'user'; name: string; path: string; fallback: string }
  /** `<base_url>services/<name>[/…]`, forwarded unchanged to the service; `fallback` as for a user's server. */
  | { kind: 'service'; name: string; path: string; fallback: string }
  | { kind: 'redirect'; location: string }
  /** A request that is not a GET on the wrong host: moving it elsewhere would change what it means. */
  | { kind: 'refuse'; status: number; message: string };

/**
 * Whose backend a proxied request reaches: a user's server (its traffic is the user's activity, and a failure to
 * reach it asks the server state for a check) or a hub.yaml service. Either may set cookies only under its prefix.
 */
export type Backend = { kind: 'user'; name: string; server: string } | { kind: 'service'; name: string };

/** Where a user's request goes: the server's address and which of the user's servers it is ('' for the default). */
export interface RouteTarget {
  url: string;
  server: string;
}

/** The request's Host and method, for routing by origin when hub.subdomain_host is set. */
export interface RequestSite {
  host: string | undefined;
  method: string;
  subdomain: SubdomainHost;
}

const PARSE_BASE = 'http://berth.invalid';

// A target made only of these, with no dot segment and not starting `//`, is one the URL parser leaves as it is.
const PLAIN_TARGET = /^\/(?!\/)[A-Za-z0-9\-._~!$&()*+,;=:@/%?]*$/;
const DOT_SEGMENT = /\/(\.|%2e)/i;

/**
 * The path and query of a request target as WHATWG's URL parser normalises them; null when it cannot be parsed.
 * Most targets are already normal: those skip the parser, which is the most expensive step of routing a request.
 */
export function splitTarget(rawUrl: string): { pathname: string; search: string } | null {
  if (PLAIN_TARGET.test(rawUrl) && !DOT_SEGMENT.test(rawUrl)) {
    const query = rawUrl.indexOf('?');
    if (query === -1) return { pathname: rawUrl, search: '' };
    // An empty query is no query to the parser (`/a?` is `/a`).
    return { pathname: rawUrl.slice(0, query), search: query === rawUrl.length - 1 ? '' : rawUrl.slice(query) };
  }
  try {
    const { pathname, search } = new URL(rawUrl, PARSE_BASE);
    return { pathname, search };
  } catch {
    return null;
  }
}

/**
 * Classifies a request target. The path is normalised as WHATWG URLs do (dot segments, backslashes), which is
 * also what the proxy library forwards and what Hono routes on, so the user chosen here is the one reached.
 */
export function routeRequest(rawUrl: string, baseUrl: string, site?: RequestSite): Route {
  const parts = splitTarget(rawUrl);
  if (parts === null) return { kind: 'redirect', location: `${site?.subdomain.origin ?? ''}${baseUrl}hub/` };
  const { pathname, search } = parts;
  const path = pathname + search;
  const hub = `${baseUrl}hub`;
  const isHub = pathname.startsWith(hub) && (pathname.length === hub.length || pathname[hub.length] === '/');
  const name = isHub ? null : userOfPath(pathname, baseUrl);
  const service = isHub || name !== null ? null : serviceOfPath(pathname, baseUrl);
  if (site === undefined) {
    if (isHub) return { kind: 'hub' };
    if (name !== null) return { kind: 'user', name, path, fallback: hubRedirect(path, baseUrl) };
    if (service !== null) return { kind: 'service', name: service, path, fallback: hubRedirect(path, baseUrl) };
    return { kind: 'redirect', location: hubRedirect(path, baseUrl) };
  }
  return routeBySite(site, baseUrl, { isHub, name, service, path });
}

/**
 * hub.subdomain_host: the hub answers only on its own host and a user's server only on that user's host, so a page
 * of one origin can never read another (JupyterHub's host routing, but the hub is not served on users' hosts).
 * A GET for the wrong host is redirected to the right one; anything else is refused.
 */
function routeBySite(site: RequestSite, baseUrl: string, request: { isHub: boolean; name: string | null; service: string | null; path: string }): Route {
  const { subdomain } = site;
  const { isHub, name, service, path } = request;
  const hostname = hostnameOf(site.host);
  const onHub = (where: string) => `${subdomain.origin}${where}`;
  if (hostname === subdomain.hostname) {
    if (isHub) return { kind: 'hub' };
    if (name !== null) return elsewhere(site, userOrigin(subdomain, name), path);
    if (service !== null) return elsewhere(site, serviceOrigin(subdomain, service), path);
    return { kind: 'redirect', location: hubRedirect(path, baseUrl) };
  }
  if (name !== null && hostname === userHostname(subdomain, name)) {
    return { kind: 'user', name, path, fallback: onHub(hubRedirect(path, baseUrl)) };
  }
  // A service on its own host (JupyterHub 5: `<name>--service.<host>`), never on a user's or the hub's.
  if (service !== null && hostname === serviceHostname(subdomain, service)) {
    return { kind: 'service', name: service, path, fallback: onHub(hubRedirect(path, baseUrl)) };
  }
  // Another user's path, the hub's pages or an unknown host: the hub's host decides where it belongs.
  return elsewhere(site, subdomain.origin, isHub || name !== null || service !== null ? path : hubRedirect(path, baseUrl));
}

function elsewhere(site: RequestSite, origin: string, path: string): Route {
  if (site.method === 'GET' || site.method === 'HEAD') return { kind: 'redirect', location: `${origin}${path}` };
  return {
    kind: 'refuse',
    status: 421,
    message: `${site.method} ${path} is not served on ${site.host ?? 'this host'}: with hub.subdomain_host, it belongs to ${origin}; send it there.`,
  };
}

const HOST_HEADER = /^([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(:\d{1,5})?$/;

/** The lower-case host name of a Host header (no port); '' when it is missing or not a plain host[:port]. */
function hostnameOf(host: string | undefined): string {
  const match = host === undefined ? null : HOST_HEADER.exec(host);
  return match === null ? '' : match[1].toLowerCase();
}

/** The user a `<base_url>user/<name>[/…]` path belongs to, or null (names must already be in canonical form). */
export function userOfPath(pathname: string, baseUrl: string): string | null {
  const prefix = `${baseUrl}user/`;
  if (!pathname.startsWith(prefix)) return null;
  const end = pathname.indexOf('/', prefix.length);
  const segment = pathname.slice(prefix.length, end === -1 ? undefined : end);
  if (segment === '') return null;
  let decoded = segment;
  try {
    if (segment.includes('%')) decoded = decodeURIComponent(segment);
  } catch {
    return null;
  }
  // A non-canonical spelling (/user/Alice/) would reach alice's server with a path it does not serve;
  // the hub answers it instead.
  return parseUsername(decoded) === decoded ? decoded : null;
}

const SERVICE_NAME = /^[a-z0-9][a-z0-9_-]*$/;

/**
 * The service a `<base_url>services/<name>[/…]` path belongs to, or null. The segment is taken as it is (service
 * names need no escaping, so an escaped spelling is not theirs), and `/services/<name>` alone counts, as the
 * proxy's prefix match does in JupyterHub (the service then redirects to its prefix itself).
 */
export function serviceOfPath(pathname: string, baseUrl: string): string | null {
  const prefix = `${baseUrl}services/`;
  if (!pathname.startsWith(prefix)) return null;
  const end = pathname.indexOf('/', prefix.length);
  const segment = pathname.slice(prefix.length, end === -1 ? undefined : end);
  return SERVICE_NAME.test(segment) ? segment : null;
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

/** A route as the proxy keeps it: `key` is a route key (`<user>` or `<user>/<server>`), `url` where it goes. */
export function routeTargetOf(key: string, url: string): RouteTarget {
  const slash = key.indexOf('/');
  return { url, server: slash === -1 ? '' : key.slice(slash + 1) };
}

/**
 * The longest route for `path` among `routes` (keyed `<user>` and `<user>/<server>`, as the servers' route table
 * sends them): the named server the path's next segment names when it runs, else the user's default server.
 */
export function lookupTarget(routes: ReadonlyMap<string, RouteTarget>, baseUrl: string, userName: string, path: string): RouteTarget | null {
  const start = baseUrl.length + 'user/'.length;
  const afterUser = path.indexOf('/', start);
  if (afterUser !== -1) {
    let end = afterUser + 1;
    while (end < path.length && path[end] !== '/' && path[end] !== '?') end++;
    // Only a segment followed by `/` is a server's prefix; `/user/alice/work` alone is a path of the default server.
    if (end > afterUser + 1 && path[end] === '/') {
      let server: string | null = null;
      try {
        server = decodeURIComponent(path.slice(afterUser + 1, end));
      } catch {
        server = null;
      }
      const named = server === null ? undefined : routes.get(`${userName}/${server}`);
      if (named !== undefined) return named;
    }
  }
  return routes.get(userName) ?? null;
}
