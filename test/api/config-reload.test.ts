// Issue 14, point 1, through the hub's own surface (the fake spawner, no Docker): an edit of hub.yaml saved while
// the hub runs is applied by the hub itself, with no restart — a new allowed user exists, a new catalog label can
// be picked, a new service token answers and a removed one stops — and an invalid edit changes nothing.
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { createApiApp, type ApiApp } from '../helpers/api-app.js';
import { waitFor } from '../helpers/wait-for.js';

const SERVICE_TOKEN = 'reports-token-0123456789';
let t: ApiApp;

/** hub.yaml as the hub started with it (its restart-only keys included, so they do not count as edits), plus `extra`. */
function save(extra: { hub?: object; auth?: object; spawner?: object; services?: object[] } = {}, raw?: string) {
  const text = raw ?? stringify({
    hub: { bind: '127.0.0.1:0', public_url: 'http://127.0.0.1:8000', data_dir: t.config.dataDir, ...extra.hub },
    auth: { admin_users: ['admin'], allowed_users: ['alice'], ...extra.auth },
    spawner: { images: { py: { image: 'berth/singleuser:latest' } }, ...extra.spawner },
    services: extra.services ?? [],
  });
  writeFileSync(t.config.file, text);
}

beforeAll(() => {
  t = createApiApp({ auth: { allowed_users: ['alice'] }, spawner: { images: { py: { image: 'berth/singleuser:latest' } } } });
});
afterAll(() => t.close());

describe('editing hub.yaml while the hub runs', () => {
  it('applies a new allowed user, catalog label and service token as soon as the file is saved', async () => {
    const admin = t.tokenFor('admin', ['inherit'], { admin: true });
    expect((await t.request('/hub/api/users/bob', { token: admin })).status).toBe(404);
    expect((await t.request('/hub/api/user', { token: SERVICE_TOKEN })).status).toBe(403);
    const pick = () => t.request('/hub/api/users/alice', { method: 'PATCH', token: admin, body: JSON.stringify({ image: 'r' }) });
    expect((await pick()).status).toBe(400);

    save({
      auth: { allowed_users: ['alice', 'bob'] },
      spawner: { images: { py: { image: 'berth/singleuser:latest' }, r: { image: 'r-base:4', description: 'R' } } },
      services: [{ name: 'reports', api_token: SERVICE_TOKEN, scopes: ['list:users'] }],
    });
    await waitFor(async () => expect((await t.request('/hub/api/users/bob', { token: admin })).status).toBe(200));
    const service = await t.request('/hub/api/user', { token: SERVICE_TOKEN });
    expect(service.status).toBe(200);
    expect(await service.json()).toMatchObject({ kind: 'service', name: 'reports' });
    expect((await pick()).status).toBe(200);
    expect(t.hub.configReloadProblem()).toBeNull();

    // The service leaves the file: its token stops answering.
    save({ auth: { allowed_users: ['alice', 'bob'] } });
    await waitFor(async () => expect((await t.request('/hub/api/user', { token: SERVICE_TOKEN })).status).toBe(403));
  });

  it('refuses an invalid edit, keeps serving the running config and reports why, until a valid edit applies', async () => {
    const admin = t.tokenFor('admin', ['inherit'], { admin: true });
    save({}, 'auth:\n  admin_users: [admin]\n  allowed_users: [alice, carol]\nspawner:\n  mem_limit: lots\n');
    await waitFor(() => expect(t.hub.configReloadProblem()?.problems).toEqual(['hub.yaml:5:14 spawner.mem_limit: "lots" is not a size (use 512M, 2G…)']));
    expect((await t.request('/hub/api/users/carol', { token: admin })).status).toBe(404);
    expect(t.hub.config.spawner.mem_limit).toBeUndefined();
    // Admins see why on their page, with the line to fix, until a valid edit applies.
    const adminPage = async () => (await t.request('/hub/admin', { headers: { Cookie: await t.signIn('admin') } })).text();
    expect(await adminPage()).toMatch(/id="config-problem"[\s\S]*hub\.yaml:5:14 spawner\.mem_limit: &quot;lots&quot; is not a size/);

    save({ auth: { allowed_users: ['alice', 'carol'] } });
    await waitFor(() => expect(t.hub.configReloadProblem()).toBeNull());
    expect(await adminPage()).not.toContain('id="config-problem"');
    expect((await t.request('/hub/api/users/carol', { token: admin })).status).toBe(200);
  });

  it('routes a service given a url in an edit through the public port, and stops when the url goes', async () => {
    const backend = http.createServer((req, res) => res.end(`dashboard at ${req.url}`));
    await new Promise<void>((resolve) => backend.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(backend.address() as net.AddressInfo).port}`;
    const viaHub = () => fetch(`http://127.0.0.1:${t.hub.address().port}/services/dash/x`);
    try {
      expect((await viaHub()).status).toBe(404);
      save({ services: [{ name: 'dash', url }] });
      await waitFor(async () => expect(await (await viaHub()).text()).toBe('dashboard at /services/dash/x'));
      save({});
      await waitFor(async () => expect((await viaHub()).status).toBe(404));
    } finally {
      backend.close();
    }
  });

  it('sends a new connection cap to the proxy thread, which keeps the connections it holds', async () => {
    await t.request('/hub/api/');
    const port = t.hub.address().port;
    const held = net.connect(port, '127.0.0.1');
    let answer = '';
    held.on('data', (chunk: Buffer) => (answer += chunk.toString()));
    await new Promise((resolve) => held.once('connect', resolve));

    /** A new connection's fate: answered, or closed unanswered (a fresh socket: fetch would reuse a pooled one). */
    const probe = () => new Promise<string>((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => socket.write('GET /hub/api/ HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n'));
      socket.on('data', () => resolve('answered'));
      socket.on('error', () => undefined);
      socket.on('close', () => resolve('refused'));
    });
    expect(await probe()).toBe('answered');
    save({ hub: { max_connections_per_client: 1 } });
    // A second connection from this address is now one too many; the one held is still served.
    await waitFor(async () => expect(await probe()).toBe('refused'));
    held.write('GET /hub/api/ HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    await waitFor(() => expect(answer).toContain('"version"'));
    held.destroy();
    save();
    await waitFor(async () => expect(await probe()).toBe('answered'));
  });

  it('reports a restart-only key instead of applying it', () => {
    save({}, stringify({
      hub: { bind: '127.0.0.1:1', public_url: 'http://127.0.0.1:8000', data_dir: t.config.dataDir },
      auth: { admin_users: ['admin'], allowed_users: ['alice'] },
      spawner: { images: { py: { image: 'berth/singleuser:latest' } } },
    }));
    expect(t.hub.reloadConfig('test')).toMatchObject({ deferred: ['hub.bind'] });
    expect(t.hub.config.hub.bind).toBe('127.0.0.1:0');
  });
});
