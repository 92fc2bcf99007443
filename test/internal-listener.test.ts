// The listener containers reach the hub on: the REST API only, never pages such as the sign-in form, whatever
// spelling of the path a container sends, and with the container itself as the client address.
import http from 'node:http';
import { PassThrough } from 'node:stream';
import { getRequestListener } from '@hono/node-server';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listenInternal, type InternalListener } from '../src/internal-listener.js';
import { createApiApp, type ApiApp } from './helpers/api-app.js';
import { startTestHub, type TestHub } from './helpers/test-hub.js';

let internal: InternalListener;
let origin: string;

beforeAll(async () => {
  internal = await listenInternal((req, res) => res.end(`app got ${req.url}`), { listenHost: '127.0.0.1', connectHost: '127.0.0.1', port: 0, baseUrl: '/base/' });
  origin = new URL(internal.apiUrl).origin;
});
afterAll(() => internal.close());

/** One request with the target sent byte for byte (fetch would normalise it first, as a browser does). */
function rawRequest(base: string, target: string, init: { method?: string; headers?: Record<string, string> } = {}) {
  const { hostname, port } = new URL(base);
  return new Promise<{ status: number; body: string; type: string }>((resolve, reject) => {
    const req = http.request({ host: hostname, port, method: init.method ?? 'GET', path: target, headers: init.headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, type: String(res.headers['content-type'] ?? '') }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the internal listener', () => {
  it('passes <base_url>hub/api and everything under it to the app', async () => {
    expect(internal.apiUrl).toBe(`${origin}/base/hub/api`);
    expect(await (await fetch(`${internal.apiUrl}`)).text()).toBe('app got /base/hub/api');
    expect(await (await fetch(`${internal.apiUrl}/users/alice/activity?x=1`)).text()).toBe('app got /base/hub/api/users/alice/activity?x=1');
    expect(await (await fetch(`${internal.apiUrl}/users/a.b%40c/server?next=/a/../b`)).text()).toBe('app got /base/hub/api/users/a.b%40c/server?next=/a/../b');
  });

  it('answers 404 for pages and anything else, without reaching the app', async () => {
    for (const path of ['/base/hub/login', '/base/hub/', '/base/hub/apix', '/base/user/alice/', '/']) {
      const res = await fetch(`${origin}${path}`, { method: path.endsWith('login') ? 'POST' : 'GET' });
      expect(res.status).toBe(404);
      expect(((await res.json()) as { message: string }).message).toContain('Only /base/hub/api/ is served to containers');
    }
  });

  it('refuses dot segments, encoded slashes, backslashes, empty segments and other ambiguous spellings before the app sees them', async () => {
    const targets = [
      '/base/hub/api/../login', '/base/hub/api/./../login', '/base/hub/api/..', '/base/hub/api/.',
      '/base/hub/api/%2e%2e/login', '/base/hub/api/%2E%2E/login', '/base/hub/api/.%2e/login', '/base/hub/api/%2e/users',
      '/base/hub/api%2f..%2flogin', '/base/hub/api/%2F../login', '/base/hub/api/users%2F..%2F..%2Flogin',
      '/base/hub/api\\..\\login', '/base/hub/api/%5c..%5clogin', '/base/hub/api/..\\login',
      '/base/hub/api//users', '/base/hub/api/;/../login', '/base/hub/api;/users', '/base/hub/api/users;x=1',
      '/base/hub/api/%00', '/base/hub/api/users%0a', '/base/hub/api/%09../login',
      'http://127.0.0.1/base/hub/api/users', '//base/hub/api/users', '*',
    ];
    for (const target of targets) {
      const res = await rawRequest(origin, target);
      expect({ target, status: res.status }).toEqual({ target, status: 400 });
      expect(res.body).not.toContain('app got');
      expect((JSON.parse(res.body) as { message: string }).message).toMatch(/not served to containers/);
    }
  });

  it('refuses a Host header that would change the path the app sees', async () => {
    for (const host of ['x/base/hub/login?', 'x#', 'a b', 'x\\y']) {
      const res = await rawRequest(origin, '/base/hub/api/users', { headers: { Host: host } });
      expect({ host, status: res.status }).toEqual({ host, status: 400 });
      expect(res.body).not.toContain('app got');
    }
    // The names containers use for the hub: an address, or a compose container name.
    for (const host of ['172.18.0.1:8081', 'berth_hub-1:8081', '[fd00::1]:8081']) {
      expect(await rawRequest(origin, '/base/hub/api/users', { headers: { Host: host } })).toMatchObject({ status: 200, body: 'app got /base/hub/api/users' });
    }
  });
});

describe('the internal listener in front of the real app', () => {
  let api: ApiApp;
  let real: InternalListener;
  beforeAll(async () => {
    api = createApiApp();
    real = await listenInternal(getRequestListener(api.app.fetch), { listenHost: '127.0.0.1', connectHost: '127.0.0.1', port: 0, baseUrl: '/' });
  });
  afterAll(async () => {
    await real.close();
    await api.close();
  });

  it('never serves the sign-in page or any other hub page, whatever the spelling', async () => {
    const origin = new URL(real.apiUrl).origin;
    for (const target of ['/hub/api/../login', '/hub/api/%2e%2e/login', '/hub/api/%2E%2E/login', '/hub/api/.%2E/login', '/hub/api\\..\\login', '/hub/api/%2e%2e/home', '/hub/api/%2e%2e/token']) {
      for (const method of ['GET', 'POST']) {
        const res = await rawRequest(origin, target, { method });
        expect({ target, method, status: res.status }).toEqual({ target, method, status: 400 });
        expect(res.type).toContain('application/json');
        expect(res.body).not.toMatch(/<html|<form/i);
      }
    }
  });

  it('still answers the REST API', async () => {
    const res = await fetch(`${real.apiUrl}/`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ version: expect.any(String) });
  });
});

describe('the client address the app sees through the internal listener', () => {
  let echo: InternalListener;
  beforeAll(async () => {
    // The app's own view of the headers (Hono builds them from the raw header lines, not from req.headers).
    const app = new Hono().all('*', (c) =>
      c.json(Object.fromEntries(['x-forwarded-for', 'x-forwarded-host', 'x-forwarded-proto', 'x-forwarded-port', 'x-real-ip', 'forwarded'].map((h) => [h, c.req.header(h) ?? null]))),
    );
    echo = await listenInternal(getRequestListener(app.fetch), { listenHost: '127.0.0.1', connectHost: '127.0.0.1', port: 0, baseUrl: '/' });
  });
  afterAll(() => echo.close());

  it('is the peer of the socket, never what the container wrote in X-Forwarded-For, X-Real-IP or Forwarded', async () => {
    const res = await fetch(`${echo.apiUrl}/users`, {
      headers: {
        'X-Forwarded-For': '203.0.113.7, 198.51.100.1', 'X-Real-IP': '203.0.113.8', Forwarded: 'for=203.0.113.9',
        'X-Forwarded-Host': 'evil.example', 'X-Forwarded-Proto': 'https', 'X-Forwarded-Port': '443',
      },
    });
    expect(await res.json()).toEqual({
      'x-forwarded-for': '127.0.0.1', 'x-forwarded-host': null, 'x-forwarded-proto': null, 'x-forwarded-port': null, 'x-real-ip': null, forwarded: null,
    });
  });

  it('sets X-Forwarded-For from the socket when the container sent none', async () => {
    const res = await fetch(`${echo.apiUrl}/users`);
    expect(await res.json()).toMatchObject({ 'x-forwarded-for': '127.0.0.1' });
  });
});

describe('the internal listener, asked from a user container', () => {
  let t: TestHub;
  beforeAll(async () => {
    t = await startTestHub();
    t.users.ensure('mallory');
    expect(await t.hub.servers.start('mallory')).toBe('started');
  });
  afterAll(() => t?.cleanup());

  /** Sends each target byte for byte to JUPYTERHUB_API_URL's host from inside mallory's container. */
  async function askFromContainer(targets: string[]): Promise<Array<{ target: string; status: number; body: string }>> {
    const script = [
      'import http.client, json, os, sys, urllib.parse',
      'u = urllib.parse.urlsplit(os.environ["JUPYTERHUB_API_URL"])',
      'out = []',
      'for target in json.loads(sys.argv[1]):',
      '    c = http.client.HTTPConnection(u.hostname, u.port, timeout=10)',
      '    c.putrequest("GET", target, skip_accept_encoding=True)',
      '    c.putheader("X-Forwarded-For", "127.0.0.1")',
      '    c.endheaders()',
      '    r = c.getresponse()',
      '    out.append({"target": target, "status": r.status, "body": r.read().decode("utf-8", "replace")[:300]})',
      'print("RESULT" + json.dumps(out))',
    ].join('\n');
    const container = t.docker.getContainer(t.hub.servers.get('mallory')!.containerId!);
    const exec = await container.exec({ Cmd: ['python3', '-c', script, JSON.stringify(targets)], AttachStdout: true, AttachStderr: true });
    const stream = await exec.start({});
    const output = await new Promise<string>((resolve) => {
      let text = '';
      const sink = new PassThrough().on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
      t.docker.modem.demuxStream(stream, sink, sink);
      stream.on('end', () => resolve(text));
    });
    const line = output.split('\n').find((l) => l.includes('RESULT['));
    if (!line) throw new Error(`the container's request failed:\n${output}`);
    return JSON.parse(line.slice(line.indexOf('RESULT') + 'RESULT'.length));
  }

  it('never serves the sign-in form to a container, whatever spelling of the path it sends', async () => {
    const results = await askFromContainer(['/hub/api/../login', '/hub/api/%2e%2e/login', '/hub/api/%2E%2E/login', '/hub/api\\..\\login', '/hub/api//../login', '/hub/login']);
    for (const r of results) {
      expect({ target: r.target, status: r.status }).toEqual({ target: r.target, status: r.target === '/hub/login' ? 404 : 400 });
      expect(r.body).not.toMatch(/<form|<html/i);
    }
  });
});
