// One identity per name: a hub user belongs to the sign-in method that first signed the name in (GitHub or PAM),
// and an admin flag granted by PAM's admin_groups follows the group, never another method. Runs a real hub with
// the GitHub stand-in and the machine's PAM stack (throwaway system users and groups; it runs as root).
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { parseConfig } from '../../src/config/load.js';
import type { ConfigInput } from '../../src/config/schema.js';
import { signValue } from '../../src/auth/signed-value.js';
import { DEFAULT_MIGRATIONS, openDatabase } from '../../src/db/open.js';
import { createHub } from '../../src/hub.js';
import { createLogger } from '../../src/log.js';
import { createUserStore } from '../../src/users/store.js';
import { escaped } from '../helpers/escaped.js';
import { startFakeGithub, type FakeGithub } from '../fakes/github.js';
import { CookieJar } from '../helpers/cookie-jar.js';
import { freePort } from '../helpers/free-port.js';
import { startTestHub, type TestHub } from '../helpers/test-hub.js';

const run = randomBytes(3).toString('hex');
const PASSWORD = `Pw-${randomBytes(6).toString('hex')}!`;
const OPS_TOKEN = `ops-${randomBytes(12).toString('hex')}`;
const usersGroup = `biusers${run}`;
const adminsGroup = `biadmins${run}`;
/** Host accounts; each test uses its own names, and GitHub logins with the same spelling. */
const names = {
  hostFirst: `bih${run}`, githubFirst: `big${run}`, addedByApi: `bia${run}`, groupAdmin: `bio${run}`,
  apiAdmin: `bip${run}`, groupThenApi: `bit${run}`, emptiedGroups: `bie${run}`,
  shared: `bis${run}`, sharedGroupAdmin: `bix${run}`,
  legacyAdmin: `bla${run}`, legacyGithub: `blg${run}`,
};
const adminMembers = [names.groupAdmin, names.groupThenApi, names.emptiedGroups, names.sharedGroupAdmin, names.legacyAdmin];

function sh(cmd: string, args: string[], input?: string): void {
  execFileSync(cmd, args, { input, stdio: ['pipe', 'ignore', 'pipe'] });
}

const errorOf = (html: string) => /id="login-error">([^<]*)</.exec(html)?.[1];

async function pamSignIn(t: TestHub, username: string, jar = new CookieJar()) {
  const res = await jar.fetch(`${t.url}/hub/login`, { method: 'POST', body: new URLSearchParams({ username, password: PASSWORD }) });
  return { res, jar, text: await res.text() };
}

let gh: FakeGithub;

async function githubSignIn(t: TestHub, login: string, jar = new CookieJar()) {
  gh.login = login;
  const start = await jar.fetch(`${t.url}/hub/oauth_login`);
  const back = await jar.fetch(start.headers.get('location')!);
  const res = await jar.fetch(back.headers.get('location')!);
  return { res, jar, text: await res.text() };
}

/** What the hub's API says of a user, asked with the admin service's token. */
async function userModel(t: TestHub, name: string): Promise<{ name: string; admin: boolean }> {
  const res = await fetch(`${t.url}/hub/api/users/${name}`, { headers: { authorization: `token ${OPS_TOKEN}` } });
  expect(res.status).toBe(200);
  return res.json() as Promise<{ name: string; admin: boolean }>;
}

