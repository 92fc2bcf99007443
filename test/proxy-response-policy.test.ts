// Cookie tossing through the proxy: a user's server answers with the hub's cookies, cookies for other paths and
// hosts, and headers that reach beyond its prefix. Only its own cookie may reach the browser, on the fast lane, on
// node:http, and in WebSocket handshakes. Real sockets against local servers; no Docker.
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startBackend, startProxy, type ProxyHarness } from './helpers/proxy-harness.js';

/** What a hostile server tries to set, none of which may reach the browser. */
const HOSTILE = [
  'jupyterhub-hub-login=forged; Path=/hub/; HttpOnly',
  'jupyterhub-session-id=forged; Path=/user/alice/',
  'neighbour=forged; Path=/user/bob/',
  'wide=forged; Path=/user/alice/; Domain=127.0.0.1',
  '_xsrf=forged; Path=/hub/',
];
/** Its own cookies, in both forms JupyterHub uses, and one at `/` (jupyterhub-singleuser < 4.1 sets `_xsrf` so). */
const OWN = 'own=1; Path=/user/alice/';
const OWN_JUPYTERHUB_FORM = 'jupyterhub-user-alice=abc; Path=/user/alice; HttpOnly';
const AT_ROOT = 'everywhere=1; Path=/';
const SENT = [HOSTILE[0]!, OWN, HOSTILE[1]!, AT_ROOT, ...HOSTILE.slice(2), OWN_JUPYTERHUB_FORM];
/** What reaches the browser: its own, and the one at `/` narrowed to its prefix. */
const OWN_COOKIES = [OWN, 'everywhere=1; Path=/user/alice/', OWN_JUPYTERHUB_FORM];

function setHostileHeaders(res: http.ServerResponse): void {
  res.setHeader('Set-Cookie', SENT);
  res.setHeader('Service-Worker-Allowed', '/');
  res.setHeader('Clear-Site-Data', '"cookies", "storage"');
}

let proxy: ProxyHarness;
let backend: Awaited<ReturnType<typeof startBackend>>;
let wss: WebSocketServer;
let wsTarget: string;

