// /hub/metrics: Prometheus' text format, read back with a strict parser; JupyterHub's metric names and labels; a
// spawn, a failed spawn and a stop counted; read:metrics required unless hub.authenticate_prometheus is false.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiApp, type ApiApp } from '../helpers/api-app.js';
import { parsePrometheusText, sampleValue, type Family } from '../helpers/prometheus-text.js';

const SCRAPER_TOKEN = 'prometheus-scraper-token-0123456789abcdef';

async function scrape(t: ApiApp, token?: string): Promise<Map<string, Family>> {
  const res = await t.request('/hub/metrics', { token });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return parsePrometheusText(await res.text());
}

describe('the strict Prometheus text parser the metrics tests use', () => {
  it.each([
    ['a sample without a TYPE block', 'x 1\n'],
    ['a bad value', '# TYPE x gauge\nx one\n'],
    ['an unquoted label', '# TYPE x gauge\nx{a=b} 1\n'],
    ['a bad escape', '# TYPE x gauge\nx{a="\\t"} 1\n'],
    ['a duplicate series', '# TYPE x gauge\nx{a="1"} 1\nx{a="1"} 2\n'],
    ['a family in two places', '# TYPE x gauge\nx 1\n# TYPE y gauge\ny 1\n# TYPE x gauge\n'],
    ['a histogram whose +Inf bucket is not its count', '# TYPE h histogram\nh_bucket{le="1"} 1\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 2\n'],
    ['no final newline', '# TYPE x gauge\nx 1'],
  ])('refuses %s', (_what, text) => {
    expect(() => parsePrometheusText(text)).toThrow();
  });
});

