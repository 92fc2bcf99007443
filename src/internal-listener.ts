// The hub's second listener, on an address of the user network, serving the Hono app's REST API to containers
// (JUPYTERHUB_API_URL). It exists so the public listener may stay on 127.0.0.1 and containers still reach the hub.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** JupyterHub's hub port: stable, because running servers keep the URL they were started with across hub restarts. */
export const INTERNAL_PORT = 8081;

export interface InternalListener {
  /** http://<connect host>:<port><base_url>hub/api, no trailing slash. */
  readonly apiUrl: string;
  close(): Promise<void>;
}

export async function listenInternal(
  handler: http.RequestListener,
  where: { listenHost: string; connectHost: string; port?: number; baseUrl: string },
): Promise<InternalListener> {
  // Containers need only the REST API; pages such as the sign-in form stay on the public port, where the proxy
  // vouches for X-Forwarded-For (a container could put anything there).
  const api = `${where.baseUrl}hub/api`;
  const server = http.createServer((req, res) => {
    const refusal = refusalOf(req.url ?? '', req.headers.host, api);
    if (refusal !== null) {
      const body = JSON.stringify({ status: refusal.status, message: refusal.message });
      res.writeHead(refusal.status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
      res.end(body);
      return;
    }
    setPeerAsClient(req);
    handler(req, res);
  });
  server.keepAliveTimeout = 65_000;
  const port = where.port ?? INTERNAL_PORT;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      reject(new Error(
        `The hub cannot listen on ${where.listenHost}:${port} for its containers (${err.code ?? err.message}): ` +
          `${err.code === 'EADDRINUSE' ? 'another process (or another hub on this network) uses that port; stop it, or give this hub its own spawner.network' : 'check the address belongs to this machine'}`,
        { cause: err },
      ));
    });
    server.listen(port, where.listenHost, () => resolve());
  });
  const bound = (server.address() as AddressInfo).port;
  const host = where.connectHost.includes(':') ? `[${where.connectHost}]` : where.connectHost;
  return {
    apiUrl: `http://${host}:${bound}${where.baseUrl}hub/api`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        setTimeout(() => server.closeAllConnections(), 2000).unref();
      }),
  };
}

/** Headers through which a client names another client address or origin; only the socket's peer is believed here. */
const FORWARDING_HEADERS = new Set(['x-forwarded-for', 'x-forwarded-host', 'x-forwarded-proto', 'x-forwarded-port', 'x-real-ip', 'forwarded']);

/**
 * The peer is the container itself: whatever it wrote in X-Forwarded-* is dropped and X-Forwarded-For names the
 * socket's peer, so the app's per-address rules (sign-in throttling) count the container. The app (Hono) reads the
 * raw header lines, node:http code reads `headers`: both are rewritten.
 */
function setPeerAsClient(req: http.IncomingMessage): void {
  const peer = req.socket.remoteAddress ?? 'unknown';
  const kept: string[] = [];
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    if (!FORWARDING_HEADERS.has(req.rawHeaders[i]!.toLowerCase())) kept.push(req.rawHeaders[i]!, req.rawHeaders[i + 1]!);
  }
  kept.push('X-Forwarded-For', peer);
  req.rawHeaders = kept;
  for (const name of FORWARDING_HEADERS) delete req.headers[name];
  req.headers['x-forwarded-for'] = peer;
}

const HOST = /^(?:[A-Za-z0-9_.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;
/** Escapes that would turn into a path separator, a dot segment or a control character once decoded. */
const AMBIGUOUS_ESCAPE = /%(?:2f|5c|2e|0[0-9a-f]|1[0-9a-f]|7f)/i;

/**
 * Why this request target must not reach the app, or null. The path is judged as the app's router will see it:
 * anything that a URL parser or the router would rewrite (dot segments, plain or encoded; backslashes; encoded
 * slashes; empty segments; ";" parameters; control characters; absolute or asterisk forms) is refused outright
 * instead of being normalised, so no spelling of a page's path can pass the prefix check and then land elsewhere.
 */
function refusalOf(target: string, host: string | undefined, api: string): { status: 400 | 404; message: string } | null {
  const shown = JSON.stringify(target.length > 200 ? `${target.slice(0, 200)}…` : target);
  const ambiguous = (why: string) => ({
    status: 400 as const,
    message: `The request target ${shown} is not served to containers: ${why}. Send a plain path under ${api}/.`,
  });
  if (host === undefined || !HOST.test(host)) return ambiguous(`its Host header ${JSON.stringify(String(host ?? '').slice(0, 100))} is not a host name or address with an optional port`);
  if (!target.startsWith('/') || target.startsWith('//')) return ambiguous('it is not a path starting with a single "/"');
  const query = target.indexOf('?');
  const path = query === -1 ? target : target.slice(0, query);
  if (/[\\;#\s\x00-\x1f\x7f]/.test(path)) return ambiguous('its path has a backslash, ";", "#", a space or a control character');
  if (path.includes('//')) return ambiguous('its path has an empty segment ("//")');
  if (AMBIGUOUS_ESCAPE.test(path)) return ambiguous('its path has an encoded ".", "/", "\\" or control character');
  if (path.split('/').some((segment) => segment === '.' || segment === '..')) return ambiguous('its path has a "." or ".." segment');
  // What a URL parser would still change (anything left above) must not be left to it.
  if (new URL(path, 'http://hub.invalid').pathname !== path) return ambiguous('its path is not in the normal form a URL parser keeps');
  let decoded: string;
  try {
    // As the router decodes it (hono's getPath: decodeURI, keeping "%25" as it is).
    decoded = decodeURI(path.replace(/%25/g, '%2525'));
  } catch {
    return ambiguous('its path has an invalid percent-escape');
  }
  if (decoded === api || decoded.startsWith(`${api}/`)) return null;
  return { status: 404, message: `Only ${api}/ is served to containers here; pages are on the hub's public URL.` };
}
