// hub.yaml services through the public listener, on both lanes: `<base_url>services/<name>/…` reaches the service's
// url with the path unchanged, without the hub's login cookie, and the service may set cookies only under its
// prefix, as a user's server may under its own. Its traffic is nobody's activity. No Docker.
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { startBackend, startProxy, type ProxyHarness } from './helpers/proxy-harness.js';

let proxy: ProxyHarness;
let service: Awaited<ReturnType<typeof startBackend>>;
const seen: { url: string; cookie: string | undefined }[] = [];

beforeAll(async () => {
  service = await startBackend((req, res) => {
    seen.push({ url: req.url ?? '', cookie: req.headers.cookie });
    req.resume();
    req.on('end', () => {
      res.setHeader('Set-Cookie', ['service-grader-oauth-state=s; Path=/services/grader/', 'wide=1; Path=/', 'jupyterhub-hub-login=forged; Path=/hub/', 'elsewhere=1; Path=/user/alice/']);
      res.end(`grader saw ${req.url}`);
    });
  });
  const wss = new WebSocketServer({ server: service.server });
  wss.on('connection', (ws, req) => ws.on('message', (data) => ws.send(`${req.url} ${String(data)}`)));
  proxy = await startProxy();
  proxy.services.set('grader', service.url);
});
afterAll(async () => {
  await proxy?.close();
  await service?.close();
});

/** A GET on the fast lane, or a chunked POST, which the fast lane always hands to node:http. */
function send(lane: 'fast' | 'node', path: string): Promise<{ status: number; body: string; cookies: string[]; location?: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${proxy.url}${path}`, {
      method: lane === 'fast' ? 'GET' : 'POST',
      headers: { Cookie: 'jupyterhub-hub-login=secret-session; _xsrf=x', ...(lane === 'node' ? { 'Transfer-Encoding': 'chunked' } : {}) },
      agent: false,
    }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, cookies: [res.headers['set-cookie'] ?? []].flat(), location: res.headers.location }));
    });
    req.on('error', reject);
    req.end(lane === 'node' ? 'a body' : undefined);
  });
}

describe.each(['fast', 'node'] as const)('a service through the %s lane', (lane) => {
  it('reaches the service with the path and query unchanged and without the hub\'s login cookie', async () => {
    const before = seen.length;
    const res = await send(lane, '/services/grader/page?x=1');
    expect(res.status).toBe(200);
    expect(res.body).toBe('grader saw /services/grader/page?x=1');
    expect(seen[before]).toEqual({ url: '/services/grader/page?x=1', cookie: '_xsrf=x' });
    expect(proxy.activity).toEqual([]);
  });

  it('passes the service\'s cookies under its prefix, narrows one set at / and drops the hub\'s and other prefixes\'', async () => {
    const { cookies } = await send(lane, '/services/grader/');
    expect(cookies).toEqual(['service-grader-oauth-state=s; Path=/services/grader/', 'wide=1; Path=/services/grader/']);
  });

  it('sends a service with no url, and names no service may have, into the hub like any unrouted path', async () => {
    expect(await send(lane, '/services/missing/x')).toMatchObject({ status: 302, location: '/hub/services/missing/x' });
  });
});

it('answers 503 naming the service when its url does not answer, and asks no server state for a check', async () => {
  const dead = await startBackend(() => undefined);
  await dead.close();
  proxy.services.set('gone', dead.url);
  const res = await send('fast', '/services/gone/');
  expect(res.status).toBe(503);
  expect(res.body).toContain('The service gone at /services/gone/ is not answering');
  expect(proxy.unreachable).toEqual([]);
});

it('proxies a WebSocket to the service', async () => {
  const ws = new WebSocket(`${proxy.url.replace('http', 'ws')}/services/grader/ws?y=2`, { headers: { Cookie: 'jupyterhub-hub-login=secret-session' } });
  const reply = await new Promise<string>((resolve, reject) => {
    ws.on('open', () => ws.send('ping'));
    ws.on('message', (data) => resolve(String(data)));
    ws.on('error', reject);
  });
  ws.close();
  expect(reply).toBe('/services/grader/ws?y=2 ping');
  expect(proxy.activity).toEqual([]);
});
