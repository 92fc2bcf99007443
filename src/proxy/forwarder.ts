// Forwards requests and WebSocket upgrades for /user/<name>/ to that user's server (and /services/<name>/ to a service); the only importer of
// http-proxy-3. Owns the backend keep-alive agent, the live upgraded sockets and every proxy error.
import http from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { createRequire } from 'node:module';
import type { ProxyServer } from 'http-proxy-3';
import { redactUrl, type Logger } from '../log.js';
import type { ActivityNote, OpenExchanges } from './activity.js';
import type { ProxyCounters } from './counters.js';
import { isUnreachable, rejectUpgrade, RESPONSE_HEAD_TOO_LONG, sendUnavailable } from './policy/answers.js';
import type { TrustedProxies } from './policy/trusted-proxies.js';
import { backendScope, logScreened, prepareForwardedHeaders, removeHopByHop, screenHopByHop, screenResponseHeaders } from './policy/headers.js';
import type { Backend } from './route-table.js';
import { BACKEND_IDLE_TIMEOUT_MS, connectWithin, DEFAULT_BACKEND_CONNECT_TIMEOUT_MS, DEFAULT_CLOSE_GRACE_MS, DEFAULT_UPGRADE_TIMEOUT_MS, MAX_EARLY_UPGRADE_BYTES, MAX_IDLE_PER_TARGET, reusableAfterAnswer } from './policy/limits.js';

export interface ForwarderOptions {
  baseUrl: string;
  logger: Logger;
  /** Traffic for a user's server (already throttled per user by the caller). */
  touch: ActivityNote;
  /** Backend errors and upgrade answers are counted here; plain answers by the listener, when node:http has written them. */
  counters: ProxyCounters;
  /** The server could not be reached: log it and ask the server state for a check. */
  unreachable(userName: string, code: string, url: string): void;
  /** How long an upgrade may wait for the server's answer, or for a client to take a refusal, before both sockets go. */
  upgradeTimeoutMs?: number;
  /** How long a closing side may take to flush before it is destroyed. */
  closeGraceMs?: number;
  /** How long opening a connection to a server may take (default policy/limits.ts's). */
  connectTimeoutMs?: number;
  /** hub.trusted_proxies as it is now (it may change on reload). */
  trust(): TrustedProxies;
}

export interface Forwarder {
  web(req: http.IncomingMessage, res: http.ServerResponse, backend: Backend, target: string): void;
  /** A request for the hub app, which listens on `target` in the hub's main thread. */
  hub(req: http.IncomingMessage, res: http.ServerResponse, target: string): void;
  ws(req: http.IncomingMessage, socket: Duplex, head: Buffer, backend: Backend, target: string): void;
  /** Ends every proxied WebSocket (and pending upgrade) and pooled backend connection; http.Server.close() would wait for them. */
  close(): void;
  /** The user servers of the requests this lane is forwarding whose answers are not complete. */
  openExchanges: OpenExchanges;
}

const USER = Symbol('berth.user');
const UPGRADED = Symbol('berth.upgraded');
type Tagged = { [USER]?: Backend; [UPGRADED]?: boolean };

/** How a log line names the backend. */
const who = (backend: Backend | undefined): Record<string, string> => (backend === undefined ? {} : { [backend.kind]: backend.name });

