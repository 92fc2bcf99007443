// The proxy's fast lane on raw sockets against local servers written with net and http: pipelining, keep-alive and
// handing connections to node:http, response framing, stale and misbehaving servers, timeouts and closing. No Docker.
import { createHash } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import { once } from 'node:events';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { refusedUrl, startBackend, startProxy, type ProxyHarness } from './helpers/proxy-harness.js';
import { waitFor } from './helpers/wait-for.js';

/** How long a raw client waits for bytes before failing with what it has (no test should get near it). */
const WAIT_MS = 10_000;

let proxy: ProxyHarness;
const cleanups: (() => Promise<void> | void)[] = [];

beforeAll(async () => {
  proxy = await startProxy();
});
afterAll(() => proxy.close());
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
  proxy.targets.clear();
  proxy.unreachable.length = 0;
});

interface RawResponse {
  status: number;
  /** Lower-case names; repeated headers joined with ', '. */
  headers: Record<string, string>;
  head: string;
  body: Buffer;
  text: string;
}

/** A client on a raw socket that reads responses one by one, framed as RFC 9112 says (written apart from the proxy's). */
class RawClient {
  readonly socket: net.Socket;
  private buf = Buffer.alloc(0);
  private ended = false;
  private closed = false;
  private wake: (() => void) | null = null;

  /** `halfOpen`: keep this side open when the proxy ends its side (a client that never closes); by default it closes too. */
  constructor(port: number, halfOpen: boolean) {
    this.socket = net.connect({ port, host: '127.0.0.1', allowHalfOpen: halfOpen });
    this.socket.on('data', (chunk: Buffer) => {
      this.buf = Buffer.concat([this.buf, chunk]);
      this.poke();
    });
    this.socket.on('end', () => {
      this.ended = true;
      this.poke();
    });
    this.socket.on('close', () => {
      this.closed = true;
      this.ended = true;
      this.poke();
    });
    this.socket.on('error', () => undefined);
    cleanups.push(() => void this.socket.destroy());
  }

  static async open(port = proxy.port, { halfOpen = false } = {}): Promise<RawClient> {
    const client = new RawClient(port, halfOpen);
    await once(client.socket, 'connect');
    return client;
  }

  write(data: string | Buffer): void {
    this.socket.write(typeof data === 'string' ? Buffer.from(data, 'latin1') : data);
  }

  /** The next response (an interim 1xx is one too); `method` decides whether a body follows. */
  async response(method = 'GET'): Promise<RawResponse> {
    const headEnd = await this.until(() => {
      const at = this.buf.indexOf('\r\n\r\n');
      return at === -1 ? null : at;
    }, 'a response head');
    const head = this.buf.subarray(0, headEnd).toString('latin1');
    const [statusLine, ...lines] = head.split('\r\n');
    const match = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine!);
    if (match === null) throw new Error(`not a status line: ${JSON.stringify(head.slice(0, 200))}`);
    const status = Number(match[1]);
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const colon = line.indexOf(':');
      const name = line.slice(0, colon).toLowerCase();
      const value = line.slice(colon + 1).trim();
      headers[name] = name in headers ? `${headers[name]}, ${value}` : value;
    }
    this.buf = this.buf.subarray(headEnd + 4);
    let body: Buffer;
    if (method === 'HEAD' || status < 200 || status === 204 || status === 304) {
      body = Buffer.alloc(0);
    } else if (/chunked\s*$/i.test(headers['transfer-encoding'] ?? '')) {
      const [decoded, used] = await this.until(() => decodeChunked(this.buf), 'a chunked body');
      body = decoded;
      this.buf = this.buf.subarray(used);
    } else if (headers['content-length'] !== undefined) {
      const length = Number(headers['content-length']);
      await this.until(() => (this.buf.length >= length ? true : null), `${length} body bytes`);
      body = this.buf.subarray(0, length);
      this.buf = this.buf.subarray(length);
    } else {
      await this.until(() => (this.ended ? true : null), 'the end of a close-delimited body');
      body = this.buf;
      this.buf = Buffer.alloc(0);
    }
    return { status, headers, head, body, text: body.toString('latin1') };
  }

  /** Resolves once the proxy has ended its side of the connection, with any bytes not read as responses. */
  async endedByProxy(): Promise<string> {
    await this.until(() => (this.ended ? true : null), 'the connection to end');
    return this.buf.toString('latin1');
  }

  /** Resolves once the socket is closed (the proxy ended or reset it, and this side followed). */
  async untilClosed(): Promise<void> {
    await this.until(() => (this.closed ? true : null), 'the connection to close');
  }

  get isEnded(): boolean {
    return this.ended;
  }

  private poke(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }

  private async until<T>(ready: () => T | null, what: string): Promise<T> {
    const deadline = Date.now() + WAIT_MS;
    for (;;) {
      const value = ready();
      if (value !== null) return value;
      if (this.ended && what !== 'the connection to close') {
        throw new Error(`connection ended while waiting for ${what}; unread: ${JSON.stringify(this.buf.toString('latin1').slice(0, 300))}`);
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no ${what} within ${WAIT_MS} ms; unread: ${JSON.stringify(this.buf.toString('latin1').slice(0, 300))}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }
}

/** Decodes a whole chunked body at the start of `buf`: [body, bytes used], or null if it is not all there yet. */
function decodeChunked(buf: Buffer): [Buffer, number] | null {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = buf.indexOf('\r\n', at);
    if (lineEnd === -1) return null;
    const size = parseInt(buf.subarray(at, lineEnd).toString('latin1').split(';')[0]!.trim(), 16);
    if (Number.isNaN(size)) throw new Error(`bad chunk size line ${JSON.stringify(buf.subarray(at, lineEnd).toString('latin1'))}`);
    at = lineEnd + 2;
    if (size === 0) {
      for (;;) {
        const trailerEnd = buf.indexOf('\r\n', at);
        if (trailerEnd === -1) return null;
        const empty = trailerEnd === at;
        at = trailerEnd + 2;
        if (empty) return [Buffer.concat(parts), at];
      }
    }
    if (buf.length < at + size + 2) return null;
    parts.push(buf.subarray(at, at + size));
    if (buf.toString('latin1', at + size, at + size + 2) !== '\r\n') throw new Error('chunk data not followed by CRLF');
    at += size + 2;
  }
}

