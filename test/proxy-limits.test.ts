// Connection limits on the public port: one client address cannot hold more than its share of connections,
// unfinished request heads and idle keep-alive connections are closed, on the fast lane and on node:http,
// while open WebSockets and responses in progress are not. Real sockets against local servers; no Docker.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../src/log.js';
import { clientKey } from '../src/proxy/connection-limit.js';
import { startProxyThread } from '../src/proxy/thread.js';
import { startBackend, startProxy, type ProxyHarness } from './helpers/proxy-harness.js';
import { waitFor } from './helpers/wait-for.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function proxyWith(options: Parameters<typeof startProxy>[0]): Promise<ProxyHarness> {
  const proxy = await startProxy(options);
  cleanups.push(() => proxy.close());
  return proxy;
}

async function backendWith(handler: http.RequestListener): Promise<string> {
  const backend = await startBackend(handler);
  cleanups.push(() => backend.close());
  return backend.url;
}

/** A raw client socket from `localAddress`; records what it read and whether the proxy closed it. */
class Client {
  readonly socket: net.Socket;
  data = '';
  readonly closed: Promise<void>;
  isClosed = false;
  readonly connected: Promise<void>;

  constructor(port: number, localAddress = '127.0.0.1') {
    this.socket = net.connect({ port, host: '127.0.0.1', localAddress });
    this.socket.on('data', (chunk: Buffer) => (this.data += chunk.toString('latin1')));
    this.socket.on('error', () => undefined);
    this.connected = new Promise((resolve) => this.socket.once('connect', () => resolve()));
    this.closed = new Promise((resolve) =>
      this.socket.once('close', () => {
        this.isClosed = true;
        resolve();
      }),
    );
    cleanups.push(() => void this.socket.destroy());
  }

  /** Resolves once `text` has been read. */
  async read(text: string): Promise<void> {
    while (!this.data.includes(text)) {
      if (this.isClosed) throw new Error(`closed before ${JSON.stringify(text)} arrived; read ${JSON.stringify(this.data)}`);
      await new Promise<void>((resolve) => {
        const done = () => {
          this.socket.off('data', done);
          this.socket.off('close', done);
          resolve();
        };
        this.socket.on('data', done);
        this.socket.on('close', done);
      });
    }
  }
}

/** GET `path` from `localAddress` with a fresh connection; resolves with status and body. */
function getFrom(port: number, path: string, localAddress: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, localAddress, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
  });
}

/**
 * A connection from 127.0.0.1 that sent `bytes` and was let in, once the proxy has seen an earlier one close (the
 * client's own 'close' comes first): a refused one closes with nothing read, so it is tried again.
 */
async function admitted(port: number, bytes: string): Promise<Client> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const client = new Client(port);
    client.socket.write(bytes);
    const answered = new Promise<void>((resolve) => client.socket.once('data', () => resolve()));
    await Promise.race([client.closed, answered]);
    if (client.data !== '') return client;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('the proxy never let a new connection in');
}

const PARTIAL_HEAD = 'GET /hub/health HTTP/1.1\r\nHost: hub.test\r\n';

describe('connections per client address', () => {
  it('refuses a client its connections over the cap at once, and still serves another address', async () => {
    const proxy = await proxyWith({ maxConnectionsPerClient: 50 });
    const held: Client[] = [];
    for (let i = 0; i < 50; i++) {
      const client = new Client(proxy.port);
      held.push(client);
      await client.connected;
      client.socket.write(PARTIAL_HEAD);
    }
    const over: Client[] = [];
    for (let i = 0; i < 10; i++) over.push(new Client(proxy.port));
    // Refused at once: no deadline has to pass first (the head deadline is the default 10 s, far off).
    await Promise.all(over.map((c) => c.closed));
    expect(over.map((c) => c.data)).toEqual(Array(10).fill(''));

    // Another address is served, by the hub app and by a user's server.
    proxy.targets.set('alice', await backendWith((_req, res) => res.end('alice')));
    expect(await getFrom(proxy.port, '/hub/health', '127.0.0.2')).toEqual({ status: 200, body: 'the hub app' });
    expect(await getFrom(proxy.port, '/user/alice/', '127.0.0.2')).toEqual({ status: 200, body: 'alice' });
    expect(held.filter((c) => c.isClosed)).toEqual([]);

    // Logged once per address, not once per refused connection.
    const lines = proxy.logs.filter((l) => String(l.msg).startsWith('client holds too many connections'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ client: '127.0.0.1', max: 50, open: 50 });

    // A connection given back makes room for a new one from the same address.
    held[0]!.socket.destroy();
    await held[0]!.closed;
    const next = await admitted(proxy.port, 'GET /hub/health HTTP/1.1\r\nHost: hub.test\r\n\r\n');
    await next.read('the hub app');
  });

  it('counts connections handed to node:http against their client', async () => {
    const proxy = await proxyWith({ maxConnectionsPerClient: 3 });
    const held: Client[] = [];
    for (let i = 0; i < 3; i++) {
      const client = new Client(proxy.port);
      held.push(client);
      await client.connected;
      // HTTP/1.0 with keep-alive: node:http answers and keeps the connection.
      client.socket.write('GET /hub/ HTTP/1.0\r\nHost: hub.test\r\nConnection: keep-alive\r\n\r\n');
      await client.read('the hub app');
    }
    const over = new Client(proxy.port);
    await over.closed;
    expect(over.data).toBe('');
    expect(held.filter((c) => c.isClosed)).toEqual([]);
  });

  it('keys IPv6 clients by their /64 and IPv4-mapped ones by their IPv4 address', () => {
    expect(clientKey('127.0.0.1')).toBe('127.0.0.1');
    expect(clientKey('::ffff:10.1.2.3')).toBe('10.1.2.3');
    expect(clientKey('2001:db8:0:12:1::7')).toBe('2001:db8:0:12::/64');
    expect(clientKey('2001:db8::12:1:0:7')).toBe('2001:db8:0:0::/64');
    expect(clientKey('::1')).toBe('0:0:0:0::/64');
  });
});

