// /hub/api/users and /hub/api/users/:name: models, status codes, filters, pagination, Berth's image extension.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApiApp, type ApiApp } from '../helpers/api-app.js';

let t: ApiApp;
let admin: string;
const json = (body: unknown) => ({ method: 'POST', body: JSON.stringify(body), headers: { 'Content-Type': 'application/json' } });
const PAGED = { Accept: 'application/jupyterhub-pagination+json' };

// A fresh app per test: the list tests count and order every user, which other tests add to and delete.
beforeEach(async () => {
  t = createApiApp({
    spawner: { image: 'img/default:1', images: { default: { image: 'img/default:1' }, gpu: { image: 'img/gpu:1' } } },
    users: { pinned: { image: 'gpu' } },
    services: [{ name: 'lister', api_token: 'lister-token-1', scopes: ['list:users!user=u1'] }],
  });
  admin = t.tokenFor('admin', ['inherit'], { admin: true });
  for (const name of ['u1', 'u2', 'u3', 'u4', 'u5']) t.deps.users.ensure(name);
  await t.startServer('u2');
  await t.startServer('u3', { hold: true });
});
afterEach(() => t.close());

describe('GET /hub/api/users', () => {
  it('returns a bare list of user models without the pagination header', async () => {
    const res = await t.request('/hub/api/users', { token: admin });
    expect(res.status).toBe(200);
    const list = await res.json();
    expect(Array.isArray(list)).toBe(true);
    const u2 = list.find((u: { name: string }) => u.name === 'u2');
    expect(u2).toMatchObject({ kind: 'user', name: 'u2', admin: false, roles: ['user'], groups: [], server: '/user/u2/', pending: null });
    expect(u2.servers['']).toMatchObject({ name: '', ready: true, pending: null, url: '/user/u2/', progress_url: '/hub/api/users/u2/server/progress', user_options: {} });
    expect(u2.servers[''].started).toMatch(/Z$/);
    expect(u2.last_activity).toMatch(/Z$/);
    expect(list.find((u: { name: string }) => u.name === 'u1').servers).toEqual({});
  });

  it('pages with the envelope and an absolute next.url that can be followed verbatim', async () => {
    const names: string[] = [];
    let url: string | null = 'http://127.0.0.1:8000/hub/api/users?limit=2';
    let pages = 0;
    while (url) {
      expect(url.startsWith('http://127.0.0.1:8000/hub/api/users?')).toBe(true);
      const res = await t.app.request(url, { headers: { ...PAGED, Authorization: `token ${admin}` } });
      const body = await res.json();
      expect(body._pagination).toMatchObject({ limit: 2, total: 6 });
      names.push(...body.items.map((u: { name: string }) => u.name));
      url = body._pagination.next?.url ?? null;
      pages++;
    }
    expect(pages).toBe(3);
    expect(names).toEqual(['admin', 'u1', 'u2', 'u3', 'u4', 'u5']);
  });

  it('filters by state=active|inactive|ready and refuses other states', async () => {
    const names = async (q: string) => ((await (await t.request(`/hub/api/users?${q}`, { token: admin })).json()) as { name: string }[]).map((u) => u.name);
    expect(await names('state=ready')).toEqual(['u2']);
    expect(await names('state=active')).toEqual(['u2', 'u3']);
    expect(await names('state=inactive')).toEqual(['admin', 'u1', 'u4', 'u5']);
    expect((await t.request('/hub/api/users?state=bogus', { token: admin })).status).toBe(400);
  });

  it('filters by name, sorts, and rejects bad offsets, limits and sort keys', async () => {
    const res = await t.request('/hub/api/users?name_filter=U&sort=-name&limit=2&offset=1', { token: admin });
    expect(((await res.json()) as { name: string }[]).map((u) => u.name)).toEqual(['u4', 'u3']);
    expect((await t.request('/hub/api/users?limit=abc', { token: admin })).status).toBe(400);
    expect((await t.request('/hub/api/users?sort=colour', { token: admin })).status).toBe(400);
  });

  it('caps the bare list at 200 and the envelope default at 50', async () => {
    const res = await t.request('/hub/api/users?limit=5000', { token: admin, headers: PAGED });
    expect((await res.json())._pagination.limit).toBe(200);
    const def = await t.request('/hub/api/users', { token: admin, headers: PAGED });
    expect((await def.json())._pagination.limit).toBe(50);
  });

  it('lists only the users a filtered list:users covers, and 403s without list:users', async () => {
    const list = await (await t.request('/hub/api/users', { token: 'lister-token-1' })).json();
    expect(list.map((u: { name: string }) => u.name)).toEqual(['u1']);
    expect(list[0]).toEqual({ kind: 'user', name: 'u1', admin: false });
    const res = await t.request('/hub/api/users', { token: t.tokenFor('u1', ['read:users!user=u1']) });
    expect(res.status).toBe(403);
    expect((await res.json()).message).toContain('list:users');
  });
});

