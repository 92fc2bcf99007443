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
    const path = (req.url ?? '').split('?', 1)[0]!;
    if (path === api || path.startsWith(`${api}/`)) {
      handler(req, res);
      return;
    }
    const body = JSON.stringify({ status: 404, message: `Only ${api}/ is served to containers here; pages are on the hub's public URL.` });
    res.writeHead(404, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
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