function get(path: string, extra = ''): string {
  return `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${extra}\r\n`;
}

async function backend(handler: http.RequestListener) {
  const b = await startBackend(handler);
  let connections = 0;
  b.server.on('connection', () => connections++);
  cleanups.push(() => b.close());
  return Object.assign(b, { connections: () => connections });
}

interface SeenRequest {
  method: string;
  path: string;
  head: string;
  body: Buffer;
  /** Index of the backend connection it came on, and its place on that connection (0 = first). */
  connection: number;
  nth: number;
}

/**
 * A server written with net that parses requests (Content-Length bodies only) and lets the test answer each with
 * raw bytes; it records every request and connection so tests can tell what reached it and how often.
 */
async function rawBackend(answer: (socket: net.Socket, req: SeenRequest) => void) {
  const sockets: net.Socket[] = [];
  const requests: SeenRequest[] = [];
  const server = net.createServer((socket) => {
    const connection = sockets.length;
    sockets.push(socket);
    socket.on('error', () => undefined);
    let buf = Buffer.alloc(0);
    let nth = 0;
    socket.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      for (;;) {
        const end = buf.indexOf('\r\n\r\n');
        if (end === -1) return;
        const head = buf.subarray(0, end).toString('latin1');
        const length = Number(/\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1] ?? 0);
        if (buf.length < end + 4 + length) return;
        const [method, path] = head.split(' ');
        const req = { method: method!, path: path!, head, body: buf.subarray(end + 4, end + 4 + length), connection, nth: nth++ };
        buf = buf.subarray(end + 4 + length);
        requests.push(req);
        if (!socket.destroyed) answer(socket, req);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise<void>((resolve) => {
    server.close(() => resolve());
    for (const s of sockets) s.destroy();
  }));
  return { url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`, sockets, requests };
}

function ok(body: string, extra = ''): string {
  return `HTTP/1.1 200 OK\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${extra}\r\n${body}`;
}

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

describe('pipelining and keep-alive', () => {
  it('answers pipelined GETs on one socket in order, the slowest first', async () => {
    const b = await backend((req, res) => {
      const delay = req.url!.endsWith('/1') ? 60 : req.url!.endsWith('/2') ? 20 : 0;
      setTimeout(() => res.end(`answer to ${req.url}`), delay);
    });
    proxy.targets.set('alice', b.url);
    const client = await RawClient.open();
    client.write(get('/user/alice/1') + get('/user/alice/2') + get('/user/alice/3'));
    for (const n of [1, 2, 3]) expect((await client.response()).text).toBe(`answer to /user/alice/${n}`);
  });

  it('answers more pipelined requests than it buffers (over 64 KiB of heads) all in order', async () => {
    const b = await backend((req, res) => res.end(req.url));
    proxy.targets.set('alice', b.url);
    const client = await RawClient.open();
    const count = 1000;
    let all = '';
    for (let i = 0; i < count; i++) all += get(`/user/alice/${i}`, `X-Padding: ${'p'.repeat(60)}\r\n`);
    expect(all.length).toBeGreaterThan(96 * 1024);
    client.write(all);
    for (let i = 0; i < count; i++) expect((await client.response()).text).toBe(`/user/alice/${i}`);
  });

  it('passes a POST body and the GET pipelined behind it in the same write, each intact and in order', async () => {
    const b = await rawBackend((socket, req) => socket.write(ok(`${req.method} ${req.path} [${req.body.toString()}]`)));
    proxy.targets.set('alice', b.url);
    const client = await RawClient.open();
    client.write(`POST /user/alice/save HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 22\r\n\r\nGET /user/alice/x HTTP` + get('/user/alice/after'));
    expect((await client.response()).text).toBe('POST /user/alice/save [GET /user/alice/x HTTP]');
    expect((await client.response()).text).toBe('GET /user/alice/after []');
    expect(b.requests.map((r) => r.path)).toEqual(['/user/alice/save', '/user/alice/after']);
  });

  it('passes a body that arrives in many small writes', async () => {
    const b = await rawBackend((socket, req) => socket.write(ok(sha256(req.body))));
    proxy.targets.set('alice', b.url);
    const client = await RawClient.open();
    const body = Buffer.alloc(5000, 'x');
    client.write(`PUT /user/alice/f HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: ${body.length}\r\n\r\n`);
    for (let at = 0; at < body.length; at += 700) {
      client.write(body.subarray(at, at + 700));
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    expect((await client.response()).text).toBe(sha256(body));
  });

  it('serves a /hub/ request after proxied ones on the same socket from the hub app, and still proxies /user/ after it', async () => {
    const b = await backend((req, res) => res.end(`server: ${req.url}`));
    proxy.targets.set('alice', b.url);
    const client = await RawClient.open();
    client.write(get('/user/alice/a'));
    expect((await client.response()).text).toBe('server: /user/alice/a');
    client.write(get('/user/alice/b'));
    expect((await client.response()).text).toBe('server: /user/alice/b');
    client.write(get('/hub/home'));
    expect((await client.response()).text).toBe('the hub app');
    client.write(get('/user/alice/c'));
    expect((await client.response()).text).toBe('server: /user/alice/c');
    client.write(get('/hub/api'));
    expect((await client.response()).text).toBe('the hub app');
  });

  it('answers user, hub, redirect and user requests pipelined in one write, in order', async () => {
    const b = await backend((req, res) => setTimeout(() => res.end(`server: ${req.url}`), 20));
    proxy.targets.set('alice', b.url);
    const client = await RawClient.open();
    client.write(get('/user/alice/a') + get('/hub/home') + get('/elsewhere?x=1') + get('/user/alice/b'));
    expect((await client.response()).text).toBe('server: /user/alice/a');
    expect((await client.response()).text).toBe('the hub app');
    const redirect = await client.response();
    expect(redirect.status).toBe(302);
    expect(redirect.headers.location).toBe('/hub/elsewhere?x=1');
    expect((await client.response()).text).toBe('server: /user/alice/b');
  });

  it('reuses one server connection for many sequential requests, from one client socket and from the next', async () => {
    const b = await backend((req, res) => res.end(req.url));
    proxy.targets.set('alice', b.url);
    for (let c = 0; c < 2; c++) {
      const client = await RawClient.open();
      for (let i = 0; i < 25; i++) {
        client.write(get(`/user/alice/${c}/${i}`));
        expect((await client.response()).text).toBe(`/user/alice/${c}/${i}`);
      }
      client.socket.destroy();
    }
    expect(b.connections()).toBe(1);
  });

  it('closes the connection after answering a request with Connection: close', async () => {
    const b = await backend((_req, res) => res.end('bye'));
    proxy.targets.set('alice', b.url);
    const client = await RawClient.open();
    client.write(get('/user/alice/x', 'Connection: close\r\n'));
    const res = await client.response();
    expect(res.text).toBe('bye');
    expect(await client.endedByProxy()).toBe('');
  });

  it('keeps the connection open after a plain request', async () => {
    const b = await backend((_req, res) => res.end('hi'));
    proxy.targets.set('alice', b.url);
    const client = await RawClient.open();
    client.write(get('/user/alice/x'));
    await client.response();
    // The next request on the same socket is the proof that it stayed open.
    client.write(get('/user/alice/y'));
    expect((await client.response()).text).toBe('hi');
    expect(client.isEnded).toBe(false);
  });

  it('still works when the request head is trickled a byte at a time', async () => {
    const b = await backend((req, res) => res.end(`${req.url} ${req.headers['x-a']}`));
    proxy.targets.set('alice', b.url);
    const client = await RawClient.open();
    const text = get('/user/alice/slow?q=1', 'X-A: trickled\r\n');
    for (const byte of Buffer.from(text)) {
      client.write(Buffer.of(byte));
      await new Promise((resolve) => setTimeout(resolve, 3));
    }
    expect((await client.response()).text).toBe('/user/alice/slow?q=1 trickled');
  });

  it('answers 503 for a server that refuses, asks for a state check, and keeps the connection usable', async () => {
    proxy.targets.set('alice', await refusedUrl());
    const client = await RawClient.open();
    client.write(get('/user/alice/api/status'));
    const res = await client.response();
    expect(res.status).toBe(503);
    expect(JSON.parse(res.text)).toMatchObject({ status: 503, message: expect.stringContaining('ECONNREFUSED') });
    expect(proxy.unreachable).toEqual(['alice']);
    client.write(get('/hub/home'));
    expect((await client.response()).text).toBe('the hub app');
  });
});

describe("client reads into the thread's one shared buffer", () => {
  // Every plain client connection reads into the same buffer (src/proxy/client-reads.ts): bytes a connection keeps
  // past a read must be copies, or the next read of any connection overwrites them.
  it("keeps a partial request head intact while another client's request is read into the same buffer", async () => {
    const b = await backend((req, res) => res.end(`server: ${req.url}`));
    proxy.targets.set('alice', b.url);
    const first = await RawClient.open();
    const second = await RawClient.open();
    first.write(`GET /user/alice/${'a'.repeat(200)} HTTP/1.1\r\nHost: 127.0.0.1\r\n`);
    // Read after the partial head (its connection was ready first), at the same offsets of the buffer.
    second.write(get(`/user/alice/${'b'.repeat(200)}`));
    expect((await second.response()).text).toBe(`server: /user/alice/${'b'.repeat(200)}`);
    first.write('\r\n');
    expect((await first.response()).text).toBe(`server: /user/alice/${'a'.repeat(200)}`);
  });

  it('keeps pipelined requests that arrive while an answer is still queued to a client that does not read', async () => {
    const big = Buffer.alloc(4 * 1024 * 1024, 'z');
    const b = await backend((req, res) => res.end(req.url!.endsWith('/big') ? big : `server: ${req.url}`));
    proxy.targets.set('alice', b.url);
    const client = await RawClient.open();
    const other = await RawClient.open();
    client.socket.pause();
    client.write(get('/user/alice/big'));
    // Each of these is read (into the shared buffer) while the 4 MiB answer waits for the client; another
    // client's requests are read into the same buffer in between.
    for (let i = 0; i < 3; i++) {
      client.write(get(`/user/alice/next-${i}`, `X-Pad: ${String(i).repeat(300)}\r\n`));
      other.write(get(`/user/alice/other-${i}`, `X-Pad: ${'o'.repeat(300)}\r\n`));
      expect((await other.response()).text).toBe(`server: /user/alice/other-${i}`);
    }
    client.socket.resume();
    expect(sha256((await client.response()).body)).toBe(sha256(big));
    for (let i = 0; i < 3; i++) expect((await client.response()).text).toBe(`server: /user/alice/next-${i}`);
  });

  it("passes an upload intact to a server that is slow to take it while other clients' requests are read", async () => {
    let release: () => void = () => undefined;
    const taken = new Promise<void>((resolve) => (release = resolve));
    const b = await backend((req, res) => {
      if (!req.url!.endsWith('/up')) {
        res.end(`server: ${req.url}`);
        return;
      }
      // Not read until the other client is done, so the proxy's writes of the upload queue meanwhile.
      req.pause();
      void taken.then(() => {
        const hash = createHash('sha256');
        req.on('data', (chunk: Buffer) => hash.update(chunk));
        req.on('end', () => res.end(hash.digest('hex')));
        req.resume();
      });
    });
    proxy.targets.set('alice', b.url);
    const data = Buffer.alloc(2 * 1024 * 1024);
    for (let i = 0; i < data.length; i++) data[i] = (i * 7919) % 251;
    const uploader = await RawClient.open();
    const other = await RawClient.open();
    uploader.write(`POST /user/alice/up HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: ${data.length}\r\n\r\n`);
    uploader.write(data);
    for (let i = 0; i < 20; i++) {
      other.write(get(`/user/alice/other-${i}`, `X-Pad: ${'o'.repeat(2000)}\r\n`));
      expect((await other.response()).text).toBe(`server: /user/alice/other-${i}`);
    }
    release();
    expect((await uploader.response()).text).toBe(sha256(data));
  });

  it('hands a connection that read into the shared buffer to node:http with its unread bytes intact', async () => {
    const b = await backend((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => res.end(`server: ${req.url} [${body}]`));
    });
    proxy.targets.set('alice', b.url);
    const client = await RawClient.open();
    const other = await RawClient.open();
    client.write(get('/user/alice/first'));
    expect((await client.response()).text).toBe('server: /user/alice/first []');
    // A chunked upload goes to node:http; its head and first chunk arrive before the other client's request.
    client.write('POST /user/alice/chunked HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n');
    other.write(get(`/user/alice/${'x'.repeat(300)}`));
    expect((await other.response()).text).toBe(`server: /user/alice/${'x'.repeat(300)} []`);
    client.write('6\r\n world\r\n0\r\n\r\n');
    expect((await client.response()).text).toBe('server: /user/alice/chunked [hello world]');
  });
});

describe('settings reloaded while a connection is open', () => {
  it('believes X-Forwarded-For from a peer on the next request of an open connection once hub.trusted_proxies names it', async () => {
    const own = await startProxy();
    cleanups.push(() => own.close());
    const b = await backend((req, res) => res.end(String(req.headers['x-forwarded-for'])));
    own.targets.set('alice', b.url);
    const client = await RawClient.open(own.port);
    client.write(get('/user/alice/x', 'X-Forwarded-For: 203.0.113.7\r\n'));
    expect((await client.response()).text).toBe('127.0.0.1');
    own.listener.setLimits({ keepAliveTimeoutMs: 65_000, requestHeaderTimeoutMs: 10_000, maxConnectionsPerClient: 0, trustedProxies: ['127.0.0.1'] });
    client.write(get('/user/alice/x', 'X-Forwarded-For: 203.0.113.7\r\n'));
    expect((await client.response()).text).toBe('203.0.113.7');
    own.listener.setLimits({ keepAliveTimeoutMs: 65_000, requestHeaderTimeoutMs: 10_000, maxConnectionsPerClient: 0, trustedProxies: [] });
    client.write(get('/user/alice/x', 'X-Forwarded-For: 203.0.113.7\r\n'));
    expect((await client.response()).text).toBe('127.0.0.1');
  });
});

describe('requests handed to node:http', () => {
  it('proxies a request with a chunked body to /user/ intact', async () => {
    const b = await backend((req, res) => {
      const parts: Buffer[] = [];
      req.on('data', (chunk: Buffer) => parts.push(chunk));
      req.on('end', () => res.end(`${req.method} ${req.url} ${Buffer.concat(parts).toString()}`));
    });
    proxy.targets.set('alice', b.url);
    const client = await RawClient.open();
    client.write('POST /user/alice/upload HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n');
    expect((await client.response()).text).toBe('POST /user/alice/upload hello world');
    client.write(get('/user/alice/next'));
    expect((await client.response()).text).toBe('GET /user/alice/next ');
  });

  it('proxies a request with Expect: 100-continue once the client sends its body', async () => {
    const b = await backend((req, res) => {
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => res.end(`got ${body}`));
    });
    proxy.targets.set('alice', b.url);
    const client = await RawClient.open();
    client.write('PUT /user/alice/f HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n');
    expect((await client.response()).status).toBe(100);
    client.write('data');
    expect((await client.response()).text).toBe('got data');
  });

  it.each([
    ['Content-Length then Transfer-Encoding', 'Content-Length: 49\r\nTransfer-Encoding: chunked'],
    ['Transfer-Encoding then Content-Length', 'Transfer-Encoding: chunked\r\nContent-Length: 49'],
  ])('refuses a smuggling attempt (%s) with 400 and nothing reaches the server', async (_name, framing) => {
    const b = await rawBackend((socket, req) => socket.write(ok(req.path)));
    proxy.targets.set('alice', b.url);
    const client = await RawClient.open();
    client.write(`POST /user/alice/x HTTP/1.1\r\nHost: 127.0.0.1\r\n${framing}\r\n\r\n0\r\n\r\n${get('/user/alice/smuggled')}`);
    expect((await client.response()).status).toBe(400);
    await client.endedByProxy();
    // A request sent afterwards is the first and only one the server sees.
    const after = await RawClient.open();
    after.write(get('/user/alice/after'));
    expect((await after.response()).text).toBe('/user/alice/after');
    expect(b.requests.map((r) => r.path)).toEqual(['/user/alice/after']);
  });

  it('refuses two different Content-Lengths with 400 and nothing reaches the server', async () => {
    const b = await rawBackend((socket, req) => socket.write(ok(req.path)));
    proxy.targets.set('alice', b.url);
    const client = await RawClient.open();
    client.write(`POST /user/alice/x HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 3\r\nContent-Length: 30\r\n\r\nabc${get('/user/alice/smuggled')}`);
    expect((await client.response()).status).toBe(400);
    await client.endedByProxy();
    const after = await RawClient.open();
    after.write(get('/user/alice/after'));
    expect((await after.response()).text).toBe('/user/alice/after');
    expect(b.requests.map((r) => r.path)).toEqual(['/user/alice/after']);
  });

  it('answers a request head over 16 KiB with 431 without reaching the server', async () => {
    const b = await rawBackend((socket, req) => socket.write(ok(req.path)));
    proxy.targets.set('alice', b.url);
    const client = await RawClient.open();
    client.write(get('/user/alice/big', `X-Big: ${'b'.repeat(20 * 1024)}\r\n`));
    expect((await client.response()).status).toBe(431);
    expect(b.requests).toEqual([]);
  });

  it('proxies an HTTP/1.0 request', async () => {
    const b = await backend((req, res) => res.end(`${req.httpVersion} ${req.url}`));
    proxy.targets.set('alice', b.url);
    const client = await RawClient.open();
    client.write('GET /user/alice/old HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n');
    const res = await client.response();
    expect(res.status).toBe(200);
    expect(res.text).toMatch(/ \/user\/alice\/old$/);
  });
});

describe('response framing', () => {
  it('passes a chunked response with trailers intact and keeps the connection for the next request', async () => {
    const b = await backend((req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/plain', Trailer: 'X-Sum' });
      res.write('one,');
      setTimeout(() => {
        res.write('two,');
        res.addTrailers({ 'X-Sum': 'abc' });
        res.end(`three ${req.url}`);
      }, 10);
    });
    proxy.targets.set('alice', b.url);
    const client = await RawClient.open();
    client.write(get('/user/alice/a'));
    const first = await client.response();
    expect(first.headers['transfer-encoding']).toBe('chunked');
    expect(first.text).toBe('one,two,three /user/alice/a');
    client.write(get('/user/alice/b'));
    expect((await client.response()).text).toBe('one,two,three /user/alice/b');
    expect(b.connections()).toBe(1);
  });

  it('passes a close-delimited response and then closes the client connection', async () => {
    const b = await rawBackend((socket) => {
      socket.write('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil ');
      setTimeout(() => socket.end('the end'), 20);
    });
    proxy.targets.set('alice', b.url);
    const client = await RawClient.open();
    client.write(get('/user/alice/x'));
    const res = await client.response();
    expect(res.text).toBe('until the end');
    await client.untilClosed();
  });

  it.each([
    ['HEAD', 'HEAD', 200],
    ['204', 'GET', 204],
    ['304', 'GET', 304],
  ])('passes a %s answer without a body and frames the next response right', async (_name, method, status) => {
    const b = await backend((req, res) => {
      if (req.url!.endsWith('/next')) return void res.end('next body');
      res.writeHead(status, { 'Content-Length': '1000', ETag: '"e"' });
      res.end();
    });
    proxy.targets.set('alice', b.url);
    const client = await RawClient.open();
    client.write(`${method} /user/alice/x HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n${get('/user/alice/next')}`);
    const first = await client.response(method);
    expect(first.status).toBe(status);
    expect(first.headers.etag).toBe('"e"');
    const next = await client.response();
    expect(next.status).toBe(200);
    expect(next.text).toBe('next body');
  });

  it('passes 103 Early Hints and then the final 200', async () => {
    const b = await backend((_req, res) => {
      res.writeEarlyHints({ link: '</style.css>; rel=preload; as=style' });
      setTimeout(() => res.end('final'), 10);
    });
    proxy.targets.set('alice', b.url);
    const client = await RawClient.open();
    client.write(get('/user/alice/x') + get('/user/alice/y'));
    const hints = await client.response();
    expect(hints.status).toBe(103);
    expect(hints.headers.link).toBe('</style.css>; rel=preload; as=style');
    const final = await client.response();
    expect([final.status, final.text]).toEqual([200, 'final']);
    expect((await client.response()).status).toBe(103);
    expect((await client.response()).text).toBe('final');
  });

  it('passes an interim response and a final one that arrive in a single write', async () => {
    const b = await rawBackend((socket) => socket.write(`HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n${ok('final')}`));
    proxy.targets.set('alice', b.url);
    const client = await RawClient.open();
    client.write(get('/user/alice/x'));
    expect((await client.response()).status).toBe(103);
    expect((await client.response()).text).toBe('final');
  });

  it('frames a response with both Content-Length and Transfer-Encoding as chunked, then reuses neither connection', async () => {
    const b = await rawBackend((socket, req) =>
      socket.write(`HTTP/1.1 200 OK\r\nContent-Length: 100\r\nTransfer-Encoding: chunked\r\n\r\n${req.path.length.toString(16)}\r\n${req.path}\r\n0\r\n\r\n`));
    proxy.targets.set('alice', b.url);
    for (const path of ['/user/alice/a', '/user/alice/b']) {
      const client = await RawClient.open();
      client.write(get(path));
      expect((await client.response()).text).toBe(path);
      expect(await client.endedByProxy()).toBe('');
    }
    expect(b.requests.map((r) => r.connection)).toEqual([0, 1]);
  });

  it('passes 4 MiB down to a client that reads slowly, intact', async () => {
    const data = Buffer.alloc(4 * 1024 * 1024);
    for (let i = 0; i < data.length; i += 4) data.writeUInt32LE(i, i);
    const b = await backend((_req, res) => res.end(data));
    proxy.targets.set('alice', b.url);
    const client = await RawClient.open();
    client.socket.pause();
    client.write(get('/user/alice/big') + get('/user/alice/big'));
    await new Promise((resolve) => setTimeout(resolve, 200));
    client.socket.resume();
    expect(sha256((await client.response()).body)).toBe(sha256(data));
    expect(sha256((await client.response()).body)).toBe(sha256(data));
  });

  it('passes large pipelined answers intact to a client that reads in small steps (reads from the server reuse a buffer)', async () => {
    // Each answer is a different pattern, so bytes of one read landing over another's still unsent ones would show,
    // within an answer or across answers. The first is larger than the kernel's buffers between proxy and client
    // can hold, so the lane's writes are often taken only in part while more small reads from the server arrive.
    const answer = (n: number, size: number) => {
      const data = Buffer.alloc(size);
      for (let i = 0; i + 4 <= size; i += 4) data.writeUInt32LE((i * 2654435761 + n) >>> 0, i);
      return data;
    };
    const sizes = [12 * 1024 * 1024, 700, 512 * 1024 + 3, 10, 768 * 1024];
    const b = await backend((req, res) => {
      const n = Number(req.url!.split('/').pop());
      const data = answer(n, sizes[n]!);
      // Trickled in small pieces of changing sizes: the lane makes many small reads.
      let at = 0;
      const more = () => {
        if (at >= data.length) return void res.end();
        const piece = data.subarray(at, at + 1000 + ((at * 7) % 4000));
        at += piece.length;
        if (res.write(piece)) setImmediate(more);
        else res.once('drain', more);
      };
      res.setHeader('Content-Length', data.length);
      more();
    });
    proxy.targets.set('alice', b.url);
    const client = net.connect({ port: proxy.port, host: '127.0.0.1' });
    cleanups.push(() => void client.destroy());
    await once(client, 'connect');
    client.write(sizes.map((_size, n) => get(`/user/alice/${n}`)).join(''));
    // Reads 2 KiB per turn of the event loop, slower than the server trickles, so the buffers between fill up;
    // each body is hashed as it comes.
    const hashes: string[] = [];
    let head = Buffer.alloc(0);
    let left = -1;
    let hash = createHash('sha256');
    while (hashes.length < sizes.length) {
      const chunk = (client.read(2048) ?? client.read()) as Buffer | null;
      if (chunk === null) {
        await once(client, 'readable');
        continue;
      }
      let rest = chunk;
      while (rest.length > 0) {
        if (left === -1) {
          head = Buffer.concat([head, rest]);
          const end = head.indexOf('\r\n\r\n');
          if (end === -1) break;
          left = Number(/content-length: *(\d+)/i.exec(head.subarray(0, end).toString('latin1'))![1]);
          rest = head.subarray(end + 4);
          head = Buffer.alloc(0);
        }
        const take = Math.min(left, rest.length);
        hash.update(rest.subarray(0, take));
        rest = rest.subarray(take);
        left -= take;
        if (left === 0) {
          hashes.push(hash.digest('hex'));
          hash = createHash('sha256');
          left = -1;
        }
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(hashes).toEqual(sizes.map((size, n) => sha256(answer(n, size))));
  });

  it('passes 4 MiB up to the server intact', async () => {
    const b = await backend((req, res) => {
      const hash = createHash('sha256');
      req.on('data', (chunk: Buffer) => hash.update(chunk));
      req.on('end', () => res.end(hash.digest('hex')));
    });
    proxy.targets.set('alice', b.url);
    const data = Buffer.alloc(4 * 1024 * 1024, 7);
    const client = await RawClient.open();
    client.write(`POST /user/alice/up HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: ${data.length}\r\n\r\n`);
    client.write(data);
    client.write(get('/user/alice/after'));
    expect((await client.response()).text).toBe(sha256(data));
    expect((await client.response()).text).toBe(sha256(Buffer.alloc(0)));
  });
});

describe('servers that misbehave', () => {
  it('retries a GET on a fresh connection when the server closes the kept-alive one as the request arrives', async () => {
    const b = await rawBackend((socket, req) => {
      if (req.nth > 0) socket.end(); // its keep-alive timeout fired just as the request came
      else socket.write(ok(`answer on connection ${req.connection}`));
    });
    proxy.targets.set('alice', b.url);
    const client = await RawClient.open();
    client.write(get('/user/alice/a'));
    expect((await client.response()).text).toBe('answer on connection 0');
    client.write(get('/user/alice/b'));
    expect((await client.response()).text).toBe('answer on connection 1');
  });

  it('retries a GET when the server resets the kept-alive connection', async () => {
    const b = await rawBackend((socket, req) => {
      if (req.nth > 0) socket.resetAndDestroy();
      else socket.write(ok(`answer on connection ${req.connection}`));
    });
    proxy.targets.set('alice', b.url);
    const client = await RawClient.open();
    client.write(get('/user/alice/a'));
    await client.response();
    client.write(get('/user/alice/b'));
    expect((await client.response()).text).toBe('answer on connection 1');
  });

  it('answers a POST with 502 when the kept-alive connection closes under it, and never sends it twice', async () => {
    const b = await rawBackend((socket, req) => {
      if (req.nth > 0) socket.end();
      else socket.write(ok('first'));
    });
    proxy.targets.set('alice', b.url);
    const client = await RawClient.open();
    client.write(get('/user/alice/a'));
    expect((await client.response()).text).toBe('first');
    client.write('POST /user/alice/order HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 3\r\n\r\nbuy');
    const res = await client.response();
    expect(res.status).toBe(502);
    expect(res.text).toContain('closed the connection without an answer');
    expect(b.requests.filter((r) => r.method === 'POST')).toHaveLength(1);
    // The client connection survives the 502.
    client.write(get('/user/alice/c'));
    expect((await client.response()).text).toBe('first');
    expect(b.requests.filter((r) => r.method === 'POST')).toHaveLength(1);
  });

  it('serves the next GET when the server closes each connection right after answering', async () => {
    const b = await rawBackend((socket, req) => socket.end(ok(`answer ${req.path}`))); // no Connection: close said
    proxy.targets.set('alice', b.url);
    const client = await RawClient.open();
    for (const path of ['/user/alice/a', '/user/alice/b', '/user/alice/c']) {
      client.write(get(path));
      expect((await client.response()).text).toBe(`answer ${path}`);
    }
  });

  it('does not pass bytes sent after a complete response on to the next request', async () => {
    const b = await rawBackend((socket, req) => {
      if (req.connection === 0) socket.write(`${ok('real')}${ok('injected')}`);
      else socket.write(ok(`own answer to ${req.path}`));
    });
    proxy.targets.set('alice', b.url);
    const client = await RawClient.open();
    client.write(get('/user/alice/a'));
    expect((await client.response()).text).toBe('real');
    client.write(get('/user/alice/b'));
    expect((await client.response()).text).toBe('own answer to /user/alice/b');
  });

  it('drops a pooled connection on which the server speaks unprompted', async () => {
    const b = await rawBackend((socket, req) => {
      socket.write(ok(`answer to ${req.path}`));
      if (req.connection === 0) setTimeout(() => socket.write(ok('injected')), 30);
    });
    proxy.targets.set('alice', b.url);
    const client = await RawClient.open();
    client.write(get('/user/alice/a'));
    expect((await client.response()).text).toBe('answer to /user/alice/a');
    if (!b.sockets[0]!.destroyed) await once(b.sockets[0]!, 'close'); // the proxy dropped it
    client.write(get('/user/alice/b'));
    expect((await client.response()).text).toBe('answer to /user/alice/b');
  });

  it('does not give a later client the answer meant for one that left while waiting', async () => {
    const b = await rawBackend((socket, req) => {
      const delay = req.path.endsWith('/slow') ? 150 : 0;
      setTimeout(() => !socket.destroyed && socket.write(ok(`answer to ${req.path}`)), delay);
    });
    proxy.targets.set('alice', b.url);
    const leaving = await RawClient.open();
    leaving.write(get('/user/alice/slow'));
    while (b.requests.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    leaving.socket.destroy();
    await new Promise((resolve) => setTimeout(resolve, 30));
    const client = await RawClient.open();
    client.write(get('/user/alice/fast'));
    expect((await client.response()).text).toBe('answer to /user/alice/fast');
    await new Promise((resolve) => setTimeout(resolve, 200)); // past the slow answer
    client.write(get('/user/alice/again'));
    expect((await client.response()).text).toBe('answer to /user/alice/again');
  });

  it('does not let the rest of an upload a client abandoned reach the server as a request', async () => {
    const b = await rawBackend((socket, req) => socket.write(ok(`answer to ${req.path}`)));
    proxy.targets.set('alice', b.url);
    const leaving = await RawClient.open();
    leaving.write(`POST /user/alice/upload HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 200\r\n\r\n${'x'.repeat(50)}`);
    await new Promise((resolve) => setTimeout(resolve, 30));
    leaving.socket.destroy();
    await new Promise((resolve) => setTimeout(resolve, 30));
    const client = await RawClient.open();
    client.write(`POST /user/alice/next HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 150\r\n\r\n${get('/user/alice/smuggled').padEnd(150, 'y')}`);
    expect((await client.response()).text).toBe('answer to /user/alice/next');
    expect(b.requests.map((r) => r.path)).toEqual(['/user/alice/next']);
  });

  it('passes a response head that arrives in pieces intact (a piece kept while the next is read into the same buffer)', async () => {
    const pieces = ['HTTP/1.1 200 OK\r\nX-First: ', 'a'.repeat(3000), '\r\nX-Second: ', 'b'.repeat(3000), '\r\nContent-Length: 2\r\n\r\nok'];
    const b = await rawBackend((socket) => {
      const next = () => {
        if (socket.destroyed || pieces.length === 0) return;
        socket.write(pieces.shift()!);
        setTimeout(next, 10); // one read each
      };
      next();
    });
    proxy.targets.set('alice', b.url);
    const client = await RawClient.open();
    client.write(get('/user/alice/x'));
    const res = await client.response();
    expect(res.headers).toMatchObject({ 'x-first': 'a'.repeat(3000), 'x-second': 'b'.repeat(3000) });
    expect(res.text).toBe('ok');
  });

  it('answers 502 to a response head longer than 16 KiB sent in small pieces', async () => {
    const b = await rawBackend((socket) => {
      socket.write('HTTP/1.1 200 OK\r\n');
      const timer = setInterval(() => {
        if (socket.destroyed) return clearInterval(timer);
        socket.write(`X-Filler: ${'f'.repeat(1000)}\r\n`);
      }, 1);
      socket.on('close', () => clearInterval(timer));
    });
    proxy.targets.set('alice', b.url);
    const client = await RawClient.open();
    client.write(get('/user/alice/x'));
    const res = await client.response();
    expect(res.status).toBe(502);
    expect(res.text).toContain('16 KiB');
  });

  it('cuts the client connection when a chunked body turns out malformed', async () => {
    const b = await rawBackend((socket) => {
      socket.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n');
      setTimeout(() => socket.write('5\r\nworldEXTRA\r\n0\r\n\r\n'), 20);
    });
    proxy.targets.set('alice', b.url);
    const client = await RawClient.open();
    client.write(get('/user/alice/x'));
    await expect(client.response()).rejects.toThrow(/connection ended/);
    await client.untilClosed();
  });

  it('answers 502 to a malformed chunked body that arrives with the head', async () => {
    const b = await rawBackend((socket) => socket.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n'));
    proxy.targets.set('alice', b.url);
    const client = await RawClient.open();
    client.write(get('/user/alice/x'));
    expect((await client.response()).status).toBe(502);
  });

  it('passes an early answer (413 before the upload is read) and closes the client connection', async () => {
    let serverSocket!: net.Socket;
    const accepted = new Promise<void>((resolve) => {
      const server = net.createServer((socket) => {
        serverSocket = socket;
        socket.on('error', () => undefined);
        socket.once('data', () => socket.write('HTTP/1.1 413 Payload Too Large\r\nContent-Length: 8\r\n\r\ntoo big!'));
        resolve();
      });
      server.listen(0, '127.0.0.1', () => proxy.targets.set('alice', `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`));
      cleanups.push(() => new Promise<void>((done) => {
        server.close(() => done());
        serverSocket?.destroy();
      }));
    });
    while (!proxy.targets.has('alice')) await new Promise((resolve) => setTimeout(resolve, 5));
    const client = await RawClient.open();
    client.write(`POST /user/alice/upload HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: ${100 * 1024 * 1024}\r\n\r\n`);
    client.write(Buffer.alloc(256 * 1024));
    await accepted;
    const res = await client.response();
    expect([res.status, res.text]).toEqual([413, 'too big!']);
    expect(await client.endedByProxy()).toBe('');
  });
});

describe('timeouts and closing', () => {
  it('closes a keep-alive connection left idle past the timeout', async () => {
    const own = await startProxy({ keepAliveTimeoutMs: 300 });
    cleanups.push(() => own.close());
    const b = await backend((_req, res) => res.end('ok'));
    own.targets.set('alice', b.url);
    const client = await RawClient.open(own.port);
    client.write(get('/user/alice/x'));
    expect((await client.response()).text).toBe('ok');
    await client.untilClosed();
  });

  it('does not cut an exchange that outlasts the keep-alive timeout', async () => {
    const own = await startProxy({ keepAliveTimeoutMs: 200 });
    cleanups.push(() => own.close());
    const b = await backend((_req, res) => setTimeout(() => res.end('late but whole'), 700));
    own.targets.set('alice', b.url);
    const client = await RawClient.open(own.port);
    client.write(get('/user/alice/x'));
    expect((await client.response()).text).toBe('late but whole');
  });

  it('stops with a fast-lane keep-alive connection idle, closing it', async () => {
    const own = await startProxy();
    const b = await backend((_req, res) => res.end('ok'));
    own.targets.set('alice', b.url);
    const client = await RawClient.open(own.port);
    client.write(get('/user/alice/x'));
    expect((await client.response()).text).toBe('ok');
    await own.listener.close(60_000); // the grace would be 60 s: an idle connection must not wait for it
    await client.untilClosed();
  });

  it('finishes a request in flight when stopping, then closes its connection', async () => {
    const own = await startProxy();
    let reached = false;
    const b = await backend((_req, res) => {
      reached = true;
      setTimeout(() => res.end('finished'), 200);
    });
    own.targets.set('alice', b.url);
    const client = await RawClient.open(own.port);
    client.write(get('/user/alice/x'));
    await waitFor(() => expect(reached).toBe(true)); // in flight: the server has it
    const stopped = own.listener.close(60_000);
    expect((await client.response()).text).toBe('finished');
    await stopped;
    await client.untilClosed();
  });
});

describe('edge cases found by adversarial testing', () => {
  it('answers thousands of pipelined requests it answers itself (redirects) without overflowing the stack', async () => {
    // Each redirect the lane writes itself called next() again: 20,000 of them in one write threw RangeError
    // (Maximum call stack size exceeded) out of a socket handler, an uncaught exception that stops the hub.
    const uncaught: unknown[] = [];
    const onUncaught = (err: unknown) => void uncaught.push(err);
    process.on('uncaughtException', onUncaught);
    cleanups.push(() => void process.off('uncaughtException', onUncaught));
    const b = await backend((req, res) => setTimeout(() => res.end(`answer to ${req.url}`), 100));
    proxy.targets.set('alice', b.url);
    const client = await RawClient.open();
    const count = 20_000;
    client.write(get('/user/alice/slow') + 'GET /x HTTP/1.1\r\nHost:\r\n\r\n'.repeat(count));
    expect((await client.response()).text).toBe('answer to /user/alice/slow');
    for (let i = 0; i < count; i++) expect((await client.response()).headers.location).toBe('/hub/x');
    expect(uncaught.map(String)).toEqual([]);
  });

  it('stops reading from a client that pipelines redirects without reading them, and answers all once it reads', async () => {
    // 30 MB of requests and 60 MB of answers: more than the kernel's socket buffers on both sides can hold.
    const count = 1_000_000;
    let accepted: net.Socket | null = null;
    proxy.listener.server.once('connection', (s: net.Socket) => (accepted = s));
    const socket = net.connect({ port: proxy.port, host: '127.0.0.1' });
    cleanups.push(() => void socket.destroy());
    await once(socket, 'connect');
    socket.pause(); // reads nothing until told
    socket.write('GET /x HTTP/1.1\r\nHost: h\r\n\r\n'.repeat(count));
    // The lane's side of the connection: once the answers back up, it must stop reading instead of buffering them all.
    for (let i = 0; i < 200 && !(accepted as net.Socket | null)?.isPaused(); i++) await new Promise((r) => setTimeout(r, 50));
    const lane = accepted as net.Socket | null;
    expect(lane?.isPaused()).toBe(true);
    expect(lane!.writableLength).toBeLessThan(1024 * 1024);
    let answers = 0;
    let tail = '';
    socket.on('data', (chunk: Buffer) => {
      const text = tail + chunk.toString('latin1');
      answers += text.split('HTTP/1.1 302 Found').length - 1;
      tail = text.slice(-('HTTP/1.1 302 Found'.length - 1)); // a marker split across reads is counted once
    });
    socket.resume();
    for (let i = 0; i < 600 && answers < count; i++) await new Promise((r) => setTimeout(r, 50));
    expect(answers).toBe(count);
  });

  it('answers 502 to a response head longer than 16 KiB written at once', async () => {
    const b = await rawBackend((socket) => socket.write(`HTTP/1.1 200 OK\r\nX-Big: ${'b'.repeat(100 * 1024)}\r\nContent-Length: 2\r\n\r\nok`));
    proxy.targets.set('alice', b.url);
    const client = await RawClient.open();
    client.write(get('/user/alice/x'));
    const res = await client.response();
    expect(res.status).toBe(502);
  });

  it('answers every pipelined request when the client half-closes after sending them, as node:http does', async () => {
    const b = await backend((req, res) => res.end(`answer to ${req.url}`));
    proxy.targets.set('alice', b.url);
    const client = await RawClient.open(proxy.port, { halfOpen: true });
    client.write(get('/user/alice/a') + get('/user/alice/b'));
    client.socket.end(); // `printf 'GET …GET …' | nc -N`: nothing more to send, answers still wanted
    expect((await client.response()).text).toBe('answer to /user/alice/a');
    expect((await client.response()).text).toBe('answer to /user/alice/b');
  });

  it('hands a head ended by bare LFs to node:http at once (400) instead of waiting for the head timeout', async () => {
    const b = await rawBackend((socket, req) => socket.write(ok(req.path)));
    proxy.targets.set('alice', b.url);
    const client = await RawClient.open();
    client.write('GET /user/alice/x HTTP/1.1\nHost: 127.0.0.1\n\n');
    expect((await client.response()).status).toBe(400);
    expect(b.requests).toEqual([]);
  });

  it('answers HEAD for a server that refuses with a 503 head and no body, so the next response is framed right', async () => {
    proxy.targets.set('alice', await refusedUrl());
    const client = await RawClient.open();
    client.write(`HEAD /user/alice/x HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n${get('/hub/home')}`);
    expect((await client.response('HEAD')).status).toBe(503);
    const next = await client.response();
    expect([next.status, next.text]).toEqual([200, 'the hub app']);
  });

  it('does not keep a half-open client socket after Connection: close when the client never closes its side', async () => {
    const own = await startProxy();
    cleanups.push(() => own.close());
    const b = await backend((_req, res) => res.end('bye'));
    own.targets.set('alice', b.url);
    const connections = () => new Promise<number>((resolve, reject) => own.listener.server.getConnections((err, n) => (err ? reject(err) : resolve(n))));
    const client = await RawClient.open(own.port, { halfOpen: true });
    client.write(get('/user/alice/x', 'Connection: close\r\n'));
    expect((await client.response()).text).toBe('bye');
    await client.endedByProxy();
    for (let i = 0; i < 100 && (await connections()) > 0; i++) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await connections()).toBe(0);
  });
});
