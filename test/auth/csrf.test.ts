// Cross-site request protection through a whole hub: cookie-authenticated state changes need this origin
// (Sec-Fetch-Site / Origin) or the session's _xsrf token; token-authenticated calls and cookie-less clients pass.
import http from 'node:http';
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
  ({ jar, xsrf } = await signIn());
});

/** A request with exactly the headers given: fetch() would replace Sec-Fetch-Mode with its own. */
function rawRequest(method: string, url: string, headers: Record<string, string>, body = ''): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk)).on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject).end(body);
  });
}
const rawGet = (url: string, headers: Record<string, string>) => rawRequest('GET', url, headers);

/** A fresh browser session for alice: its cookie jar and the _xsrf value its pages carry. */
async function signIn(): Promise<{ jar: CookieJar; xsrf: string }> {
  const jar = new CookieJar();
  const start = await jar.fetch(`${t.url}/hub/oauth_login`);
  const back = new URL((await jar.fetch(start.headers.get('location')!)).headers.get('location')!);
  // The hub listens on port 0, so the default callback URL's port is wrong: follow it to the real port by hand.
  expect((await jar.fetch(`${t.url}${back.pathname}${back.search}`)).status).toBe(302);
  const home = await (await jar.fetch(`${t.url}/hub/home`)).text();
  return { jar, xsrf: /name="_xsrf" value="([^"]+)"/.exec(home)![1] };
}
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
      const res = await rawRequest('POST', `${t.url}/hub/spawn/alice`, {
        cookie: jar.header(), 'sec-fetch-site': site, 'sec-fetch-mode': 'no-cors', 'content-type': 'application/x-www-form-urlencoded',
      });
      expect(res.status).toBe(403);
      expect(res.body).toContain('Cross-site request refused');
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

});

describe('XSRF protection, advisory-derived cases (a fresh session: the tests above sign out)', () => {
  beforeAll(async () => {
    ({ jar, xsrf } = await signIn());
  });

  it('refuses an old tornado-format _xsrf token (2|…|…|time)', async () => {
    expect((await jar.fetch(`${t.url}/hub/api/user`)).status).toBe(200);
    const res = await jar.fetch(tokensUrl(), { method: 'POST', headers: { ...json, 'x-xsrftoken': `2|1a2b3c4d|${'ab'.repeat(16)}|1700000000` }, body: '{}' });
    expect(res.status).toBe(403);
  });

  it('refuses a cookie-authenticated API POST that is not JSON (what a cross-site form can send), even from this origin', async () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      const res = await jar.fetch(tokensUrl(), { method: 'POST', headers: { 'content-type': type, 'sec-fetch-site': 'same-origin', 'x-xsrftoken': xsrf }, body: '{}' });
      expect(res.status).toBe(403);
      expect((await res.json()).message).toContain('Content-Type: application/json');
    }
    const charset = await jar.fetch(tokensUrl(), { method: 'POST', headers: { 'content-type': 'application/json; charset=UTF-8', 'x-xsrftoken': xsrf }, body: '{}' });
    expect(charset.status).toBe(201);
  });

  it('answers a cookie-authenticated API POST with bad JSON or invalid UTF-8 with 400', async () => {
    const headers = { ...json, 'x-xsrftoken': xsrf };
    expect((await jar.fetch(tokensUrl(), { method: 'POST', headers, body: '{"note": ' })).status).toBe(400);
    expect((await jar.fetch(tokensUrl(), { method: 'POST', headers, body: Buffer.from([0x7b, 0xff, 0xfe, 0x7d]) })).status).toBe(400);
  });

  it('does not let a cross-site no-cors GET use the login cookie on the API, but allows navigation and same-origin reads', async () => {
    // fetch() sets Sec-Fetch-Mode itself, so these requests go out through node:http with the headers a browser would send.
    const get = (headers: Record<string, string>) => rawGet(`${t.url}/hub/api/user`, { cookie: jar.header(), ...headers });
    expect((await get({ 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'no-cors' })).status).toBe(403);
    expect((await get({ 'sec-fetch-site': 'same-site', 'sec-fetch-mode': 'cors' })).status).toBe(403);
    expect((await get({ 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'navigate' })).status).toBe(200);
    const sameOrigin = await get({ 'sec-fetch-site': 'same-origin', 'sec-fetch-mode': 'no-cors' });
    expect(sameOrigin.status).toBe(200);
    expect(JSON.parse(sameOrigin.body).name).toBe('alice');
  });
  it('refuses a form body over 64 KiB with 413 before reading it for _xsrf, with or without Content-Length', async () => {
    const big = `_xsrf=${xsrf}&pad=${'a'.repeat(1024 * 1024)}`;
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    const sized = await jar.fetch(`${t.url}/hub/spawn/alice`, { method: 'POST', headers: form, body: big });
    expect(sized.status).toBe(413);
    const chunks = [big.slice(0, 1000), big.slice(1000)];
    const stream = new ReadableStream({ pull(controller) { const next = chunks.shift(); if (next === undefined) controller.close(); else controller.enqueue(new TextEncoder().encode(next)); } });
    const chunked = await jar.fetch(`${t.url}/hub/spawn/alice`, { method: 'POST', headers: form, body: stream, duplex: 'half' } as RequestInit);
    expect(chunked.status).toBe(413);
    expect(await chunked.text()).toContain('64 KiB');
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
