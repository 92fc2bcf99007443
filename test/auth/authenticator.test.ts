// The Authenticator contract without a hub: what authenticate() says for GitHub (against the GitHub stand-in),
// OpenID Connect (against the provider stand-in) and PAM (a stand-in helper), and the one completeSignIn() they all
// end in: the same identity facts give the same user, admin flag and refusal whatever the method.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { createSignInCompleter, type Identity, type OAuthAuthenticator, type SignInMethod } from '../../src/auth/authenticator.js';
import { createGithubAuthenticator } from '../../src/auth/github.js';
import { createGithubTokenVault } from '../../src/auth/github-token.js';
import { createOAuthStates } from '../../src/auth/oauth-state.js';
import { createOidcAuthenticator } from '../../src/auth/oidc.js';
import { createPamAuthenticator } from '../../src/auth/pam.js';
import { createSessions } from '../../src/auth/sessions.js';
import { parseConfig, type HubConfig } from '../../src/config/load.js';
import type { ConfigInput } from '../../src/config/schema.js';
import { openDatabase, type OpenedDb } from '../../src/db/open.js';
import { createLogger } from '../../src/log.js';
import { createUserStore, type UserStore } from '../../src/users/store.js';
import { startFakeGithub, type FakeGithub } from '../fakes/github.js';
import { startFakeOidc, type FakeOidc } from '../fakes/oidc.js';

const log = createLogger('silent');
let dir: string;
let gh: FakeGithub;
let op: FakeOidc;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'berth-authenticator-'));
  [gh, op] = await Promise.all([startFakeGithub({ clientId: 'cid', clientSecret: 'csecret' }), startFakeOidc({ clientId: 'berth', clientSecret: 'osecret' })]);
  gh.addOrgMember('acme', 'alice');
});
afterAll(async () => {
  await Promise.all([gh?.close(), op?.close()]);
  rmSync(dir, { recursive: true, force: true });
});

function configOf(input: ConfigInput): HubConfig {
  return parseConfig(stringify({ ...input, hub: { data_dir: dir, bind: '127.0.0.1:8000', ...input.hub } }), path.join(dir, 'hub.yaml'), {});
}

/** One round trip to the provider's authorize endpoint, as the web layer runs it; the code comes back. */
async function codeFrom(auth: OAuthAuthenticator) {
  const { round } = createOAuthStates(Buffer.alloc(32, 1), auth.method).begin(null);
  const back = await fetch(await auth.authorizeUrl(round), { redirect: 'manual' });
  const code = new URL(back.headers.get('location')!).searchParams.get('code')!;
  return { code, verifier: round.verifier, nonce: round.nonce };
}

describe('GitHub through the contract', () => {
  it('says who signed in (the login lowercased, no groups) and asks about organisations only when asked', async () => {
    const config = configOf({ auth: { github: { client_id: 'cid', client_secret: 'csecret', url: gh.url, api_url: gh.apiUrl, allowed_organizations: ['acme'] }, allow_all: true } });
    const github = createGithubAuthenticator({ config, tokens: createGithubTokenVault(config, {}) })!;
    gh.login = 'Alice';
    const identity = await github.authenticate(await codeFrom(github), log);
    expect(identity).toMatchObject({ method: 'github', name: 'alice', groups: [], inAdminGroup: false, authState: { githubTokenEncrypted: null } });
    expect(await identity!.membership()).toBe('acme');
    gh.login = 'bob';
    expect(await (await github.authenticate(await codeFrom(github), log))!.membership()).toBeNull();
  });

  it('hands the token over sealed as auth state when pass_token is on', async () => {
    const config = configOf({ auth: { allow_all: true, github: { client_id: 'cid', client_secret: 'csecret', url: gh.url, api_url: gh.apiUrl, pass_token: true } } });
    const vault = createGithubTokenVault(config, { BERTH_CRYPT_KEY: 'ab'.repeat(32) });
    const github = createGithubAuthenticator({ config, tokens: vault })!;
    gh.login = 'alice';
    const identity = await github.authenticate(await codeFrom(github), log);
    expect(vault.envFor(identity!.authState!)).toEqual({ GITHUB_TOKEN: gh.issuedTokens.at(-1) });
  });

  it('is off (null) without client credentials', () => {
    const config = configOf({ auth: { allow_all: true } });
    expect(createGithubAuthenticator({ config, tokens: createGithubTokenVault(config, {}) })).toBeNull();
  });
});

