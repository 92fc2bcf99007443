// The proxy thread as the hub runs it: its own event loop behind the public port, a route table kept in step with
// the main thread's, activity and refusals sent back, logs written through the hub's logger, and a crash reported.
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { startProxyThread, type ProxyThread } from '../src/proxy/thread.js';
import { refusedUrl, startBackend } from './helpers/proxy-harness.js';
import { feed, sink } from './helpers/route-feed.js';
import { waitFor } from './helpers/wait-for.js';

async function eventually(what: string, ok: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !ok(); i++) await new Promise((r) => setTimeout(r, 50));
  if (!ok()) throw new Error(`gave up waiting for ${what}`);
}

describe('the proxy thread', () => {
  let thread: ProxyThread;
  let url: string;
  const exits: number[] = [];
  const log = sink();
  let f: ReturnType<typeof feed>;
  const closers: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    const hubApp = await startBackend((_req, res) => res.end('hub app'));
    closers.push(hubApp.close);
    const alice = await startBackend((req, res) => res.end(`alice got ${req.url}`));
    closers.push(alice.close);
    f = feed([['alice', alice.url]]); // routes that exist before the thread starts come with watchRoutes
    thread = await startProxyThread({
      baseUrl: '/', host: '127.0.0.1', port: 0, hubTarget: hubApp.url, routes: f.routes, logger: log.logger,
      activityIntervalMs: 0, onExit: (code) => void exits.push(code),
    });
    url = `http://127.0.0.1:${thread.address().port}`;
    closers.push(() => thread.close(0));
  });
  afterAll(async () => {
    for (const close of closers.reverse()) await close();
  });

  it('serves the hub app and the routes it started with', async () => {
    expect(await (await fetch(`${url}/hub/`)).text()).toBe('hub app');
    expect(await (await fetch(`${url}/user/alice/x?y=1`)).text()).toBe('alice got /user/alice/x?y=1');
  });

  it('follows route changes made on the main thread after it started', async () => {
    const bob = await startBackend((_req, res) => res.end('bob here'));
    closers.push(bob.close);
    f.change('bob', bob.url);
    let text = '';
    for (let i = 0; i < 50 && text !== 'bob here'; i++) {
      text = await (await fetch(`${url}/user/bob/`)).text();
      if (text !== 'bob here') await new Promise((r) => setTimeout(r, 20));
    }
    expect(text).toBe('bob here');
    f.change('bob', null);
    let status = 0;
    for (let i = 0; i < 50 && status !== 302; i++) status = (await fetch(`${url}/user/bob/`, { redirect: 'manual' })).status;
    expect(status).toBe(302);
  });

  it('reports activity and unreachable servers to the main thread, and logs through its logger', async () => {
    await (await fetch(`${url}/user/alice/`)).text();
    await eventually('activity for alice', () => f.notes.activity.includes('alice'));
    // A named server's traffic is its own activity, not the default server's (the culler judges each apart).
    const work = await startBackend((_req, res) => res.end('work'));
    closers.push(work.close);
    f.change('alice/work', work.url);
    await waitFor(async () => expect(await (await fetch(`${url}/user/alice/work/`)).text()).toBe('work'));
    f.notes.activity.length = 0;
    await (await fetch(`${url}/user/alice/work/api`)).text();
    await eventually('activity for alice/work', () => f.notes.activity.includes('alice/work'));
    expect(f.notes.activity).not.toContain('alice');
    f.change('carol', await refusedUrl());
    let status = 0;
    for (let i = 0; i < 50 && status !== 503; i++) status = (await fetch(`${url}/user/carol/`)).status;
    expect(status).toBe(503);
    await eventually('carol noted unreachable', () => f.notes.unreachable.includes('carol'));
    await eventually('the refusal logged', () => log.lines.some((l) => l.user === 'carol' && l.component === 'proxy' && l.level === 'warn'));
    expect(exits).toEqual([]);
  });

  it('counts answers by class, bytes, open connections, backend errors and WebSocket upgrades, and sends them when asked', async () => {
    const echo = await startBackend((_req, res) => res.end('dave here'));
    closers.push(echo.close);
    const wss = new WebSocketServer({ noServer: true });
    echo.server.on('upgrade', (req, socket, head) => wss.handleUpgrade(req, socket, head, (ws) => ws.on('message', (m) => ws.send(m))));
    closers.push(async () => wss.close());
    const counted = await startProxyThread({
      baseUrl: '/', host: '127.0.0.1', port: 0, hubTarget: echo.url, routes: feed([['dave', echo.url], ['erin', await refusedUrl()]]).routes,
      logger: sink().logger, onExit: () => undefined,
    });
    closers.push(() => counted.close(0));
    const at = `http://127.0.0.1:${counted.address().port}`;
    const before = await counted.counts();
    expect(before).toEqual({ requests: { '1xx': 0, '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0 }, bytesIn: 0, bytesOut: 0, openConnections: 0, backendErrors: 0, websocketUpgrades: 0 });

    for (let i = 0; i < 3; i++) expect(await (await fetch(`${at}/user/dave/`)).text()).toBe('dave here'); // fast lane
    expect((await fetch(`${at}/user/nobody/`, { redirect: 'manual' })).status).toBe(302);
    expect((await fetch(`${at}/user/erin/`)).status).toBe(503);
    const ws = new WebSocket(`ws://127.0.0.1:${counted.address().port}/user/dave/ws`);
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    ws.send('ping');
    await new Promise((resolve) => ws.once('message', resolve));

    const during = (await counted.counts())!;
    expect(during.requests).toEqual({ '1xx': 1, '2xx': 3, '3xx': 1, '4xx': 0, '5xx': 1 });
    expect(during.backendErrors).toBe(1);
    expect(during.websocketUpgrades).toBe(1);
    expect(during.openConnections).toBeGreaterThanOrEqual(1); // the WebSocket at least
    expect(during.bytesIn).toBeGreaterThan(3 * 'GET /user/dave/ HTTP/1.1\r\n'.length);
    expect(during.bytesOut).toBeGreaterThan(3 * 'dave here'.length);
    ws.close();
    await waitFor(async () => expect((await counted.counts())!.openConnections).toBeLessThan(during.openConnections));
    const after = (await counted.counts())!;
    expect(after.bytesIn).toBeGreaterThanOrEqual(during.bytesIn); // bytes of closed connections are kept
  });

  it('refuses to start on a port in use, with the listen error', async () => {
    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as net.AddressInfo).port;
    const start = startProxyThread({ baseUrl: '/', host: '127.0.0.1', port, hubTarget: 'http://127.0.0.1:1', routes: feed([]).routes, logger: sink().logger, onExit: () => undefined });
    await expect(start).rejects.toMatchObject({ code: 'EADDRINUSE' });
    taken.close();
  });

  it('takes new limits from the main thread without closing the connections it holds', async () => {
    const hubApp = await startBackend((_req, res) => res.end('hub app'));
    closers.push(hubApp.close);
    const limits = { keepAliveTimeoutMs: 65_000, requestHeaderTimeoutMs: 10_000, trustedProxies: [] };
    const own = await startProxyThread({
      baseUrl: '/', host: '127.0.0.1', port: 0, hubTarget: hubApp.url, routes: feed([]).routes, logger: sink().logger,
      ...limits, maxConnectionsPerClient: 1, onExit: () => undefined,
    });
    closers.push(() => own.close(0));
    const ownUrl = `http://127.0.0.1:${own.address().port}`;
    // One connection held open: at a cap of 1, a second one from this address is reset.
    const held = net.connect(own.address().port, '127.0.0.1');
    let answer = '';
    held.on('data', (chunk: Buffer) => (answer += chunk.toString()));
    await new Promise((resolve) => held.once('connect', resolve));
    const closed = new Promise((resolve) => held.once('close', resolve));
    await expect(fetch(`${ownUrl}/hub/`)).rejects.toThrow();

    own.setLimits({ ...limits, maxConnectionsPerClient: 2 });
    await waitFor(async () => expect(await (await fetch(`${ownUrl}/hub/`)).text()).toBe('hub app'));
    held.write('GET /hub/ HTTP/1.1\r\nHost: x\r\n\r\n');
    await waitFor(() => expect(answer).toContain('hub app'));
    held.destroy();
    await closed;
  });

  it('tells the hub when the thread dies after it started', async () => {
    const crashed: number[] = [];
    const own = sink();
    await startProxyThread({
      baseUrl: '/', host: '127.0.0.1', port: 0, hubTarget: 'http://127.0.0.1:1', routes: feed([]).routes, logger: own.logger,
      onExit: (code) => void crashed.push(code), module: new URL('./fakes/crashing-proxy-worker.ts', import.meta.url),
    });
    await eventually('the crash to be reported', () => crashed.length > 0);
    expect(crashed[0]).not.toBe(0);
    // What follows (another thread, or the hub stopping, logged) is threads.ts's: test/proxy-threads.test.ts.
    expect(own.lines.some((l) => l.level === 'fatal')).toBe(false);
  });
});