describe('POST /hub/api/users', () => {
  it('creates users in bulk (201), skips existing ones, and answers 409 when all exist', async () => {
    const res = await t.request('/hub/api/users', { ...json({ usernames: ['new1', 'new2', 'u1'] }), token: admin });
    expect(res.status).toBe(201);
    expect(((await res.json()) as { name: string }[]).map((u) => u.name)).toEqual(['new1', 'new2']);
    expect(t.deps.users.get('new1')?.addedByAdmin).toBe(true);
    expect((await t.request('/hub/api/users', { ...json({ usernames: ['new1', 'u1'] }), token: admin })).status).toBe(409);
  });

  it('refuses invalid names and empty lists with 400', async () => {
    expect((await t.request('/hub/api/users', { ...json({ usernames: ['Bad Name!'] }), token: admin })).status).toBe(400);
    expect((await t.request('/hub/api/users', { ...json({ usernames: [] }), token: admin })).status).toBe(400);
    expect((await t.request('/hub/api/users', { ...json({}), token: admin })).status).toBe(400);
  });

  it('lets a non-admin with admin:users create users but not admins (403)', async () => {
    const manager = t.tokenFor('manager');
    // A user cannot hold admin:users without being admin; a service can.
    const svc = createApiApp({ services: [{ name: 'mgr', api_token: 'mgr-token-123', scopes: ['admin:users'] }] });
    try {
      expect((await svc.request('/hub/api/users', { ...json({ usernames: ['x1'], admin: true }), token: 'mgr-token-123' })).status).toBe(403);
      expect((await svc.request('/hub/api/users', { ...json({ usernames: ['x1'] }), token: 'mgr-token-123' })).status).toBe(201);
    } finally {
      await svc.close();
    }
    const res = await t.request('/hub/api/users', { ...json({ usernames: ['x2'] }), token: manager });
    expect(res.status).toBe(403);
    expect((await res.json()).message).toContain('admin:users');
  });
});

