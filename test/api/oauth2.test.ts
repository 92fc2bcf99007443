// The hub as OAuth provider for single-user servers, at the HTTP level: authorize (login cookie) → code →
// token (form client credentials) → GET /hub/api/user, and every refusal a real client can run into.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { serverClientId } from '../../src/auth/oauth-clients.js';
import { createApiApp, type ApiApp } from '../helpers/api-app.js';

let t: ApiApp;
let serverToken: string;
const CLIENT = serverClientId('alice');
const CALLBACK = '/user/alice/oauth_callback';
const STATE = 'eyJ1dWlkIjogIjEyMyIsICJuZXh0X3VybCI6ICIvdXNlci9hbGljZS90cmVlPyJ9+/=&x';

function authorizeUrl(fields: Record<string, string> = {}): string {
  const q = new URLSearchParams({ client_id: CLIENT, redirect_uri: CALLBACK, response_type: 'code', state: STATE, ...fields });
  return `/hub/api/oauth2/authorize?${q}`;
}

function registerAlice(): void {
  const alice = t.deps.users.ensure('alice');
  serverToken = t.deps.tokens.issue({ userId: alice.id, scopes: ['access:servers!server=alice/', 'users:activity!user=alice'], note: 'Server at /user/alice/' }).token;
  t.deps.oauthClients.register({
    identifier: CLIENT, secret: serverToken, redirectUri: CALLBACK, description: 'Server at /user/alice/', allowedScopes: ['access:servers!server=alice/'],
  });
}

async function authorize(cookie: string, fields: Record<string, string> = {}): Promise<Response> {
  return t.request(authorizeUrl(fields), { headers: { Cookie: cookie } });
}

function exchange(code: string, fields: Record<string, string> = {}): Promise<Response> {
  const form = new URLSearchParams({ client_id: CLIENT, client_secret: serverToken, grant_type: 'authorization_code', code, redirect_uri: CALLBACK, ...fields });
  // Real single-user servers also send their own token in the Authorization header; the endpoint must ignore it.
  return t.request('/hub/api/oauth2/token', {
    method: 'POST', body: form.toString(), headers: { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: `token ${serverToken}` },
  });
}

function codeOf(res: Response): string {
  const location = new URL(res.headers.get('location')!, 'http://x');
  return location.searchParams.get('code')!;
}

// A fresh app per test: tests count the codes and tokens in the database and remove alice's client.
beforeEach(() => {
  t = createApiApp({ auth: { admin_users: ['admin'] } });
  registerAlice();
});
afterEach(() => t.close());

