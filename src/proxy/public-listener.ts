// The one public listener: <base_url>hub/ → the hub app, <base_url>user/<name>/ (HTTP and WebSocket) → that
// user's server while it runs, <base_url>services/<name>/ → a hub.yaml service with a url, anything else → a redirect into <base_url>hub/ as JupyterHub does. Connections start
// in the fast lane (plain requests to running servers); the rest is node:http with http-proxy-3 for upgrades.
// With hub.tls it is node:https instead: the same lanes on the decrypted TLS sockets, and a certificate that can be
// replaced for new connections (setCertificate) while open ones keep theirs.
import http from 'node:http';
import https from 'node:https';
import type net from 'node:net';
import type tls from 'node:tls';
import type { Duplex } from 'node:stream';
import { redactUrl, type Logger } from '../log.js';
import { createActivityMeter, reportOpenExchanges } from './activity.js';
import { createClientTableBuffer, openClientTable, type ClientTable } from './client-table.js';
import { createConnectionLimit } from './connection-limit.js';
import { ProxyCounters, type ProxyCounts } from './counters.js';
import { createFastLane } from './fast-lane.js';
import { createForwarder, type ForwarderOptions } from './forwarder.js';
import { rejectUpgrade, sendInternalError, sendRedirect, sendRefusal } from './policy/answers.js';
import { DEFAULT_KEEP_ALIVE_TIMEOUT_MS, DEFAULT_REQUEST_HEADER_TIMEOUT_MS, DEFAULT_REQUEST_TIMEOUT_MS, MAX_REQUEST_HEAD_BYTES } from './policy/limits.js';
import { routeRequest, type Route, type RouteSource } from './route-table.js';
import { parseSubdomainHost } from '../servers/user-origin.js';
import { createTrustedProxies } from './policy/trusted-proxies.js';

/** A PEM certificate chain and its private key. */
export interface TlsPair {
  cert: string;
  key: string;
}

// Browsers and current clients all speak TLS 1.2+; HTTP/1.1 is what both lanes parse (no h2).
const TLS_SETTINGS: tls.TlsOptions = { minVersion: 'TLSv1.2', ALPNProtocols: ['http/1.1'] };

export interface PublicListenerOptions extends Pick<ForwarderOptions, 'upgradeTimeoutMs' | 'closeGraceMs' | 'connectTimeoutMs'> {
  baseUrl: string;
  /** hub.subdomain_host: each user's server is served only on that user's host, the hub only on this one. */
  subdomainHost?: string | null;
  routes: RouteSource;
  /** Where the hub app listens (`http://127.0.0.1:port`); it gets X-Forwarded-For like any proxied server. */
  hubTarget: string;
  logger: Logger;
  /** Activity is reported at most once per this many ms per user (default 1000). */
  activityIntervalMs?: number;
  /** How long a connection may sit between requests (default 65 s, longer than common load balancers' 60 s). */
  keepAliveTimeoutMs?: number;
  /** How long a request head may take to arrive, counted from its first byte or from the connection's start (default 10 s). */
  requestHeaderTimeoutMs?: number;
  /** How long a whole request, head and body, may take to arrive (default 300 s; never less than the head's). */
  requestTimeoutMs?: number;
  /** Open connections per client address (IPv6: per /64); more are reset at once. 0: no cap (default 500). */
  maxConnectionsPerClient?: number;
  /** Where connections per client are counted: the table shared by every proxy thread (default one of its own). */
  clients?: ClientTable;
  /** hub.trusted_proxies: peers whose X-Forwarded-* are believed (default none). */
  trustedProxies?: string[];
  /** Serve HTTPS with this certificate (hub.tls); null or absent: plain HTTP. */
  tls?: TlsPair | null;
}

/** The settings hub.yaml may change while the listener runs (hub.keep_alive_timeout, …): the proxy thread is sent them. */
export type ProxyLimits = Required<Pick<PublicListenerOptions, 'keepAliveTimeoutMs' | 'requestHeaderTimeoutMs' | 'maxConnectionsPerClient' | 'trustedProxies'>>;

export interface PublicListener {
  /** The listening socket (node:http's server): each connection starts in the fast lane. */
  readonly server: net.Server;
  /**
   * Stops accepting, closes connections between requests at once and all others (requests in flight, WebSockets)
   * after `graceMs`; resolves once every connection is closed.
   */
  close(graceMs?: number): Promise<void>;
  /** Takes on new limits without touching open connections (see FastLane.setTimeouts). */
  setLimits(limits: ProxyLimits): void;
  /** The traffic counted since the listener was made. */
  counts(): ProxyCounts;
  /** New connections get this certificate; open ones keep theirs (HTTPS only). */
  setCertificate(pair: TlsPair): void;
}

