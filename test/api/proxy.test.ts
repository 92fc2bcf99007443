// /hub/api/proxy: the routes of running servers and hub.yaml services in JupyterHub's shape, and the re-sync calls.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiApp, type ApiApp } from '../helpers/api-app.js';

let t: ApiApp;
beforeAll(async () => {
  t = createApiApp();
  for (const n of ['alice', 'bob', 'carol']) t.deps.users.ensure(n);
  await t.startServer('alice');
  await t.startServer('bob', { hold: true });
});
afterAll(() => t.close());

describe('GET /hub/api/proxy', () => {
  it('lists a route per running server with its target and data', async () => {
    const res = await t.request('/hub/api/proxy', { token: t.tokenFor('admin', ['inherit'], { admin: true }) });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      '/user/alice/': { routespec: '/user/alice/', target: t.spawner.containerOf('alice')!.url, data: { user: 'alice', server_name: '' } },
    });
  });

  it('wraps the routes in the pagination envelope when asked', async () => {
    const res = await t.request('/hub/api/proxy', { token: t.tokenFor('admin', ['inherit'], { admin: true }), headers: { Accept: 'application/jupyterhub-pagination+json' } });
    expect(await res.json()).toMatchObject({ items: { '/user/alice/': { target: t.spawner.containerOf('alice')!.url } }, _pagination: { total: 1, next: null } });
  });

  it('needs the proxy scope', async () => {
    const res = await t.request('/hub/api/proxy', { token: t.tokenFor('carol') });
    expect(res.status).toBe(403);
    expect((await res.json()).message).toBe('Action is not authorized with current scopes; requires any of [proxy]');
  });
});

describe('GET /hub/api/proxy lists every route the proxy has, as JupyterHub 5 does', () => {
  const services = [
    { name: 'grader', url: 'http://10.0.0.5:9000', api_token: 'grader-token-0123456789' },
    { name: 'announcer', url: 'http://announcer.internal:8080/' },
    // No url: nothing to proxy to, so no route (JupyterHub adds a route only for a service with a server).
    { name: 'culler', api_token: 'culler-token-0123456789' },
  ];

  it('with each hub.yaml service that has a url, `/services/<name>/` → its origin, data {service}', async () => {
    const s = createApiApp({ services });
    try {
      const res = await s.request('/hub/api/proxy', { token: s.tokenFor('admin', ['inherit'], { admin: true }) });
      expect(await res.json()).toEqual({
        '/services/announcer/': { routespec: '/services/announcer/', target: 'http://announcer.internal:8080', data: { service: 'announcer' } },
        '/services/grader/': { routespec: '/services/grader/', target: 'http://10.0.0.5:9000', data: { service: 'grader' } },
      });
    } finally {
      await s.close();
    }
  });

  it('with named servers at their own prefixes, sorted by routespec and paged across services and servers', async () => {
    const s = createApiApp({ services, spawner: { allow_named_servers: true }, hub: { base_url: '/jh/' } });
    try {
      await s.startServer('zed');
      s.spawner.behave('zed/work', 'instant');
      expect(await s.hub.servers.start('zed', {}, { server: 'work' })).toBe('started');
      const admin = s.tokenFor('admin', ['inherit'], { admin: true });
      const all = await (await s.request('/jh/hub/api/proxy', { token: admin })).json();
      expect(Object.keys(all)).toEqual(['/jh/services/announcer/', '/jh/services/grader/', '/jh/user/zed/', '/jh/user/zed/work/']);
      expect(all['/jh/user/zed/work/']).toEqual({
        routespec: '/jh/user/zed/work/', target: s.spawner.containerOf('zed/work')!.url, data: { user: 'zed', server_name: 'work' },
      });
      const page = await (await s.request('/jh/hub/api/proxy?offset=1&limit=2', { token: admin, headers: { Accept: 'application/jupyterhub-pagination+json' } })).json();
      expect(Object.keys(page.items)).toEqual(['/jh/services/grader/', '/jh/user/zed/']);
      expect(page._pagination).toMatchObject({ offset: 1, limit: 2, total: 4, next: { offset: 3, limit: 2 } });
    } finally {
      await s.close();
    }
  });

  it("with hub.subdomain_host, a service's routespec leads with its own host", async () => {
    const s = createApiApp({ services, hub: { subdomain_host: 'https://hub.example.org' } });
    try {
      const res = await s.request('/hub/api/proxy', { token: s.tokenFor('admin', ['inherit'], { admin: true }) });
      expect(Object.keys(await res.json())).toEqual(['announcer--service.hub.example.org/services/announcer/', 'grader--service.hub.example.org/services/grader/']);
    } finally {
      await s.close();
    }
  });
});

describe('POST and PATCH /hub/api/proxy (JupyterHub: check the routes)', () => {
  it('re-syncs the routes with the containers that run, answering 200 with an empty body', async () => {
    const s = createApiApp();
    try {
      await s.startServer('dora');
      await s.startServer('eve');
      await s.spawner.die('dora');
      const admin = s.tokenFor('admin', ['inherit'], { admin: true });
      const res = await s.request('/hub/api/proxy', { method: 'POST', token: admin });
      expect(res.status).toBe(200);
      expect(await res.text()).toBe('');
      expect(Object.keys(await (await s.request('/hub/api/proxy', { token: admin })).json())).toEqual(['/user/eve/']);
      expect(s.hub.servers.get('dora')?.status).toBe('stopped');
    } finally {
      await s.close();
    }
  });

  it('takes PATCH with a JSON object (api_url and auth_token have no external proxy to point at), 400 otherwise', async () => {
    const admin = t.tokenFor('admin', ['inherit'], { admin: true });
    const patch = (body: string) => t.request('/hub/api/proxy', { method: 'PATCH', body, headers: { 'Content-Type': 'application/json' }, token: admin });
    const ok = await patch('{"api_url": "http://127.0.0.1:8001", "auth_token": "x"}');
    expect(ok.status).toBe(200);
    expect(await ok.text()).toBe('');
    expect((await patch('{}')).status).toBe(200);
    for (const bad of ['', '[1]', '{"api_url": 5}']) expect((await patch(bad)).status, bad).toBe(400);
    expect((await t.request('/hub/api/proxy', { method: 'POST', token: t.tokenFor('carol') })).status).toBe(403);
  });
});

describe('GET /hub/api/services', () => {
  it('lists hub.yaml services to admins as a dict, and 404s unknown names', async () => {
    const s = createApiApp({ services: [{ name: 'culler', api_token: 'culler-token-abc', scopes: ['list:users'] }] });
    try {
      const admin = s.tokenFor('admin', ['inherit'], { admin: true });
      const res = await s.request('/hub/api/services', { token: admin });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ culler: expect.objectContaining({ kind: 'service', name: 'culler', admin: false, roles: [] }) });
      expect((await s.request('/hub/api/services/culler', { token: admin })).status).toBe(200);
      expect((await s.request('/hub/api/services/nope', { token: admin })).status).toBe(404);
      expect((await s.request('/hub/api/services', { token: s.tokenFor('carol') })).status).toBe(403);
    } finally {
      await s.close();
    }
  });
});
