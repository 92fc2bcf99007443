// OpenID Connect sign-in through a whole hub against the local stand-in provider (test/fakes/oidc.ts): discovery,
// PKCE and nonce, the id_token checks (signature, audience, expiry, nonce), state replay, the username and groups
// claims, allowed_groups / admin_groups, the name-ownership rule, and GitHub, OIDC and PAM on one login page.
import { createHash, createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startFakeGithub, type FakeGithub } from '../fakes/github.js';
import { startFakeOidc, type FakeOidc } from '../fakes/oidc.js';
import { CookieJar, setCookieLine } from '../helpers/cookie-jar.js';
import { freePort } from '../helpers/free-port.js';
import { startTestHub, type TestHub } from '../helpers/test-hub.js';

let op: FakeOidc;
let gh: FakeGithub;

beforeAll(async () => {
  [op, gh] = await Promise.all([startFakeOidc({ clientId: 'berth', clientSecret: 'o s3cret:+' }), startFakeGithub({ clientId: 'cid', clientSecret: 'csecret' })]);
});
afterAll(async () => {
  await Promise.all([op?.close(), gh?.close()]);
});
afterEach(() => {
  op.forge = {};
  op.userinfoClaims = {};
});

/** A hub on a fixed port (so the default callback URL is where it listens) with OIDC, and what else `auth` adds. */
async function oidcHub(oidc: Record<string, unknown> = {}, auth: Record<string, unknown> = {}): Promise<TestHub> {
  return startTestHub({
    hub: { bind: `127.0.0.1:${await freePort()}` },
    auth: { allowed_users: ['alice', 'bob'], ...auth, oidc: { issuer: op.issuer, client_id: 'berth', client_secret: 'o s3cret:+', display_name: 'Keycloak', ...oidc } },
  });
}

/** /hub/oidc/login → the provider's authorize → /hub/oidc/callback, as a browser follows it. */
async function signIn(t: TestHub, claims: Record<string, unknown>, options: { jar?: CookieJar; next?: string } = {}) {
  const jar = options.jar ?? new CookieJar();
  op.claims = claims;
  const start = await jar.fetch(`${t.url}/hub/oidc/login${options.next === undefined ? '' : `?next=${encodeURIComponent(options.next)}`}`);
  expect(start.status).toBe(302);
  const authorize = new URL(start.headers.get('location')!);
  const back = await jar.fetch(authorize.toString());
  expect(back.status).toBe(302);
  const callback = back.headers.get('location')!;
  const res = await jar.fetch(callback);
  return { jar, res, text: await res.text(), authorize, callback };
}