export function createForwarder(options: ForwarderOptions): Forwarder {
  const { baseUrl, logger, touch, counters } = options;
  const upgradeTimeoutMs = options.upgradeTimeoutMs ?? DEFAULT_UPGRADE_TIMEOUT_MS;
  const closeGraceMs = options.closeGraceMs ?? DEFAULT_CLOSE_GRACE_MS;
  const log = logger.child({ component: 'proxy' });

  // Backend connections are reused across requests, as the fast lane's pool does (Agent `timeout` only destroys
  // free sockets, so long downloads and slow responses are not cut).
  const agent = new http.Agent({ keepAlive: true, timeout: BACKEND_IDLE_TIMEOUT_MS, maxFreeSockets: MAX_IDLE_PER_TARGET });
  const connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_BACKEND_CONNECT_TIMEOUT_MS;
  const connect = agent.createConnection.bind(agent);
  agent.createConnection = (opts, callback) => connectWithin(connect(opts, callback) as Socket, connectTimeoutMs);
  // http-proxy-3 (with follow-redirects and debug) is loaded by the first request the fast lane hands over (an
  // upgrade, a chunked body…): 1.5 MB of heap per proxy thread that a hub serving plain requests never needs.
  let loaded: ProxyServer | null = null;
  const proxyServer = (): ProxyServer => (loaded ??= createProxy());
  const liveUpgrades = new Set<Socket>();
  // node:http's lane is not the hot path: a map entry and a listener per request are affordable here.
  const openRequests = new Map<http.ServerResponse, Backend & { kind: 'user' }>();
  const targets = new Map<string, URL>();

  function onTrafficData(this: Tagged): void {
    const backend = this[USER];
    if (backend?.kind === 'user') touch(backend.name, backend.server);
  }

  function targetUrl(target: string): URL {
    let url = targets.get(target);
    if (url === undefined) {
      if (targets.size > 10_000) targets.clear();
      url = new URL(target);
      targets.set(target, url);
    }
    return url;
  }

  /** Only a user's server has a state to check; a service that cannot be reached is logged. */
  function unreachable(backend: Backend | undefined, err: NodeJS.ErrnoException, url: string | undefined): void {
    if (backend?.kind === 'user') options.unreachable(backend.name, err.code ?? '', url ?? '');
    else log.warn({ ...who(backend), code: err.code, url: redactUrl(url ?? '') }, 'service unreachable');
  }

  function onWebError(err: Error, req: http.IncomingMessage, res: http.ServerResponse | Socket): void {
    const backend = (req as Tagged)[USER];
    const code = (err as NodeJS.ErrnoException).code;
    if (!(res instanceof http.ServerResponse)) return;
    counters.backendErrors++;
    if (res.headersSent) {
      log.info({ ...who(backend), code, url: redactUrl(req.url ?? '') }, 'proxied response cut short');
      res.destroy();
      return;
    }
    if (isUnreachable(code)) {
      unreachable(backend, err, req.url);
      sendUnavailable(req, res, 503, backend ?? null, baseUrl, `is not answering (${code})`);
      return;
    }
    // The error's own fields can carry the server's bytes (rawPacket): log what went wrong, not the payload.
    log.warn({ ...who(backend), code, error: err.message, url: redactUrl(req.url ?? '') }, 'proxying to user server failed');
    const why = code === 'HPE_HEADER_OVERFLOW' ? RESPONSE_HEAD_TOO_LONG : `closed the connection without an answer (${code ?? err.message})`;
    sendUnavailable(req, res, 502, backend ?? null, baseUrl, why);
  }

  function onWsError(err: Error, req: http.IncomingMessage, socket: http.ServerResponse | Socket): void {
    const backend = (req as Tagged)[USER];
    const code = (err as NodeJS.ErrnoException).code;
    const upgraded = (socket as Tagged)[UPGRADED] === true;
    if (socket.destroyed) {
      // We closed it ourselves (timeout, client gone): already reported where that was decided.
      log.debug({ ...who(backend), code, upgraded }, 'proxied WebSocket closed');
      return;
    }
    if (!upgraded && isUnreachable(code)) {
      unreachable(backend, err, req.url);
      counters.backendErrors++;
      counters.answered(503);
      const what = backend?.kind === 'service' ? `The service ${backend.name}` : `The server of ${backend?.name ?? ''}`;
      if (!(socket instanceof http.ServerResponse)) rejectUpgrade(socket, 503, `${what} is not answering (${code}).`);
      return;
    }
    log.info({ ...who(backend), code, upgraded, url: redactUrl(req.url ?? '') }, 'proxied WebSocket failed');
  }

  /**
   * node:http writes only the interim answers it has an API for: 100 Continue (unless node:http sent its own for the
   * client's Expect, which the server's 100 answers) and 103 Early Hints, screened like a final head.
   */
  function passInterim(info: http.InformationEvent, req: http.IncomingMessage, res: http.ServerResponse): void {
    if (res.headersSent || res.destroyed) return;
    if (info.statusCode === 100) {
      if (req.headers.expect === undefined) res.writeContinue();
      return;
    }
    if (info.statusCode !== 103) return;
    const headers = { ...info.headers };
    screenHopByHop(headers, false);
    const backend = (req as Tagged)[USER];
    if (backend !== undefined) {
      const changes = screenResponseHeaders(headers, backendScope(baseUrl, backend, req.url ?? ''));
      if (changes.dropped.length > 0 || changes.narrowed.length > 0) logScreened(log, backend, redactUrl(req.url ?? ''), changes);
    }
    try {
      res.writeEarlyHints(headers as Record<string, string | string[]>);
    } catch (err) {
      // node:http checks Link values more strictly than browsers: such hints are dropped, the answer still follows.
      log.debug({ ...who(backend), error: (err as Error).message }, 'could not pass 103 Early Hints on');
    }
  }

  /** Removes what a user's server may not send through the hub's origin; http-proxy-3 copies the headers after this. */
  function screen(proxyRes: http.IncomingMessage, req: http.IncomingMessage, backend: Backend): void {
    const url = req.url ?? '';
    const changes = screenResponseHeaders(proxyRes.headers, backendScope(baseUrl, backend, url));
    if (changes.dropped.length > 0 || changes.narrowed.length > 0) logScreened(log, backend, redactUrl(url), changes);
  }

  /** Bounds an upgrade in time and ties the two sockets' lifetimes together, whatever the server answers. */
  function trackUpgrade(proxyReq: http.ClientRequest, req: http.IncomingMessage, socket: Socket): void {
    const backend = (req as Tagged)[USER]!;
    let upstream: Socket | null = null;
    liveUpgrades.add(socket);
    // Registered before http-proxy-3's own listeners, which write these headers to the client: a handshake's
    // Set-Cookie is stored by browsers like any other, and so is the one of a plain answer that refuses it.
    proxyReq.once('upgrade', (res: http.IncomingMessage) => screen(res, req, backend));
    proxyReq.once('response', (res: http.IncomingMessage) => {
      // A refusal relayed to the client, which http-proxy-3 then closes.
      counters.answered(res.statusCode ?? 0);
      screenHopByHop(res.headers, true);
      screen(res, req, backend);
    });
    const timer = setTimeout(() => {
      counters.backendErrors++;
      log.warn({ ...who(backend), url: redactUrl(req.url ?? '') }, 'WebSocket upgrade not completed in time; closing it');
      proxyReq.destroy();
      socket.destroy();
    }, upgradeTimeoutMs);
    timer.unref();

    socket.once('close', () => {
      clearTimeout(timer);
      liveUpgrades.delete(socket);
      if (upstream !== null) closeSoon(upstream);
      else proxyReq.destroy();
    });

    // Reading is the only way to notice a client that hangs up while the server has not answered yet (a paused
    // socket never sees EOF). Bytes sent this early are kept and handed back once the upgrade succeeds.
    const early: Buffer[] = [];
    let earlyBytes = 0;
    const collect = (chunk: Buffer) => {
      early.push(chunk);
      earlyBytes += chunk.length;
      if (earlyBytes > MAX_EARLY_UPGRADE_BYTES) socket.destroy();
    };
    const hungUp = () => socket.destroy();
    socket.on('data', collect);
    socket.once('end', hungUp);

    proxyReq.once('upgrade', (_res, proxySocket: Socket) => {
      clearTimeout(timer);
      socket.off('data', collect);
      socket.off('end', hungUp);
      socket.pause();
      if (socket.destroyed) {
        proxySocket.destroy();
        return;
      }
      if (early.length > 0) socket.unshift(Buffer.concat(early));
      upstream = proxySocket;
      counters.answered(101);
      counters.websocketUpgrades++;
      (socket as Tagged)[UPGRADED] = true;
      (socket as Tagged)[USER] = backend;
      (proxySocket as Tagged)[USER] = backend;
      if (backend.kind === 'user') touch(backend.name, backend.server);
      socket.on('data', onTrafficData);
      proxySocket.on('data', onTrafficData);
      proxySocket.once('close', () => closeSoon(socket));
    });
    // A plain HTTP answer instead of 101 is relayed by http-proxy-3, which then ends the client socket;
    // the timer above still bounds a client that never takes it.
  }

  /** end() then destroy: the server socket allows half-open connections, so end() alone can leave one forever. */
  function closeSoon(socket: Socket): void {
    if (socket.destroyed) return;
    socket.end();
    const timer = setTimeout(() => socket.destroy(), closeGraceMs);
    timer.unref();
    socket.once('close', () => clearTimeout(timer));
  }

  function createProxy(): ProxyServer {
    const { createProxyServer } = createRequire(import.meta.url)('http-proxy-3') as typeof import('http-proxy-3');
    const proxy = createProxyServer({ agent, ws: true });

    // Client-socket errors of upgrades land here (http-proxy-3 re-emits them); without a listener they would throw.
    proxy.on('error', (err, req) => {
      log.debug({ err, url: redactUrl(req?.url ?? '') }, 'client socket error on a proxied connection');
    });

    proxy.on('proxyReq', (proxyReq, req, res) => {
      removeHopByHop(proxyReq, req.headers);
      // Interim answers are the client's too (RFC 9110 §15.2), as on the fast lane; http-proxy-3 drops them.
      proxyReq.on('information', (info: http.InformationEvent) => passInterim(info, req, res as http.ServerResponse));
      // Node ends a request without 'response' or 'error' when the server answers 101 to a plain request
      // (it has no upgrade to hand the socket to); the client must still get an answer.
      let answered = false;
      proxyReq.once('response', (proxyRes: http.IncomingMessage) => {
        answered = true;
        // Read by node's agent when the response ends: false closes the connection instead of pooling it.
        const hasBody = req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
        if (!reusableAfterAnswer(hasBody, proxyRes.statusCode ?? 0)) proxyReq.shouldKeepAlive = false;
      });
      proxyReq.once('close', () => {
        if (answered || res.headersSent || res.destroyed || req.socket.destroyed) return;
        const backend = (req as Tagged)[USER];
        counters.backendErrors++;
        log.warn({ ...who(backend), url: redactUrl(req.url ?? '') }, 'user server closed the connection without a usable answer');
        sendUnavailable(req, res, 502, backend ?? null, baseUrl, 'closed the connection without a usable answer');
      });
    });

    proxy.on('proxyRes', (proxyRes, req, res) => {
      // Before http-proxy-3 copies the head: what describes the server's connection is not the client's business.
      screenHopByHop(proxyRes.headers, !(res as http.ServerResponse).shouldKeepAlive);
      const backend = (req as Tagged)[USER];
      if (backend === undefined) return;
      const status = proxyRes.statusCode ?? 0;
      if (status < 100) {
        // Node's parser takes any three digits, but writing such a status to the client throws from inside the
        // pipe (an uncaught exception: any user's server could stop the hub). Answer for it instead.
        counters.backendErrors++;
        log.warn({ ...who(backend), status, url: redactUrl(req.url ?? '') }, 'user server answered with an invalid status code');
        proxyRes.destroy();
        sendUnavailable(req, res as http.ServerResponse, 502, backend, baseUrl, `answered with an invalid HTTP status (${status})`);
        return;
      }
      screen(proxyRes, req, backend);
      if (backend.kind === 'user') touch(backend.name, backend.server);
      (proxyRes as Tagged)[USER] = backend;
      proxyRes.on('data', onTrafficData);
      // A server that dies mid-response must not leave the client waiting for the rest.
      proxyRes.once('close', () => {
        if (!proxyRes.complete) res.destroy();
      });
    });

    proxy.on('proxyReqWs', (proxyReq, req, socket) => {
      trackUpgrade(proxyReq, req, socket as Socket);
    });

    return proxy;
  }

  return {
    web(req, res, backend, target) {
      (req as Tagged)[USER] = backend;
      if (backend.kind === 'user') {
        openRequests.set(res, backend);
        res.once('close', () => openRequests.delete(res));
      }
      prepareForwardedHeaders(req, false, options.trust());
      proxyServer().web(req, res, { target: targetUrl(target) }, onWebError);
      // The library has piped the body by now; listening does not change the flow.
      req.on('data', onTrafficData);
    },
    hub(req, res, target) {
      prepareForwardedHeaders(req, true, options.trust());
      proxyServer().web(req, res, { target: targetUrl(target) }, (err) => {
        const code = (err as NodeJS.ErrnoException).code;
        counters.backendErrors++;
        log.error({ code, error: err.message, url: redactUrl(req.url ?? '') }, 'the hub app did not answer a proxied request');
        if (res.headersSent) res.destroy();
        else sendUnavailable(req, res, 502, null, baseUrl, `did not answer (${code ?? err.message})`);
      });
    },
    ws(req, socket, head, backend, target) {
      (req as Tagged)[USER] = backend;
      prepareForwardedHeaders(req, false, options.trust());
      // Each upgrade gets its own connection (it leaves any pool anyway), closed with a refusal.
      proxyServer().ws(req, socket, head, { target: targetUrl(target), agent: false }, onWsError);
    },
    openExchanges: (report) => {
      for (const backend of openRequests.values()) report(backend.name, backend.server);
    },
    close() {
      for (const socket of liveUpgrades) socket.destroy();
      liveUpgrades.clear();
      agent.destroy();
    },
  };
}