describe('unfinished request heads', () => {
  it('closes a connection whose head does not arrive in time (fast lane), answering 408', async () => {
    const proxy = await proxyWith({ requestHeaderTimeoutMs: 300 });
    const client = new Client(proxy.port);
    client.socket.write(PARTIAL_HEAD);
    await client.closed;
    expect(client.data).toMatch(/^HTTP\/1\.1 408 /);
  });

  it('closes a connection that sends nothing at all, with no answer', async () => {
    const proxy = await proxyWith({ requestHeaderTimeoutMs: 300 });
    const client = new Client(proxy.port);
    await client.closed;
    expect(client.data).toBe('');
  });

  it('closes a connection owned by node:http whose next head does not arrive in time', async () => {
    const proxy = await proxyWith({ requestHeaderTimeoutMs: 300 });
    const client = new Client(proxy.port);
    client.socket.write('GET /hub/ HTTP/1.0\r\nHost: hub.test\r\nConnection: keep-alive\r\n\r\n');
    await client.read('the hub app');
    client.socket.write(PARTIAL_HEAD);
    await client.closed;
    expect(client.data).toMatch(/HTTP\/1\.1 408 /);
  });
});

describe('unfinished request bodies', () => {
  it.each([
    ['the fast lane', 'POST /user/alice/up HTTP/1.1\r\nHost: hub.test\r\nContent-Length: 100\r\n\r\npart'],
    ['node:http', 'POST /user/alice/up HTTP/1.1\r\nHost: hub.test\r\nTransfer-Encoding: chunked\r\n\r\n4\r\npart\r\n'],
  ])('answers 408 and closes the connection when an upload does not arrive in time (%s)', async (_lane, request) => {
    const proxy = await proxyWith({ requestHeaderTimeoutMs: 200, requestTimeoutMs: 400 });
    proxy.targets.set('alice', await backendWith((req, res) => req.resume().on('end', () => res.end('done'))));
    const client = new Client(proxy.port);
    client.socket.write(request);
    await client.closed;
    expect(client.data).toMatch(/^HTTP\/1\.1 408 /);
  });
});

describe('idle keep-alive connections', () => {
  it('closes a fast-lane connection idle between requests', async () => {
    const proxy = await proxyWith({ keepAliveTimeoutMs: 300 });
    const client = new Client(proxy.port);
    client.socket.write('GET /hub/ HTTP/1.1\r\nHost: hub.test\r\n\r\n');
    await client.read('the hub app');
    await client.closed;
  });

  it('closes a node:http connection idle between requests', async () => {
    const proxy = await proxyWith({ keepAliveTimeoutMs: 300 });
    const client = new Client(proxy.port);
    client.socket.write('GET /hub/ HTTP/1.0\r\nHost: hub.test\r\nConnection: keep-alive\r\n\r\n');
    await client.read('the hub app');
    await client.closed;
  });

  it('does not cut a response in progress that is quiet longer than both deadlines, on either path', async () => {
    const proxy = await proxyWith({ keepAliveTimeoutMs: 200, requestHeaderTimeoutMs: 200 });
    proxy.targets.set(
      'alice',
      await backendWith((_req, res) => {
        res.writeHead(200, { 'Content-Length': 10 });
        res.write('first');
        setTimeout(() => res.end('-last'), 1000);
      }),
    );
    for (const version of ['1.1', '1.0']) {
      const client = new Client(proxy.port);
      client.socket.write(`GET /user/alice/slow HTTP/${version}\r\nHost: hub.test\r\n\r\n`);
      await client.read('first-last');
    }
  });

  it('does not close an open WebSocket that is quiet longer than both deadlines', async () => {
    const proxy = await proxyWith({ keepAliveTimeoutMs: 200, requestHeaderTimeoutMs: 200 });
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    cleanups.push(() => new Promise<void>((resolve) => {
      for (const c of wss.clients) c.terminate();
      wss.close(() => resolve());
    }));
    await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
    wss.on('connection', (ws) => ws.on('message', (data) => ws.send(data)));
    proxy.targets.set('alice', `http://127.0.0.1:${(wss.address() as AddressInfo).port}`);
    const ws = new WebSocket(`ws://127.0.0.1:${proxy.port}/user/alice/api/kernels/k/channels`);
    cleanups.push(() => ws.terminate());
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    let closed = false;
    ws.once('close', () => (closed = true));
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(closed).toBe(false);
    ws.send('still here');
    expect(String(await new Promise((resolve) => ws.once('message', resolve)))).toBe('still here');
  });
});

