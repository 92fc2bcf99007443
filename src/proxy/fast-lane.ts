// Proxies plain HTTP/1.1 requests for running user servers straight on the client socket: a strict head parse, a
// pooled backend connection, bytes forwarded unchanged. Anything else goes to node:http at a request boundary.
import type net from 'node:net';
import type { TLSSocket } from 'node:tls';
import { redactUrl, type Logger } from '../log.js';
import type { ActivityNote, OpenExchanges } from './activity.js';
import type { ProxyCounters } from './counters.js';
import { BackendPool, type BackendConnection, type BackendOwner } from './backend-pool.js';
import { readsShared, setReader, SharedReads, type ClientReader } from './client-reads.js';
import { ChunkedScanner, HEAD_END, parseRequestHead, parseResponseHead, type RequestHead, type ResponseHead } from './http1.js';
import { isUnreachable, redirectHead, REQUEST_TIMEOUT_ANSWER, RESPONSE_HEAD_TOO_LONG, unavailableHead } from './policy/answers.js';
import { backendScope, clientResponseHead, forwardedRequestHead, logScreened, type ForwardingContext } from './policy/headers.js';
import { LINGER_MS, MAX_PIPELINED_BYTES, MAX_REQUEST_HEAD_BYTES, MAX_RESPONSE_HEAD_BYTES, reusableAfterAnswer } from './policy/limits.js';
import { routeRequest, type Backend, type RouteSource } from './route-table.js';
import type { SubdomainHost } from '../servers/user-origin.js';
import type { TrustedProxies } from './policy/trusted-proxies.js';

export interface FastLaneOptions {
  baseUrl: string;
  /** hub.subdomain_host: route by Host as well as path. */
  subdomain?: SubdomainHost | null;
  routes: RouteSource;
  /** Where `<base_url>hub/` is served (`http://127.0.0.1:port`). */
  hubTarget: string;
  touch: ActivityNote;
  /** Answers and backend errors are counted here (integer increments only). */
  counters: ProxyCounters;
  /** The target could not be reached: log it and ask the server state for a check. */
  unreachable(userName: string, code: string, path: string): void;
  /** Gives a connection to node:http with the bytes read from it but not yet used; only ever between exchanges. */
  handOff(socket: net.Socket, unread: Buffer | null): void;
  logger: Logger;
  keepAliveTimeoutMs: number;
  headersTimeoutMs: number;
  /** How long a request body may take to arrive once its head is in (node:http's requestTimeout, for the upload). */
  requestTimeoutMs: number;
  /** How long opening a connection to a server may take (policy/limits.ts). */
  connectTimeoutMs?: number;
  /** hub.trusted_proxies as it is now (it may change on reload). */
  trust(): TrustedProxies;
}

export interface FastLane {
  /**
   * A plain connection a server with `pauseOnConnect` accepted, re-made to read into the lane's shared buffer
   * (client-reads.ts); give the socket it returns to accept(). TLS sockets go to accept() as they are.
   */
  adopt(accepted: net.Socket): net.Socket;
  accept(socket: net.Socket): void;
  /** Closes connections between requests now, and the others once their exchange completes. */
  closeIdle(): void;
  destroyAll(): void;
  /** New deadlines (hub.yaml reloaded): from each connection's next request; keep-alive for new connections. */
  setTimeouts(timeouts: Pick<FastLaneOptions, 'keepAliveTimeoutMs' | 'headersTimeoutMs' | 'requestTimeoutMs'>): void;
  /** The user servers of the exchanges in flight, read from the connections (nothing is counted per request). */
  openExchanges: OpenExchanges;
}

/** How a log line names the backend: `{user}`, `{service}`, or nothing for the hub app. */
function who(backend: Backend | null): Record<string, string> {
  return backend === null ? {} : { [backend.kind]: backend.name };
}

/** Methods safe to send again when a pooled connection turns out to have been closed by the server. */
const RETRYABLE = new Set(['GET', 'HEAD', 'OPTIONS']);

