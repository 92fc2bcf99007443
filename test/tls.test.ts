// HTTPS served by the hub itself (hub.tls): a certificate from files (HSTS, Secure cookies, the redirect listener,
// files replaced on disk served without a restart), both proxy lanes and WebSockets over TLS, hub.trusted_proxies,
// and `berth check`'s refusals (the CLI runs from dist/: `npm run build` first). ACME against pebble is in tls-acme.test.ts.
import { spawnSync } from 'node:child_process';
import https from 'node:https';
import http from 'node:http';
import net from 'node:net';
import tls from 'node:tls';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { stringify } from 'yaml';
import { ConfigError, parseConfig } from '../src/config/load.js';
import { createApiApp, type ApiApp } from './helpers/api-app.js';
import { freePort } from './helpers/free-port.js';
import { startBackend, startProxy } from './helpers/proxy-harness.js';
import { createTestCa, type TestCa } from './helpers/test-certificates.js';
import { waitFor } from './helpers/wait-for.js';

let ca: TestCa;
let dir: string;
const cleanups: (() => Promise<unknown> | void)[] = [];

beforeAll(() => {
  ca = createTestCa();
  dir = mkdtempSync(path.join(tmpdir(), 'berth-tls-'));
});
afterAll(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
  ca.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  fingerprint: string;
  socket: tls.TLSSocket;
}

/** A request over TLS trusting only the test CA, on a new connection (no session resumed) unless `agent` keeps one. */
function httpsGet(port: number, requestPath: string, options: { agent?: https.Agent; headers?: Record<string, string> } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const request: https.RequestOptions & tls.ConnectionOptions = {
      host: '127.0.0.1', port, path: requestPath, ca: ca.cert, agent: options.agent ?? false, headers: options.headers, servername: 'localhost', ALPNProtocols: ['http/1.1'],
    };
    const req = https.get(request, (res) => {
      const socket = res.socket as tls.TLSSocket;
      const fingerprint = socket.getPeerCertificate().fingerprint256;
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body, fingerprint, socket }));
    });
    req.on('error', reject);
  });
}

function plainRequest(port: number, requestPath: string, method = 'GET', headers: Record<string, string> = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: requestPath, method, headers }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

function writePair(name: string, pair: { cert: string; key: string }): { cert: string; key: string } {
  const files = { cert: path.join(dir, `${name}.crt`), key: path.join(dir, `${name}.key`) };
  writeFileSync(files.key, pair.key);
  writeFileSync(files.cert, pair.cert);
  return files;
}

async function tlsHub(files: { cert: string; key: string }, extra: { redirect_http?: string } = {}): Promise<{ t: ApiApp; port: number }> {
  const t = createApiApp({
    hub: { tls: { ...files, ...extra } },
    auth: { github: { client_id: 'id', client_secret: 'secret', url: 'http://127.0.0.1:9' } },
  });
  cleanups.push(() => t.close());
  await t.started;
  return { t, port: t.hub.address().port };
}

describe('HTTPS with certificate files', () => {
  let port: number;
  let redirectPort: number;
  let leaf: { cert: string; key: string; fingerprint: string };

  beforeAll(async () => {
    leaf = ca.issue(['localhost']);
    redirectPort = await freePort();
    ({ port } = await tlsHub(writePair('hub', leaf), { redirect_http: `127.0.0.1:${redirectPort}` }));
  });

  it('serves the hub over TLS 1.2+ with HTTP/1.1 ALPN and Strict-Transport-Security', async () => {
    const res = await httpsGet(port, '/hub/health');
    expect(res.status).toBe(200);
    expect(res.fingerprint).toBe(leaf.fingerprint);
    expect(res.socket.alpnProtocol).toBe('http/1.1');
    expect(['TLSv1.2', 'TLSv1.3']).toContain(res.socket.getProtocol());
    expect(res.headers['strict-transport-security']).toBe('max-age=31536000');
  });

  it('refuses TLS 1.1 clients', async () => {
    const socket = tls.connect({ host: '127.0.0.1', port, ca: ca.cert, servername: 'localhost', maxVersion: 'TLSv1.1', minVersion: 'TLSv1' });
    const [err] = (await once(socket, 'error')) as [Error];
    expect(err.message).toMatch(/protocol version|no protocols available|unsupported protocol/i);
  });

  it('marks cookies Secure on a sign-in over https, though public_url says http', async () => {
    const res = await httpsGet(port, '/hub/oauth_login');
    expect(res.status).toBe(302);
    const cookies = res.headers['set-cookie'] ?? [];
    expect(cookies.length).toBeGreaterThan(0);
    for (const cookie of cookies) expect(cookie).toMatch(/; Secure(;|$)/);
  });

  it('redirects plain HTTP on redirect_http to https, keeping path and query (308 for other methods)', async () => {
    const get = await plainRequest(redirectPort, '/hub/home?tab=1', 'GET', { Host: 'localhost' });
    expect(get.status).toBe(301);
    expect(get.headers.location).toBe(`https://localhost:${port}/hub/home?tab=1`);
    const post = await plainRequest(redirectPort, '/hub/api/users', 'POST', { Host: 'localhost:80' });
    expect(post.status).toBe(308);
    expect(post.headers.location).toBe(`https://localhost:${port}/hub/api/users`);
  });

  it('answers an unknown ACME challenge with 404 on the redirect port, not a redirect', async () => {
    const res = await plainRequest(redirectPort, '/.well-known/acme-challenge/nonesuch');
    expect(res.status).toBe(404);
  });

  it('does not serve plain HTTP on the TLS port', async () => {
    await expect(plainRequest(port, '/hub/health')).rejects.toThrow();
  });
});