describe('the authorization-code flow', () => {
  it('runs authorize → code → token → /hub/api/user for alice on her own server without a consent page', async () => {
    const cookie = await t.signIn('alice');
    const res = await authorize(cookie);
    expect(res.status).toBe(302);
    const location = new URL(res.headers.get('location')!, 'http://x');
    expect(location.pathname).toBe(CALLBACK);
    expect(location.searchParams.get('state')).toBe(STATE);
    const code = location.searchParams.get('code')!;
    expect(code).toMatch(/^[A-Za-z0-9]{30}$/);
    expect(JSON.stringify(t.db.$client.prepare('SELECT * FROM oauth_codes').all())).not.toContain(code);

    const tokenRes = await exchange(code);
    expect(tokenRes.status).toBe(200);
    expect(tokenRes.headers.get('cache-control')).toBe('no-store');
    const grant = await tokenRes.json();
    expect(grant).toMatchObject({ token_type: 'Bearer', expires_in: expect.any(Number) });
    expect(grant.access_token).toMatch(/^[A-Za-z0-9]{30}$/);
    expect(grant.scope.split(' ')).toContain('access:servers!server=alice/');

    const me = await t.request('/hub/api/user', { token: grant.access_token });
    expect(me.status).toBe(200);
    const body = await me.json();
    expect(body).toMatchObject({ kind: 'user', name: 'alice', session_id: expect.stringMatching(/^[0-9a-f]{32}$/) });
    expect(body.scopes).toEqual(['access:servers!server=alice/', 'read:users:groups!user=alice', 'read:users:name!user=alice']);
    expect(cookie).toContain(body.session_id);
  });

  it('sends a visitor without a hub login to /hub/login with the authorize URL as next', async () => {
    const res = await t.request(authorizeUrl());
    expect(res.status).toBe(302);
    const location = new URL(res.headers.get('location')!, 'http://x');
    expect(location.pathname).toBe('/hub/login');
    expect(location.searchParams.get('next')).toBe(authorizeUrl());
  });

  it('never takes a token from the query string at the authorize step: only the hub login cookie signs a user in there', async () => {
    const token = t.tokenFor('alice');
    const res = await t.request(`${authorizeUrl()}&token=${token}`);
    expect(res.status).toBe(302);
    expect(new URL(res.headers.get('location')!, 'http://x').pathname).toBe('/hub/login');
    const header = await t.request(authorizeUrl(), { token });
    expect(new URL(header.headers.get('location')!, 'http://x').pathname).toBe('/hub/login');
  });

  it('gives bob 403 at the authorize step for alice\'s server, as a page a browser can show', async () => {
    const res = await authorize(await t.signIn('bob'));
    expect(res.status).toBe(403);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await res.text()).toMatch(/id="error-message">[^<]*\/user\/alice\//);
  });

  it('gives an admin 403 unless hub.admin_access is true, and then asks before signing them in to another user\'s server', async () => {
    t.deps.users.ensure('admin', { admin: true });
    expect((await authorize(await t.signIn('admin'))).status).toBe(403);
    const open = createApiApp({ hub: { admin_access: true } });
    try {
      open.deps.users.ensure('admin', { admin: true });
      open.deps.users.ensure('alice');
      open.deps.oauthClients.register({ identifier: CLIENT, secret: 'x'.repeat(32), redirectUri: CALLBACK, description: 'Server at /user/alice/', allowedScopes: ['access:servers!server=alice/'] });
      const cookie = await open.signIn('admin');
      // Not the admin's own server: a confirmation page first, so a link alone cannot sign the admin in.
      const page = await open.request(authorizeUrl(), { headers: { Cookie: cookie } });
      expect(page.status).toBe(200);
      const html = await page.text();
      expect(html).toContain('belongs to <strong>alice</strong>');
      const xsrf = /name="_xsrf" value="([^"]+)"/.exec(html)?.[1];
      expect(xsrf).toBeDefined();
      const form = { method: 'POST', body: `_xsrf=${encodeURIComponent(xsrf!)}`, headers: { Cookie: cookie, 'Content-Type': 'application/x-www-form-urlencoded' } };
      const crossSite = await open.request(authorizeUrl(), { ...form, body: '', headers: { ...form.headers, 'Sec-Fetch-Site': 'cross-site' } });
      expect(crossSite.status).toBe(403);
      const confirmed = await open.request(authorizeUrl(), form);
      expect(confirmed.status).toBe(302);
      expect(confirmed.headers.get('location')).toMatch(/^\/user\/alice\/oauth_callback\?code=[A-Za-z0-9]{30}&state=/);
    } finally {
      await open.close();
    }
  });

  it('refuses unknown clients, a different redirect_uri and other response types with 400', async () => {
    const cookie = await t.signIn('alice');
    expect((await authorize(cookie, { client_id: 'jupyterhub-user-mallory' })).status).toBe(400);
    expect((await authorize(cookie, { redirect_uri: 'https://evil.example/user/alice/oauth_callback' })).status).toBe(400);
    expect((await authorize(cookie, { redirect_uri: '/user/alice/oauth_callback/x' })).status).toBe(400);
    expect((await authorize(cookie, { response_type: 'token' })).status).toBe(400);
  });
});

describe('the token endpoint', () => {
  it('accepts a code once only', async () => {
    const code = codeOf(await authorize(await t.signIn('alice')));
    expect((await exchange(code)).status).toBe(200);
    const again = await exchange(code);
    expect(again.status).toBe(400);
    expect(await again.json()).toMatchObject({ error: 'invalid_grant' });
  });

  it('refuses a wrong client secret (401 invalid_client), a wrong grant type and a wrong redirect_uri', async () => {
    const code = codeOf(await authorize(await t.signIn('alice')));
    const bad = await exchange(code, { client_secret: 'not-the-secret' });
    expect(bad.status).toBe(401);
    expect(await bad.json()).toMatchObject({ error: 'invalid_client' });
    expect(await (await exchange(code, { grant_type: 'password' })).json()).toMatchObject({ error: 'unsupported_grant_type' });
    expect(await (await exchange(code, { redirect_uri: '/user/alice/other' })).json()).toMatchObject({ error: 'invalid_grant' });
  });

  it('takes the token request as JSON too, and refuses one whose fields are not strings (400 invalid_request naming the field)', async () => {
    const json = (body: unknown) => t.request('/hub/api/oauth2/token', { method: 'POST', body: JSON.stringify(body), headers: { 'Content-Type': 'application/json' } });
    const code = codeOf(await authorize(await t.signIn('alice')));
    const bad = await json({ client_id: CLIENT, client_secret: serverToken, grant_type: 'authorization_code', code: 42 });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ error: 'invalid_request', error_description: 'code must be a string, got 42' });
    const good = await json({ client_id: CLIENT, client_secret: serverToken, grant_type: 'authorization_code', code, redirect_uri: CALLBACK });
    expect(good.status).toBe(200);
    expect(await good.json()).toMatchObject({ token_type: 'Bearer' });
  });

  it('issues codes that live at most five minutes, and refuses an expired code', async () => {
    const cookie = await t.signIn('alice');
    await t.request('/hub/api/'); // the hub has started, so `before` is taken just before the authorize step
    const before = Date.now();
    const code = codeOf(await authorize(cookie));
    const { expires } = t.db.$client.prepare('SELECT max(expires_at) AS expires FROM oauth_codes').get() as { expires: number };
    expect(expires - before).toBeGreaterThan(0);
    expect(expires - before).toBeLessThanOrEqual(5 * 60_000 + 1000);
    t.db.$client.prepare('UPDATE oauth_codes SET expires_at = ?').run(Date.now() - 1000);
    expect(await (await exchange(code)).json()).toMatchObject({ error: 'invalid_grant' });
  });

  it('stops honouring OAuth tokens when the client is removed (server stopped)', async () => {
    const code = codeOf(await authorize(await t.signIn('alice')));
    const { access_token } = await (await exchange(code)).json();
    expect((await t.request('/hub/api/user', { token: access_token })).status).toBe(200);
    t.deps.oauthClients.remove(CLIENT);
    expect((await t.request('/hub/api/user', { token: access_token })).status).toBe(403);
  });
});