export function createPublicListener(options: PublicListenerOptions): PublicListener {
  const { baseUrl, routes, hubTarget, logger } = options;
  const keepAliveTimeoutMs = options.keepAliveTimeoutMs ?? DEFAULT_KEEP_ALIVE_TIMEOUT_MS;
  const requestHeaderTimeoutMs = options.requestHeaderTimeoutMs ?? DEFAULT_REQUEST_HEADER_TIMEOUT_MS;
  const requestTimeoutMs = Math.max(requestHeaderTimeoutMs, options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS);
  const log = logger.child({ component: 'proxy' });
  const subdomain = options.subdomainHost ? parseSubdomainHost(options.subdomainHost) : null;
  const routeOf = (req: http.IncomingMessage): Route =>
    routeRequest(req.url ?? '/', baseUrl, subdomain ? { host: req.headers.host, method: req.method ?? 'GET', subdomain } : undefined);
  // One meter and one report for both paths, so a user's traffic is noted once a second whichever path carried it.
  const touch = createActivityMeter(
    (name, server) => routes.noteActivity(name, server),
    (err) => log.error({ err }, 'recording activity failed'),
    options.activityIntervalMs ?? 1000,
  );
  function unreachable(name: string, code: string, url: string): void {
    log.warn({ user: name, code, url: redactUrl(url) }, 'user server unreachable; asking for a state check');
    try {
      routes.noteUnreachable(name);
    } catch (err) {
      log.error({ err, user: name }, 'noteUnreachable failed');
    }
  }
  const counters = new ProxyCounters();
  let trustedProxies = createTrustedProxies(options.trustedProxies ?? []);
  const trust = () => trustedProxies;
  const forwarder = createForwarder({ ...options, touch, unreachable, counters, trust });

  function dispatch(req: http.IncomingMessage, res: http.ServerResponse): void {
    const route = routeOf(req);
    if (route.kind === 'hub') {
      forwarder.hub(req, res, hubTarget);
      return;
    }
    if (route.kind === 'redirect') {
      sendRedirect(res, route.location);
      return;
    }
    if (route.kind === 'refuse') {
      sendRefusal(res, route.status, route.message);
      return;
    }
    const user = route.kind === 'user' ? routes.target(route.name, route.path) : null;
    const target = route.kind === 'user' ? (user?.url ?? null) : routes.serviceTarget(route.name);
    if (target === null) {
      // Not running: the hub's /hub/user/<name>/… page offers to start it (and guards against loops).
      sendRedirect(res, route.fallback);
      return;
    }
    req.url = route.path;
    forwarder.web(req, res, user === null ? { kind: 'service', name: route.name } : { kind: 'user', name: route.name, server: user.server }, target);
  }

  function upgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    const route = routeOf(req);
    if (route.kind === 'service') {
      const target = routes.serviceTarget(route.name);
      if (target === null) {
        rejectUpgrade(socket, 404, `No service ${route.name} with a url is configured.`);
        return;
      }
      req.url = route.path;
      forwarder.ws(req, socket, head, { kind: 'service', name: route.name }, target);
      return;
    }
    if (route.kind !== 'user') {
      const where = subdomain === null ? '' : `, on that user's host (${subdomain.protocol}//<user>.${subdomain.hostname})`;
      counters.answered(404);
      rejectUpgrade(socket, 404, `WebSocket connections are proxied only under ${baseUrl}user/<name>/${where}.`);
      return;
    }
    const target = routes.target(route.name, route.path);
    if (target === null) {
      // 424 is JupyterHub's answer to API clients of a server that is not running.
      counters.answered(424);
      rejectUpgrade(socket, 424, `The server of ${route.name} is not running; start it from ${baseUrl}hub/home.`);
      return;
    }
    req.url = route.path;
    forwarder.ws(req, socket, head, { kind: 'user', name: route.name, server: target.server }, target.url);
  }

  const serverOptions: http.ServerOptions = {
    headersTimeout: requestHeaderTimeoutMs,
    requestTimeout: requestTimeoutMs,
    maxHeaderSize: MAX_REQUEST_HEAD_BYTES,
    keepAliveTimeout: keepAliveTimeoutMs,
    // How often node:http looks for expired heads: its default 30 s would let a 10 s deadline run to 40 s.
    connectionsCheckingInterval: Math.min(Math.max(requestHeaderTimeoutMs / 4, 50), 30_000),
  };
  const answer: http.RequestListener = (req, res) => {
    // node:http's lane is not the hot path: a listener per request is affordable here, not in the fast lane.
    res.once('close', () => {
      if (res.headersSent) counters.answered(res.statusCode);
    });
    try {
      dispatch(req, res);
    } catch (err) {
      logger.error({ err }, 'public listener could not answer a request');
      sendInternalError(res);
    }
  };
  // node:https is node:http on a tls.Server: the same connection handling, on 'secureConnection' instead of 'connection'.
  const encrypted = options.tls !== undefined && options.tls !== null;
  const httpServer: http.Server = encrypted
    ? https.createServer({ ...serverOptions, ...TLS_SETTINGS, ...options.tls, handshakeTimeout: requestHeaderTimeoutMs }, answer)
    : http.createServer(serverOptions, answer);
  const connectionEvent = encrypted ? 'secureConnection' : 'connection';
  httpServer.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
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

  const lane = createFastLane({
    baseUrl,
    subdomain,
    routes,
    hubTarget,
    logger,
    keepAliveTimeoutMs,
    headersTimeoutMs: requestHeaderTimeoutMs,
    requestTimeoutMs,
    connectTimeoutMs: options.connectTimeoutMs,
    touch,
    unreachable,
    counters,
    trust,
    handOff: (socket, unread) => {
      if (unread !== null) socket.unshift(unread);
      nodeHttpConnection.call(httpServer, socket);
      socket.resume();
    },
  });

  // node:http's server is the listening socket, so it tracks its connections (headersTimeout, requestTimeout,
  // closeIdleConnections) as it does for any server that listens; but each connection goes to the fast lane first
  // and reaches node:http's own connection handler only when the lane hands it over. Counted here, before either
  // lane, so connections node:http holds count too.
  const connectionListeners = httpServer.listeners(connectionEvent) as ((socket: net.Socket) => void)[];
  const nodeHttpConnection = connectionListeners[0];
  if (nodeHttpConnection === undefined || connectionListeners.length > 1) {
    throw new Error(`node:http's server has ${connectionListeners.length} '${connectionEvent}' listeners where the proxy expects only its own handler; this Node version (${process.version}) is not supported`);
  }
  httpServer.removeListener(connectionEvent, nodeHttpConnection);
  const clients = options.clients ?? openClientTable(createClientTableBuffer(1), 0);
  const limit = createConnectionLimit({ maxPerClient: options.maxConnectionsPerClient ?? 500, clients, log });
  if (encrypted) {
    // Capped before the handshake, which costs the hub more than the client; the TLS socket closes with this one.
    httpServer.on('connection', (socket: net.Socket) => void limit.admit(socket));
    httpServer.on('tlsClientError', (err: Error, socket: tls.TLSSocket) => {
      log.debug({ error: err.message, client: socket.remoteAddress }, 'TLS handshake failed');
    });
    httpServer.on(connectionEvent, (socket: net.Socket) => {
      counters.track(socket);
      lane.accept(socket);
    });
  } else {
    // Accepted without reading, so the fast lane can re-make each socket to read into its shared buffer (adopt).
    Object.assign(httpServer, { pauseOnConnect: true });
    httpServer.on(connectionEvent, (accepted: net.Socket) => {
      const socket = lane.adopt(accepted);
      if (!limit.admit(socket)) return;
      counters.track(socket);
      lane.accept(socket);
    });
  }

  const stopReportingOpen = reportOpenExchanges(touch, [lane.openExchanges, forwarder.openExchanges]);

  function close(graceMs = 2000): Promise<void> {
    stopReportingOpen();
    return new Promise<void>((resolve) => {
      httpServer.close(() => resolve());
      lane.closeIdle();
      httpServer.closeIdleConnections();
      forwarder.close();
      setTimeout(() => {
        lane.destroyAll();
        httpServer.closeAllConnections();
      }, graceMs).unref();
    }).finally(() => lane.destroyAll());
  }

  function setLimits(limits: ProxyLimits): void {
    const headersTimeout = limits.requestHeaderTimeoutMs;
    const requestTimeout = Math.max(headersTimeout, options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS);
    Object.assign(httpServer, { keepAliveTimeout: limits.keepAliveTimeoutMs, headersTimeout, requestTimeout });
    lane.setTimeouts({ keepAliveTimeoutMs: limits.keepAliveTimeoutMs, headersTimeoutMs: headersTimeout, requestTimeoutMs: requestTimeout });
    limit.setMax(limits.maxConnectionsPerClient);
    trustedProxies = createTrustedProxies(limits.trustedProxies);
  }

  function setCertificate(pair: TlsPair): void {
    if (!encrypted) throw new Error('this listener serves plain HTTP; a certificate applies only to one started with tls');
    (httpServer as https.Server).setSecureContext({ ...TLS_SETTINGS, ...pair });
  }

  return { server: httpServer, close, setLimits, setCertificate, counts: () => counters.counts() };
}

function ignoreSocketError(): void {}
