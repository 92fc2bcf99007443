// The benchmark's nginx path (issue 16 point 1): berth/nginx-proxy:test in front of a container on a bench network,
// reached on loopback as the hub and configurable-http-proxy are. It must carry whole bodies, speak keep-alive
// HTTP/1.1 to the target, and report the CPU its container used.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBenchDocker, type BenchDocker } from '../../bench/lib/docker.js';
import { startNginxProxy, type NginxProxy } from '../../bench/lib/nginx-proxy.js';

let bench: BenchDocker;
let proxy: NginxProxy;

beforeAll(async () => {
  bench = await createBenchDocker();
  const backend = await bench.run('berth/backend:test');
  await bench.waitHttp(`http://${backend.ip}:8888/echo`);
  proxy = await startNginxProxy(bench, `${backend.ip}:8888`, '/user/bench/echo');
}, 180_000);

afterAll(async () => {
  await proxy?.stop();
  await bench?.cleanup();
});

describe('nginx as the benchmark\'s reverse proxy', () => {
  it('listens on loopback and passes the request on with keep-alive HTTP/1.1 and forwarding headers', async () => {
    expect(proxy.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const res = await fetch(`${proxy.url}/user/bench/echo?a=1`, { headers: { Connection: 'close' } });
    expect(res.status).toBe(200);
    const echo = (await res.json()) as { path: string; query: string; headers: Record<string, string> };
    expect(echo.path).toBe('/user/bench/echo');
    expect(echo.query).toBe('a=1');
    // The client's "Connection: close" is not passed on: the upstream connection stays in nginx's keep-alive pool.
    expect(Object.keys(echo.headers).map((h) => h.toLowerCase())).not.toContain('connection');
    const lower = Object.fromEntries(Object.entries(echo.headers).map(([k, v]) => [k.toLowerCase(), v]));
    expect(lower['x-forwarded-for']).toBe('127.0.0.1');
  });

  it('streams a 1 MB answer whole', async () => {
    const res = await fetch(`${proxy.url}/user/bench/bytes/1048576`);
    expect(res.status).toBe(200);
    expect((await res.arrayBuffer()).byteLength).toBe(1048576);
  });

  it('counts the CPU its container spends', async () => {
    const before = await proxy.cpuSeconds();
    for (let i = 0; i < 50; i++) await (await fetch(`${proxy.url}/user/bench/bytes/65536`)).arrayBuffer();
    expect(await proxy.cpuSeconds()).toBeGreaterThan(before);
  });

  it('names the nginx it runs', () => {
    expect(proxy.version).toMatch(/^nginx\/\d+\.\d+/);
  });
});