describe('OpenID Connect through the contract', () => {
  const oidcConfig = (oidc: Record<string, unknown> = {}) =>
    configOf({ auth: { allow_all: true, oidc: { issuer: op.issuer, client_id: 'berth', client_secret: 'osecret', allowed_groups: ['staff'], admin_groups: ['ops'], ...oidc } } });

  it('says who signed in, with the groups claim deciding allowed_groups and admin_groups', async () => {
    const oidc = createOidcAuthenticator({ config: oidcConfig() })!;
    op.claims = { preferred_username: 'Carol', groups: ['ops', 'staff', 7] };
    const identity = await oidc.authenticate(await codeFrom(oidc), log);
    expect(identity).toMatchObject({ method: 'oidc', name: 'carol', groups: ['ops', 'staff'], inAdminGroup: true });
    expect(await identity!.membership()).toBe('staff');
    op.claims = { preferred_username: 'dave', groups: 'visitors' };
    const outsider = await oidc.authenticate(await codeFrom(oidc), log);
    expect(outsider).toMatchObject({ groups: ['visitors'], inAdminGroup: false });
    expect(await outsider!.membership()).toBeNull();
  });

  it('reads nested claims by a dotted path (Keycloak realm roles) and namespaced claims by their exact name (Auth0)', async () => {
    const nested = createOidcAuthenticator({ config: oidcConfig({ groups_claim: 'realm_access.roles' }) })!;
    op.claims = { preferred_username: 'erin', realm_access: { roles: ['ops'] } };
    expect(await nested.authenticate(await codeFrom(nested), log)).toMatchObject({ inAdminGroup: true });
    const namespaced = createOidcAuthenticator({ config: oidcConfig({ groups_claim: 'https://hub.example.org/groups' }) })!;
    op.claims = { preferred_username: 'erin', 'https://hub.example.org/groups': ['staff'] };
    expect(await namespaced.authenticate(await codeFrom(namespaced), log)).toMatchObject({ groups: ['staff'], inAdminGroup: false });
  });

  it('refuses a provider whose discovery document names another issuer, saying what to set, and asks again next time', async () => {
    const oidc = createOidcAuthenticator({ config: oidcConfig() })!;
    op.discoveryIssuer = 'https://elsewhere.example/realms/berth';
    try {
      await expect(oidc.authorizeUrl({ state: 's', verifier: 'v'.repeat(43), nonce: 'n' }))
        .rejects.toMatchObject({ status: 502, message: expect.stringContaining('set auth.oidc.issuer to the provider\'s issuer exactly') });
    } finally {
      op.discoveryIssuer = null;
    }
    await expect(oidc.authorizeUrl({ state: 's', verifier: 'v'.repeat(43), nonce: 'n' })).resolves.toBeInstanceOf(URL);
  });

  it('refuses a code redeemed with another nonce than its round trip\'s', async () => {
    const oidc = createOidcAuthenticator({ config: oidcConfig() })!;
    op.claims = { preferred_username: 'carol' };
    const round = await codeFrom(oidc);
    await expect(oidc.authenticate({ ...round, nonce: 'another' }, log)).rejects.toMatchObject({ status: 403, message: expect.stringContaining('nonce') });
  });

  it('forgives a trailing slash on the issuer; refuses plain http off this machine, and an issuer without a client id', async () => {
    const config = oidcConfig({ issuer: `${op.url}/realms/berth/` });
    const trailing = createOidcAuthenticator({ config })!;
    await expect(trailing.authorizeUrl({ state: 's', verifier: 'v'.repeat(43), nonce: 'n' })).resolves.toBeInstanceOf(URL);
    expect(() => configOf({ auth: { allow_all: true, oidc: { issuer: 'http://idp.example.org/', client_id: 'x' } } })).toThrow(/auth\.oidc\.issuer.*https/s);
    expect(() => configOf({ auth: { allow_all: true, oidc: { issuer: op.issuer } } })).toThrow(/auth\.oidc\.client_id.*required/s);
  });
});