describe('bounds on what a server can make the hub store', () => {
  const count = (table: string) => (t.db.$client.prepare(`SELECT count(*) AS n FROM ${table} WHERE client_id = ?`).get(CLIENT) as { n: number }).n;

  it('keeps at most 1,000 OAuth tokens per user and server, revoking the oldest when a new one is issued', async () => {
    const alice = t.deps.users.get('alice')!;
    const oldest = t.deps.tokens.issue({ userId: alice.id, clientId: CLIENT, scopes: ['access:servers!server=alice/'], format: 'oauth' });
    while (count('api_tokens') < 1000) t.deps.tokens.issue({ userId: alice.id, clientId: CLIENT, scopes: ['access:servers!server=alice/'], format: 'oauth' });
    const { access_token } = await (await exchange(codeOf(await authorize(await t.signIn('alice'))))).json();
    expect(count('api_tokens')).toBe(1000);
    expect(t.deps.tokens.find(oldest.token)).toBeNull();
    expect((await t.request('/hub/api/user', { token: access_token })).status).toBe(200);
  });

  it('keeps at most 20 unused codes per user and server: an older one stops working', async () => {
    const cookie = await t.signIn('alice');
    const codes: string[] = [];
    for (let i = 0; i < 21; i++) codes.push(codeOf(await authorize(cookie)));
    expect(count('oauth_codes')).toBe(20);
    expect(await (await exchange(codes[0]!)).json()).toMatchObject({ error: 'invalid_grant' });
    expect((await exchange(codes[20]!)).status).toBe(200);
  });
});

describe('the token endpoint with HTTP Basic client credentials', () => {
  it('accepts Basic as oauthlib does and answers invalid_client for a malformed header', async () => {
    const code = codeOf(await authorize(await t.signIn('alice')));
    const form = new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: CALLBACK }).toString();
    const headers = (auth: string) => ({ 'Content-Type': 'application/x-www-form-urlencoded', Authorization: auth });
    const bad = await t.request('/hub/api/oauth2/token', { method: 'POST', body: form, headers: headers(`Basic ${Buffer.from('%E0%A4%A:x').toString('base64')}`) });
    expect(bad.status).toBe(401);
    const ok = await t.request('/hub/api/oauth2/token', { method: 'POST', body: form, headers: headers(`Basic ${Buffer.from(`${CLIENT}:${serverToken}`).toString('base64')}`) });
    expect(ok.status).toBe(200);
  });
});

