// GitHub sign-in through a whole hub against the local GitHub stand-in: allow rules in OAuthenticator's order,
// state and PKCE checks, cookies, logout, next through the round trip, and the pages for misconfiguration or outages.
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { adminNotice } from '../../src/config/policy.js';
import { loadSecrets } from '../../src/config/secrets.js';
import { createGithubTokenVault } from '../../src/auth/github-token.js';
import { apiTokens, users } from '../../src/db/schema.js';
import { createHub } from '../../src/hub.js';
import { startFakeGithub, type FakeGithub } from '../fakes/github.js';
import { CookieJar, setCookieLine } from '../helpers/cookie-jar.js';
import { startTestHub, type TestHub } from '../helpers/test-hub.js';
import { freePort } from '../helpers/free-port.js';

const CRYPT_KEY = 'ab'.repeat(32);
let gh: FakeGithub;


async function githubHub(auth: Record<string, unknown>, github: Record<string, unknown> = {}): Promise<TestHub> {
  // A fixed port, so the default callback URL (derived from hub.bind) is where the hub really listens.
  const port = await freePort();
  return startTestHub(
    {
      hub: { bind: `127.0.0.1:${port}` },
      auth: { ...auth, github: { client_id: 'cid', client_secret: 'csecret', url: gh.url, api_url: gh.apiUrl, ...github } },
    },
    { overrides: { env: { BERTH_CRYPT_KEY: CRYPT_KEY } } },
  );
}

/** oauth_login → GitHub authorize → oauth_callback, as a browser would follow it; returns the callback's answer. */
async function signInAs(t: TestHub, login: string, options: { jar?: CookieJar; next?: string } = {}) {
  const jar = options.jar ?? new CookieJar();
  gh.login = login;
  const start = await jar.fetch(`${t.url}/hub/oauth_login${options.next === undefined ? '' : `?next=${encodeURIComponent(options.next)}`}`);
  expect(start.status).toBe(302);
  const authorize = start.headers.get('location')!;
  const back = await jar.fetch(authorize);
  expect(back.status).toBe(302);
  const callback = back.headers.get('location')!;
  const res = await jar.fetch(callback);
  return { jar, res, authorize: new URL(authorize), callback, start };
}

async function homeOf(t: TestHub, jar: CookieJar): Promise<Response> {
  return jar.fetch(`${t.url}/hub/home`);
}

beforeAll(async () => {
  gh = await startFakeGithub({ clientId: 'cid', clientSecret: 'csecret' });
  gh.addOrgMember('acme', 'orgie');
  gh.addOrgMember('acme', 'mallory');
  gh.addTeamMember('widgets', 'core', 'teamie', 'active');
  gh.addTeamMember('widgets', 'core', 'pendie', 'pending');
  gh.addOrgMember('widgets', 'pendie');
});
afterAll(() => gh.close());