describe('certificate files replaced on disk', () => {
  it('serves the new certificate to new connections while an open keep-alive connection keeps working', async () => {
    const first = ca.issue(['localhost']);
    const files = writePair('rotating', first);
    const { port } = await tlsHub(files);
    const agent = new https.Agent({ keepAlive: true, maxSockets: 1 });
    cleanups.push(() => agent.destroy());
    const before = await httpsGet(port, '/hub/health', { agent });
    expect(before.fingerprint).toBe(first.fingerprint);

    const second = ca.issue(['localhost']);
    writePair('rotating', second);
    await waitFor(async () => expect((await httpsGet(port, '/hub/health')).fingerprint).toBe(second.fingerprint));

    const again = await httpsGet(port, '/hub/health', { agent });
    expect(again.status).toBe(200);
    expect(again.socket).toBe(before.socket);
    expect(again.fingerprint).toBe(first.fingerprint);
  });

  it('keeps serving the old certificate while the files hold a key that is not the certificate\'s', async () => {
    const first = ca.issue(['localhost']);
    const files = writePair('halfway', first);
    const { port } = await tlsHub(files);
    const other = ca.issue(['localhost']);
    writeFileSync(files.key, other.key);
    // The watcher reads the pair and refuses it; a later good pair is still taken.
    writeFileSync(files.cert, ca.issue(['localhost']).cert);
    expect((await httpsGet(port, '/hub/health')).fingerprint).toBe(first.fingerprint);
    writeFileSync(files.cert, other.cert);
    await waitFor(async () => expect((await httpsGet(port, '/hub/health')).fingerprint).toBe(other.fingerprint));
  });
});

describe('both proxy lanes over TLS', () => {
  it('forwards requests and WebSockets to a user server with X-Forwarded-Proto https', async () => {
    const leaf = ca.issue(['localhost']);
    const proxy = await startProxy({ tls: leaf });
    cleanups.push(() => proxy.close());
    const backend = await startBackend((req, res) => res.end(JSON.stringify(req.headers)));
    cleanups.push(() => backend.close());
    proxy.targets.set('alice', backend.url);
    const lane = await httpsGet(proxy.port, '/user/alice/x');
    expect(JSON.parse(lane.body)).toMatchObject({ 'x-forwarded-proto': 'https', 'x-forwarded-port': String(proxy.port), 'x-forwarded-for': '127.0.0.1' });

    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    cleanups.push(() => new Promise<void>((resolve) => wss.close(() => resolve())));
    await once(wss, 'listening');
    wss.on('connection', (ws) => ws.on('message', (data) => ws.send(`echo ${String(data)}`)));
    proxy.targets.set('alice', `http://127.0.0.1:${(wss.address() as net.AddressInfo).port}`);
    const upgraded = once(wss, 'connection') as Promise<[WebSocket, http.IncomingMessage]>;
    const client = new WebSocket(`wss://localhost:${proxy.port}/user/alice/api/kernels/k/channels`, { ca: ca.cert });
    cleanups.push(() => client.terminate());
    await once(client, 'open');
    const [, req] = await upgraded;
    expect(req.headers['x-forwarded-proto']).toBe('https');
    const reply = once(client, 'message');
    client.send('over wss');
    expect(String((await reply)[0])).toBe('echo over wss');
  });
});

