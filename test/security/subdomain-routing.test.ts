// A whole hub with hub.subdomain_host (issue 10 point 4), without a browser: the public port routes by Host and
// path on both proxy paths, the hub's answers name the users' own hosts, and servers get JupyterHub's environment.
import { once } from 'node:events';
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createOAuthClientStore } from '../../src/auth/oauth-clients.js';
import { createTokenStore } from '../../src/auth/tokens.js';
import { freePort } from '../helpers/free-port.js';
import { startTestHub, type TestHub } from '../helpers/test-hub.js';

let t: TestHub;
let port: number;
let hubHost: string;
let aliceToken: string;

interface Answer { status: number; headers: http.IncomingHttpHeaders; body: string }

/** One request to the public port with the Host a browser would send for `host`. */
function request(host: string, method: string, path: string, options: { headers?: Record<string, string>; body?: string } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path, agent: false, headers: { host: `${host}:${port}`, ...options.headers } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

beforeAll(async () => {
  port = await freePort();
  hubHost = `http://hub.test:${port}`;
  t = await startTestHub({ hub: { bind: `127.0.0.1:${port}`, subdomain_host: hubHost } });
  for (const name of ['mallory', 'a_b']) t.users.ensure(name);
  const alice = t.users.ensure('alice');
  aliceToken = createTokenStore(t.hub.db).issue({ userId: alice.id, scopes: ['inherit'], note: 'subdomain test' }).token;
  expect(await t.hub.servers.start('alice')).toBe('started');
  expect(await t.hub.servers.start('a_b')).toBe('started');
});
afterAll(() => t?.cleanup());

describe('hub.subdomain_host routing', () => {
  it("proxies a user's server on that user's host, on the fast lane and on node:http", async () => {
    const plain = await request('alice.hub.test', 'GET', '/user/alice/echo?x=1');
    expect(plain.status).toBe(200);
    expect(JSON.parse(plain.body).path).toBe('/user/alice/echo');
    // A chunked upload is left to node:http by the fast lane.
    const chunked = await request('alice.hub.test', 'POST', '/user/alice/echo', { headers: { 'transfer-encoding': 'chunked' }, body: 'x' });
    expect(chunked.status).toBe(200);
    const encoded = await request('u-ab--648fa9b.hub.test', 'GET', '/user/a_b/echo');
    expect(encoded.status).toBe(200);
  });

  it("redirects a GET for /user/<name>/ on the hub's host to that user's host, and refuses a POST with 421", async () => {
    const get = await request('hub.test', 'GET', '/user/alice/tree?x=1');
    expect(get.status).toBe(302);
    expect(get.headers.location).toBe(`http://alice.hub.test:${port}/user/alice/tree?x=1`);
    const post = await request('hub.test', 'POST', '/user/alice/api/contents', { headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(post.status).toBe(421);
    expect(post.body).toContain(`http://alice.hub.test:${port}`);
  });

  it("never lets one user's host reach another user's server or the hub's pages", async () => {
    for (const path of ['/user/alice/echo', '/user/mallory/../alice/echo', '/hub/api/users/alice', '/hub/login', '/hub/health']) {
      const res = await request('mallory.hub.test', 'GET', path, { headers: { authorization: `token ${aliceToken}` } });
      expect(res.status, path).toBe(302);
      expect(res.headers.location, path).toMatch(new RegExp(`^http://hub\\.test:${port}/`));
    }
    const post = await request('mallory.hub.test', 'POST', '/hub/api/users/alice/tokens', {
      headers: { authorization: `token ${aliceToken}`, 'content-type': 'application/json' }, body: '{}',
    });
    expect(post.status).toBe(421);
    const chunked = await request('alice.hub.test', 'PUT', '/user/mallory/api/contents/x', { headers: { 'transfer-encoding': 'chunked' }, body: '{}' });
    expect(chunked.status).toBe(421);
    expect((await request('alice.hub.test', 'GET', '/hub/admin')).headers.location).toBe(`http://hub.test:${port}/hub/admin`);
  });

  it("refuses a WebSocket for a user's path on any host but that user's", async () => {
    for (const host of ['hub.test', 'mallory.hub.test']) {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/user/alice/ws`, { headers: { host: `${host}:${port}` } });
      const [req, res] = (await once(ws, 'unexpected-response')) as [http.ClientRequest, http.IncomingMessage];
      expect(res.statusCode).toBe(404);
      // ws leaves a refused handshake to the listener: end it here (terminate() would emit an unhandled error).
      req.destroy();
    }
    const ws = new WebSocket(`ws://127.0.0.1:${port}/user/alice/ws`, { headers: { host: `alice.hub.test:${port}` } });
    await once(ws, 'open');
    ws.close();
  });

  it("sends unknown hosts to the hub's host", async () => {
    const res = await request('127.0.0.1', 'GET', '/hub/health');
    expect(res.status).toBe(302);
    expect(res.headers.location).toBe(`http://hub.test:${port}/hub/health`);
  });

  it("sends a stopped server's host to the hub's /hub/user/ page on the hub's host", async () => {
    const res = await request('mallory.hub.test', 'GET', '/user/mallory/tree');
    expect(res.status).toBe(302);
    expect(res.headers.location).toBe(`http://hub.test:${port}/hub/user/mallory/tree`);
  });

  it("answers on the hub's host, with server URLs on the users' hosts", async () => {
    const res = await request('hub.test', 'GET', '/hub/api/users/alice', { headers: { authorization: `token ${aliceToken}` } });
    expect(res.status).toBe(200);
    const model = JSON.parse(res.body);
    expect(model.server).toBe(`http://alice.hub.test:${port}/user/alice/`);
    expect(model.servers[''].url).toBe(`http://alice.hub.test:${port}/user/alice/`);
  });

  it("reports the routing table as JupyterHub does with subdomains (host name, then path)", async () => {
    const admin = t.users.ensure('admin', { admin: true });
    const token = createTokenStore(t.hub.db).issue({ userId: admin.id, scopes: ['proxy'], note: 'subdomain test' }).token;
    const res = await request('hub.test', 'GET', '/hub/api/proxy', { headers: { authorization: `token ${token}` } });
    expect(Object.keys(JSON.parse(res.body)).sort()).toEqual(['alice.hub.test/user/alice/', 'u-ab--648fa9b.hub.test/user/a_b/']);
  });

  it("redirects /hub/user/<name>/… of a running server and /hub/user-redirect/… straight to the user's host", async () => {
    const res = await request('hub.test', 'GET', '/hub/user/alice/tree?x=1', { headers: { authorization: `token ${aliceToken}` } });
    expect(res.status).toBe(302);
    expect(res.headers.location).toBe(`http://alice.hub.test:${port}/user/alice/tree?x=1&redirects=1`);
    const shared = await request('hub.test', 'GET', '/hub/user-redirect/notebooks/a.ipynb', { headers: { authorization: `token ${aliceToken}` } });
    expect(shared.status).toBe(302);
    expect(shared.headers.location).toBe(`http://alice.hub.test:${port}/user/alice/notebooks/a.ipynb`);
  });

  it("gives the server JupyterHub's subdomain environment and registers its full callback as the OAuth redirect URI", async () => {
    const { env } = JSON.parse((await request('alice.hub.test', 'GET', '/user/alice/echo')).body) as { env: Record<string, string> };
    expect(env).toMatchObject({
      JUPYTERHUB_HOST: `http://hub.test:${port}`,
      JUPYTERHUB_OAUTH_CALLBACK_URL: `http://alice.hub.test:${port}/user/alice/oauth_callback`,
      JUPYTERHUB_PUBLIC_URL: `http://alice.hub.test:${port}/user/alice/`,
      JUPYTERHUB_PUBLIC_HUB_URL: `http://hub.test:${port}/hub/`,
      JUPYTERHUB_SERVICE_PREFIX: '/user/alice/',
    });
    expect(createOAuthClientStore(t.hub.db).get('jupyterhub-user-alice')?.redirectUri).toBe(`http://alice.hub.test:${port}/user/alice/oauth_callback`);
  });
});