describe('GitHub sign-in with allow rules', () => {
  let t: TestHub;
  beforeAll(async () => {
    t = await githubHub({
      admin_users: ['boss'], allowed_users: ['alice'], blocked_users: ['mallory'],
    }, { allowed_organizations: ['acme', 'widgets:core'] });
    t.users.create('added', { addedByAdmin: true });
  });
  afterAll(() => t.cleanup());

  it('signs in a user in allowed_users, lowercasing the GitHub login, and lands on /hub/home', async () => {
    const { jar, res } = await signInAs(t, 'Alice');
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('/hub/home');
    const home = await homeOf(t, jar);
    expect(home.status).toBe(200);
    expect(await home.text()).toContain('<strong id="signed-in-user">alice</strong>');
    expect(t.users.get('alice')).toMatchObject({ name: 'alice', admin: false });
    expect(t.users.get('Alice')).toBeNull();
  });

  it('signs in an admin from auth.admin_users and marks the user admin', async () => {
    const { res } = await signInAs(t, 'BOSS');
    expect(res.status).toBe(302);
    expect(t.users.get('boss')?.admin).toBe(true);
  });

  it('refuses a blocked user even when another rule (organisation membership) would admit them', async () => {
    const { res, jar } = await signInAs(t, 'mallory');
    expect(res.status).toBe(403);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    expect(await res.text()).toContain('mallory is listed in auth.blocked_users');
    expect(jar.cookies.has('jupyterhub-hub-login')).toBe(false);
    expect(t.users.get('mallory')).toBeNull();
  });

  it('admits a member of an allowed organisation (GET /orgs/{org}/members/{login} → 204)', async () => {
    const { res } = await signInAs(t, 'orgie');
    expect(res.status).toBe(302);
    expect(t.users.get('orgie')).not.toBeNull();
  });

  it('admits an active member of an allowed org:team and refuses a pending one', async () => {
    expect((await signInAs(t, 'teamie')).res.status).toBe(302);
    const pending = await signInAs(t, 'pendie');
    expect(pending.res.status).toBe(403);
  });

  it('admits a user an admin added, though no other rule matches', async () => {
    const { res } = await signInAs(t, 'added');
    expect(res.status).toBe(302);
  });

  it('refuses everyone else with a 403 page that explains private membership, read:org and app approval', async () => {
    const { res } = await signInAs(t, 'stranger');
    expect(res.status).toBe(403);
    const text = await res.text();
    expect(text).toContain('stranger is not allowed to use this hub');
    expect(text).toContain('acme, widgets:core');
    expect(text).toContain('read:org');
    expect(text).toContain('approved this OAuth app');
    expect(t.users.get('stranger')).toBeNull();
  });

  it('asks for read:org when org rules exist, uses PKCE S256, and sends the default callback URL', async () => {
    const { authorize } = await signInAs(t, 'alice');
    expect(authorize.origin + authorize.pathname).toBe(`${gh.url}/login/oauth/authorize`);
    expect(authorize.searchParams.get('scope')).toBe('read:org');
    expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authorize.searchParams.get('redirect_uri')).toBe(`${t.config.urls.public}/hub/oauth_callback`);
    const exchange = gh.tokenRequests.at(-1)!;
    expect(exchange.accepted).toBe(true);
    const verifier = exchange.body.get('code_verifier')!;
    expect(createHash('sha256').update(verifier).digest('base64url')).toBe(authorize.searchParams.get('code_challenge'));
  });

  it('sets the login cookie httponly, SameSite=Lax, on /hub/, and the state cookie short-lived and httponly', async () => {
    const { res, start } = await signInAs(t, 'alice');
    const login = setCookieLine(res, 'jupyterhub-hub-login')!;
    expect(login).toMatch(/; Path=\/hub\/(;|$)/);
    expect(login).toMatch(/; HttpOnly/);
    expect(login).toMatch(/; SameSite=Lax/);
    expect(login).not.toMatch(/Secure/);
    expect(setCookieLine(res, 'jupyterhub-session-id')).toMatch(/; Path=\/;/);
    const state = setCookieLine(start, 'berth-oauth-state')!;
    expect(state).toMatch(/Max-Age=600/);
    expect(state).toMatch(/; HttpOnly/);
  });

  it('does not keep the GitHub token when pass_token is off', async () => {
    await signInAs(t, 'alice');
    expect(t.users.get('alice')?.githubTokenEncrypted).toBeNull();
  });

  it('carries a safe next through the GitHub round trip and drops an unsafe one', async () => {
    const kept = await signInAs(t, 'alice', { next: '/user/alice/lab?x=1' });
    expect(kept.res.headers.get('location')).toBe('/user/alice/lab?x=1');
    for (const evil of ['//evil.example/x', 'https://evil.example/', '/%2F%2Fevil.example', '/\\evil.example']) {
      const dropped = await signInAs(t, 'alice', { next: evil });
      expect(dropped.res.headers.get('location')).toBe('/hub/home');
    }
  });

  it('passes next from /hub/login to the GitHub button, escaped', async () => {
    const res = await fetch(`${t.url}/hub/login?next=${encodeURIComponent('/user/alice/?a="><script>')}`);
    const html = await res.text();
    expect(html).toContain('Sign in with GitHub');
    expect(html).toContain('href="/hub/oauth_login?next=%2Fuser%2Falice%2F%3Fa%3D%22%3E%3Cscript%3E"');
    expect(html).not.toContain('"><script>');
    expect(html).not.toContain('name="password"');
  });

  it('HTML-escapes quotes, ampersands and angle brackets of next on the login page (GHSA-c4gm)', async () => {
    const next = `/hub/home?q='onmouseover='alert(1)'&x=<b>&y="`;
    const html = await (await fetch(`${t.url}/hub/login?next=${encodeURIComponent(next)}`)).text();
    const href = /id="github-login" href="([^"]*)"/.exec(html)![1];
    expect(href).not.toMatch(/[<>'"]/);
    expect(href.replaceAll('&#39;', "'").replaceAll('&amp;', '&')).toBe(`/hub/oauth_login?next=${encodeURIComponent(next)}`);
    expect(html).not.toContain("'onmouseover=");
    expect(html).not.toContain('<b>');
  });

  it('never redirects a signed-in browser from /hub/login to another site', async () => {
    const { jar } = await signInAs(t, 'alice');
    for (const evil of ['//evil.example/', 'https://evil.example/', '/\\evil.example', '\\\\evil.example', '/%2F%2Fevil.example', `${t.url}//evil.example/`, 'javascript:alert(1)']) {
      const res = await jar.fetch(`${t.url}/hub/login?next=${encodeURIComponent(evil)}`);
      expect(res.status).toBe(302);
      expect(res.headers.get('location')).toBe('/hub/home');
    }
  });

  it('rejects a forged state', async () => {
    const jar = new CookieJar();
    gh.login = 'alice';
    const start = await jar.fetch(`${t.url}/hub/oauth_login`);
    const back = await jar.fetch(start.headers.get('location')!);
    const callback = new URL(back.headers.get('location')!);
    callback.searchParams.set('state', 'forged-by-someone-else');
    const res = await jar.fetch(callback.toString());
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('sign-in state does not match');
    expect(jar.cookies.has('jupyterhub-hub-login')).toBe(false);
  });

  it('rejects a state cookie whose signature is not the hub\'s (made up by the client)', async () => {
    const jar = new CookieJar();
    gh.login = 'alice';
    const start = await jar.fetch(`${t.url}/hub/oauth_login`);
    const back = await jar.fetch(start.headers.get('location')!);
    const callback = new URL(back.headers.get('location')!);
    // Same state and verifier the hub chose, re-signed with a key the hub does not have.
    const [payload] = jar.cookies.get('berth-oauth-state')!.split('.');
    const mac = createHmac('sha256', Buffer.alloc(32, 7)).update('berth-oauth-state').update('\0').update(payload).digest('base64url');
    jar.cookies.set('berth-oauth-state', `${payload}.${mac}`);
    const res = await jar.fetch(callback.toString());
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('sign-in state does not match');
    expect(jar.cookies.has('jupyterhub-hub-login')).toBe(false);
  });

  it('rejects a callback without the state cookie (started in another browser)', async () => {
    const { callback } = await signInAs(t, 'alice');
    const res = await new CookieJar().fetch(callback);
    expect(res.status).toBe(400);
  });

  it('rejects a replayed state even with the state cookie it was issued with', async () => {
    const jar = new CookieJar();
    gh.login = 'alice';
    const start = await jar.fetch(`${t.url}/hub/oauth_login`);
    const stateCookie = jar.cookies.get('berth-oauth-state')!;
    const back = await jar.fetch(start.headers.get('location')!);
    const callback = back.headers.get('location')!;
    expect((await jar.fetch(callback)).status).toBe(302);
    const replay = await fetch(callback, { headers: { cookie: `berth-oauth-state=${stateCookie}` }, redirect: 'manual' });
    expect(replay.status).toBe(400);
    expect(await replay.text()).toContain('already used');
  });

  it('sends the PKCE verifier from the signed state, so a wrong verifier is refused by GitHub', async () => {
    // Forge a validly signed state cookie (the test can read the cookie secret) whose verifier is not the one
    // the code challenge was made from: GitHub must refuse the exchange and the hub must not sign anyone in.
    const secret = Buffer.from(readFileSync(path.join(t.dataDir, 'jupyterhub_cookie_secret'), 'utf8').trim(), 'hex');
    const state = 'state-for-wrong-verifier';
    const payload = Buffer.from(JSON.stringify({ s: state, v: 'not-the-verifier-'.padEnd(50, 'x'), n: null, e: Date.now() + 60_000 })).toString('base64url');
    const mac = createHmac('sha256', secret).update('berth-oauth-state').update('\0').update(payload).digest('base64url');
    const realVerifier = 'the-real-verifier-'.padEnd(50, 'y');
    const authorize = new URL(`${gh.url}/login/oauth/authorize`);
    authorize.search = new URLSearchParams({
      client_id: 'cid', redirect_uri: `${t.config.urls.public}/hub/oauth_callback`, state,
      code_challenge_method: 'S256', code_challenge: createHash('sha256').update(realVerifier).digest('base64url'),
    }).toString();
    gh.login = 'alice';
    const back = await fetch(authorize, { redirect: 'manual' });
    const jar = new CookieJar();
    jar.cookies.set('berth-oauth-state', `${payload}.${mac}`);
    const res = await jar.fetch(back.headers.get('location')!);
    expect(gh.tokenRequests.at(-1)).toMatchObject({ accepted: false, error: 'bad_verification_code' });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('GitHub refused the sign-in code: bad_verification_code');
    expect(jar.cookies.has('jupyterhub-hub-login')).toBe(false);
  });

  it('answers a callback without a code with 400, and a refusal on GitHub with 403, never a stack trace', async () => {
    const noCode = await fetch(`${t.url}/hub/oauth_callback?state=x`);
    expect(noCode.status).toBe(400);
    expect(await noCode.text()).toContain('The GitHub callback has no code');
    const denied = await fetch(`${t.url}/hub/oauth_callback?error=access_denied&error_description=The+user+has+denied+your+application+access.`);
    expect(denied.status).toBe(403);
    const text = await denied.text();
    expect(text).toContain('The user has denied your application access.');
    expect(text).not.toMatch(/\n\s+at /);
  });

  it('shows a clear 502 page when GitHub is down or answering errors during the exchange', async () => {
    for (const [mode, says] of [['down', 'GitHub could not be reached at'], ['error', 'GitHub answered 503']] as const) {
      const jar = new CookieJar();
      gh.login = 'alice';
      const start = await jar.fetch(`${t.url}/hub/oauth_login`);
      const back = await jar.fetch(start.headers.get('location')!);
      gh.mode = mode;
      try {
        const res = await jar.fetch(back.headers.get('location')!);
        expect(res.status).toBe(502);
        expect(res.headers.get('content-type')).toMatch(/text\/html/);
        const text = await res.text();
        expect(text).toContain(says);
        expect(text).toContain('try again later');
        expect(text).not.toMatch(/\n\s+at /);
      } finally {
        gh.mode = 'ok';
      }
    }
  });

  it('shows a clear 502 page when GitHub\'s API fails after the code exchange (GET /user)', async () => {
    gh.mode = 'api-error';
    try {
      const { res, jar } = await signInAs(t, 'alice');
      expect(res.status).toBe(502);
      expect(res.headers.get('content-type')).toMatch(/text\/html/);
      const text = await res.text();
      expect(text).toContain(`GitHub answered 503 to GET ${gh.apiUrl}/user`);
      expect(text).not.toMatch(/\n\s+at /);
      expect(jar.cookies.has('jupyterhub-hub-login')).toBe(false);
    } finally {
      gh.mode = 'ok';
    }
  });

  it('ends the session on logout: cookies cleared, the old cookie refused, tokens of that session revoked', async () => {
    const { jar } = await signInAs(t, 'alice');
    const oldCookies = jar.header();
    const alice = t.users.get('alice')!;
    const sessionId = jar.cookies.get('jupyterhub-session-id')!;
    t.hub.db.insert(apiTokens).values({ prefix: 'zzzz', hash: 'h', userId: alice.id, sessionId, note: 'oauth token of this browser session' }).run();
    const res = await jar.fetch(`${t.url}/hub/logout`);
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('/hub/login');
    expect(setCookieLine(res, 'jupyterhub-hub-login')).toMatch(/Max-Age=0/);
    expect(setCookieLine(res, 'jupyterhub-session-id')).toMatch(/Max-Age=0/);
    const again = await fetch(`${t.url}/hub/home`, { headers: { cookie: oldCookies }, redirect: 'manual' });
    expect(again.status).toBe(302);
    expect(again.headers.get('location')).toBe('/hub/login?next=%2Fhub%2Fhome');
    expect(t.hub.db.select().from(apiTokens).where(eq(apiTokens.sessionId, sessionId)).all()).toEqual([]);
  });

  it('sends /hub/ to the login page when signed out and to home when signed in', async () => {
    expect((await fetch(`${t.url}/hub/`, { redirect: 'manual' })).headers.get('location')).toBe('/hub/login');
    const { jar } = await signInAs(t, 'alice');
    expect((await jar.fetch(`${t.url}/hub/`)).headers.get('location')).toBe('/hub/home');
    expect((await jar.fetch(`${t.url}/hub/login?next=%2Fuser%2Falice%2F`)).headers.get('location')).toBe('/user/alice/');
  });

  it('signs everyone out when the cookie secret file is deleted (restart on the same data_dir)', async () => {
    const { jar } = await signInAs(t, 'alice');
    await t.restart();
    expect((await homeOf(t, jar)).status).toBe(200);
    rmSync(path.join(t.dataDir, 'jupyterhub_cookie_secret'));
    await t.restart();
    const res = await homeOf(t, jar);
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toMatch(/^\/hub\/login/);
  });
});