export function createFastLane(options: FastLaneOptions): FastLane {
  const lane: Lane = {
    ...options,
    pool: new BackendPool(options.connectTimeoutMs),
    reads: new SharedReads(),
    clients: new Set(),
    closing: false,
    log: options.logger.child({ component: 'proxy' }),
  };
  return {
    adopt: (accepted) => lane.reads.adopt(accepted),
    accept: (socket) => {
      const client = new ClientConnection(lane, socket);
      lane.clients.add(client);
      // The first head is due within the deadline from the start: a client that connects and says nothing
      // would otherwise hold its socket for the whole keep-alive time.
      client.armHeadTimer();
      client.next();
    },
    closeIdle: () => {
      lane.closing = true;
      for (const client of lane.clients) if (client.idle) client.socket.destroy();
    },
    destroyAll: () => {
      for (const client of lane.clients) client.socket.destroy();
      lane.pool.destroyAll();
    },
    setTimeouts: (timeouts) => void Object.assign(lane, timeouts),
    openExchanges: (report) => {
      for (const client of lane.clients) {
        const backend = client.exchange?.backend;
        if (backend?.kind === 'user') report(backend.name, backend.server);
      }
    },
  };
}

interface Lane extends FastLaneOptions {
  pool: BackendPool;
  reads: SharedReads;
  clients: Set<ClientConnection>;
  closing: boolean;
  log: Logger;
}

class ClientConnection implements ClientReader {
  /** Bytes read from the client and not yet used (the next request head, pipelined requests). */
  pending: Buffer | null = null;
  exchange: Exchange | null = null;
  private ended = false;
  /** This connection is ending: whatever the client still sends is dropped. */
  private done = false;
  private headTimer: NodeJS.Timeout | null = null;
  private uploadBlocked = false;
  /** Paused after answers the client has not read yet (redirects written here). */
  private awaitingDrain = false;
  private pipelineFull = false;
  /** Read once per connection, not through node's getter per request. */
  readonly remoteAddress: string;
  /** A TLS connection (the hub serves HTTPS) is a TLSSocket: to the lane, a duplex stream like any other. */
  readonly encrypted: boolean;
  private lastUser: Extract<Backend, { kind: 'user' }> | null = null;
  private context: ForwardingContext;

  constructor(
    private readonly lane: Lane,
    readonly socket: net.Socket,
  ) {
    this.remoteAddress = socket.remoteAddress ?? '';
    this.encrypted = (socket as TLSSocket).encrypted === true;
    this.context = { encrypted: this.encrypted, trust: lane.trust() };
    // Armed once: node refreshes it on every read and write, and it is ignored while an exchange runs (a slow
    // server or a long poll is not an idle client).
    socket.setTimeout(lane.keepAliveTimeoutMs);
    if (readsShared(socket)) setReader(socket, this);
    else socket.on('data', this.onData);
    socket.on('end', this.onEnd);
    socket.on('close', this.onClose);
    socket.on('error', ignore);
    socket.on('drain', this.onDrain);
    socket.on('timeout', this.onTimeout);
  }

  get idle(): boolean {
    return this.exchange === null && this.pending === null;
  }

  /** A read into the lane's shared buffer: `view` is reused once this returns, so what is kept is copied. */
  onClientRead(view: Buffer): boolean {
    this.onData(view);
    if (this.pending !== null && this.lane.reads.holds(this.pending)) this.pending = Buffer.from(this.pending);
    return true; // the lane pauses the socket itself
  }

  private readonly onData = (chunk: Buffer): void => {
    if (this.done) return;
    const exchange = this.exchange;
    if (exchange !== null && exchange.bodyRemaining > 0) {
      const take = Math.min(exchange.bodyRemaining, chunk.length);
      exchange.sendBody(this.owned(take === chunk.length ? chunk : chunk.subarray(0, take)));
      if (take === chunk.length) return;
      chunk = chunk.subarray(take);
    }
    this.pending = this.pending === null ? chunk : Buffer.concat([this.pending, chunk]);
    if (this.exchange === null) this.next();
    else if (this.pending.length > MAX_PIPELINED_BYTES) this.setPaused('pipeline', true);
  };