// Finding 3: mallory's server asks the hub for a token for whoever opens it, with scopes of its choosing.
describe('grants bounded by the client', () => {
  const MALLORY = serverClientId('mallory');
  const MALLORY_CALLBACK = '/user/mallory/oauth_callback';
  const ASKED = 'admin:users tokens servers self read:users list:users';

  /** A hub where mallory's server runs and registered its client as src/servers/ does. */
  function hubWithMallory(adminAccess: boolean): { hub: ApiApp; secret: string } {
    const hub = createApiApp({ hub: { admin_access: adminAccess }, auth: { admin_users: ['alice'] } });
    hub.deps.users.ensure('alice', { admin: true });
    const mallory = hub.deps.users.ensure('mallory');
    const secret = hub.deps.tokens.issue({ userId: mallory.id, scopes: ['access:servers!server=mallory/', 'users:activity!user=mallory'], note: 'Server at /user/mallory/' }).token;
    hub.deps.oauthClients.register({
      identifier: MALLORY, secret, redirectUri: MALLORY_CALLBACK, description: 'Server at /user/mallory/', allowedScopes: ['access:servers!server=mallory/'],
    });
    return { hub, secret };
  }

  function malloryAuthorizeUrl(): string {
    const q = new URLSearchParams({ client_id: MALLORY, redirect_uri: MALLORY_CALLBACK, response_type: 'code', state: 's', scope: ASKED });
    return `/hub/api/oauth2/authorize?${q}`;
  }

  /** Runs the whole flow as the visitor (confirming the consent page when one is shown); answers the access token. */
  async function tokenFor(hub: ApiApp, secret: string, cookie: string): Promise<string> {
    let res = await hub.request(malloryAuthorizeUrl(), { headers: { Cookie: cookie } });
    if (res.status === 200) {
      const xsrf = /name="_xsrf" value="([^"]+)"/.exec(await res.text())![1]!;
      res = await hub.request(malloryAuthorizeUrl(), {
        method: 'POST', body: `_xsrf=${encodeURIComponent(xsrf)}`, headers: { Cookie: cookie, 'Content-Type': 'application/x-www-form-urlencoded' },
      });
    }
    expect(res.status).toBe(302);
    const code = codeOf(res);
    const form = new URLSearchParams({ client_id: MALLORY, client_secret: secret, grant_type: 'authorization_code', code, redirect_uri: MALLORY_CALLBACK });
    const grant = await hub.request('/hub/api/oauth2/token', { method: 'POST', body: form.toString(), headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
    expect(grant.status).toBe(200);
    return (await grant.json()).access_token;
  }

  /** What a page on mallory's server would try with the visitor's token. */
  async function expectPowerless(hub: ApiApp, token: string, visitor: string): Promise<void> {
    const json = (method: string, body: unknown) => ({ method, body: JSON.stringify(body), headers: { 'Content-Type': 'application/json' }, token });
    expect((await hub.request('/hub/api/users/mallory', json('PATCH', { admin: true }))).status).toBe(403);
    expect(hub.deps.users.get('mallory')!.admin).toBe(false);
    expect((await hub.request('/hub/api/users', { token })).status).toBe(403);
    expect((await hub.request(`/hub/api/users/${visitor}/tokens`, json('POST', {}))).status).toBe(403);
    expect((await hub.request(`/hub/api/users/${visitor}/server`, { method: 'DELETE', token })).status).toBe(403);
  }

  it('gives an admin who opens mallory\'s server (admin_access on) only access to that server and her own name and groups', async () => {
    const { hub, secret } = hubWithMallory(true);
    try {
      const token = await tokenFor(hub, secret, await hub.signIn('alice'));
      const me = await (await hub.request('/hub/api/user', { token })).json();
      expect(me).toMatchObject({ name: 'alice' });
      expect(me.scopes).toEqual(['access:servers!server=mallory/', 'read:users:groups!user=alice', 'read:users:name!user=alice']);
      await expectPowerless(hub, token, 'alice');
    } finally {
      await hub.close();
    }
  });

  it('gives mallory on her own server (admin_access off) only access and identity, whatever the server asks for', async () => {
    const { hub, secret } = hubWithMallory(false);
    try {
      // An admin without admin_access cannot open mallory's server at all.
      expect((await hub.request(malloryAuthorizeUrl(), { headers: { Cookie: await hub.signIn('alice') } })).status).toBe(403);
      const token = await tokenFor(hub, secret, await hub.signIn('mallory'));
      const me = await (await hub.request('/hub/api/user', { token })).json();
      expect(me.scopes).toEqual(['access:servers!server=mallory/', 'read:users:groups!user=mallory', 'read:users:name!user=mallory']);
      await expectPowerless(hub, token, 'mallory');
    } finally {
      await hub.close();
    }
  });

  it('lists on the consent page what will be granted, and nothing the client asked for beyond it', async () => {
    const { hub } = hubWithMallory(true);
    try {
      const page = await hub.request(malloryAuthorizeUrl(), { headers: { Cookie: await hub.signIn('alice') } });
      expect(page.status).toBe(200);
      const html = await page.text();
      const granted = [...html.matchAll(/<li data-scope="([^"]+)">([^<]*)<\/li>/g)].map((m) => [m[1], m[2]!.replace(/&#39;/g, "'")]);
      expect(granted).toEqual([
        ['access:servers!server=mallory/', 'Access user servers via the API or browser. Applies to server mallory/.'],
        ['read:users:groups!user=alice', "Read users' group membership. Applies to only you."],
        ['read:users:name!user=alice', 'Read names of users. Applies to only you.'],
      ]);
      expect(html).not.toContain('Read, write, create and delete users');
    } finally {
      await hub.close();
    }
  });
});