describe('GitHub sign-in with allow_all', () => {
  let t: TestHub;
  beforeAll(async () => {
    t = await githubHub({ allow_all: true, blocked_users: ['mallory'] });
  });
  afterAll(() => t.cleanup());

  it('admits any GitHub user without asking for read:org, but still refuses blocked users', async () => {
    const { res, authorize } = await signInAs(t, 'Stranger');
    expect(res.status).toBe(302);
    expect(authorize.searchParams.get('scope')).toBeNull();
    expect(t.users.get('stranger')).not.toBeNull();
    expect((await signInAs(t, 'mallory')).res.status).toBe(403);
  });
});

describe('GitHub sign-in with hub.redirect_to_server (JupyterHub\'s default next URL)', () => {
  let t: TestHub;
  beforeAll(async () => {
    t = await startTestHub({
      hub: { bind: `127.0.0.1:${await freePort()}`, redirect_to_server: true },
      auth: { allowed_users: ['alice'], github: { client_id: 'cid', client_secret: 'csecret', url: gh.url, api_url: gh.apiUrl } },
    });
  });
  afterAll(() => t.cleanup());

  it('lands on /hub/spawn while the server is stopped and on the server once it runs; an explicit next still wins', async () => {
    const stopped = await signInAs(t, 'alice');
    expect(stopped.res.headers.get('location')).toBe('/hub/spawn');
    expect((await stopped.jar.fetch(`${t.url}/hub/`)).headers.get('location')).toBe('/hub/spawn');
    expect(await t.hub.servers.start('alice')).toBe('started');
    const running = await signInAs(t, 'alice');
    expect(running.res.headers.get('location')).toBe('/user/alice/');
    expect((await running.jar.fetch(`${t.url}/hub/login`)).headers.get('location')).toBe('/user/alice/');
    expect((await signInAs(t, 'alice', { next: '/hub/token' })).res.headers.get('location')).toBe('/hub/token');
  });
});