  /** `bytes`, copied if they are in the shared read buffer: a write may hold them after the read is over. */
  private owned(bytes: Buffer): Buffer {
    return this.lane.reads.holds(bytes) ? Buffer.from(bytes) : bytes;
  }

  /** Starts the next exchange if a whole request head is here; otherwise waits for more bytes or hands off. */
  next(): void {
    // A loop, not recursion: thousands of pipelined requests the lane answers itself must not grow the stack.
    while (this.step());
  }

  /** One request head: true when it was answered here and the next one should be looked at. */
  private step(): boolean {
    const buf = this.pending;
    if (buf === null) {
      if (this.ended || this.lane.closing) this.end();
      return false;
    }
    const end = buf.indexOf(HEAD_END);
    if (end === -1) {
      if (this.ended) this.socket.destroy(); // half a head, and the client has said it sends nothing more
      else if (buf.length > MAX_REQUEST_HEAD_BYTES || hasBareLf(buf)) this.handOff();
      else this.armHeadTimer();
      return false;
    }
    this.clearHeadTimer();
    if (end + HEAD_END.length > MAX_REQUEST_HEAD_BYTES) {
      this.handOff();
      return false;
    }
    const head = parseRequestHead(buf, end);
    if (head === null) {
      this.handOff();
      return false;
    }
    const bodyStart = end + HEAD_END.length;
    const { subdomain } = this.lane;
    const route = routeRequest(head.target, this.lane.baseUrl, subdomain ? { host: head.host, method: head.method, subdomain } : undefined);
    let backend: Backend | null = null;
    let target: string | null;
    let path: string;
    if (route.kind === 'hub') {
      target = this.lane.hubTarget;
      path = head.target;
    } else if (route.kind === 'user' || route.kind === 'service') {
      if (route.kind === 'user') {
        const user = this.lane.routes.target(route.name, route.path);
        target = user?.url ?? null;
        backend = this.userBackend(route.name, user?.server ?? '');
      } else {
        target = this.lane.routes.serviceTarget(route.name);
        backend = { kind: 'service', name: route.name };
      }
      path = route.path;
      // Not running: the hub's /hub/user/<name>/… page offers to start it (and guards against loops).
      if (target === null) return this.redirect(route.fallback, head, bodyStart);
    } else if (route.kind === 'refuse') {
      this.handOff(); // node:http writes the refusal
      return false;
    } else {
      return this.redirect(route.location, head, bodyStart);
    }

    const bodyEnd = Math.min(buf.length, bodyStart + head.contentLength);
    const body = bodyEnd > bodyStart ? this.owned(buf.subarray(bodyStart, bodyEnd)) : null;
    this.pending = bodyEnd < buf.length ? buf.subarray(bodyEnd) : null;
    this.exchange = new Exchange(this.lane, this, head, backend, path, target, body);
    return false;
  }

  /** The last request's backend again when it is the same server (most are): no object per request. */
  private userBackend(name: string, server: string): Backend {
    const last = this.lastUser;
    if (last !== null && last.name === name && last.server === server) return last;
    return (this.lastUser = { kind: 'user', name, server });
  }

  /** What forwarded heads are told about this connection, made again only when hub.trusted_proxies changes. */
  forwarding(): ForwardingContext {
    const trust = this.lane.trust();
    if (this.context.trust !== trust) this.context = { encrypted: this.encrypted, trust };
    return this.context;
  }

  /** Answers with a redirect into the hub, as node:http would, and goes on with the connection. */
  private redirect(location: string, head: RequestHead, bodyStart: number): boolean {
    if (head.contentLength > 0) {
      this.handOff(); // rare; node:http reads and drops the body
      return false;
    }
    const buf = this.pending!;
    this.pending = bodyStart < buf.length ? buf.subarray(bodyStart) : null;
    this.lane.counters.answered(302);
    this.socket.write(redirectHead(location, head.close));
    if (head.close) {
      this.end();
      return false;
    }
    if (this.socket.writableNeedDrain) {
      // A client that sends requests without reading the answers: stop reading until it catches up.
      this.awaitingDrain = true;
      this.setPaused('pipeline', true);
      return false;
    }
    return true;
  }

