// Cross-site request protection through a whole hub: cookie-authenticated state changes need this origin
// (Sec-Fetch-Site / Origin) or the session's _xsrf token; token-authenticated calls and cookie-less clients pass.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTokenStore } from '../../src/auth/tokens.js';
import { startFakeGithub, type FakeGithub } from '../fakes/github.js';
import { CookieJar } from '../helpers/cookie-jar.js';
import { startTestHub, type TestHub } from '../helpers/test-hub.js';

let gh: FakeGithub;
let t: TestHub;
let jar: CookieJar;
let xsrf: string;

beforeAll(async () => {
  gh = await startFakeGithub({ clientId: 'cid', clientSecret: 'csecret', login: 'alice' });
  t = await startTestHub({
    auth: { allowed_users: ['alice'], github: { client_id: 'cid', client_secret: 'csecret', url: gh.url, api_url: gh.apiUrl } },
  });
  jar = new CookieJar();
  const start = await jar.fetch(`${t.url}/hub/oauth_login`);
  const back = new URL((await jar.fetch(start.headers.get('location')!)).headers.get('location')!);
  // The hub listens on port 0, so the default callback URL's port is wrong: follow it to the real port by hand.
  expect((await jar.fetch(`${t.url}${back.pathname}${back.search}`)).status).toBe(302);
  const home = await (await jar.fetch(`${t.url}/hub/home`)).text();
  xsrf = /name="_xsrf" value="([^"]+)"/.exec(home)![1];
});
afterAll(async () => {
  await t?.cleanup();
  await gh?.close();
});

const tokensUrl = () => `${t.url}/hub/api/users/alice/tokens`;
const json = { 'content-type': 'application/json' };

describe('XSRF protection', () => {
  it('refuses a cookie-authenticated API call from another site (Sec-Fetch-Site: cross-site)', async () => {
    const res = await jar.fetch(tokensUrl(), { method: 'POST', headers: { ...json, 'sec-fetch-site': 'cross-site' }, body: '{}' });
    expect(res.status).toBe(403);
    expect((await res.json()).message).toContain('Cross-site request refused');
  });

  it('refuses a cross-site no-cors form POST (GHSA-m68r) and one from a sibling site', async () => {
    for (const site of ['cross-site', 'same-site']) {
      const res = await jar.fetch(`${t.url}/hub/spawn/alice`, {
        method: 'POST', headers: { 'sec-fetch-site': site, 'sec-fetch-mode': 'no-cors', 'content-type': 'application/x-www-form-urlencoded' }, body: '',
      });
      expect(res.status).toBe(403);
    }
  });

  it('refuses a cookie-authenticated call whose Origin is another site', async () => {
    const res = await jar.fetch(tokensUrl(), { method: 'POST', headers: { ...json, origin: 'http://evil.example' }, body: '{}' });
    expect(res.status).toBe(403);
    const nullOrigin = await jar.fetch(tokensUrl(), { method: 'POST', headers: { ...json, origin: 'null' }, body: '{}' });
    expect(nullOrigin.status).toBe(403);
  });

  it('refuses a cookie-authenticated call with no origin information and no _xsrf', async () => {
    const res = await jar.fetch(tokensUrl(), { method: 'POST', headers: json, body: '{}' });
    expect(res.status).toBe(403);
    expect((await res.json()).message).toContain("'_xsrf' argument missing");
  });

  it('refuses a forged _xsrf value and a token from another session', async () => {
    const res = await jar.fetch(tokensUrl(), { method: 'POST', headers: { ...json, 'x-xsrftoken': `${xsrf.slice(0, -2)}AA` }, body: '{}' });
    expect(res.status).toBe(403);
  });

  it('accepts the same call from this origin, by Sec-Fetch-Site or by Origin', async () => {
    const bySite = await jar.fetch(tokensUrl(), { method: 'POST', headers: { ...json, 'sec-fetch-site': 'same-origin' }, body: '{}' });
    expect(bySite.status).toBe(201);
    const byOrigin = await jar.fetch(tokensUrl(), { method: 'POST', headers: { ...json, origin: t.url }, body: '{}' });
    expect(byOrigin.status).toBe(201);
  });

  it('accepts the session _xsrf token as X-XSRFToken header or as the _xsrf form field', async () => {
    const byHeader = await jar.fetch(tokensUrl(), { method: 'POST', headers: { ...json, 'x-xsrftoken': xsrf }, body: '{}' });
    expect(byHeader.status).toBe(201);
    const byField = await jar.fetch(`${t.url}/hub/logout`, { method: 'POST', body: new URLSearchParams({ _xsrf: xsrf }) });
    expect(byField.status).toBe(302);
    expect(byField.headers.get('location')).toBe('/hub/login');
  });

  it('leaves token-authenticated calls alone, even with cross-site headers', async () => {
    const alice = t.users.get('alice')!;
    const { token } = createTokenStore(t.hub.db).issue({ userId: alice.id, note: 'csrf test', scopes: ['inherit'] });
    const res = await fetch(tokensUrl(), {
      method: 'POST',
      headers: { ...json, authorization: `token ${token}`, 'sec-fetch-site': 'cross-site', origin: 'http://evil.example' },
      body: '{}',
    });
    expect(res.status).toBe(201);
  });

  it('leaves cookie-less clients alone, such as a server posting to the OAuth token endpoint', async () => {
    const res = await fetch(`${t.url}/hub/api/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'authorization_code', code: 'nope', client_id: 'jupyterhub-user-alice', client_secret: 'x', redirect_uri: 'http://x/' }),
    });
    expect(res.status).not.toBe(403);
    expect(await res.text()).not.toMatch(/_xsrf|Cross-site/);
  });
});