beforeAll(async () => {
  proxy = await startProxy();
  backend = await startBackend((req, res) => {
    req.resume();
    req.on('end', () => {
      setHostileHeaders(res);
      res.setHeader('Content-Type', 'text/plain');
      res.end(`alice's server got ${req.url}`);
    });
  });
  wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  wss.on('headers', (headers) => {
    headers.push(...SENT.map((c) => `Set-Cookie: ${c}`), 'Service-Worker-Allowed: /', 'Clear-Site-Data: "*"');
  });
  wss.on('connection', (ws) => ws.on('message', (data, binary) => ws.send(data, { binary })));
  wsTarget = `http://127.0.0.1:${(wss.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await proxy.close();
  await backend.close();
  for (const client of wss.clients) client.terminate();
  await new Promise<void>((resolve) => wss.close(() => resolve()));
});
beforeEach(() => {
  proxy.targets.set('alice', backend.url);
  proxy.logs.length = 0;
});

/** Sends `request` on a raw socket and returns the response head (lower-case names, repeated ones in order). */
function rawExchange(request: string | Buffer[]): Promise<{ status: number; headers: [string, string][]; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port: proxy.port, host: '127.0.0.1' });
    let buf = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => (buf = Buffer.concat([buf, chunk])));
    socket.on('error', reject);
    socket.on('close', () => {
      const text = buf.toString('latin1');
      const end = text.indexOf('\r\n\r\n');
      if (end === -1) {
        reject(new Error(`no response head: ${JSON.stringify(text)}`));
        return;
      }
      const [statusLine, ...lines] = text.slice(0, end).split('\r\n');
      const headers = lines.map((line): [string, string] => {
        const colon = line.indexOf(':');
        return [line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim()];
      });
      resolve({ status: Number(statusLine!.split(' ')[1]), headers, body: text.slice(end + 4) });
    });
    if (typeof request === 'string') socket.write(request);
    else for (const part of request) socket.write(part);
  });
}

function valuesOf(headers: [string, string][], name: string): string[] {
  return headers.filter(([n]) => n === name).map(([, v]) => v);
}

function expectOnlyOwnCookies(headers: [string, string][]): void {
  expect(valuesOf(headers, 'set-cookie')).toEqual(OWN_COOKIES);
  expect(valuesOf(headers, 'service-worker-allowed')).toEqual([]);
  expect(valuesOf(headers, 'clear-site-data')).toEqual([]);
}

function expectDropsLogged(): void {
  const drops = proxy.logs.filter((l) => l.msg === "dropped a header from a user server's response");
  expect(drops.map((l) => l.cookie ?? l.header).sort()).toEqual(
    ['_xsrf', 'clear-site-data', 'jupyterhub-hub-login', 'jupyterhub-session-id', 'neighbour', 'service-worker-allowed', 'wide'].sort(),
  );
  for (const line of drops) expect(line.user).toBe('alice');
  // Never the value: a cookie is a secret, and the log is read by people who must not sign in as it.
  expect(JSON.stringify(drops)).not.toContain('forged');
}

describe("a user's server cannot set the hub's cookies", () => {
  it('on the fast lane, only its own cookies reach the client (one at / narrowed to its prefix)', async () => {
    const res = await rawExchange(`GET /user/alice/tree HTTP/1.1\r\nHost: hub.test\r\nConnection: close\r\n\r\n`);
    expect(res.status).toBe(200);
    expect(res.body).toBe("alice's server got /user/alice/tree");
    expectOnlyOwnCookies(res.headers);
    expectDropsLogged();
  });

  it('on the fast lane, a response without screened headers passes byte for byte', async () => {
    const plain = await startBackend((_req, res) => {
      res.setHeader('Set-Cookie', OWN);
      res.end('plain');
    });
    proxy.targets.set('alice', plain.url);
    try {
      const res = await rawExchange(`GET /user/alice/ HTTP/1.1\r\nHost: hub.test\r\nConnection: close\r\n\r\n`);
      expect(valuesOf(res.headers, 'set-cookie')).toEqual([OWN]);
      expect(proxy.logs.filter((l) => l.msg === "dropped a header from a user server's response")).toEqual([]);
    } finally {
      await plain.close();
    }
  });

  it('on node:http (an HTTP/1.0 request), only its own cookies reach the client', async () => {
    const res = await rawExchange(`GET /user/alice/tree HTTP/1.0\r\nHost: hub.test\r\n\r\n`);
    expect(res.status).toBe(200);
    expect(res.body).toBe("alice's server got /user/alice/tree");
    expectOnlyOwnCookies(res.headers);
    expectDropsLogged();
  });

  it('on node:http (a chunked upload), only its own cookies reach the client', async () => {
    const res = await rawExchange([
      Buffer.from(`POST /user/alice/upload HTTP/1.1\r\nHost: hub.test\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n`),
      Buffer.from('5\r\nhello\r\n0\r\n\r\n'),
    ]);
    expect(res.status).toBe(200);
    expectOnlyOwnCookies(res.headers);
  });

  it('in a WebSocket handshake, only its own cookies reach the client', async () => {
    proxy.targets.set('alice', wsTarget);
    const ws = new WebSocket(`ws://127.0.0.1:${proxy.port}/user/alice/api/kernels/k/channels`);
    let upgrade: http.IncomingMessage | undefined;
    ws.once('upgrade', (res) => (upgrade = res));
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    expect(upgrade!.headers['set-cookie']).toEqual(OWN_COOKIES);
    expect(upgrade!.headers['service-worker-allowed']).toBeUndefined();
    expect(upgrade!.headers['clear-site-data']).toBeUndefined();
    ws.send('still works');
    expect(String((await new Promise((resolve) => ws.once('message', resolve))) as Buffer)).toBe('still works');
    ws.close();
  });

  it('in a refused WebSocket handshake (a plain HTTP answer), only its own cookies reach the client', async () => {
    // The plain backend answers the upgrade request with 200, which node:http relays as the refusal.
    const res = await rawExchange(
      `GET /user/alice/ws HTTP/1.1\r\nHost: hub.test\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
        `Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`,
    );
    expect(res.status).toBe(200);
    expectOnlyOwnCookies(res.headers);
  });

  it("leaves the hub app's own cookies alone", async () => {
    const hubApp = await startBackend((_req, res) => {
      res.setHeader('Set-Cookie', ['jupyterhub-hub-login=real; Path=/hub/; HttpOnly', '_xsrf=real; Path=/hub/']);
      res.end('hub');
    });
    const hubProxy = await startProxy({ hubTarget: hubApp.url });
    try {
      const res = await fetch(`${hubProxy.url}/hub/login`);
      expect(res.headers.getSetCookie()).toEqual(['jupyterhub-hub-login=real; Path=/hub/; HttpOnly', '_xsrf=real; Path=/hub/']);
    } finally {
      await hubProxy.close();
      await hubApp.close();
    }
  });
});

describe("in a real browser, a user's server", () => {
  const TOSS_PAGE = `<!doctype html><title>toss</title><script>
    window.registration = navigator.serviceWorker.register('/user/alice/sw.js', { scope: '/' })
      .then(() => 'registered at /', (err) => 'refused: ' + err.name);
  </script>`;

  it("cannot toss cookies onto the hub's paths, nor register a service worker over the hub's pages", async () => {
    const { launchBrowser } = await import('./helpers/browser.js');
    const page = await startBackend((req, res) => {
      if (req.url === '/user/alice/sw.js') {
        res.writeHead(200, { 'Content-Type': 'text/javascript', 'Service-Worker-Allowed': '/' });
        res.end("self.addEventListener('fetch', () => {});");
        return;
      }
      setHostileHeaders(res);
      res.setHeader('Content-Type', 'text/html');
      res.end(TOSS_PAGE);
    });
    proxy.targets.set('alice', page.url);
    const browser = await launchBrowser();
    try {
      const tab = await browser.newPage();
      await tab.goto(`${proxy.url}/user/alice/tree`);
      expect(await tab.evaluate(() => (window as unknown as { registration: Promise<string> }).registration)).toBe('refused: SecurityError');
      const atHub = (await browser.cookies(`${proxy.url}/hub/api/users`)).map((c) => c.name);
      expect(atHub).toEqual([]);
      const atAlice = (await browser.cookies(`${proxy.url}/user/alice/tree`)).map((c) => `${c.name} ${c.path}`).sort();
      expect(atAlice).toEqual(['everywhere /user/alice/', 'jupyterhub-user-alice /user/alice', 'own /user/alice/']);
    } finally {
      await browser.close();
      await page.close();
    }
  });
});
