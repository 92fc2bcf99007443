// The public listener against local node backends: dispatch, redirects, refusals, activity, streaming and
// what happens when either side of a proxied connection goes away. Docker-backed cases are in proxy-backend.
import http from 'node:http';
import net from 'node:net';
import { once } from 'node:events';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { refusedUrl, startBackend, startProxy, type ProxyHarness } from './helpers/proxy-harness.js';
import { waitFor } from './helpers/wait-for.js';

let proxy: ProxyHarness;
const cleanups: (() => Promise<void> | void)[] = [];

beforeAll(async () => {
  proxy = await startProxy({ upgradeTimeoutMs: 500, closeGraceMs: 500 });
});
afterAll(() => proxy.close());
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
  proxy.targets.clear();
  proxy.activity.length = 0;
  proxy.unreachable.length = 0;
});

async function backend(handler: http.RequestListener) {
  const b = await startBackend(handler);
  cleanups.push(() => b.close());
  return b;
}

function get(path: string, headers: Record<string, string> = {}) {
  return fetch(`${proxy.url}${path}`, { headers, redirect: 'manual' });
}

function wsUrl(path: string) {
  return `ws://127.0.0.1:${proxy.port}${path}`;
}

/** Sends an upgrade request on a raw socket and returns everything the proxy wrote before closing it. */
async function rawUpgrade(path: string): Promise<string> {
  const socket = net.connect(proxy.port, '127.0.0.1');
  await once(socket, 'connect');
  socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
    'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n');
  let received = '';
  socket.on('data', (chunk) => (received += chunk));
  await once(socket, 'close');
  return received;
}

describe('dispatch', () => {
  it('serves <base_url>hub/ from the hub app', async () => {
    const res = await get('/hub/anything');
    expect(await res.text()).toBe('the hub app');
  });

  it('redirects / and other paths into /hub/ like JupyterHub', async () => {
    const root = await get('/');
    expect(root.status).toBe(302);
    expect(root.headers.get('location')).toBe('/hub/');
    expect((await get('/tree?x=1')).headers.get('location')).toBe('/hub/tree?x=1');
  });

  it('forwards /user/<name>/… to the target with the full path and query', async () => {
    const b = await backend((req, res) => res.end(JSON.stringify({ url: req.url, method: req.method })));
    proxy.targets.set('alice', b.url);
    const res = await get('/user/alice/api/contents/a%20b?type=file');
    expect(await res.json()).toEqual({ url: '/user/alice/api/contents/a%20b?type=file', method: 'GET' });
  });

  it('reuses one keep-alive connection to the server for successive requests', async () => {
    const ports: number[] = [];
    const b = await backend((req, res) => { ports.push(req.socket.remotePort!); res.end('ok'); });
    proxy.targets.set('alice', b.url);
    for (let i = 0; i < 3; i++) expect(await (await get(`/user/alice/x${i}`)).text()).toBe('ok');
    expect(ports).toHaveLength(3);
    expect(new Set(ports).size).toBe(1);
  });

  it('redirects a request for a server that is not running to /hub/user/<name>/… with its query', async () => {
    let reached = false;
    const b = await backend((_req, res) => { reached = true; res.end(); });
    proxy.targets.set('bob', b.url);
    const res = await get('/user/alice/lab/tree?reset=1');
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('/hub/user/alice/lab/tree?reset=1');
    expect(reached).toBe(false);
  });

  it('answers an upgrade outside /user/<name>/ with 404 and closes the socket', async () => {
    expect(await rawUpgrade('/hub/api/ws')).toMatch(/^HTTP\/1.1 404 /);
  });

  it('answers an upgrade to a server that is not running with 424 and closes the socket', async () => {
    const text = await rawUpgrade('/user/alice/api/kernels/k/channels');
    expect(text).toMatch(/^HTTP\/1.1 424 /);
    expect(text).toContain('not running');
  });
  it('withholds the hub login cookie from WebSocket upgrades and adds X-Forwarded-*', async () => {
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    cleanups.push(() => new Promise<void>((resolve) => wss.close(() => resolve())));
    await once(wss, 'listening');
    proxy.targets.set('alice', `http://127.0.0.1:${(wss.address() as net.AddressInfo).port}`);
    const upgrade = once(wss, 'connection') as Promise<[WebSocket, http.IncomingMessage]>;
    const client = new WebSocket(wsUrl('/user/alice/api/kernels/k/channels?session_id=s'), {
      headers: { cookie: 'jupyterhub-hub-login=hub-secret; jupyterhub-user-alice=ok' },
    });
    cleanups.push(() => client.terminate());
    const [, req] = await upgrade;
    await once(client, 'open');
    expect(req.url).toBe('/user/alice/api/kernels/k/channels?session_id=s');
    expect(req.headers.cookie).toBe('jupyterhub-user-alice=ok');
    expect(req.headers).toMatchObject({ 'x-forwarded-for': '127.0.0.1', 'x-forwarded-proto': 'http', 'x-forwarded-port': String(proxy.port) });
  });
});

