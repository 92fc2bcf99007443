// Metrics and usage of a whole hub with real containers: traffic through the public port moves the proxy thread's
// counters in /hub/metrics, and a server that burns CPU and holds memory shows both in /hub/api/usage, sampled from
// the engine's container stats.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startTestHub, type TestHub } from './helpers/test-hub.js';
import { parsePrometheusText, sampleValue } from './helpers/prometheus-text.js';
import { waitFor } from './helpers/wait-for.js';

let t: TestHub;

beforeAll(async () => {
  t = await startTestHub({ hub: { authenticate_prometheus: false } });
  t.users.ensure('alice');
  expect(await t.hub.servers.start('alice')).toBe('started');
});
afterAll(() => t?.cleanup());

async function scrape() {
  const res = await fetch(`${t.url}/hub/metrics`);
  expect(res.status).toBe(200);
  return parsePrometheusText(await res.text());
}

describe('metrics and usage of real servers', () => {
  it("counts a spawn, and proxied requests, bytes, connections and a WebSocket upgrade in the proxy's metrics", async () => {
    const before = await scrape();
    expect(sampleValue(before, 'jupyterhub_server_spawn_duration_seconds_count', { status: 'success' })).toBe(1);
    expect(sampleValue(before, 'jupyterhub_running_servers')).toBe(1);
    const value = (m: typeof before, name: string, labels: Record<string, string> = {}) => sampleValue(m, name, labels) ?? 0;

    for (let i = 0; i < 5; i++) expect((await fetch(`${t.url}/user/alice/echo`)).status).toBe(200);
    const ws = new WebSocket(`${t.url.replace('http', 'ws')}/user/alice/ws`);
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    ws.send('hello through the proxy');
    await new Promise((resolve) => ws.once('message', resolve));

    const during = await scrape();
    // The scrapes themselves are proxied hub requests too, so at least the five to alice's server were added.
    expect(value(during, 'berth_proxy_requests_total', { code: '2xx' })).toBeGreaterThanOrEqual(value(before, 'berth_proxy_requests_total', { code: '2xx' }) + 5);
    expect(value(during, 'berth_proxy_websocket_upgrades_total')).toBe(value(before, 'berth_proxy_websocket_upgrades_total') + 1);
    expect(value(during, 'berth_proxy_requests_total', { code: '1xx' })).toBe(value(before, 'berth_proxy_requests_total', { code: '1xx' }) + 1);
    expect(value(during, 'berth_proxy_open_connections')).toBeGreaterThanOrEqual(1);
    expect(value(during, 'berth_proxy_received_bytes_total')).toBeGreaterThan(value(before, 'berth_proxy_received_bytes_total') + 5 * 'GET /user/alice/echo'.length);
    expect(value(during, 'berth_proxy_sent_bytes_total')).toBeGreaterThan(value(before, 'berth_proxy_sent_bytes_total'));
    ws.close();
  });

  it('samples CPU seconds and peak memory of a running container into the usage report', async () => {
    const containerId = t.hub.servers.get('alice')!.containerId!;
    // About 1.5 s of CPU, then 200 MiB held for a while: what a notebook doing work looks like to the engine.
    const exec = await t.docker.getContainer(containerId).exec({
      Cmd: ['python3', '-c', 'import time\nb = bytearray(200 * 2**20)\nfor i in range(0, len(b), 4096): b[i] = 1\nt = time.process_time()\nwhile time.process_time() - t < 1.5: pass\ntime.sleep(60)'],
      AttachStdout: false,
      AttachStderr: false,
    });
    await exec.start({ Detach: true });
    const admin = t.hub.stores.tokens.issue({ userId: t.users.ensure('admin', { admin: true }).id, scopes: ['inherit'], note: 'test' }).token;
    const report = await waitFor(async () => {
      await t.hub.usage.sample();
      const res = await fetch(`${t.url}/hub/api/usage`, { headers: { Authorization: `token ${admin}` } });
      const body = (await res.json()) as { users: { name: string; server_hours: number; cpu_seconds: number; peak_memory_bytes: number }[] };
      const alice = body.users.find((u) => u.name === 'alice')!;
      expect(alice.cpu_seconds).toBeGreaterThanOrEqual(1.5);
      expect(alice.peak_memory_bytes).toBeGreaterThanOrEqual(200 * 2 ** 20);
      return alice;
    }, { timeoutMs: 60_000, intervalMs: 500 });
    expect(report.server_hours).toBeGreaterThan(0);
  });
});