describe('PAM through the contract', () => {
  let helper: string;
  beforeAll(() => {
    // Stands in for the Python helper: accepts the password "right" for anyone, refuses the rest as PAM would.
    helper = path.join(dir, 'pam-stand-in.sh');
    writeFileSync(helper, `#!/bin/sh\ngrep -q '"password":"right"' && exit 0\necho 'Authentication failure' >&2\nexit 1\n`);
    chmodSync(helper, 0o755);
  });
  const pamOf = (python: string) =>
    createPamAuthenticator({ pam: configOf({ auth: { allow_all: true, pam: { enabled: true, allowed_groups: ['root'], admin_groups: ['root'] } } }).auth.pam, python });

  it('says who signed in with the UNIX groups, and null for a wrong or empty password', async () => {
    const pam = pamOf(helper);
    const identity = await pam.authenticate({ name: 'root', password: 'right' }, log);
    expect(identity).toMatchObject({ method: 'pam', name: 'root', inAdminGroup: true });
    expect(identity!.groups).toContain('root');
    expect(await identity!.membership()).toBe('root');
    expect(await pam.authenticate({ name: 'root', password: 'wrong' }, log)).toBeNull();
    expect(await pam.authenticate({ name: 'root', password: '' }, log)).toBeNull();
  });

  it('throws a 503 when PAM cannot be asked at all, instead of answering "wrong password"', async () => {
    await expect(pamOf('/nonexistent/python3').authenticate({ name: 'root', password: 'right' }, log))
      .rejects.toMatchObject({ status: 503, message: expect.stringContaining('Password sign-in is not working') });
  });
});

