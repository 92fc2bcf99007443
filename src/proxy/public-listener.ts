// The one public listener: <base_url>hub/ → the hub app, <base_url>user/<name>/ (HTTP and WebSocket) → that
// user's server while it runs, anything else → a redirect into <base_url>hub/ as JupyterHub does.
import http from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from '../log.js';
import { createForwarder, type ForwarderOptions } from './forwarder.js';
import { rejectUpgrade } from './responses.js';
import { hubRedirect, routeRequest, type RouteSource } from './route-table.js';

export type HubRequestListener = (req: http.IncomingMessage, res: http.ServerResponse) => unknown;

export interface PublicListenerOptions extends Pick<ForwarderOptions, 'upgradeTimeoutMs' | 'closeGraceMs' | 'activityIntervalMs'> {
  baseUrl: string;
  routes: RouteSource;
  /** The hub app as a Node listener (`getRequestListener(app.fetch)`). */
  hub: HubRequestListener;
  logger: Logger;
}

export interface PublicListener {
  readonly server: http.Server;
  /** Ends proxied WebSockets and backend keep-alive connections; call it when stopping, or server.close() never completes. */
  closeProxied(): void;
}

export function createPublicListener(options: PublicListenerOptions): PublicListener {
  const { baseUrl, routes, hub, logger } = options;
  const forwarder = createForwarder(options);

  function dispatch(req: http.IncomingMessage, res: http.ServerResponse): void {
    const route = routeRequest(req.url ?? '/', baseUrl);
    if (route.kind === 'hub') {
      Promise.resolve(hub(req, res)).catch((err) => failed(err, res));
      return;
    }
    if (route.kind === 'redirect') {
      redirect(res, route.location);
      return;
    }
    const target = routes.target(route.name);
    if (target === null) {
      // Not running: the hub's /hub/user/<name>/… page offers to start it (and guards against loops).
      redirect(res, hubRedirect(route.path, baseUrl));
      return;
    }
    req.url = route.path;
    forwarder.web(req, res, route.name, target);
  }

  function upgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    const route = routeRequest(req.url ?? '/', baseUrl);
    if (route.kind !== 'user') {
      rejectUpgrade(socket, 404, `WebSocket connections are proxied only under ${baseUrl}user/<name>/.`);
      return;
    }
    const target = routes.target(route.name);
    if (target === null) {
      // 424 is JupyterHub's answer to API clients of a server that is not running.
      rejectUpgrade(socket, 424, `The server of ${route.name} is not running; start it from ${baseUrl}hub/home.`);
      return;
    }
    req.url = route.path;
    forwarder.ws(req, socket, head, route.name, target);
  }

  function failed(err: unknown, res: http.ServerResponse): void {
    logger.error({ err }, 'public listener could not answer a request');
    if (!res.headersSent) {
      res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('Internal error: the hub could not complete this request (see the hub log).\n');
    } else {
      res.destroy();
    }
  }

  const server = http.createServer((req, res) => {
    try {
      dispatch(req, res);
    } catch (err) {
      failed(err, res);
    }
  });
  server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    // Errors of proxied upgrades are logged by the forwarder; a refused one has nothing worth reporting,
    // but an 'error' without a listener would crash the hub.
    socket.on('error', ignoreSocketError);
    try {
      upgrade(req, socket, head);
    } catch (err) {
      logger.error({ err }, 'public listener could not handle an upgrade');
      socket.destroy();
    }
  });

  return { server, closeProxied: () => forwarder.close() };
}

function redirect(res: http.ServerResponse, location: string): void {
  res.writeHead(302, { Location: location, 'Content-Length': 0 });
  res.end();
}

function ignoreSocketError(): void {}