describe('/hub/api/users/:name', () => {
  it('GET returns the model, 404 for an unknown user, and 404 (not 403) when the scope covers only others', async () => {
    const res = await t.request('/hub/api/users/u2', { token: admin });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ name: 'u2', image: { label: 'default', source: 'default' } });
    expect((await t.request('/hub/api/users/nobody', { token: admin })).status).toBe(404);
    const own = t.tokenFor('u1');
    const other = await t.request('/hub/api/users/u2', { token: own });
    expect(other.status).toBe(404);
    expect(await other.json()).toEqual({ status: 404, message: 'No access to resources or resources not found' });
    expect((await t.request('/hub/api/users/u1', { token: own })).status).toBe(200);
  });

  it('URL-decodes the name in the path (/users/a%40b.c is a@b.c)', async () => {
    t.deps.users.ensure('a@b.c');
    const res = await t.request('/hub/api/users/a%40b.c', { token: admin });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ name: 'a@b.c' });
  });

  it('GET shows stopped servers only with include_stopped_servers', async () => {
    expect((await (await t.request('/hub/api/users/u1', { token: admin })).json()).servers).toEqual({});
    const res = await t.request('/hub/api/users/u1?include_stopped_servers', { token: admin });
    expect((await res.json()).servers).toEqual({ '': expect.objectContaining({ name: '', ready: false, stopped: true, started: null }) });
  });

  it('POST creates one user (201) and answers 409 when it exists', async () => {
    expect((await t.request('/hub/api/users/solo', { method: 'POST', token: admin })).status).toBe(201);
    expect((await t.request('/hub/api/users/solo', { method: 'POST', token: admin })).status).toBe(409);
  });

  it('PATCH changes admin and name, and 400s a taken name', async () => {
    t.deps.users.ensure('renameme');
    const res = await t.request('/hub/api/users/renameme', { ...json({ name: 'renamed', admin: true }), method: 'PATCH', token: admin });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ name: 'renamed', admin: true });
    expect((await t.request('/hub/api/users/renamed', { ...json({ name: 'u1' }), method: 'PATCH', token: admin })).status).toBe(400);
  });

  it('PATCH image sets the admin\'s per-user choice; null clears it; labels outside the catalog are 400', async () => {
    const set = await t.request('/hub/api/users/u4', { ...json({ image: 'gpu' }), method: 'PATCH', token: admin });
    expect(await set.json()).toMatchObject({ image: { label: 'gpu', source: 'admin' } });
    expect(t.deps.users.get('u4')?.adminImage).toBe('gpu');
    expect((await t.request('/hub/api/users/u4', { ...json({ image: 'img/gpu:1' }), method: 'PATCH', token: admin })).status).toBe(400);
    const cleared = await t.request('/hub/api/users/u4', { ...json({ image: null }), method: 'PATCH', token: admin });
    expect(await cleared.json()).toMatchObject({ image: { label: 'default', source: 'default' } });
  });

  it('PATCH refuses an image named like an Object.prototype key, so the API never shows a choice the spawner ignores', async () => {
    for (const image of ['constructor', 'toString', '__proto__']) {
      const res = await t.request('/hub/api/users/u4', { ...json({ image }), method: 'PATCH', token: admin });
      expect(res.status, image).toBe(400);
      expect((await res.json()).message).toBe(`image must be a label of spawner.images ("default", "gpu") or null, got ${JSON.stringify(image)}`);
    }
    expect(await (await t.request('/hub/api/users/u4', { token: admin })).json()).toMatchObject({ image: { label: 'default', source: 'default' } });
  });

  it('GET shows a hub.yaml pin as the image source, whatever the admin chose', async () => {
    t.deps.users.ensure('pinned');
    await t.request('/hub/api/users/pinned', { ...json({ image: 'default' }), method: 'PATCH', token: admin });
    expect(await (await t.request('/hub/api/users/pinned', { token: admin })).json()).toMatchObject({ image: { label: 'gpu', source: 'file' } });
  });

  it('GET shows the user\'s own pick as the image source when no pin or admin choice exists', async () => {
    t.deps.users.ensure('picker');
    t.deps.users.update('picker', { userImage: 'gpu' });
    expect(await (await t.request('/hub/api/users/picker', { token: admin })).json()).toMatchObject({ image: { label: 'gpu', source: 'user' } });
  });

  it('answers a body that does not fit with 400 naming the field, and refuses fields outside JupyterHub\'s user model', async () => {
    const message = async (path: string, method: string, body: unknown) =>
      ((await (await t.request(path, { ...json(body), method, token: admin })).json()) as { message: string }).message;
    expect(await message('/hub/api/users/u1', 'PATCH', { admin: 'yes' })).toBe('admin must be true or false, got "yes"');
    expect(await message('/hub/api/users/u1', 'PATCH', { groups: 'staff' })).toBe('groups must be a list of strings, got "staff"');
    expect(await message('/hub/api/users', 'POST', { usernames: ['newbie'], colour: 'red' }))
      .toBe('Unknown fields: colour (allowed: name, admin, groups, roles, auth_state, usernames)');
    expect(await message('/hub/api/users/newbie', 'POST', { admin: 1 })).toBe('admin must be true or false, got 1');
    expect(t.deps.users.get('newbie')).toBeNull();
  });

  it('PATCH refuses a non-boolean admin and unknown fields (400) and unknown users (404)', async () => {
    expect((await t.request('/hub/api/users/u1', { ...json({ admin: 'yes' }), method: 'PATCH', token: admin })).status).toBe(400);
    expect((await t.request('/hub/api/users/u1', { ...json({ colour: 'red' }), method: 'PATCH', token: admin })).status).toBe(400);
    expect((await t.request('/hub/api/users/nobody', { ...json({ admin: false }), method: 'PATCH', token: admin })).status).toBe(404);
    expect(t.deps.users.get('u1')?.admin).toBe(false);
  });

  it('PATCH by a user on themselves is refused', async () => {
    const res = await t.request('/hub/api/users/u5', { ...json({ admin: true }), method: 'PATCH', token: t.tokenFor('u5') });
    expect(res.status).toBe(403);
    expect((await res.json()).message).toContain('admin:users');
  });

  it('DELETE removes a user (204), refuses while the server runs (400), and 404s the unknown', async () => {
    expect((await t.request('/hub/api/users/u2', { method: 'DELETE', token: admin })).status).toBe(400);
    expect(t.deps.users.get('u2')).not.toBeNull();
    expect((await t.request('/hub/api/users/u5', { method: 'DELETE', token: admin })).status).toBe(204);
    expect(t.deps.users.get('u5')).toBeNull();
    expect((await t.request('/hub/api/users/u5', { method: 'DELETE', token: admin })).status).toBe(404);
  });

  it('DELETE refuses to delete the caller themselves (400)', async () => {
    const res = await t.request('/hub/api/users/admin', { method: 'DELETE', token: admin });
    expect(res.status).toBe(400);
    expect((await res.json()).message).toBe('Cannot delete yourself');
    expect(t.deps.users.get('admin')).not.toBeNull();
  });
});

