// The README's nginx snippet, taken from README.md as written, in front of the public listener (hub.trusted_proxies:
// 127.0.0.1): nginx (berth/nginx:test, on the host's network so it reaches loopback) terminates TLS, and the user's
// server is told https, and a kernel WebSocket works through it over wss.
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import https from 'node:https';
import type http from 'node:http';
import type net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { freePort } from './helpers/free-port.js';
import { startBackend, startProxy, type ProxyHarness } from './helpers/proxy-harness.js';
import { createTestCa, type TestCa } from './helpers/test-certificates.js';
import { waitFor } from './helpers/wait-for.js';

const docker = new Docker();
const run = randomBytes(4).toString('hex');
let ca: TestCa;
let dir: string;
let proxy: ProxyHarness;
let nginxPort: number;
let container: Docker.Container | undefined;
const cleanups: (() => Promise<unknown> | void)[] = [];

/** The README's nginx block, pointed at this test's ports and files. */
function readmeNginxSnippet(upstreamPort: number, port: number): string {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const snippet = /## HTTPS[\s\S]*?```nginx\n([\s\S]*?)```/.exec(readme)?.[1];
  if (snippet === undefined) throw new Error('README.md has no nginx snippet in its HTTPS section');
  return snippet
    .replace('listen 443 ssl;', `listen 127.0.0.1:${port} ssl;`)
    .replace(/server \{ listen 80;.*\n/, '')
    .replaceAll('/etc/letsencrypt/live/hub.example.org/', '/berth/')
    .replace('http://127.0.0.1:8000', `http://127.0.0.1:${upstreamPort}`);
}

beforeAll(async () => {
  ca = createTestCa();
  dir = mkdtempSync(path.join(tmpdir(), 'berth-nginx-'));
  chmodSync(dir, 0o755);
  const leaf = ca.issue(['hub.example.org']);
  writeFileSync(path.join(dir, 'fullchain.pem'), leaf.cert);
  writeFileSync(path.join(dir, 'privkey.pem'), leaf.key);
  proxy = await startProxy({ trustedProxies: ['127.0.0.1'] });
  nginxPort = await freePort();
  writeFileSync(path.join(dir, 'nginx.conf'), `pid /tmp/nginx.pid;\nevents {}\nhttp {\n${readmeNginxSnippet(proxy.port, nginxPort)}\n}\n`);
  container = await docker.createContainer({
    Image: 'berth/nginx:test',
    name: `berth-test-nginx-${run}`,
    Labels: { 'berth.test': 'true', 'berth.test-run': run },
    Cmd: ['nginx', '-c', '/berth/nginx.conf', '-g', 'daemon off;'],
    HostConfig: { NetworkMode: 'host', Binds: [`${dir}:/berth:ro`] },
  });
  await container.start();
  await waitFor(async () => {
    const info = await container!.inspect();
    expect(info.State.Running, 'nginx exited; see its log').toBe(true);
    await new Promise<void>((resolve, reject) => {
      https.get({ host: '127.0.0.1', port: nginxPort, path: '/hub/', ca: ca.cert, servername: 'hub.example.org', agent: false }, (res) => {
        res.resume();
        resolve();
      }).on('error', reject);
    });
  });
}, 60_000);

afterAll(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
  await container?.remove({ force: true });
  await proxy?.close();
  ca.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('behind the README\'s nginx', () => {
  it('tells the user\'s server the request came over https, for the client nginx saw', async () => {
    const backend = await startBackend((req, res) => res.end(JSON.stringify(req.headers)));
    cleanups.push(() => backend.close());
    proxy.targets.set('alice', backend.url);
    const body = await new Promise<string>((resolve, reject) => {
      https.get({ host: '127.0.0.1', port: nginxPort, path: '/user/alice/x', ca: ca.cert, servername: 'hub.example.org', agent: false, headers: { Host: 'hub.example.org' } }, (res) => {
        let text = '';
        res.on('data', (chunk) => (text += chunk));
        res.on('end', () => resolve(text));
      }).on('error', reject);
    });
    expect(JSON.parse(body)).toMatchObject({ 'x-forwarded-proto': 'https', 'x-forwarded-host': 'hub.example.org', 'x-forwarded-port': '443', 'x-forwarded-for': '127.0.0.1' });
  });

  it('carries a kernel WebSocket over wss', async () => {
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    cleanups.push(() => new Promise<void>((resolve) => wss.close(() => resolve())));
    await once(wss, 'listening');
    wss.on('connection', (ws) => ws.on('message', (data) => ws.send(`echo ${String(data)}`)));
    proxy.targets.set('bob', `http://127.0.0.1:${(wss.address() as net.AddressInfo).port}`);
    const upgraded = once(wss, 'connection') as Promise<[WebSocket, http.IncomingMessage]>;
    const client = new WebSocket(`wss://127.0.0.1:${nginxPort}/user/bob/api/kernels/k/channels`, { ca: ca.cert, headers: { Host: 'hub.example.org' } });
    cleanups.push(() => client.terminate());
    await once(client, 'open');
    expect((await upgraded)[1].headers['x-forwarded-proto']).toBe('https');
    const reply = once(client, 'message');
    client.send('through nginx');
    expect(String((await reply)[0])).toBe('echo through nginx');
  });
});