describe('a server that refuses connections', () => {
  it('gives a 503 page, not a redirect, and asks for a state check', async () => {
    proxy.targets.set('alice', await refusedUrl());
    const res = await get('/user/alice/lab', { accept: 'text/html' });
    expect(res.status).toBe(503);
    expect(res.headers.get('location')).toBeNull();
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    expect(await res.text()).toContain('server of alice at /user/alice/ is not answering (ECONNREFUSED)');
    expect(proxy.unreachable).toEqual(['alice']);
  });

  it('answers JSON to API paths and to clients that accept JSON', async () => {
    proxy.targets.set('alice', await refusedUrl());
    const api = await get('/user/alice/api/status');
    expect(api.status).toBe(503);
    expect(await api.json()).toMatchObject({ status: 503, message: expect.stringContaining('ECONNREFUSED') });
    const accepting = await get('/user/alice/tree', { accept: 'application/json' });
    expect(accepting.headers.get('content-type')).toBe('application/json');
  });

  it('logs each refusal once and keeps serving', async () => {
    proxy.targets.set('alice', await refusedUrl());
    const before = proxy.logs.length;
    await get('/user/alice/x');
    const lines = proxy.logs.slice(before).filter((l) => l.user === 'alice' && l.level !== 'debug');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ code: 'ECONNREFUSED', msg: expect.stringContaining('unreachable') });
    expect((await get('/hub/')).status).toBe(200);
  });

  it('refuses a WebSocket upgrade with 503 and asks for a state check', async () => {
    proxy.targets.set('alice', await refusedUrl());
    expect(await rawUpgrade('/user/alice/api/kernels/k/channels')).toMatch(/^HTTP\/1.1 503 /);
    expect(proxy.unreachable).toEqual(['alice']);
  });
});