describe('hub.trusted_proxies', () => {
  const oauthCookies = async (t: ApiApp, headers: Record<string, string>) => {
    const res = await plainRequest(t.hub.address().port, '/hub/oauth_login', 'GET', headers);
    expect(res.status).toBe(302);
    return res.headers['set-cookie'] ?? [];
  };
  const front = { 'X-Forwarded-Proto': 'https', 'X-Forwarded-For': '203.0.113.7', 'X-Forwarded-Host': 'hub.example.org' };

  it('believes X-Forwarded-Proto from a listed proxy: cookies are Secure', async () => {
    const t = createApiApp({ hub: { trusted_proxies: ['127.0.0.1'] }, auth: { github: { client_id: 'id', client_secret: 'secret' } } });
    cleanups.push(() => t.close());
    await t.started;
    const cookies = await oauthCookies(t, front);
    expect(cookies.length).toBeGreaterThan(0);
    for (const cookie of cookies) expect(cookie).toMatch(/; Secure(;|$)/);
    expect(cookies.join()).not.toMatch(/Strict-Transport/);
  });

  it('ignores them from a peer that is not listed: cookies are not Secure', async () => {
    const t = createApiApp({ hub: { trusted_proxies: ['10.0.0.0/8'] }, auth: { github: { client_id: 'id', client_secret: 'secret' } } });
    cleanups.push(() => t.close());
    await t.started;
    const cookies = await oauthCookies(t, front);
    expect(cookies.length).toBeGreaterThan(0);
    for (const cookie of cookies) expect(cookie).not.toMatch(/; Secure/);
  });

  it('takes a change of the list live, from the next request', async () => {
    const auth = { admin_users: ['admin'], github: { client_id: 'id', client_secret: 'secret' } };
    const t = createApiApp({ auth });
    cleanups.push(() => t.close());
    await t.started;
    expect((await oauthCookies(t, front)).join()).not.toMatch(/Secure/);
    writeFileSync(t.config.file, stringify({
      hub: { bind: '127.0.0.1:0', public_url: 'http://127.0.0.1:8000', data_dir: t.config.dataDir, trusted_proxies: ['127.0.0.1'] }, auth,
    }));
    expect(t.hub.reloadConfig('test')).toMatchObject({ status: 'applied', changed: ['hub.trusted_proxies'] });
    await waitFor(async () => expect((await oauthCookies(t, front))[0]).toMatch(/; Secure/));
  });

  it('takes the client address a listed proxy names, and the peer\'s own otherwise', async () => {
    const seen: http.IncomingHttpHeaders[] = [];
    const backend = await startBackend((req, res) => {
      seen.push(req.headers);
      res.end('ok');
    });
    cleanups.push(() => backend.close());
    const trusted = await startProxy({ trustedProxies: ['127.0.0.0/8'] });
    const untrusted = await startProxy({});
    cleanups.push(() => trusted.close(), () => untrusted.close());
    for (const proxy of [trusted, untrusted]) {
      proxy.targets.set('alice', backend.url);
      await plainRequest(proxy.port, '/user/alice/', 'GET', front);
    }
    expect(seen[0]).toMatchObject({ 'x-forwarded-for': '203.0.113.7', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'hub.example.org' });
    expect(seen[1]).toMatchObject({ 'x-forwarded-for': '127.0.0.1', 'x-forwarded-proto': 'http', 'x-forwarded-host': `127.0.0.1:${untrusted.port}` });
  });
});

describe('berth check on hub.tls', () => {
  const check = (tlsKeys: Record<string, unknown>) => {
    const file = path.join(dir, 'hub.yaml');
    try {
      parseConfig(stringify({ hub: { tls: tlsKeys } }), file, {});
      return [];
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      return err.problems;
    }
  };

  it('refuses a key that is not the certificate\'s, naming hub.tls.key and its line', () => {
    const files = writePair('mismatch', { cert: ca.issue().cert, key: ca.issue().key });
    const problems = check(files);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^hub\.yaml:\d+:\d+ hub\.tls\.key: .*mismatch\.key is not the private key of .*mismatch\.crt/);
  });

  it('makes `berth check` exit 1 with the problem, and accept the matching pair', () => {
    const main = path.join(import.meta.dirname, '..', 'dist', 'main.js');
    const checkFile = (files: { cert: string; key: string }) => {
      const file = path.join(dir, 'check.yaml');
      writeFileSync(file, stringify({ hub: { tls: files } }));
      return spawnSync(process.execPath, [main, 'check', '--config', file], { encoding: 'utf8', timeout: 30_000 });
    };
    const bad = checkFile({ cert: writePair('cli-a', ca.issue()).cert, key: writePair('cli-b', ca.issue()).key });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/check\.yaml:\d+:\d+ hub\.tls\.key: .*cli-b\.key is not the private key of .*cli-a\.crt/);
    const good = checkFile(writePair('cli-good', ca.issue()));
    expect(good.status).toBe(0);
  });

  it('refuses a certificate file that does not exist, naming hub.tls.cert', () => {
    const problems = check({ cert: 'nowhere.crt', key: writePair('lonely', ca.issue()).key });
    expect(problems[0]).toMatch(/hub\.tls\.cert: .*nowhere\.crt does not exist \(paths are relative to hub\.yaml\)/);
  });

  it('refuses a wildcard ACME name, which HTTP-01 cannot prove', () => {
    const problems = check({ redirect_http: '0.0.0.0:80', acme: { email: 'a@example.org', domains: ['*.example.org'] } });
    expect(problems.join('\n')).toMatch(/hub\.tls\.acme\.domains\.0: is a wildcard name, which ACME issues only through DNS-01/);
  });

  it('refuses a certificate without a key, and acme without redirect_http', () => {
    expect(check({ cert: 'a.crt' }).join('\n')).toMatch(/hub\.tls\.key: is needed with hub\.tls\.cert/);
    expect(check({ acme: { email: 'a@example.org', domains: ['hub.example.org'] } }).join('\n')).toMatch(/hub\.tls\.redirect_http: is needed with hub\.tls\.acme/);
  });
});