  /** The exchange is over; `close` when this connection must end (asked by either side, or a body left unread). */
  finished(close: boolean): void {
    this.exchange = null;
    this.setPaused('upload', false);
    if (close || this.lane.closing) {
      this.end();
      return;
    }
    this.setPaused('pipeline', false);
    this.next();
  }

  /** The request took too long: node:http's 408, then the connection ends. */
  timedOut(): void {
    this.exchange = null;
    this.lane.counters.answered(408);
    this.socket.write(REQUEST_TIMEOUT_ANSWER);
    this.end();
  }

  private end(): void {
    this.done = true;
    this.pending = null;
    this.socket.end();
    // A client may never close its side: give it a moment to read the answer, then let onTimeout destroy it.
    this.socket.setTimeout(LINGER_MS);
  }

  setPaused(reason: 'upload' | 'pipeline', paused: boolean): void {
    const before = this.uploadBlocked || this.pipelineFull;
    if (reason === 'upload') this.uploadBlocked = paused;
    else this.pipelineFull = paused;
    const after = this.uploadBlocked || this.pipelineFull;
    if (after && !before) this.socket.pause();
    else if (before && !after) this.socket.resume();
  }

  private handOff(): void {
    this.clearHeadTimer();
    const socket = this.socket;
    socket.pause();
    setReader(socket, null);
    socket.off('data', this.onData);
    socket.off('end', this.onEnd);
    socket.off('close', this.onClose);
    socket.off('error', ignore);
    socket.off('drain', this.onDrain);
    socket.off('timeout', this.onTimeout);
    socket.setTimeout(0);
    this.lane.clients.delete(this);
    const unread = this.pending === null ? null : this.owned(this.pending);
    this.pending = null;
    this.lane.handOff(socket, unread);
  }

  armHeadTimer(): void {
    if (this.headTimer !== null) return;
    this.headTimer = setTimeout(() => {
      this.headTimer = null;
      if (this.pending === null) {
        // Not a byte yet: nothing to answer (a browser's unused preconnection just opens another).
        this.socket.destroy();
        return;
      }
      // node:http's answer to a head that takes too long (its headersTimeout)
      this.lane.counters.answered(408);
      this.socket.end(REQUEST_TIMEOUT_ANSWER);
      this.socket.destroySoon();
    }, this.lane.headersTimeoutMs);
    this.headTimer.unref();
  }

  private clearHeadTimer(): void {
    if (this.headTimer === null) return;
    clearTimeout(this.headTimer);
    this.headTimer = null;
  }

  private readonly onEnd = (): void => {
    this.ended = true;
    if (this.exchange === null) {
      if (this.pending !== null) this.socket.destroy();
      else this.socket.end();
    } else if (this.exchange.bodyRemaining > 0) {
      this.socket.destroy(); // the upload was cut short
    }
  };

  private readonly onClose = (): void => {
    this.clearHeadTimer();
    this.lane.clients.delete(this);
    this.exchange?.abandon();
    this.exchange = null;
    this.pending = null;
  };

  private readonly onDrain = (): void => {
    if (this.awaitingDrain) {
      this.awaitingDrain = false;
      this.setPaused('pipeline', false);
      this.next();
      return;
    }
    this.exchange?.clientDrained();
  };

  private readonly onTimeout = (): void => {
    if (this.exchange === null) this.socket.destroy();
  };
}

const enum Phase {
  Head,
  Body,
  Done,
}