describe('a server that answers nonsense', () => {
  /** A raw TCP server that writes `answer` (once the request arrives, or at once) and ends its side. */
  async function nonsense(answer: string, { atOnce = false } = {}): Promise<string> {
    const accepted = new Set<net.Socket>();
    const server = net.createServer((s) => {
      accepted.add(s);
      s.on('error', () => undefined);
      s.on('close', () => accepted.delete(s));
      if (atOnce) s.resume().end(answer);
      else s.once('data', () => s.resume().end(answer));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    // close() waits for every accepted connection, and any process on this machine may connect to a loopback
    // port: end them rather than wait for peers this test does not control.
    cleanups.push(() => new Promise<void>((resolve) => {
      server.close(() => resolve());
      for (const s of accepted) s.destroy();
    }));
    return `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  }

  /** A proxied GET that fails the test, rather than hanging it, if the proxy never answers. */
  function bounded(path: string) {
    return fetch(`${proxy.url}${path}`, { redirect: 'manual', signal: AbortSignal.timeout(10_000) });
  }

  it('gives a 502 page for a response that is not HTTP, logs it once and keeps serving', async () => {
    proxy.targets.set('alice', await nonsense('this is not HTTP\r\n\r\n', { atOnce: true }));
    const before = proxy.logs.length;
    const res = await bounded('/user/alice/tree');
    expect(res.status).toBe(502);
    expect(await res.text()).toContain('closed the connection without an answer');
    expect(proxy.logs.slice(before).filter((l) => l.user === 'alice' && l.level !== 'debug')).toHaveLength(1);
    expect(proxy.unreachable).toEqual([]);
    expect((await get('/hub/')).status).toBe(200);
  });

  it('gives a 502 for a status code below 100 instead of crashing on it, and keeps serving', async () => {
    // Writing status 99 to the client throws inside the response pipe: an uncaught exception in the hub.
    proxy.targets.set('alice', await nonsense('HTTP/1.1 099 Low\r\nContent-Length: 2\r\n\r\nok'));
    const before = proxy.logs.length;
    const res = await bounded('/user/alice/tree');
    expect(res.status).toBe(502);
    expect(await res.text()).toContain('answered with an invalid HTTP status (99)');
    expect(proxy.logs.slice(before).filter((l) => l.user === 'alice' && l.level !== 'debug')).toHaveLength(1);
    expect((await get('/hub/')).status).toBe(200);
  });

  it('gives a 502 when a plain request is answered with 101 Switching Protocols', async () => {
    // Node's client drops such a response with neither 'response' nor 'error': the client would wait forever.
    proxy.targets.set('alice', await nonsense('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n'));
    const res = await bounded('/user/alice/tree');
    expect(res.status).toBe(502);
    expect(await res.text()).toContain('without a usable answer');
    expect((await get('/hub/')).status).toBe(200);
  });
});

describe('activity', () => {
  it('is noted for a proxied request', async () => {
    const b = await backend((_req, res) => res.end('ok'));
    proxy.targets.set('alice', b.url);
    await (await get('/user/alice/x')).text();
    expect(proxy.activity).toContain('alice');
  });

  it('is not noted for a request that never reached a server', async () => {
    proxy.targets.set('alice', await refusedUrl());
    await get('/user/alice/x');
    await get('/user/carol/x');
    expect(proxy.activity).toEqual([]);
  });

  it('is noted for WebSocket frames in each direction', async () => {
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    cleanups.push(() => new Promise<void>((resolve) => wss.close(() => resolve())));
    await once(wss, 'listening');
    proxy.targets.set('alice', `http://127.0.0.1:${(wss.address() as net.AddressInfo).port}`);
    const serverSide = once(wss, 'connection');
    const client = new WebSocket(wsUrl('/user/alice/ws'));
    cleanups.push(() => client.terminate());
    await once(client, 'open');
    const [peer] = (await serverSide) as [WebSocket];

    proxy.activity.length = 0;
    const got = once(peer, 'message');
    client.send('from the browser');
    await got;
    expect(proxy.activity).toContain('alice');

    proxy.activity.length = 0;
    const back = once(client, 'message');
    peer.send('from the kernel');
    await back;
    expect(proxy.activity).toContain('alice');
  });
});

describe('activity of a request in flight', () => {
  /** Sends `send` to alice's held server and shows she is noted, again and again, before any byte comes back. */
  async function notedWhileHeld(send: () => Promise<string>): Promise<void> {
    const answers: (() => void)[] = [];
    const b = await backend((_req, res) => void answers.push(() => res.end('at last')));
    proxy.targets.set('alice', b.url);
    const answered = send();
    await waitFor(() => expect(answers).toHaveLength(1));
    for (let round = 0; round < 2; round++) {
      proxy.activity.length = 0;
      await waitFor(() => expect(proxy.activity).toContain('alice'));
    }
    answers[0]!();
    expect(await answered).toMatch(/at last$/);
  }

  it('is noted every second while a request on the fast lane waits for its answer', async () => {
    await notedWhileHeld(async () => (await fetch(`${proxy.url}/user/alice/slow`)).text());
  });

  it("is noted every second while a request on node:http's lane waits for its answer", async () => {
    // HTTP/1.0 is handed to node:http.
    await notedWhileHeld(() => {
      const socket = net.connect(proxy.port, '127.0.0.1');
      cleanups.push(() => void socket.destroy());
      socket.write('GET /user/alice/slow HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n');
      return new Promise<string>((resolve) => {
        let text = '';
        socket.on('data', (chunk) => (text += String(chunk))).on('close', () => resolve(text));
      });
    });
  });

  it('is not noted once the answer is complete, nor for an idle WebSocket', async () => {
    const b = await backend((_req, res) => res.end('ok'));
    proxy.targets.set('alice', b.url);
    expect(await (await get('/user/alice/x')).text()).toBe('ok');
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    cleanups.push(() => new Promise<void>((resolve) => wss.close(() => resolve())));
    await once(wss, 'listening');
    proxy.targets.set('alice', `http://127.0.0.1:${(wss.address() as net.AddressInfo).port}`);
    const client = new WebSocket(wsUrl('/user/alice/ws'));
    cleanups.push(() => client.terminate());
    await once(client, 'open');
    proxy.activity.length = 0;
    // A window of more than two report periods in which nothing may be noted: an open tab that sends nothing
    // leaves its server idle, and a finished exchange is not left counted.
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect(proxy.activity).toEqual([]);
  });
});

describe('streaming', () => {
  it('delivers the first bytes of a download before the server has sent the rest', async () => {
    let finish!: () => void;
    const b = await backend((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      res.write(Buffer.alloc(64 * 1024, 1));
      finish = () => res.end(Buffer.alloc(1024, 2));
    });
    proxy.targets.set('alice', b.url);
    const res = await get('/user/alice/files/big');
    const reader = res.body!.getReader();
    let first = 0;
    while (first < 64 * 1024) first += (await reader.read()).value!.length;
    expect(first).toBe(64 * 1024);
    finish();
    let rest = 0;
    for (let r = await reader.read(); !r.done; r = await reader.read()) rest += r.value.length;
    expect(rest).toBe(1024);
  });

  it('delivers the first bytes of an upload before the client has sent the rest', async () => {
    let firstChunk!: () => void;
    const arrived = new Promise<void>((resolve) => (firstChunk = resolve));
    const b = await backend((req, res) => {
      let n = 0;
      req.on('data', (chunk: Buffer) => { n += chunk.length; firstChunk(); });
      req.on('end', () => res.end(String(n)));
    });
    proxy.targets.set('alice', b.url);
    const req = http.request(`${proxy.url}/user/alice/upload`, { method: 'POST' });
    const response = once(req, 'response');
    req.write(Buffer.alloc(1024, 1));
    await arrived; // the request is still open here: nothing was buffered until its end
    req.end(Buffer.alloc(1024, 2));
    const [res] = (await response) as [http.IncomingMessage];
    let body = '';
    for await (const chunk of res) body += chunk;
    expect(body).toBe('2048');
  });
});

describe('a side that goes away', () => {
  it('closes the server side when the client vanishes mid-download', async () => {
    let serverRes!: http.ServerResponse;
    const closed = new Promise<boolean>((resolve) => {
      void backend((_req, res) => {
        serverRes = res;
        res.writeHead(200);
        const timer = setInterval(() => res.write(Buffer.alloc(16 * 1024)), 5);
        res.on('close', () => { clearInterval(timer); resolve(res.writableFinished); });
      }).then((b) => proxy.targets.set('alice', b.url)).then(() => {
        const req = http.get(`${proxy.url}/user/alice/stream`, (res) => res.once('data', () => req.destroy()));
        req.on('error', () => undefined);
      });
    });
    expect(await closed).toBe(false);
    expect(serverRes.destroyed).toBe(true);
  });

  it('closes the server side when the client vanishes mid-upload', async () => {
    let received = 0;
    const aborted = new Promise<boolean>((resolve) => {
      void backend((req) => {
        req.on('data', (chunk: Buffer) => (received += chunk.length));
        req.on('close', () => resolve(req.complete));
      }).then((b) => proxy.targets.set('alice', b.url));
    });
    while (!proxy.targets.has('alice')) await new Promise((resolve) => setTimeout(resolve, 5));
    const req = http.request(`${proxy.url}/user/alice/upload`, { method: 'PUT' });
    req.on('error', () => undefined);
    req.write(Buffer.alloc(256 * 1024));
    while (received === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    req.destroy();
    expect(await aborted).toBe(false);
  });

  it('cuts the client response when the server dies mid-response', async () => {
    const b = await backend((req, res) => {
      res.writeHead(200, { 'content-length': '1000000' });
      res.write(Buffer.alloc(1000));
      setTimeout(() => req.socket.destroy(), 20);
    });
    proxy.targets.set('alice', b.url);
    const [res] = (await once(http.get(`${proxy.url}/user/alice/x`), 'response')) as [http.IncomingMessage];
    const aborted = new Promise<Error>((resolve) => res.on('error', resolve));
    res.resume();
    expect((await aborted).message).toBe('aborted');
    expect(res.complete).toBe(false);
  });

  it('closes the server WebSocket when the client vanishes, and the client when the server does', async () => {
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    cleanups.push(() => new Promise<void>((resolve) => wss.close(() => resolve())));
    await once(wss, 'listening');
    proxy.targets.set('alice', `http://127.0.0.1:${(wss.address() as net.AddressInfo).port}`);

    let serverSide = once(wss, 'connection');
    const vanishing = new WebSocket(wsUrl('/user/alice/ws'));
    await once(vanishing, 'open');
    let [peer] = (await serverSide) as [WebSocket];
    const peerClosed = once(peer, 'close');
    vanishing.terminate(); // TCP reset, no close frame
    await peerClosed;

    serverSide = once(wss, 'connection');
    const client = new WebSocket(wsUrl('/user/alice/ws'));
    await once(client, 'open');
    [peer] = (await serverSide) as [WebSocket];
    const clientClosed = once(client, 'close');
    peer.terminate();
    await clientClosed;
    expect(client.readyState).toBe(WebSocket.CLOSED);
  });

  it('does not keep a half-open client socket when the server closes a WebSocket and the client never does', async () => {
    const own = await startProxy({ closeGraceMs: 200 });
    cleanups.push(() => own.close());
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    cleanups.push(() => new Promise<void>((resolve) => wss.close(() => resolve())));
    await once(wss, 'listening');
    own.targets.set('alice', `http://127.0.0.1:${(wss.address() as net.AddressInfo).port}`);
    const connections = () => new Promise<number>((resolve, reject) => own.listener.server.getConnections((err, n) => (err ? reject(err) : resolve(n))));

    const serverSide = once(wss, 'connection');
    const client = net.connect({ port: own.port, host: '127.0.0.1', allowHalfOpen: true });
    cleanups.push(() => void client.destroy());
    await once(client, 'connect');
    client.write('GET /user/alice/ws HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n' +
      'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n');
    const [head] = (await once(client, 'data')) as [Buffer];
    expect(head.toString()).toMatch(/^HTTP\/1.1 101 /);
    const [peer] = (await serverSide) as [WebSocket];
    expect(await connections()).toBe(1);

    const ended = once(client, 'end');
    client.resume();
    peer.terminate();
    await ended; // the proxy ended its side; this client never ends its own
    for (let i = 0; i < 100 && (await connections()) > 0; i++) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await connections()).toBe(0);
  });

  it('closes the server connection when the client leaves before its upgrade is answered', async () => {
    const own = await startProxy({ upgradeTimeoutMs: 60_000 });
    cleanups.push(() => own.close());
    const silent = net.createServer();
    const accepted = once(silent, 'connection') as Promise<[net.Socket]>;
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => silent.close(() => resolve())));
    own.targets.set('alice', `http://127.0.0.1:${(silent.address() as net.AddressInfo).port}`);

    const client = net.connect(own.port, '127.0.0.1');
    await once(client, 'connect');
    client.write('GET /user/alice/ws HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n' +
      'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n');
    const [upstream] = await accepted;
    upstream.resume();
    const upstreamClosed = once(upstream, 'close');
    client.destroy();
    await upstreamClosed; // long before the 60 s upgrade timeout
    expect(upstream.destroyed).toBe(true);
  });

  it('closes proxied WebSockets and pending upgrades when the listener stops, so stopping completes', async () => {
    const own = await startProxy({ upgradeTimeoutMs: 60_000 });
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    cleanups.push(() => new Promise<void>((resolve) => wss.close(() => resolve())));
    await once(wss, 'listening');
    own.targets.set('alice', `http://127.0.0.1:${(wss.address() as net.AddressInfo).port}`);
    const silent = net.createServer((s) => void s.resume());
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => silent.close(() => resolve())));
    own.targets.set('bob', `http://127.0.0.1:${(silent.address() as net.AddressInfo).port}`);

    const open = new WebSocket(`ws://127.0.0.1:${own.port}/user/alice/ws`);
    await once(open, 'open');
    const pending = new WebSocket(`ws://127.0.0.1:${own.port}/user/bob/ws`);
    pending.on('error', () => undefined);
    const accepted = once(silent, 'connection');
    await accepted;
    const closedOpen = once(open, 'close');
    const closedPending = new Promise((resolve) => pending.on('close', resolve)); // once() would reject on its 'error'
    await own.close(); // resolves only once every connection of the listener is gone
    await closedOpen;
    await closedPending;
    expect([open.readyState, pending.readyState]).toEqual([WebSocket.CLOSED, WebSocket.CLOSED]);
  });

  it('closes both sides of an upgrade the server never answers', async () => {
    const silent = net.createServer();
    const accepted: net.Socket[] = [];
    silent.on('connection', (s) => accepted.push(s.resume())); // reads, so it sees the proxy hang up
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => silent.close(() => resolve())));
    proxy.targets.set('alice', `http://127.0.0.1:${(silent.address() as net.AddressInfo).port}`);

    expect(await rawUpgrade('/user/alice/ws')).toBe('');
    expect(accepted).toHaveLength(1);
    if (!accepted[0].destroyed) await once(accepted[0], 'close');
    expect(accepted[0].destroyed).toBe(true);
    expect(proxy.logs.some((l) => String(l.msg).includes('not completed in time'))).toBe(true);
  });
});

