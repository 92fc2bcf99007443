// hub.yaml services as JupyterHub 5 has them, at the REST API: the service model (GET /hub/api/services[/<name>])
// with url, prefix, info and display; and a service as an OAuth client (service-<name>, secret = its api_token)
// whose visitors get `access:services!service=<name>` and their identity, and nothing else unless it may ask.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syncServiceClients } from '../../src/auth/service-clients.js';
import { serverClientId } from '../../src/auth/oauth-clients.js';
import { parseConfig } from '../../src/config/load.js';
import { createApiApp, type ApiApp } from '../helpers/api-app.js';

const GRADER_TOKEN = 'grader-token-0123456789';
const DASH_TOKEN = 'dashboard-token-0123456789';
const CALLBACK = '/services/grader/oauth_callback';

let t: ApiApp;
beforeAll(() => {
  t = createApiApp({
    auth: { admin_users: ['admin'], extra_user_scopes: ['access:services!service=grader'] },
    services: [
      {
        name: 'grader', url: 'http://10.0.0.5:10101', api_token: GRADER_TOKEN, oauth_no_confirm: true,
        info: { description: 'Grading dashboard' }, scopes: ['read:services!service=grader'],
      },
      { name: 'dashboard', url: 'http://10.0.0.6:8000', api_token: DASH_TOKEN, display: false, oauth_client_allowed_scopes: ['list:users'] },
      { name: 'culler', api_token: 'culler-token-0123456789', scopes: ['list:users'], admin: true },
    ],
  });
});
afterAll(() => t.close());

function authorizeUrl(clientId: string, redirectUri: string, extra: Record<string, string> = {}): string {
  return `/hub/api/oauth2/authorize?${new URLSearchParams({ client_id: clientId, redirect_uri: redirectUri, response_type: 'code', state: 's1', ...extra })}`;
}

async function exchange(clientId: string, secret: string, code: string, redirectUri: string): Promise<Response> {
  const form = new URLSearchParams({ client_id: clientId, client_secret: secret, grant_type: 'authorization_code', code, redirect_uri: redirectUri });
  return t.request('/hub/api/oauth2/token', { method: 'POST', body: form.toString(), headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
}

describe('GET /hub/api/services', () => {
  it('answers JupyterHub 5\'s service model for every service, to an admin', async () => {
    const res = await t.request('/hub/api/services', { token: t.tokenFor('admin', ['inherit'], { admin: true }) });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      grader: {
        kind: 'service', name: 'grader', admin: false, roles: [], url: 'http://10.0.0.5:10101', prefix: '/services/grader/',
        command: [], pid: 0, info: { description: 'Grading dashboard' }, display: true,
      },
      dashboard: { kind: 'service', name: 'dashboard', admin: false, roles: [], url: 'http://10.0.0.6:8000', prefix: '/services/dashboard/', command: [], pid: 0, info: {}, display: false },
      culler: { kind: 'service', name: 'culler', admin: true, roles: ['admin'], url: '', prefix: '', command: [], pid: 0, info: {}, display: true },
    });
  });

  it('shows a service its own model, and only kind, name and admin to a holder of read:services:name', async () => {
    const own = await t.request('/hub/api/services/grader', { token: GRADER_TOKEN });
    expect(own.status).toBe(200);
    expect(await own.json()).toMatchObject({ name: 'grader', url: 'http://10.0.0.5:10101', prefix: '/services/grader/', display: true });
    const names = await t.request('/hub/api/services/dashboard', { token: t.tokenFor('admin', ['read:services:name']) });
    expect(await names.json()).toEqual({ kind: 'service', name: 'dashboard', admin: false });
    expect((await t.request('/hub/api/services/dashboard', { token: GRADER_TOKEN })).status).toBe(404);
  });
});