describe('OpenID Connect sign-in', () => {
  let t: TestHub;
  beforeAll(async () => {
    t = await oidcHub({ allowed_groups: ['staff'], admin_groups: ['ops'] }, { blocked_users: ['mallory'] });
  });
  afterAll(() => t?.cleanup());

  it('signs in through discovery, PKCE S256 and a nonce, lowercases the name, and lands on next', async () => {
    const { res, jar, authorize } = await signIn(t, { preferred_username: 'Alice' }, { next: '/user/alice/lab' });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('/user/alice/lab');
    expect(setCookieLine(res, 'jupyterhub-hub-login')).toMatch(/; Path=\/hub\/; HttpOnly/);
    const home = await (await jar.fetch(`${t.url}/hub/home`)).text();
    expect(home).toContain('<strong id="signed-in-user">alice</strong>');
    expect(t.users.get('alice')).toMatchObject({ authenticator: 'oidc', admin: false });

    expect(authorize.origin + authorize.pathname).toBe(`${op.issuer}/protocol/openid-connect/auth`);
    expect(authorize.searchParams.get('scope')).toBe('openid profile email');
    expect(authorize.searchParams.get('redirect_uri')).toBe(`${t.config.urls.public}/hub/oidc/callback`);
    expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authorize.searchParams.get('nonce')).toMatch(/^[\w-]{20,}$/);
    const exchange = op.tokenRequests.at(-1)!;
    expect(exchange.accepted).toBe(true);
    expect(createHash('sha256').update(exchange.form.get('code_verifier')!).digest('base64url')).toBe(authorize.searchParams.get('code_challenge'));
    // client_secret_basic with both parts form-encoded (RFC 6749 §2.3.1), the secret never in the body.
    expect(exchange.authorization).toBe(`Basic ${Buffer.from('berth:o+s3cret%3A%2B').toString('base64')}`);
    expect(exchange.form.get('client_secret')).toBeNull();
  });

  it('refuses an id_token signed with a key the provider does not publish', async () => {
    op.forge = { key: 'stranger' };
    const { res, text, jar } = await signIn(t, { preferred_username: 'bob' });
    expect(res.status).toBe(403);
    expect(text).toContain('signature does not verify');
    expect(jar.cookies.has('jupyterhub-hub-login')).toBe(false);
    // bob exists from the start (auth.allowed_users), but the refused sign-in did not claim the name.
    expect(t.users.get('bob')?.authenticator).toBeNull();
  });

  it('refuses an id_token issued to another client (audience)', async () => {
    op.forge = { aud: 'some-other-client' };
    const { res, text, jar } = await signIn(t, { preferred_username: 'bob' });
    expect(res.status).toBe(403);
    expect(text).toContain('audience is not auth.oidc.client_id');
    expect(jar.cookies.has('jupyterhub-hub-login')).toBe(false);
  });

  it('refuses an expired id_token', async () => {
    op.forge = { expiresIn: -120 };
    const { res, text, jar } = await signIn(t, { preferred_username: 'bob' });
    expect(res.status).toBe(403);
    expect(text).toContain('has expired');
    expect(jar.cookies.has('jupyterhub-hub-login')).toBe(false);
  });

  it('refuses an id_token from another issuer', async () => {
    op.forge = { iss: 'https://evil.example/realms/berth' };
    const { res, text } = await signIn(t, { preferred_username: 'bob' });
    expect(res.status).toBe(403);
    expect(text).toContain('issuer is not the discovered issuer');
  });

  it('refuses an id_token whose nonce is not this round trip\'s', async () => {
    op.forge = { nonce: 'captured-from-another-sign-in' };
    const { res, text, jar } = await signIn(t, { preferred_username: 'bob' });
    expect(res.status).toBe(403);
    expect(text).toContain('nonce');
    expect(jar.cookies.has('jupyterhub-hub-login')).toBe(false);
  });

  it('refuses a replayed callback (the same state twice), even with the state cookie it was issued with', async () => {
    const jar = new CookieJar();
    op.claims = { preferred_username: 'alice' };
    const start = await jar.fetch(`${t.url}/hub/oidc/login`);
    const stateCookie = jar.cookies.get('berth-oauth-state')!;
    const callback = (await jar.fetch(start.headers.get('location')!)).headers.get('location')!;
    expect((await jar.fetch(callback)).status).toBe(302);
    const replay = await fetch(callback, { headers: { cookie: `berth-oauth-state=${stateCookie}` }, redirect: 'manual' });
    expect(replay.status).toBe(400);
    expect(await replay.text()).toContain('already used');
  });

  it('refuses a GitHub round\'s state at the OIDC callback (the state is bound to its method)', async () => {
    const secret = Buffer.from(readFileSync(path.join(t.dataDir, 'jupyterhub_cookie_secret'), 'utf8').trim(), 'hex');
    const payload = Buffer.from(JSON.stringify({ s: 'st', v: 'v'.repeat(43), n: null, e: Date.now() + 60_000, o: 'n' })).toString('base64url');
    const signedForGithub = `${payload}.${createHmac('sha256', secret).update('berth-oauth-state').update('\0').update(payload).digest('base64url')}`;
    const res = await fetch(`${t.url}/hub/oidc/callback?code=c&state=st`, { headers: { cookie: `berth-oauth-state=${signedForGithub}` } });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('sign-in state does not match');
  });

  it('sends the PKCE verifier from the signed state, so a verifier that does not match the challenge is refused', async () => {
    // A validly signed round (the test reads the cookie secret) whose verifier is not the one the challenge was
    // made from: the provider must refuse the code and nobody is signed in.
    const secret = Buffer.from(readFileSync(path.join(t.dataDir, 'jupyterhub_cookie_secret'), 'utf8').trim(), 'hex');
    const jar = new CookieJar();
    op.claims = { preferred_username: 'alice' };
    const start = await jar.fetch(`${t.url}/hub/oidc/login`);
    const [payload] = jar.cookies.get('berth-oauth-state')!.split('.');
    const round = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { v: string };
    const forged = Buffer.from(JSON.stringify({ ...round, v: 'not-the-verifier-'.padEnd(50, 'x') })).toString('base64url');
    const mac = createHmac('sha256', secret).update('berth-oauth-state:oidc').update('\0').update(forged).digest('base64url');
    jar.cookies.set('berth-oauth-state', `${forged}.${mac}`);
    const callback = (await jar.fetch(start.headers.get('location')!)).headers.get('location')!;
    const res = await jar.fetch(callback);
    expect(op.tokenRequests.at(-1)).toMatchObject({ accepted: false, error: 'invalid_grant' });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('Keycloak refused the sign-in code: invalid_grant');
    expect(jar.cookies.has('jupyterhub-hub-login')).toBe(false);
  });

  it('admits a member of allowed_groups from the groups claim and refuses others, naming the groups and the claim', async () => {
    expect((await signIn(t, { preferred_username: 'carol', groups: ['staff'] })).res.status).toBe(302);
    expect(t.users.get('carol')).toMatchObject({ admin: false });
    const refused = await signIn(t, { preferred_username: 'dave', groups: ['visitors'] });
    expect(refused.res.status).toBe(403);
    expect(refused.text).toContain('not in any of the groups staff (auth.oidc.allowed_groups) that Keycloak sent in the groups claim');
    expect(t.users.get('dave')).toBeNull();
  });

  it('makes members of admin_groups admins and revokes it at the first sign-in outside the group', async () => {
    expect((await signIn(t, { preferred_username: 'erin', groups: ['ops'] })).res.status).toBe(302);
    expect(t.users.get('erin')).toMatchObject({ admin: true, adminSource: 'admin_groups' });
    expect((await signIn(t, { preferred_username: 'erin', groups: ['staff'] })).res.status).toBe(302);
    expect(t.users.get('erin')).toMatchObject({ admin: false });
  });

  it('asks userinfo for the groups when the id_token leaves them out', async () => {
    op.userinfoClaims = { groups: ['staff'] };
    const before = op.userinfoRequests;
    expect((await signIn(t, { preferred_username: 'frank' })).res.status).toBe(302);
    expect(op.userinfoRequests).toBe(before + 1);
  });

  it('still refuses a blocked user whatever the groups say', async () => {
    const { res, text } = await signIn(t, { preferred_username: 'mallory', groups: ['ops', 'staff'] });
    expect(res.status).toBe(403);
    expect(text).toContain('mallory is listed in auth.blocked_users');
  });

  it('refuses a name the username claim does not make valid, saying which key chooses the claim', async () => {
    const { res, text } = await signIn(t, { preferred_username: 'Not A Name!', groups: ['staff'] });
    expect(res.status).toBe(403);
    expect(text).toContain('auth.oidc.username_claim');
  });

  it('answers a refusal at the provider with 403 and a callback without a code with 400', async () => {
    const denied = await fetch(`${t.url}/hub/oidc/callback?error=access_denied&error_description=User+cancelled`);
    expect(denied.status).toBe(403);
    expect(await denied.text()).toContain('Keycloak did not sign you in: User cancelled');
    const noCode = await fetch(`${t.url}/hub/oidc/callback?state=x`);
    expect(noCode.status).toBe(400);
    expect(await noCode.text()).toContain('The Keycloak callback has no code');
  });
});