describe('after an error answer to a request with a body', () => {
  /**
   * A server like the hub's own adapter: answers 413 to a POST without reading its body, drops whatever else arrives
   * on that connection, and closes it a little later. A request sent on that connection in the meantime is lost.
   */
  async function earlyAnsweringServer() {
    const server = net.createServer((socket) => {
      socket.once('data', (first) => {
        if (first.toString('latin1').startsWith('POST')) {
          socket.write('HTTP/1.1 413 Payload Too Large\r\nContent-Length: 9\r\nConnection: keep-alive\r\n\r\ntoo large');
          socket.on('data', () => {});
          setTimeout(() => socket.destroy(), 300);
        } else {
          socket.end('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok');
        }
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    return `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  }

  for (const framing of ['chunked', 'content-length'] as const) {
    it(`sends the client's next request on a new server connection (${framing} body)`, async () => {
      proxy.targets.set('alice', await earlyAnsweringServer());
      const client = net.connect(proxy.port, '127.0.0.1');
      cleanups.push(() => void client.destroy());
      await once(client, 'connect');
      let received = '';
      client.on('data', (chunk) => (received += chunk.toString('latin1')));
      const body = Buffer.alloc(64 * 1024, 'a');
      const head = 'POST /user/alice/upload HTTP/1.1\r\nHost: 127.0.0.1\r\n';
      if (framing === 'chunked') client.write(`${head}Transfer-Encoding: chunked\r\n\r\n${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`);
      else client.write(`${head}Content-Length: ${body.length}\r\n\r\n${body}`);
      await waitFor(() => expect(received).toMatch(/too large$/));
      client.write('GET /user/alice/next HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
      await waitFor(() => expect(received).toMatch(/HTTP\/1\.1 200 OK[\s\S]*\r\n\r\nok$/));
      expect(received).not.toContain(' 502 ');
    });
  }
});