describe('a service as an OAuth client', () => {
  it('signs alice in to grader: code → token with the api_token as secret → /hub/api/user names her, with access to grader only', async () => {
    const cookie = await t.signIn('alice');
    const res = await t.request(authorizeUrl('service-grader', CALLBACK), { headers: { Cookie: cookie } });
    expect(res.status).toBe(302); // oauth_no_confirm: no consent page
    const location = new URL(res.headers.get('location')!, 'http://x');
    expect(location.pathname).toBe(CALLBACK);
    expect(location.searchParams.get('state')).toBe('s1');

    expect((await exchange('service-grader', 'wrong-secret-0123456789', location.searchParams.get('code')!, CALLBACK)).status).toBe(401);
    const again = await t.request(authorizeUrl('service-grader', CALLBACK), { headers: { Cookie: cookie } });
    const grant = await exchange('service-grader', GRADER_TOKEN, new URL(again.headers.get('location')!, 'http://x').searchParams.get('code')!, CALLBACK);
    expect(grant.status).toBe(200);
    const { access_token: token, scope } = await grant.json();
    expect(scope.split(' ')).toContain('access:services!service=grader');

    const me = await t.request('/hub/api/user', { token });
    expect(me.status).toBe(200);
    const body = await me.json();
    expect(body).toMatchObject({ kind: 'user', name: 'alice' });
    expect(body.scopes).toEqual(['access:services!service=grader', 'read:users:groups!user=alice', 'read:users:name!user=alice']);
    // The token opens the service and names alice; it cannot act as her (start her server, make tokens).
    expect((await t.request('/hub/api/users/alice/server', { method: 'POST', token })).status).toBe(403);
    expect((await t.request('/hub/api/users/alice/tokens', { method: 'POST', token, body: '{}' })).status).toBe(403);
  });

  it('refuses a redirect_uri other than the registered one', async () => {
    const cookie = await t.signIn('alice');
    const res = await t.request(authorizeUrl('service-grader', '/user/mallory/oauth_callback'), { headers: { Cookie: cookie } });
    expect(res.status).toBe(400);
  });

  it('refuses a user who does not hold access:services for it, saying how an admin grants it', async () => {
    const cookie = await t.signIn('alice');
    const res = await t.request(authorizeUrl('service-dashboard', '/services/dashboard/oauth_callback'), { headers: { Cookie: cookie } });
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('auth.extra_user_scopes: [access:services!service=dashboard]');
  });

  it('asks an admin to confirm a service without oauth_no_confirm once, then grants what it may ask for without asking again', async () => {
    const cookie = await t.signIn('admin');
    const url = authorizeUrl('service-dashboard', '/services/dashboard/oauth_callback', { scope: 'list:users admin:users' });
    const page = await t.request(url, { headers: { Cookie: cookie } });
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('JupyterHub service dashboard');
    expect(html).not.toContain('belongs to');
    const xsrf = /name="_xsrf" value="([^"]+)"/.exec(html)![1]!;
    const confirmed = await t.request(url, { method: 'POST', body: `_xsrf=${encodeURIComponent(xsrf)}`, headers: { Cookie: cookie, 'Content-Type': 'application/x-www-form-urlencoded' } });
    expect(confirmed.status).toBe(302);
    const code = new URL(confirmed.headers.get('location')!, 'http://x').searchParams.get('code')!;
    const grant = await (await exchange('service-dashboard', DASH_TOKEN, code, '/services/dashboard/oauth_callback')).json();
    expect(grant.scope.split(' ')).toEqual(expect.arrayContaining(['access:services!service=dashboard', 'list:users']));
    expect(grant.scope).not.toContain('admin:users');
    expect((await t.request(url, { headers: { Cookie: cookie } })).status).toBe(302);
  });
});

describe('service OAuth clients at start-up', () => {
  it('registers each service\'s client, and deletes the client of a service that left hub.yaml, never a server\'s', () => {
    const clients = t.deps.oauthClients;
    expect(clients.get('service-grader')).toMatchObject({ redirectUri: CALLBACK, allowedScopes: ['access:services!service=grader'] });
    expect(clients.get('service-culler')).toBeNull();
    clients.register({ identifier: serverClientId('alice'), secret: 's'.repeat(32), redirectUri: '/user/alice/oauth_callback', description: '', allowedScopes: ['access:servers!server=alice/'] });
    const without = parseConfig('auth:\n  admin_users: [admin]\nservices:\n  - name: grader\n    url: http://10.0.0.5:10101\n    api_token: grader-token-0123456789\n', '/tmp/hub.yaml', {});
    expect(syncServiceClients(without, clients)).toEqual({ registered: ['service-grader'], removed: ['service-dashboard'] });
    expect(clients.get('service-dashboard')).toBeNull();
    expect(clients.get(serverClientId('alice'))).not.toBeNull();
    expect(clients.authenticate('service-grader', GRADER_TOKEN)).not.toBeNull();
  });
});