describe('OpenID Connect with another username claim', () => {
  let t: TestHub;
  beforeAll(async () => {
    t = await oidcHub({ username_claim: 'email' }, { allow_all: true });
  });
  afterAll(() => t?.cleanup());

  it('names the user from auth.oidc.username_claim, read from userinfo when the id_token lacks it', async () => {
    op.userinfoClaims = { email: 'Grace@Example.org' };
    const { res } = await signIn(t, { preferred_username: 'ignored-name' });
    expect(res.status).toBe(302);
    expect(t.users.get('grace@example.org')).not.toBeNull();
    expect(t.users.get('ignored-name')).toBeNull();
  });

  it('says which claim is missing when neither the id_token nor userinfo has it', async () => {
    const { res, text } = await signIn(t, { preferred_username: 'heidi' });
    expect(res.status).toBe(403);
    expect(text).toContain('sent no email claim (auth.oidc.username_claim)');
  });
});

describe('GitHub, OpenID Connect and PAM on one hub', () => {
  let t: TestHub;
  beforeAll(async () => {
    t = await startTestHub({
      hub: { bind: `127.0.0.1:${await freePort()}` },
      auth: {
        allowed_users: ['alice'],
        github: { client_id: 'cid', client_secret: 'csecret', url: gh.url, api_url: gh.apiUrl },
        oidc: { issuer: op.issuer, client_id: 'berth', client_secret: 'o s3cret:+', display_name: 'Keycloak' },
        pam: { enabled: true },
      },
    });
  });
  afterAll(() => t?.cleanup());

  it('offers all three on the login page: two buttons, then the password form, apart', async () => {
    const html = await (await fetch(`${t.url}/hub/login?next=%2Fhub%2Ftoken`)).text();
    const github = html.indexOf('id="github-login" href="/hub/oauth_login?next=%2Fhub%2Ftoken">Sign in with GitHub</a>');
    const oidc = html.indexOf('id="oidc-login" href="/hub/oidc/login?next=%2Fhub%2Ftoken">Sign in with Keycloak</a>');
    const separator = html.indexOf('role="separator"');
    const form = html.indexOf('<form method="post" action="/hub/login?next=%2Fhub%2Ftoken" id="pam-login"');
    expect([github, oidc, separator, form].every((at) => at > 0)).toBe(true);
    expect(github < oidc && oidc < separator && separator < form).toBe(true);
    expect(html).not.toContain('not configured');
  });

  it('keeps a name to the method that first signed it in: GitHub\'s alice is not the provider\'s alice', async () => {
    gh.login = 'alice';
    const jar = new CookieJar();
    const start = await jar.fetch(`${t.url}/hub/oauth_login`);
    const back = await jar.fetch(start.headers.get('location')!);
    expect((await jar.fetch(back.headers.get('location')!)).status).toBe(302);
    const { res, text } = await signIn(t, { preferred_username: 'alice' });
    expect(res.status).toBe(403);
    expect(text).toContain('alice is already a GitHub user on this hub: sign in with GitHub');
    expect(text).toContain('if this Keycloak account should have the name');
  });
});

describe('OpenID Connect provider unreachable', () => {
  let t: TestHub;
  let nowhere: string;
  beforeAll(async () => {
    nowhere = `http://127.0.0.1:${await freePort()}/realms/gone`;
    t = await startTestHub({ auth: { allowed_users: ['alice'], oidc: { issuer: nowhere, client_id: 'berth' } } });
  });
  afterAll(() => t?.cleanup());

  it('still starts, and the sign-in button answers 502 naming the discovery URL it tried', async () => {
    expect((await fetch(`${t.url}/hub/health`)).status).toBe(200);
    const res = await fetch(`${t.url}/hub/oidc/login`, { redirect: 'manual' });
    expect(res.status).toBe(502);
    const text = await res.text();
    expect(text).toContain(`could not be reached at ${nowhere}/.well-known/openid-configuration (ECONNREFUSED)`);
    expect(text).toContain('auth.oidc.issuer');
    expect(res.headers.get('set-cookie')).toBeNull();
  });
});
