// GET /hub/api/proxy: the routes of running servers, for clients that read configurable-http-proxy's table.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiApp, runningServer, type ApiApp } from '../helpers/api-app.js';

let t: ApiApp;
beforeAll(() => {
  t = createApiApp();
  for (const n of ['alice', 'bob', 'carol']) t.deps.users.ensure(n);
  t.servers.set('alice', runningServer('alice'));
  t.servers.set('bob', runningServer('bob', { status: 'spawning', ready: false, pending: 'spawn' }));
});
afterAll(() => t.close());

describe('GET /hub/api/proxy', () => {
  it('lists a route per running server with its target and data', async () => {
    const res = await t.request('/hub/api/proxy', { token: t.tokenFor('admin', ['inherit'], { admin: true }) });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      '/user/alice/': { routespec: '/user/alice/', target: 'http://10.0.0.2:8888', data: { user: 'alice', server_name: '', jupyterhub: true } },
    });
  });

  it('wraps the routes in the pagination envelope when asked', async () => {
    const res = await t.request('/hub/api/proxy', { token: t.tokenFor('admin', ['inherit'], { admin: true }), headers: { Accept: 'application/jupyterhub-pagination+json' } });
    expect(await res.json()).toMatchObject({ items: { '/user/alice/': { target: 'http://10.0.0.2:8888' } }, _pagination: { total: 1, next: null } });
  });

  it('needs the proxy scope', async () => {
    const res = await t.request('/hub/api/proxy', { token: t.tokenFor('carol') });
    expect(res.status).toBe(403);
    expect((await res.json()).message).toBe('Action is not authorized with current scopes; requires any of [proxy]');
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
      s.close();
    }
  });
});
