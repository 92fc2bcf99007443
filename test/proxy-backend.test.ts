// The proxy in front of a real server container (berth/backend:test on a private test network): full paths,
// X-Forwarded-*, the hub cookie withheld, 50 MB each way streamed intact, and WebSocket echo.
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import { once } from 'node:events';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startProxy, type ProxyHarness } from './helpers/proxy-harness.js';

const docker = new Docker();
const run = randomBytes(4).toString('hex');
const network = `berth-test-${run}`;
const labels = { 'berth.test': 'true', 'berth.test-run': run };
const MB = 1024 * 1024;

let proxy: ProxyHarness;
let container: Docker.Container;

beforeAll(async () => {
  await docker.createNetwork({ Name: network, Labels: labels, CheckDuplicate: true });
  container = await docker.createContainer({
    Image: 'berth/backend:test',
    name: `berth-test-backend-${run}`,
    Labels: labels,
    HostConfig: { NetworkMode: network },
  });
  await container.start();
  const info = await container.inspect();
  const ip = info.NetworkSettings.Networks[network].IPAddress;
  const target = `http://${ip}:8888`;
  for (let i = 0; ; i++) {
    const up = await fetch(`${target}/ready/echo`).then((r) => r.ok, () => false);
    if (up) break;
    if (i > 100) throw new Error(`backend container at ${target} did not answer within 20 s`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  proxy = await startProxy();
  proxy.targets.set('alice', target);
});

afterAll(async () => {
  await proxy?.close();
  await container?.remove({ force: true }).catch(() => undefined);
  await docker.getNetwork(network).remove().catch(() => undefined);
});

async function echo(path: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${proxy.url}${path}`, { headers });
  expect(res.status).toBe(200);
  return (await res.json()) as { method: string; path: string; query: string; headers: Record<string, string> };
}

describe('HTTP through the proxy', () => {
  it('reaches the server with the full /user/<name>/ path and query unchanged', async () => {
    const got = await echo('/user/alice/lab/tree/some%20dir/echo?reset=1&x=%2F');
    expect(got.path).toBe('/user/alice/lab/tree/some%20dir/echo');
    expect(got.query).toBe('reset=1&x=%2F');
    expect(proxy.activity).toContain('alice');
  });

  it('adds X-Forwarded-For, -Proto, -Host and -Port', async () => {
    const { headers } = await echo('/user/alice/echo');
    expect(headers).toMatchObject({
      'x-forwarded-for': '127.0.0.1',
      'x-forwarded-proto': 'http',
      'x-forwarded-host': `127.0.0.1:${proxy.port}`,
      'x-forwarded-port': String(proxy.port),
      host: `127.0.0.1:${proxy.port}`,
    });
  });

  it('withholds the hub login cookie and passes the other cookies', async () => {
    const { headers } = await echo('/user/alice/echo', {
      cookie: 'jupyterhub-session-id=sid1; jupyterhub-hub-login=hub-secret; jupyterhub-user-alice=usercookie; _xsrf=2|token',
    });
    expect(headers.cookie).not.toContain('jupyterhub-hub-login');
    expect(headers.cookie).not.toContain('hub-secret');
    expect(headers.cookie).toBe('jupyterhub-session-id=sid1; jupyterhub-user-alice=usercookie; _xsrf=2|token');
  });

  it('streams a 50 MB download intact', async () => {
    const size = 50 * MB;
    const res = await fetch(`${proxy.url}/user/alice/files/bytes/${size}`);
    expect(res.status).toBe(200);
    const hash = createHash('sha256');
    let bytes = 0;
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      hash.update(chunk);
      bytes += chunk.length;
    }
    expect(bytes).toBe(size);
    expect(hash.digest('hex')).toBe(createHash('sha256').update(Buffer.alloc(size)).digest('hex'));
  });

  it('streams a 50 MB upload intact', async () => {
    const body = randomBytes(50 * MB);
    const req = http.request(`${proxy.url}/user/alice/api/contents/upload`, { method: 'POST', headers: { 'content-type': 'application/octet-stream' } });
    const response = once(req, 'response');
    for (let offset = 0; offset < body.length; offset += MB) {
      if (!req.write(body.subarray(offset, offset + MB))) await once(req, 'drain');
    }
    req.end();
    const [res] = (await response) as [http.IncomingMessage];
    let text = '';
    for await (const chunk of res) text += chunk;
    expect(res.statusCode).toBe(200);
    expect(JSON.parse(text)).toEqual({ bytes: body.length, sha256: createHash('sha256').update(body).digest('hex') });
  });
});

describe('WebSockets through the proxy', () => {
  async function connect(): Promise<WebSocket> {
    const ws = new WebSocket(`ws://127.0.0.1:${proxy.port}/user/alice/api/kernels/k1/channels`, {
      headers: { cookie: 'jupyterhub-hub-login=hub-secret' },
      maxPayload: 64 * MB,
    });
    await once(ws, 'open');
    return ws;
  }

  async function roundTrip(ws: WebSocket, data: string | Buffer): Promise<{ data: Buffer; isBinary: boolean }> {
    const reply = once(ws, 'message') as Promise<[Buffer, boolean]>;
    ws.send(data);
    const [got, isBinary] = await reply;
    return { data: got, isBinary };
  }

  it('echoes text and binary messages', async () => {
    const ws = await connect();
    const text = await roundTrip(ws, 'hello kernel ✓');
    expect(text.isBinary).toBe(false);
    expect(text.data.toString()).toBe('hello kernel ✓');
    const bin = Buffer.from([0, 1, 2, 255, 254]);
    const binary = await roundTrip(ws, bin);
    expect(binary.isBinary).toBe(true);
    expect(Buffer.compare(binary.data, bin)).toBe(0);
    ws.close();
    await once(ws, 'close');
  });

  it('echoes a 1 MB message intact', async () => {
    const ws = await connect();
    const big = randomBytes(MB);
    const got = await roundTrip(ws, big);
    expect(got.data.length).toBe(MB);
    expect(createHash('sha256').update(got.data).digest('hex')).toBe(createHash('sha256').update(big).digest('hex'));
    ws.close();
    await once(ws, 'close');
  });
});