describe('GitHub sign-in under a base_url', () => {
  let t: TestHub;
  beforeAll(async () => {
    const port = await freePort();
    t = await startTestHub({
      hub: { bind: `127.0.0.1:${port}`, base_url: '/jh/' },
      auth: { allowed_users: ['alice'], github: { client_id: 'cid', client_secret: 'csecret', url: gh.url, api_url: gh.apiUrl } },
    });
  });
  afterAll(() => t.cleanup());

  it('uses <base_url>hub/ for the callback, the cookie path and the landing page', async () => {
    const jar = new CookieJar();
    gh.login = 'alice';
    const start = await jar.fetch(`${t.url}/jh/hub/oauth_login?next=${encodeURIComponent('/elsewhere/')}`);
    const authorize = new URL(start.headers.get('location')!);
    expect(authorize.searchParams.get('redirect_uri')).toBe(`http://127.0.0.1:${t.hub.address().port}/jh/hub/oauth_callback`);
    const back = await jar.fetch(authorize.toString());
    const res = await jar.fetch(back.headers.get('location')!);
    expect(res.headers.get('location')).toBe('/jh/hub/home');
    expect(setCookieLine(res, 'jupyterhub-hub-login')).toMatch(/; Path=\/jh\/hub\/(;|$)/);
    expect(setCookieLine(res, 'jupyterhub-session-id')).toMatch(/; Path=\/jh\/(;|$)/);
    expect((await jar.fetch(`${t.url}/jh/hub/home`)).status).toBe(200);
  });
});

