// hub.tls.redirect_http: the plain-HTTP port (usually 80). It answers ACME's HTTP-01 challenges and sends every
// other request to the same host and path over https (301 for GET/HEAD, 308 otherwise so the method and body are
// kept). It serves nothing else, so no page or cookie ever travels unencrypted.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../log.js';

const CHALLENGE = /^\/\.well-known\/acme-challenge\/([A-Za-z0-9_-]+)$/;
const HOSTNAME = /^([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(:\d+)?$/;

export interface RedirectListenerOptions {
  host: string;
  port: number;
  /** The https origin's port to redirect to (443: none in the URL), asked per request: known once the public port listens. */
  httpsPort(): number;
  /** Host to redirect to when the request names none usable. */
  fallbackHost: string;
  /** The key authorization for an HTTP-01 token, or null when no challenge is pending for it. */
  challenge(token: string): string | null;
  logger: Logger;
}

export interface RedirectListener {
  address(): AddressInfo;
  close(): Promise<void>;
}

export async function startRedirectListener(options: RedirectListenerOptions): Promise<RedirectListener> {
  const server = http.createServer({ requestTimeout: 10_000, headersTimeout: 10_000 }, (req, res) => {
    const url = req.url ?? '/';
    const token = CHALLENGE.exec(url.split('?')[0]!)?.[1];
    if (token !== undefined) {
      const answer = options.challenge(token);
      options.logger.info({ token, answered: answer !== null }, 'ACME HTTP-01 challenge fetched');
      res.writeHead(answer === null ? 404 : 200, { 'Content-Type': 'text/plain' });
      res.end(answer ?? 'No such challenge.\n');
      return;
    }
    const named = HOSTNAME.exec(req.headers.host ?? '');
    const hostname = named?.[1] ?? options.fallbackHost;
    const port = options.httpsPort();
    const location = `https://${hostname}${port === 443 ? '' : `:${port}`}${url.startsWith('/') ? url : '/'}`;
    res.writeHead(req.method === 'GET' || req.method === 'HEAD' ? 301 : 308, { Location: location, 'Content-Type': 'text/plain', Connection: 'close' });
    res.end(`Moved to ${location}\n`);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(new Error(`hub.tls.redirect_http: cannot listen on ${options.host}:${options.port} (${err.code ?? err.message})${err.code === 'EACCES' ? '; ports below 1024 need root or CAP_NET_BIND_SERVICE' : ''}`)));
    server.listen(options.port, options.host, () => resolve());
  });
  return {
    address: () => server.address() as AddressInfo,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