/** One request and its response between a client connection and a backend connection. */
class Exchange implements BackendOwner {
  bodyRemaining: number;
  private conn: BackendConnection;
  private phase = Phase.Head;
  private response: ResponseHead | null = null;
  private responseHead: Buffer | null = null;
  private remaining = 0;
  private scanner: ChunkedScanner | null = null;
  /** Bytes of this exchange already written to the client (an interim 1xx counts). */
  private answered = false;
  private backendPaused = false;
  /** The request head as sent, kept while it may be sent again on a fresh connection, with its whole body. */
  private replay: string | null;
  private readonly body: Buffer | null;
  /** Bounds the upload (only for a request with a body still to come). */
  private bodyTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly lane: Lane,
    private readonly client: ClientConnection,
    private readonly head: RequestHead,
    /** null for the hub app. */
    readonly backend: Backend | null,
    private readonly path: string,
    private readonly target: string,
    body: Buffer | null,
  ) {
    const request = forwardedRequestHead(head, path, client.remoteAddress, backend === null, client.forwarding());
    const bodyNow = body === null ? 0 : body.length;
    this.bodyRemaining = head.contentLength - bodyNow;
    this.replay = RETRYABLE.has(head.method) && this.bodyRemaining === 0 ? request : null;
    this.body = this.replay === null ? null : body;
    this.conn = lane.pool.acquire(target, this);
    this.send(request, body);
    if (this.bodyRemaining > 0) {
      this.bodyTimer = setTimeout(bodyTimedOut, lane.requestTimeoutMs, this);
      this.bodyTimer.unref();
    }
  }

  sendBody(chunk: Buffer): void {
    this.bodyRemaining -= chunk.length;
    if (this.bodyRemaining === 0) this.clearBodyTimer();
    if (this.phase === Phase.Done) return; // answered early: the rest of the upload is read and dropped
    if (!written(this.conn.socket, chunk)) this.client.setPaused('upload', true);
  }

  onBackendDrain(): void {
    this.client.setPaused('upload', false);
  }

  clientDrained(): void {
    if (this.backendPaused) {
      this.backendPaused = false;
      this.conn.socket.resume();
    }
  }

  onBackendData(chunk: Buffer): void {
    if (this.phase === Phase.Body) {
      this.forwardBody(chunk, 0);
      return;
    }
    let buf = this.responseHead === null ? chunk : Buffer.concat([this.responseHead, chunk]);
    for (;;) {
      const end = buf.indexOf(HEAD_END);
      if (end === -1) {
        if (buf.length > MAX_RESPONSE_HEAD_BYTES) {
          this.fail(RESPONSE_HEAD_TOO_LONG);
        } else {
          this.responseHead = buf;
          this.conn.keepChunk();
        }
        return;
      }
      if (end + HEAD_END.length > MAX_RESPONSE_HEAD_BYTES) {
        this.fail(RESPONSE_HEAD_TOO_LONG);
        return;
      }
      const parsed = parseResponseHead(buf, end, this.head.method);
      if (typeof parsed === 'string') {
        this.fail(parsed);
        return;
      }
      let headEnd = end + HEAD_END.length;
      // Hop-by-hop fields go, and a user's server's head loses what it may not say through the hub's origin; the
      // head is copied only when something changes.
      const close = parsed.status >= 200 && (parsed.closesClient || this.head.close);
      const scope = this.backend === null ? null : backendScope(this.lane.baseUrl, this.backend, this.path);
      const rewritten = clientResponseHead(parsed, close, scope);
      if (rewritten !== null) {
        if (rewritten.screened !== null) logScreened(this.lane.log, this.backend!, redactUrl(this.path), rewritten.screened);
        const head = Buffer.from(rewritten.head, 'latin1');
        buf = Buffer.concat([head, buf.subarray(headEnd)]);
        headEnd = head.length;
      }
      if (parsed.status < 200) {
        // Interim (100, 103): passed on, and the final head follows.
        this.write(buf.subarray(0, headEnd));
        if (headEnd === buf.length) {
          this.responseHead = null;
          return;
        }
        buf = buf.subarray(headEnd);
        continue;
      }
      this.responseHead = null;
      this.response = parsed;
      this.lane.counters.answered(parsed.status);
      this.phase = Phase.Body;
      this.replay = null;
      this.remaining = parsed.length;
      if (parsed.framing === 'chunked') this.scanner = new ChunkedScanner();
      this.forwardBody(buf, headEnd);
      return;
    }
  }

  /** Forwards `buf`, whose first `from` bytes are the response head not yet written. */
  private forwardBody(buf: Buffer, from: number): void {
    if (this.backend?.kind === 'user') this.lane.touch(this.backend.name, this.backend.server);
    const response = this.response!;
    switch (response.framing) {
      case 'none':
        this.write(from === buf.length ? buf : buf.subarray(0, from));
        this.complete(buf.length > from);
        return;
      case 'length': {
        const available = buf.length - from;
        const take = Math.min(this.remaining, available);
        this.write(take === available ? buf : buf.subarray(0, from + take));
        this.remaining -= take;
        if (this.remaining === 0) this.complete(available > take);
        return;
      }
      case 'chunked': {
        let end: number;
        try {
          end = this.scanner!.scan(from === 0 ? buf : buf.subarray(from));
        } catch (err) {
          if (from > 0) this.fail(`answered with a malformed chunked body (${(err as Error).message})`);
          else this.cutShort(`malformed chunked body (${(err as Error).message})`);
          return;
        }
        if (end === -1) {
          this.write(buf);
          return;
        }
        this.write(from + end === buf.length ? buf : buf.subarray(0, from + end));
        this.complete(from + end < buf.length);
        return;
      }
      case 'close':
        this.write(buf);
    }
  }

  onBackendClose(err: NodeJS.ErrnoException | undefined): void {
    if (this.phase === Phase.Done) return;
    if (this.phase === Phase.Body) {
      if (this.response!.framing === 'close' && err === undefined) this.complete(false);
      else this.cutShort(err?.code ?? 'the server closed the connection mid-response');
      return;
    }
    const code = err?.code;
    if (this.answered) {
      this.cutShort(code ?? 'the server closed the connection after an interim response');
      return;
    }
    if (this.replay !== null && this.conn.reused && this.responseHead === null && (code === undefined || code === 'ECONNRESET' || code === 'EPIPE')) {
      // A kept-alive connection the server had already closed: the request never reached it.
      const replay = this.replay;
      this.replay = null;
      this.conn = this.lane.pool.acquire(this.target, this, true);
      this.send(replay, this.body);
      return;
    }
    if (isUnreachable(code) && this.backend !== null) {
      // A service has no state to check; its admins see the 503 in their logs.
      if (this.backend.kind === 'user') this.lane.unreachable(this.backend.name, code, this.path);
      else this.lane.log.warn({ service: this.backend.name, code, url: redactUrl(this.path) }, 'service unreachable');
      this.respond(503, `is not answering (${code})`);
      return;
    }
    this.lane.log.warn({ ...who(this.backend), code, url: redactUrl(this.path) }, 'user server closed the connection without an answer');
    this.respond(502, `closed the connection without an answer (${code ?? 'connection closed'})`);
  }

  /** The client went away: the backend connection is mid-exchange and cannot be reused. */
  abandon(): void {
    if (this.phase === Phase.Done) return;
    this.phase = Phase.Done;
    this.dropBackend();
  }

  /** The head as a string: node writes a short one straight from the string, with no buffer made of it. */
  private send(head: string, body: Buffer | null): void {
    const socket = this.conn.socket;
    if (body === null) {
      socket.write(head, 'latin1');
      return;
    }
    socket.cork();
    socket.write(head, 'latin1');
    socket.write(body);
    socket.uncork();
  }

  /** Writes bytes read from the server (a view of its connection's read buffer) to the client. */
  private write(data: Buffer): void {
    this.answered = true;
    const socket = this.client.socket;
    socket.write(data);
    const unsent = socket.writableLength;
    if (unsent === 0) return;
    // Queued rather than taken by the kernel at once: the write holds the read buffer until it is sent.
    this.conn.keepChunk();
    if (unsent > socket.writableHighWaterMark && !this.backendPaused) {
      this.backendPaused = true;
      this.conn.socket.pause();
    }
  }

  private complete(extraBytes: boolean): void {
    this.phase = Phase.Done;
    const response = this.response!;
    if (this.backendPaused) {
      // Paused only to hold back more of this response, which is complete; the client buffers what it has.
      this.backendPaused = false;
      this.conn.socket.resume();
    }
    const reusable = reusableAfterAnswer(this.head.contentLength > 0, response.status);
    if (response.reusable && !extraBytes && this.bodyRemaining === 0 && reusable) this.lane.pool.release(this.conn);
    else this.dropBackend();
    // A server that closes its own connection is no reason to close the client's, unless the response's framing is.
    this.client.finished(response.closesClient || this.head.close || this.bodyRemaining > 0);
  }

  /** The server's answer is unusable and nothing has reached the client yet: answer 502 for it. */
  private fail(why: string): void {
    this.lane.log.warn({ ...who(this.backend), problem: why, url: redactUrl(this.path) }, 'user server sent an unusable response');
    if (this.answered) this.cutShort(why);
    else this.respond(502, why);
  }

  /** Ends the client's connection mid-response; `byServer` unless the client's upload was too slow. */
  private cutShort(why: string, byServer = true): void {
    if (byServer) this.lane.counters.backendErrors++;
    this.lane.log.info({ ...who(this.backend), problem: why, url: redactUrl(this.path) }, 'proxied response cut short');
    this.phase = Phase.Done;
    this.dropBackend();
    this.client.socket.destroy();
  }

  private respond(status: 502 | 503, why: string): void {
    this.lane.counters.backendErrors++;
    this.lane.counters.answered(status);
    this.phase = Phase.Done;
    this.dropBackend();
    const close = this.head.close || this.bodyRemaining > 0;
    const request = { url: this.path, accept: this.head.accept, method: this.head.method };
    this.client.socket.write(unavailableHead(status, this.backend, this.lane.baseUrl, why, request, close));
    this.client.finished(close);
  }

  /** The upload did not arrive in time: node:http's answer (408) if nothing was answered yet, else the connection is cut. */
  onBodyTimeout(): void {
    this.bodyTimer = null;
    if (this.phase === Phase.Done || this.bodyRemaining === 0) return;
    this.lane.log.info({ ...who(this.backend), url: redactUrl(this.path) }, 'request body not received in time; closing the connection');
    if (this.answered) {
      this.cutShort('the request body did not arrive in time', false);
      return;
    }
    this.phase = Phase.Done;
    this.dropBackend();
    this.client.timedOut();
  }

  private clearBodyTimer(): void {
    if (this.bodyTimer === null) return;
    clearTimeout(this.bodyTimer);
    this.bodyTimer = null;
  }

  private dropBackend(): void {
    this.clearBodyTimer();
    this.conn.owner = null;
    this.conn.socket.destroy();
  }
}

function ignore(): void {}

// A function of the module rather than a bound method: most requests have no body, and need no closure made.
function bodyTimedOut(exchange: Exchange): void {
  exchange.onBodyTimeout();
}

/**
 * Writes `data`; false when the socket holds more than its high-water mark unsent, so the other side should wait
 * for 'drain'. Not write()'s own answer: that is false for any chunk larger than the mark even when the kernel took
 * it all at once, which would pause and resume the other socket (two syscalls and a tick) for every 64 KiB of a
 * large body.
 */
function written(socket: net.Socket, data: Buffer): boolean {
  socket.write(data);
  return socket.writableLength <= socket.writableHighWaterMark;
}

/** An LF without its CR: node:http answers such a head (400) at once, where waiting for CRLFCRLF would never end. */
function hasBareLf(buf: Buffer): boolean {
  for (let at = buf.indexOf(0x0a); at !== -1; at = buf.indexOf(0x0a, at + 1)) if (at === 0 || buf[at - 1] !== 0x0d) return true;
  return false;
}