describe('GitHub token passing', () => {
  let t: TestHub;
  beforeAll(async () => {
    t = await githubHub({ allowed_users: ['alice'] }, { pass_token: true, callback_url: 'http://127.0.0.1:1/never-used' });
  });
  afterAll(() => t.cleanup());

  it('sends the configured callback_url to GitHub', async () => {
    gh.login = 'alice';
    const start = await new CookieJar().fetch(`${t.url}/hub/oauth_login`);
    expect(new URL(start.headers.get('location')!).searchParams.get('redirect_uri')).toBe('http://127.0.0.1:1/never-used');
  });

  it('stores the GitHub token encrypted and hands it to the spawner as GITHUB_TOKEN', async () => {
    // callback_url points elsewhere, so follow GitHub's redirect to the hub's own callback path by hand.
    const jar = new CookieJar();
    gh.login = 'alice';
    const start = await jar.fetch(`${t.url}/hub/oauth_login`);
    const back = new URL((await jar.fetch(start.headers.get('location')!)).headers.get('location')!);
    const res = await jar.fetch(`${t.url}/hub/oauth_callback${back.search}`);
    expect(res.status).toBe(302);
    const token = gh.issuedTokens.at(-1)!;
    const row = t.hub.db.select().from(users).where(eq(users.name, 'alice')).get()!;
    expect(row.githubTokenEncrypted).toBeTruthy();
    expect(row.githubTokenEncrypted).not.toContain(token);
    expect(row.githubTokenEncrypted).not.toContain(token.slice(4));
    expect(createGithubTokenVault(t.config, { BERTH_CRYPT_KEY: CRYPT_KEY }).envFor(row)).toEqual({ GITHUB_TOKEN: token });
    expect(createGithubTokenVault(t.config, { BERTH_CRYPT_KEY: 'cd'.repeat(32) }).envFor(row)).toEqual({});
  });

  it('refuses to start with pass_token on and no BERTH_CRYPT_KEY, naming the variable', () => {
    const config = parseConfig('auth: {allowed_users: [alice], github: {pass_token: true}}\n', path.join(t.dataDir, 'other.yaml'), {});
    expect(() => loadSecrets(config, {})).toThrow(/auth\.github\.pass_token is true but BERTH_CRYPT_KEY is not set/);
    expect(() => loadSecrets(config, { BERTH_CRYPT_KEY: 'short' })).toThrow(/BERTH_CRYPT_KEY must be 32 bytes/);
    expect(() => createHub(config, { cookieSecret: randomBytes(32), cryptKey: undefined })).toThrow(/BERTH_CRYPT_KEY is not set/);
  });
});

describe('GitHub not configured', () => {
  let t: TestHub;
  beforeAll(async () => {
    t = await startTestHub({ auth: { admin_users: ['admin'] } });
  });
  afterAll(() => t.cleanup());

  it('still starts and the login page names the keys to set', async () => {
    const res = await fetch(`${t.url}/hub/login`);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('GitHub sign-in is not configured');
    expect(html).toContain('auth.github.client_id');
    expect(html).toContain('auth.github.client_secret');
    expect(html).not.toContain('Sign in with GitHub');
    const start = await fetch(`${t.url}/hub/oauth_login`, { redirect: 'manual' });
    expect(start.status).toBe(503);
    expect(await start.text()).toContain('auth.github.client_id');
  });

  it('starts with a config whose policy admits nobody, and its notice names the keys to set', () => {
    expect(adminNotice(parseConfig('auth: {}\n', path.join(t.dataDir, 'nobody.yaml'), {}))).toMatch(
      /admits nobody: set auth\.admin_users, auth\.allowed_users, auth\.github\.allowed_organizations.*auth\.allow_all: true/,
    );
  });
});