describe('completeSignIn: one rule for every method', () => {
  let opened: OpenedDb;
  let users: UserStore;
  let n = 0;
  beforeEach(() => {
    opened?.close();
    opened = openDatabase(mkdtempSync(path.join(dir, `db-${n++}-`)));
    users = createUserStore(opened.db);
  });
  afterAll(() => opened?.close());

  const completerFor = (auth: Record<string, unknown>) => {
    const config = configOf({ auth: { allowed_users: ['alice', 'bob'], ...auth } });
    return createSignInCompleter({ config, users, sessions: createSessions({ db: opened.db, secret: Buffer.alloc(32, 2), config }) });
  };
  const identity = (method: SignInMethod, name: string, facts: Partial<Identity> = {}): Identity => ({
    method, name, groups: [], inAdminGroup: false, membership: async () => null, ...facts,
  });
  const METHODS: SignInMethod[] = ['github', 'oidc', 'pam'];

  it('admits by the same rules whatever the method, and creates the user bound to it', async () => {
    const { completeSignIn } = completerFor({ blocked_users: ['mallory'] });
    for (const method of METHODS) {
      const name = `${method}-user`;
      expect(await completeSignIn(identity(method, name), log)).toEqual({ refused: expect.stringContaining(`${name} is not allowed to use this hub`) });
      const viaGroup = await completeSignIn(identity(method, name, { membership: async () => 'staff' }), log);
      expect(viaGroup).toMatchObject({ user: { name, authenticator: method, admin: false } });
      expect(await completeSignIn(identity(method, 'mallory', { inAdminGroup: true, membership: async () => 'staff' }), log))
        .toEqual({ refused: 'mallory is listed in auth.blocked_users.' });
    }
    expect(users.get('mallory')).toBeNull();
  });

  it('asks the method about membership only when no earlier rule decided', async () => {
    const { completeSignIn } = completerFor({ allow_all: true });
    let asked = 0;
    for (const method of METHODS) await completeSignIn(identity(method, `${method}-x`, { membership: async () => (asked++, null) }), log);
    expect(asked).toBe(0);
  });

  it('grants admin from admin_groups while the user is in one, and revokes it at the first sign-in outside, for OIDC and PAM alike', async () => {
    const { completeSignIn } = completerFor({ pam: { enabled: true, admin_groups: ['wheel'] }, oidc: { issuer: op.issuer, client_id: 'berth', admin_groups: ['ops'] } });
    for (const method of ['oidc', 'pam'] as const) {
      const name = `${method}-admin`;
      expect(await completeSignIn(identity(method, name, { inAdminGroup: true }), log)).toMatchObject({ user: { admin: true, adminSource: 'admin_groups' } });
      expect(await completeSignIn(identity(method, name, { membership: async () => 'staff' }), log)).toMatchObject({ user: { admin: false, adminSource: null } });
    }
  });

  it('never lets a group grant outlive a sign-in through a method that did not make it (shared names)', async () => {
    const { completeSignIn } = completerFor({ allow_shared_names: true, pam: { enabled: true, admin_groups: ['wheel'] } });
    await completeSignIn(identity('pam', 'alice', { inAdminGroup: true }), log);
    expect(users.get('alice')).toMatchObject({ admin: true });
    expect(await completeSignIn(identity('github', 'alice'), log)).toMatchObject({ user: { admin: false } });
  });

  it('keeps admin given by the hub (admin_users, or an admin) through every method', async () => {
    const { completeSignIn } = completerFor({ admin_users: ['boss'], allow_shared_names: true, pam: { enabled: true, admin_groups: ['wheel'] } });
    users.create('bob', { admin: true });
    for (const method of METHODS) {
      expect(await completeSignIn(identity(method, 'boss'), log)).toMatchObject({ user: { admin: true, adminSource: 'hub' } });
      expect(await completeSignIn(identity(method, 'bob'), log)).toMatchObject({ user: { admin: true, adminSource: 'hub' } });
    }
  });

  it('refuses a name another method owns, naming the owner, unless names are shared', async () => {
    const { completeSignIn } = completerFor({ oidc: { issuer: op.issuer, client_id: 'berth', display_name: 'Keycloak' } });
    await completeSignIn(identity('oidc', 'alice'), log);
    for (const method of ['github', 'pam'] as const) {
      expect(await completeSignIn(identity(method, 'alice'), log)).toEqual({ refused: expect.stringContaining('alice is already a user on this hub who signs in with Keycloak') });
    }
    await completeSignIn(identity('pam', 'bob'), log);
    expect(await completeSignIn(identity('oidc', 'bob'), log)).toEqual({ refused: expect.stringContaining('if this Keycloak account should have the name') });
  });

  it('stores the auth state the method hands over', async () => {
    const { completeSignIn } = completerFor({});
    expect(await completeSignIn(identity('github', 'alice', { authState: { githubTokenEncrypted: 'sealed' } }), log))
      .toMatchObject({ user: { githubTokenEncrypted: 'sealed' } });
  });

  it("keeps the groups the method reported at the latest sign-in (for catalog entries limited to groups)", async () => {
    const { completeSignIn } = completerFor({});
    await completeSignIn(identity('oidc', 'alice', { groups: ['gpu-users', 'staff'] }), log);
    expect(users.get('alice')?.authGroups).toEqual(['gpu-users', 'staff']);
    await completeSignIn(identity('oidc', 'alice', { groups: ['staff'] }), log);
    expect(users.get('alice')?.authGroups).toEqual(['staff']);
  });
});