describe('the proxy thread', () => {
  it('applies the cap and the head deadline it is started with', async () => {
    const hubApp = await backendWith((_req, res) => res.end('hub app'));
    const thread = await startProxyThread({
      baseUrl: '/', host: '127.0.0.1', port: 0, hubTarget: hubApp, logger: createLogger('error'),
      maxConnectionsPerClient: 2, requestHeaderTimeoutMs: 300, keepAliveTimeoutMs: 60_000,
      routes: { watchRoutes: () => [], noteActivity: () => undefined, noteUnreachable: () => undefined },
      onExit: () => undefined,
    });
    cleanups.push(() => thread.close(0));
    const { port } = thread.address();
    // Two kept-alive connections (idle, not waiting on a head): the cap is reached.
    const held = [new Client(port), new Client(port)];
    for (const c of held) {
      c.socket.write('GET /hub/ HTTP/1.1\r\nHost: hub.test\r\n\r\n');
      await c.read('hub app');
    }
    const over = new Client(port);
    over.socket.once('connect', () => over.socket.write(PARTIAL_HEAD));
    await over.closed;
    // Reset at once: a connection let in would have been answered 408 by the deadline.
    expect(over.data).toBe('');

    held[0]!.socket.destroy();
    await held[0]!.closed;
    // Room again; its unfinished head is closed by the 300 ms deadline (this test's time limit is below the
    // default 10 s one).
    const slow = await admitted(port, PARTIAL_HEAD);
    await slow.closed;
    expect(slow.data).toMatch(/^HTTP\/1\.1 408 /);
    expect(held[1]!.isClosed).toBe(false);
  }, 8_000);
});

/**
 * An address that never answers a connect, as a removed container's does: a loopback listener whose accept queue is
 * full (a python3 socket that listens and never accepts), so the kernel drops further SYNs instead of refusing them.
 */
async function silentAddress(): Promise<string> {
  const child = spawn('python3', ['-c', 'import socket,sys,time\ns=socket.socket()\ns.bind(("127.0.0.1",0))\ns.listen(0)\nprint(s.getsockname()[1],flush=True)\ntime.sleep(600)']);
  cleanups.push(async () => void child.kill());
  const [line] = (await once(child.stdout!, 'data')) as [Buffer];
  const port = Number(String(line).trim());
  // Fill the queue: connects succeed until it is full; the first one left pending shows SYNs are being dropped.
  for (;;) {
    const socket = net.connect({ port, host: '127.0.0.1' });
    cleanups.push(async () => void socket.destroy());
    const connected = await Promise.race([once(socket, 'connect').then(() => true), new Promise((r) => setTimeout(r, 300, false))]);
    if (!connected) return `http://127.0.0.1:${port}`;
  }
}

describe('a server address that never answers a connect', () => {
  it.each([
    ['the fast lane', 'GET /user/alice/x HTTP/1.1\r\nHost: hub.test\r\n\r\n'],
    ['node:http', 'GET /user/alice/x HTTP/1.0\r\nHost: hub.test\r\n\r\n'],
  ])('answers 503 once the connect deadline passes, and reports the server unreachable (%s)', async (_lane, request) => {
    const proxy = await proxyWith({ connectTimeoutMs: 500 });
    proxy.targets.set('alice', await silentAddress());
    const client = new Client(proxy.port);
    client.socket.write(request);
    await waitFor(() => expect(client.data).toMatch(/^HTTP\/1\.1 503 /));
    expect(client.data).toContain('ETIMEDOUT');
    expect(proxy.unreachable).toContain('alice');
  });
});