describe('POST /hub/api/users/:name/activity', () => {
  const server = (token: string) => t.deps.tokens.find(token);
  it('moves last_activity forward only, with the server token (users:activity!user)', async () => {
    const user = t.deps.users.ensure('act');
    const { token } = t.deps.tokens.issue({ userId: user.id, scopes: ['users:activity!user=act', 'access:servers!server=act/'], note: 'Server at /user/act/' });
    expect(server(token)).not.toBeNull();
    const post = (body: unknown) => t.request('/hub/api/users/act/activity', { ...json(body), token });
    const ts = '2026-01-02T03:04:05.678000Z';
    const res = await post({ servers: { '': { last_activity: ts } }, last_activity: ts });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('');
    expect(t.deps.users.get('act')?.lastActivity?.toISOString()).toBe('2026-01-02T03:04:05.678Z');
    expect((await post({ last_activity: '2025-01-01T00:00:00Z' })).status).toBe(200);
    expect(t.deps.users.get('act')?.lastActivity?.toISOString()).toBe('2026-01-02T03:04:05.678Z');
  });

  it('rejects bad bodies, unknown servers and timestamps in the future with 400', async () => {
    const token = t.tokenFor('act2', ['users:activity!user=act2']);
    const post = (body: unknown) => t.request('/hub/api/users/act2/activity', { ...json(body), token });
    expect((await post({})).status).toBe(400);
    expect((await post([1])).status).toBe(400);
    expect((await post({ servers: { gpu: { last_activity: '2026-01-01T00:00:00Z' } } })).status).toBe(400);
    expect((await post({ last_activity: 'yesterday' })).status).toBe(400);
    expect((await post({ last_activity: new Date(Date.now() + 2 * 3600_000).toISOString() })).status).toBe(400);
  });

  it('refuses another user\'s activity (404 filtered) and unauthenticated calls (403)', async () => {
    t.deps.users.ensure('act');
    const token = t.tokenFor('act3', ['users:activity!user=act3']);
    expect((await t.request('/hub/api/users/act/activity', { ...json({ last_activity: '2026-01-01T00:00:00Z' }), token })).status).toBe(404);
    expect((await t.request('/hub/api/users/act/activity', json({ last_activity: '2026-01-01T00:00:00Z' }))).status).toBe(403);
  });
});

describe('/hub/api/users/:name/server for a user who does not exist', () => {
  it('answers 404 to start, stop and progress', async () => {
    for (const [method, path] of [['POST', '/server'], ['DELETE', '/server'], ['GET', '/server/progress']] as const) {
      const res = await t.request(`/hub/api/users/nobody${path}`, { method, token: admin });
      expect(res.status, `${method} ${path}`).toBe(404);
      expect((await res.json()).message).toBe('No such user: nobody');
    }
  });
});