async function api(t: TestHub, method: string, apiPath: string, body?: unknown): Promise<Response> {
  return fetch(`${t.url}/hub/api${apiPath}`, {
    method,
    headers: { authorization: `token ${OPS_TOKEN}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

/** A hub with GitHub and PAM both on, a fixed port (so GitHub's callback URL is where it listens). */
async function identityHub(auth: Record<string, unknown> = {}): Promise<TestHub> {
  const port = await freePort();
  const config: ConfigInput = {
    hub: { bind: `127.0.0.1:${port}` },
    auth: {
      // Not the user an admin adds through the API: names in allowed_users exist from the hub's start.
      allowed_users: Object.values(names).filter((n) => n !== names.addedByApi),
      pam: { enabled: true, allowed_groups: [usersGroup], admin_groups: [adminsGroup] },
      github: { client_id: 'cid', client_secret: 'csecret', url: gh.url, api_url: gh.apiUrl },
      ...auth,
    },
    services: [{ name: 'ops', api_token: OPS_TOKEN, admin: true }],
  };
  return startTestHub(config);
}

/** Restarts the hub on the same data_dir and port with hub.yaml changed by `change`. */
async function restartWith(t: TestHub, change: (input: { auth: Record<string, unknown> & { pam: { admin_groups: string[] } } }) => void): Promise<void> {
  await t.hub.stop();
  const hubYaml = path.join(t.dataDir, 'hub.yaml');
  const input = parse(readFileSync(hubYaml, 'utf8'));
  change(input);
  writeFileSync(hubYaml, stringify(input));
  t.hub = createHub(parseConfig(stringify(input), hubYaml, {}), t.secrets, { docker: t.docker, logger: createLogger('silent') });
  t.users = createUserStore(t.hub.db);
  await t.hub.start();
}

const PAM_OWNED = (name: string) => `${name} is already a user on this hub who signs in with a username and password`;
const GITHUB_OWNED = (name: string) => `${name} is already a GitHub user on this hub: sign in with GitHub`;

beforeAll(async () => {
  if (process.getuid?.() !== 0) throw new Error('This test creates system users and must run as root.');
  gh = await startFakeGithub({ clientId: 'cid', clientSecret: 'csecret' });
  sh('groupadd', [usersGroup]);
  sh('groupadd', [adminsGroup]);
  for (const name of Object.values(names)) {
    sh('useradd', ['-M', '-s', '/usr/sbin/nologin', name]);
    sh('chpasswd', [], `${name}:${PASSWORD}\n`);
    sh('usermod', ['-aG', usersGroup, name]);
  }
  for (const name of adminMembers) sh('usermod', ['-aG', adminsGroup, name]);
});

afterAll(async () => {
  await gh?.close();
  for (const name of Object.values(names)) {
    try { sh('userdel', [name]); } catch { /* not created */ }
  }
  for (const group of [usersGroup, adminsGroup]) {
    try { sh('groupdel', [group]); } catch { /* not created */ }
  }
});

describe('one identity per name (auth.allow_shared_names off, the default)', () => {
  let t: TestHub;
  beforeAll(async () => {
    t = await identityHub();
  });
  afterAll(() => t?.cleanup());

  it('refuses the GitHub login alice when the host account alice signed in first, with a page saying how to sign in', async () => {
    const name = names.hostFirst;
    expect((await pamSignIn(t, name)).res.status).toBe(303);
    const { res, jar, text } = await githubSignIn(t, name);
    expect(res.status).toBe(403);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    expect(text).toContain(escaped(PAM_OWNED(name)));
    expect(text).toContain('ask an administrator');
    expect(jar.cookies.has('jupyterhub-hub-login')).toBe(false);
    // The host account still signs in as before.
    expect((await pamSignIn(t, name)).res.status).toBe(303);
  });

  it('refuses the host account alice when the GitHub login alice signed in first, on the login page', async () => {
    const name = names.githubFirst;
    expect((await githubSignIn(t, name)).res.status).toBe(302);
    const { res, jar, text } = await pamSignIn(t, name);
    expect(res.status).toBe(403);
    expect(errorOf(text)).toContain(escaped(GITHUB_OWNED(name)));
    expect(jar.cookies.has('jupyterhub-hub-login')).toBe(false);
    expect((await githubSignIn(t, name)).res.status).toBe(302);
  });

  it('binds a user an admin added through the API to the first method that signs in', async () => {
    const name = names.addedByApi;
    expect((await api(t, 'POST', `/users/${name}`)).status).toBe(201);
    expect((await githubSignIn(t, name)).res.status).toBe(302);
    const { res, text } = await pamSignIn(t, name);
    expect(res.status).toBe(403);
    expect(errorOf(text)).toContain(escaped(GITHUB_OWNED(name)));
  });

  it('makes a member of admin_groups admin, and not admin at the next sign-in once they left the group', async () => {
    const name = names.groupAdmin;
    expect((await pamSignIn(t, name)).res.status).toBe(303);
    expect((await userModel(t, name)).admin).toBe(true);
    sh('gpasswd', ['-d', name, adminsGroup]);
    expect((await pamSignIn(t, name)).res.status).toBe(303);
    expect((await userModel(t, name)).admin).toBe(false);
  });

  it('keeps admin granted by another admin through the API when the user signs in with PAM outside admin_groups', async () => {
    const name = names.apiAdmin;
    expect((await pamSignIn(t, name)).res.status).toBe(303);
    expect((await userModel(t, name)).admin).toBe(false);
    expect((await api(t, 'PATCH', `/users/${name}`, { admin: true })).status).toBe(200);
    expect((await pamSignIn(t, name)).res.status).toBe(303);
    expect((await userModel(t, name)).admin).toBe(true);
  });

  it('keeps admin an admin confirmed through the API after the user leaves admin_groups, until an admin removes it', async () => {
    const name = names.groupThenApi;
    expect((await pamSignIn(t, name)).res.status).toBe(303);
    expect((await userModel(t, name)).admin).toBe(true);
    expect((await api(t, 'PATCH', `/users/${name}`, { admin: true })).status).toBe(200);
    sh('gpasswd', ['-d', name, adminsGroup]);
    expect((await pamSignIn(t, name)).res.status).toBe(303);
    expect((await userModel(t, name)).admin).toBe(true);
    expect((await api(t, 'PATCH', `/users/${name}`, { admin: false })).status).toBe(200);
    sh('usermod', ['-aG', adminsGroup, name]);
    expect((await pamSignIn(t, name)).res.status).toBe(303);
    expect((await userModel(t, name)).admin).toBe(true);
    sh('gpasswd', ['-d', name, adminsGroup]);
    expect((await pamSignIn(t, name)).res.status).toBe(303);
    expect((await userModel(t, name)).admin).toBe(false);
  });

  it('ends admin granted by admin_groups when the hub restarts with no admin groups in hub.yaml', async () => {
    // A hub of its own: the restart changes hub.yaml, which the other tests here must not see.
    const t = await identityHub();
    try {
      const name = names.emptiedGroups;
      expect((await pamSignIn(t, name)).res.status).toBe(303);
      expect((await userModel(t, name)).admin).toBe(true);
      await restartWith(t, (input) => {
        input.auth.pam.admin_groups = [];
      });
      expect((await userModel(t, name)).admin).toBe(false);
      expect((await pamSignIn(t, name)).res.status).toBe(303);
      expect((await userModel(t, name)).admin).toBe(false);
    } finally {
      await t.cleanup();
    }
  });
});

describe('shared names (auth.allow_shared_names: true)', () => {
  let t: TestHub;
  beforeAll(async () => {
    t = await identityHub({ allow_shared_names: true });
  });
  afterAll(() => t?.cleanup());

  it('lets the host account and the GitHub login of one name both sign in as that one hub user', async () => {
    const name = names.shared;
    const host = await pamSignIn(t, name);
    expect(host.res.status).toBe(303);
    const github = await githubSignIn(t, name);
    expect(github.res.status).toBe(302);
    for (const jar of [host.jar, github.jar]) {
      expect(await (await jar.fetch(`${t.url}/hub/home`)).text()).toContain(`<strong id="signed-in-user">${name}</strong>`);
    }
    expect((await pamSignIn(t, name)).res.status).toBe(303);
  });

  it('does not make a name admin through GitHub because its host account is in admin_groups', async () => {
    const name = names.sharedGroupAdmin;
    expect((await pamSignIn(t, name)).res.status).toBe(303);
    expect((await userModel(t, name)).admin).toBe(true);
    const github = await githubSignIn(t, name);
    expect(github.res.status).toBe(302);
    expect((await userModel(t, name)).admin).toBe(false);
    expect(await (await github.jar.fetch(`${t.url}/hub/home`)).text()).not.toContain('id="admin-link"');
    // Through PAM, the group still makes the name admin.
    expect((await pamSignIn(t, name)).res.status).toBe(303);
    expect((await userModel(t, name)).admin).toBe(true);
  });

  it('ends the sessions of the method that does not own a name once sharing is turned off', async () => {
    // A hub of its own: the restart turns sharing off, which the other tests here must not see.
    const t = await identityHub({ allow_shared_names: true });
    try {
      const name = names.shared;
      const host = await pamSignIn(t, name);
      const github = await githubSignIn(t, name);
      await restartWith(t, (input) => {
        input.auth.allow_shared_names = false;
      });
      expect((await host.jar.fetch(`${t.url}/hub/home`)).status).toBe(200);
      const refused = await github.jar.fetch(`${t.url}/hub/home`);
      expect(refused.status).toBe(302);
      expect(refused.headers.get('location')).toMatch(/^\/hub\/login/);
    } finally {
      await t.cleanup();
    }
  });
});

describe('upgrading a database from before sign-in methods were recorded', () => {
  let t: TestHub;
  const sessionId = randomBytes(32).toString('base64url');
  const strayId = randomBytes(32).toString('base64url');
  const cookieFor = (id: string) => {
    const secret = Buffer.from(readFileSync(path.join(t.dataDir, 'jupyterhub_cookie_secret'), 'utf8').trim(), 'hex');
    return `jupyterhub-hub-login=${signValue(secret, 'jupyterhub-hub-login', id)}`;
  };

  /** The shipped migrations up to and including the first one: the schema of the previous release. */
  function firstMigrationOnly(): string {
    const folder = path.join(mkdtempSync(path.join(tmpdir(), 'berth-identity-')), 'migrations');
    cpSync(DEFAULT_MIGRATIONS, folder, { recursive: true });
    const journalFile = path.join(folder, 'meta', '_journal.json');
    const journal = JSON.parse(readFileSync(journalFile, 'utf8')) as { entries: { tag: string }[] };
    journal.entries = journal.entries.slice(0, 1);
    writeFileSync(journalFile, JSON.stringify(journal));
    return folder;
  }

  // A freshly upgraded database per test: the tests sign the legacy users in, which changes what the others read.
  beforeEach(async () => {
    t = await identityHub();
    await t.hub.stop();
    for (const file of readdirSync(t.dataDir).filter((f) => f.startsWith('jupyterhub.sqlite'))) rmSync(path.join(t.dataDir, file));
    const old = openDatabase(t.dataDir, firstMigrationOnly());
    const insert = old.db.$client.prepare('INSERT INTO users (name, slug, admin) VALUES (?, ?, ?)');
    const legacyAdmin = insert.run(names.legacyAdmin, names.legacyAdmin, 1).lastInsertRowid;
    const legacyGithub = insert.run(names.legacyGithub, names.legacyGithub, 0).lastInsertRowid;
    // Browser sessions from before the upgrade (only the hash of an id is stored): the legacy admin's own, and one
    // the host account of the GitHub user's name opened when names were shared, with a token issued in it.
    const session = old.db.$client.prepare('INSERT INTO sessions (id_hash, user_id, session_id, authenticator, expires_at) VALUES (?, ?, ?, ?, ?)');
    session.run(createHash('sha256').update(sessionId).digest('hex'), legacyAdmin, 'legacy', 'pam', Date.now() + 3_600_000);
    session.run(createHash('sha256').update(strayId).digest('hex'), legacyGithub, 'stray', 'pam', Date.now() + 3_600_000);
    old.db.$client.prepare("INSERT INTO api_tokens (prefix, hash, user_id, session_id, note) VALUES ('zzzz', 'h', ?, 'stray', 'minted by the host account')")
      .run(legacyGithub);
    old.close();
    await t.restart();
  });
  afterEach(() => t?.cleanup());

  it('migrates it with a backup, and its users and sessions keep working', async () => {
    expect(readdirSync(t.dataDir).some((f) => /^jupyterhub\.sqlite\..*\.bak$/.test(f))).toBe(true);
    expect(await userModel(t, names.legacyGithub)).toMatchObject({ name: names.legacyGithub, admin: false });
    expect(await userModel(t, names.legacyAdmin)).toMatchObject({ name: names.legacyAdmin, admin: true });
    const home = await fetch(`${t.url}/hub/home`, { headers: { cookie: cookieFor(sessionId) } });
    expect(home.status).toBe(200);
    expect(await home.text()).toContain(`<strong id="signed-in-user">${names.legacyAdmin}</strong>`);
  });

  it('binds an existing user to the first method that signs in after the upgrade, ending the other method\'s sessions and their tokens', async () => {
    const name = names.legacyGithub;
    const tokenNotes = async () => {
      const res = await api(t, 'GET', `/users/${name}/tokens`);
      return ((await res.json()) as { api_tokens: { note: string }[] }).api_tokens.map((tk) => tk.note);
    };
    expect((await fetch(`${t.url}/hub/home`, { headers: { cookie: cookieFor(strayId) }, redirect: 'manual' })).status).toBe(200);
    expect(await tokenNotes()).toContain('minted by the host account');
    expect((await githubSignIn(t, name)).res.status).toBe(302);
    const { res, text } = await pamSignIn(t, name);
    expect(res.status).toBe(403);
    expect(errorOf(text)).toContain(escaped(GITHUB_OWNED(name)));
    expect((await fetch(`${t.url}/hub/home`, { headers: { cookie: cookieFor(strayId) }, redirect: 'manual' })).status).toBe(302);
    expect(await tokenNotes()).not.toContain('minted by the host account');
  });

  it('applies admin_groups to an existing admin at the first PAM sign-in: out of the group, no longer admin', async () => {
    const name = names.legacyAdmin;
    sh('gpasswd', ['-d', name, adminsGroup]);
    expect((await pamSignIn(t, name)).res.status).toBe(303);
    expect((await userModel(t, name)).admin).toBe(false);
  });
});
