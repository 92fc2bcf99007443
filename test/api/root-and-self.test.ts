// GET /hub/api[/], /hub/api/info and /hub/api/user: what every single-user server and API client calls first.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiApp, type ApiApp } from '../helpers/api-app.js';

let t: ApiApp;
beforeAll(() => {
  t = createApiApp({ services: [{ name: 'culler', api_token: 'culler-secret-token', scopes: ['list:users', 'read:hub'] }] });
});
afterAll(() => t.close());

describe('GET /hub/api', () => {
  it('answers with and without the trailing slash, unauthenticated, as JupyterHub 5.2.1 (header and body) with CORS', async () => {
    for (const path of ['/hub/api', '/hub/api/']) {
      const res = await t.request(path);
      expect(res.status).toBe(200);
      const body = (await res.json()) as { version: string };
      expect(body.version).toBe('5.2.1');
      expect(res.headers.get('x-jupyterhub-version')).toBe(body.version);
      expect(res.headers.get('access-control-allow-origin')).toBe('*');
      expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    }
  });

  it('sends X-JupyterHub-Version on errors and JSON 404s for unknown API paths', async () => {
    const res = await t.request('/hub/api/no-such-thing');
    expect(res.status).toBe(404);
    expect(res.headers.get('x-jupyterhub-version')).toBe('5.2.1');
    expect(await res.json()).toMatchObject({ status: 404 });
  });

  it('sends X-JupyterHub-Version on every hub answer, pages and their errors included, as JupyterHub does', async () => {
    for (const path of ['/hub/login', '/hub/health', '/hub/no-such-page', '/hub/home']) {
      const res = await t.request(path, { redirect: 'manual' });
      expect(res.headers.get('x-jupyterhub-version'), path).toBe('5.2.1');
    }
  });

  it('answers an unsupported method on a known API path with 405 and Allow, and an unknown path with 404', async () => {
    const token = t.tokenFor('admin', ['inherit'], { admin: true });
    for (const [method, path, allow] of [
      ['PUT', '/hub/api/users', 'GET, HEAD, OPTIONS, POST'],
      ['PUT', '/hub/api/users/alice', 'DELETE, GET, HEAD, OPTIONS, PATCH, POST'],
      ['DELETE', '/hub/api/info', 'GET, HEAD, OPTIONS'],
      ['GET', '/hub/api/shutdown', 'OPTIONS, POST'],
      ['PUT', '/hub/api/users/alice/tokens/a1', 'DELETE, GET, HEAD, OPTIONS'],
    ]) {
      const res = await t.request(path, { method, token });
      expect(res.status, `${method} ${path}`).toBe(405);
      expect(res.headers.get('allow')).toBe(allow);
      expect(res.headers.get('x-jupyterhub-version')).toBe('5.2.1');
      expect(await res.json()).toEqual({ status: 405, message: `Method ${method} is not allowed on ${path}; it takes ${allow}` });
    }
    expect((await t.request('/hub/api/users/alice/nothing-here', { method: 'PUT', token })).status).toBe(404);
  });

  it('answers OPTIONS with 200 and the allowed headers', async () => {
    const res = await t.request('/hub/api/users', { method: 'OPTIONS' });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-headers')).toBe('accept, content-type, authorization');
  });
});

describe('GET /hub/api/info', () => {
  it('needs read:hub', async () => {
    const res = await t.request('/hub/api/info', { token: t.tokenFor('alice') });
    expect(res.status).toBe(403);
    expect((await res.json()).message).toContain('read:hub');
    const ok = await t.request('/hub/api/info', { token: 'culler-secret-token' });
    expect(ok.status).toBe(200);
    const info = await ok.json();
    expect(info).toMatchObject({ version: '5.2.1', spawner: { class: expect.any(String) } });
    // JupyterHub 5's spec: python, sys_executable and the class versions are strings, never null.
    for (const value of [info.python, info.sys_executable, info.spawner.class, info.spawner.version, info.authenticator.class, info.authenticator.version]) {
      expect(typeof value).toBe('string');
    }
  });
});

describe('GET /hub/api/user', () => {
  it('returns 403 (never 401) for a missing, unknown or malformed token', async () => {
    for (const headers of [{}, { Authorization: 'token 0123456789abcdef0123456789abcdef' }, { Authorization: 'Basic abc' }] as Record<string, string>[]) {
      const res = await t.request('/hub/api/user', { headers });
      expect(res.status).toBe(403);
      expect(await res.json()).toEqual({ status: 403, message: 'Missing or invalid credentials.' });
    }
  });

  it('returns the token model with name, kind, admin, groups, scopes, session_id and token_id', async () => {
    const token = t.tokenFor('alice', ['read:servers!user=alice']);
    const res = await t.request('/hub/api/user', { headers: { Authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body).toMatchObject({ kind: 'user', name: 'alice', admin: false, groups: [], session_id: null, token_id: expect.stringMatching(/^a\d+$/) });
    expect(body.scopes).toEqual(['read:servers!user=alice', 'read:users:name!user=alice']);
    expect(body.servers).toEqual({});
    expect(body).not.toHaveProperty('created');
  });

  it("answers an OAuth token for alice's server with JupyterHub 5's RequestIdentity, exactly", async () => {
    const alice = t.deps.users.ensure('alice');
    const { token, row } = t.deps.tokens.issue({ userId: alice.id, sessionId: '5b1c', scopes: ['access:servers!server=alice/', 'read:users:name!user', 'read:users:groups!user'] });
    const res = await t.request('/hub/api/user', { token });
    expect(await res.json()).toEqual({
      kind: 'user', name: 'alice', admin: false, groups: [], session_id: '5b1c', token_id: `a${row.id}`,
      scopes: ['access:servers!server=alice/', 'read:users:groups!user=alice', 'read:users:name!user=alice'],
    });
  });

  it('shows the full model to a token that inherits the owner\'s scopes', async () => {
    const res = await t.request('/hub/api/user', { token: t.tokenFor('alice') });
    const body = await res.json();
    expect(body).toMatchObject({ name: 'alice', roles: ['user'], server: null, pending: null, created: expect.stringMatching(/Z$/) });
    expect(body.scopes).toContain('access:servers!user=alice');
  });

  it('describes a service token as a service', async () => {
    const res = await t.request('/hub/api/user', { token: 'culler-secret-token' });
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body).toMatchObject({ kind: 'service', name: 'culler', admin: false, session_id: null, token_id: expect.stringMatching(/^a\d+$/), scopes: expect.arrayContaining(['list:users', 'read:users:name']) });
    // JupyterHub 5 shows roles only to a token allowed to read them (read:roles:services).
    expect(body).not.toHaveProperty('roles');
  });

  it('accepts ?token= on read-only API calls but never on the OAuth endpoints', async () => {
    const token = t.tokenFor('alice');
    expect((await t.request(`/hub/api/user?token=${token}`)).status).toBe(200);
    expect((await t.request(`/hub/api/users/alice/tokens?token=${token}`, { method: 'POST', body: '{}' })).status).toBe(403);
  });

  it('identifies a signed-in browser by the login cookie', async () => {
    const cookie = await t.signIn('carol');
    const res = await t.request('/hub/api/user', { headers: { Cookie: cookie } });
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body.name).toBe('carol');
    expect(body.session_id).toMatch(/^[0-9a-f]{32}$/);
  });
});