describe('GET /hub/metrics', () => {
  let t: ApiApp;
  beforeAll(() => {
    t = createApiApp({ services: [{ name: 'prometheus', api_token: SCRAPER_TOKEN, scopes: ['read:metrics'] }] });
  });
  afterAll(() => t.close());

  it('asks for read:metrics, as JupyterHub does with authenticate_prometheus', async () => {
    expect((await t.request('/hub/metrics')).status).toBe(403);
    const without = await t.request('/hub/metrics', { token: t.tokenFor('mallory', ['read:users']) });
    expect(without.status).toBe(403);
    expect(await without.text()).toContain('read:metrics');
    const api = await t.request('/hub/api/metrics', { token: t.tokenFor('mallory', ['read:users']) });
    expect(api.status).toBe(403);
    expect((await api.json()).message).toContain('read:metrics');
    const scoped = SCRAPER_TOKEN; // a service holding only read:metrics, as a Prometheus server would be
    expect((await t.request('/hub/metrics', { token: scoped })).status).toBe(200);
    expect((await t.request('/hub/api/metrics', { token: scoped })).status).toBe(200);
    expect((await t.request('/hub/metrics', { token: t.tokenFor('admin') })).status).toBe(200); // admins hold it
  });

  it("shows JupyterHub's metrics with their label sets, and the proxy's", async () => {
    const m = await scrape(t, t.tokenFor('admin'));
    for (const [name, type] of [
      ['jupyterhub_total_users', 'gauge'], ['jupyterhub_running_servers', 'gauge'], ['jupyterhub_active_users', 'gauge'],
      ['jupyterhub_server_spawn_duration_seconds', 'histogram'], ['jupyterhub_server_stop_seconds', 'histogram'],
      ['jupyterhub_server_poll_duration_seconds', 'histogram'], ['jupyterhub_request_duration_seconds', 'histogram'],
      ['jupyterhub_check_routes_duration_seconds', 'histogram'], ['jupyterhub_init_spawners_duration_seconds', 'histogram'],
      ['jupyterhub_hub_startup_duration_seconds', 'histogram'],
      ['berth_proxy_requests_total', 'counter'], ['berth_proxy_received_bytes_total', 'counter'], ['berth_proxy_sent_bytes_total', 'counter'],
      ['berth_proxy_open_connections', 'gauge'], ['berth_proxy_backend_errors_total', 'counter'], ['berth_proxy_websocket_upgrades_total', 'counter'],
      ['berth_proxy_threads', 'gauge'],
    ] as const) {
      expect(m.get(name)?.type, name).toBe(type);
    }
    for (const period of ['24h', '7d', '30d']) expect(sampleValue(m, 'jupyterhub_active_users', { period })).toBeTypeOf('number');
    // Statuses exist before anything happened, as JupyterHub creates them.
    for (const status of ['success', 'failure', 'throttled']) expect(sampleValue(m, 'jupyterhub_server_spawn_duration_seconds_count', { status })).toBeTypeOf('number');
    expect(sampleValue(m, 'jupyterhub_init_spawners_duration_seconds_count')).toBe(1);
    expect(sampleValue(m, 'jupyterhub_hub_startup_duration_seconds_count')).toBe(1);
    for (const code of ['1xx', '2xx', '3xx', '4xx', '5xx']) expect(sampleValue(m, 'berth_proxy_requests_total', { code })).toBeTypeOf('number');
    // hub.proxy_threads is unset: one thread serves until load starts another.
    expect(sampleValue(m, 'berth_proxy_threads')).toBe(1);
  });

  it('counts a spawn, a failed spawn and a stop, and the users and running servers', async () => {
    const admin = t.tokenFor('admin');
    const before = await scrape(t, admin);
    const count = (m: Map<string, Family>, name: string, labels: Record<string, string>) => sampleValue(m, name, labels) ?? 0;
    await t.startServer('spawned');
    t.deps.users.ensure('broken');
    t.spawner.behave('broken', { fail: 'no such image' });
    expect((await t.request('/hub/api/users/broken/server', { method: 'POST', token: admin })).status).toBe(500);
    const running = await scrape(t, admin);
    expect(count(running, 'jupyterhub_server_spawn_duration_seconds_count', { status: 'success' }))
      .toBe(count(before, 'jupyterhub_server_spawn_duration_seconds_count', { status: 'success' }) + 1);
    expect(count(running, 'jupyterhub_server_spawn_duration_seconds_count', { status: 'failure' }))
      .toBe(count(before, 'jupyterhub_server_spawn_duration_seconds_count', { status: 'failure' }) + 1);
    expect(sampleValue(running, 'jupyterhub_running_servers')).toBe(1);
    expect(sampleValue(running, 'jupyterhub_total_users')).toBe(t.deps.users.count());
    expect((await t.request('/hub/api/no-such-thing-for-mallory', { token: admin })).status).toBe(404);
    // The request that started the failing server, labelled by its route, not by the user's name.
    expect(count(running, 'jupyterhub_request_duration_seconds_count', { method: 'POST', handler: '/hub/api/users/:name/server', code: '500' })).toBe(1);

    expect((await t.request('/hub/api/users/spawned/server', { method: 'DELETE', token: admin })).status).toBe(204);
    const stopped = await scrape(t, admin);
    expect(count(stopped, 'jupyterhub_server_stop_seconds_count', { status: 'success' }))
      .toBe(count(before, 'jupyterhub_server_stop_seconds_count', { status: 'success' }) + 1);
    expect(sampleValue(stopped, 'jupyterhub_running_servers')).toBe(0);
    // Paths no route knows share one label, so clients cannot grow the metrics with made-up paths.
    expect(count(stopped, 'jupyterhub_request_duration_seconds_count', { method: 'GET', handler: 'unmatched', code: '404' })).toBeGreaterThanOrEqual(1);
    expect(stopped.get('jupyterhub_request_duration_seconds')!.samples.some((x) => x.labels.handler?.includes('mallory'))).toBe(false);
  });

  it('counts users active in the last 24 hours, 7 days and 30 days', async () => {
    const admin = t.tokenFor('admin');
    const before = await scrape(t, admin);
    const day = 86_400_000;
    t.deps.users.ensure('two-days-ago');
    t.deps.users.update('two-days-ago', { lastActivity: new Date(Date.now() - 2 * day) });
    const after = await scrape(t, admin);
    const diff = (period: string) => sampleValue(after, 'jupyterhub_active_users', { period })! - sampleValue(before, 'jupyterhub_active_users', { period })!;
    expect([diff('24h'), diff('7d'), diff('30d')]).toEqual([0, 1, 1]);
  });
});

describe('GET /hub/metrics with hub.authenticate_prometheus: false', () => {
  let t: ApiApp;
  beforeAll(() => {
    t = createApiApp({ hub: { authenticate_prometheus: false } });
  });
  afterAll(() => t.close());

  it('lets anyone scrape', async () => {
    const m = await scrape(t);
    expect(m.get('jupyterhub_total_users')?.type).toBe('gauge');
  });
});
