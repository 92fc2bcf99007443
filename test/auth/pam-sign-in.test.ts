// PAM sign-in against the machine's real PAM stack (service "login"): the test creates throwaway system users and
// groups (it runs as root), signs in through the hub's form, and removes them afterwards.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CookieJar } from '../helpers/cookie-jar.js';
import { startTestHub, type TestHub } from '../helpers/test-hub.js';

const run = randomBytes(3).toString('hex');
const member = `bpm${run}`;
const bossy = `bpa${run}`;
const outsider = `bpo${run}`;
const locked = `bpl${run}`;
const expired = `bpe${run}`;
const listedAdmin = `bpx${run}`;
const usersGroup = `bpusers${run}`;
const adminsGroup = `bpadmins${run}`;
const PASSWORD = `Pw-${randomBytes(6).toString('hex')}!`;

function sh(cmd: string, args: string[], input?: string): void {
  execFileSync(cmd, args, { input, stdio: ['pipe', 'ignore', 'pipe'] });
}

async function signIn(t: TestHub, username: string, password: string, jar = new CookieJar()) {
  const started = Date.now();
  const res = await jar.fetch(`${t.url}/hub/login?next=${encodeURIComponent('/hub/home')}`, {
    method: 'POST',
    body: new URLSearchParams({ username, password }),
  });
  return { res, jar, text: await res.text(), ms: Date.now() - started };
}

const errorOf = (html: string) => /<p class="error" role="alert">([^<]*)<\/p>/.exec(html)?.[1];

let t: TestHub;
beforeAll(async () => {
  if (process.getuid?.() !== 0) throw new Error('The PAM test creates system users and must run as root.');
  sh('groupadd', [usersGroup]);
  sh('groupadd', [adminsGroup]);
  for (const name of [member, bossy, outsider, locked, expired, listedAdmin]) {
    sh('useradd', ['-M', '-s', '/usr/sbin/nologin', name]);
    sh('chpasswd', [], `${name}:${PASSWORD}\n`);
  }
  for (const name of [member, locked, expired]) sh('usermod', ['-aG', usersGroup, name]);
  sh('usermod', ['-aG', adminsGroup, bossy]);
  sh('usermod', ['-aG', adminsGroup, listedAdmin]);
  sh('usermod', ['-L', locked]);
  sh('chage', ['-E', '0', expired]);
  t = await startTestHub({
    auth: { admin_users: [listedAdmin], pam: { enabled: true, allowed_groups: [usersGroup], admin_groups: [adminsGroup] } },
  });
});

afterAll(async () => {
  await t?.cleanup();
  for (const name of [member, bossy, outsider, locked, expired, listedAdmin]) {
    try { sh('userdel', [name]); } catch { /* not created */ }
  }
  for (const group of [usersGroup, adminsGroup]) {
    try { sh('groupdel', [group]); } catch { /* not created */ }
  }
});

describe('PAM sign-in', () => {
  it('shows a username/password form on /hub/login when PAM is enabled', async () => {
    const html = await (await fetch(`${t.url}/hub/login`)).text();
    expect(html).toContain('<form method="post" action="/hub/login"');
    expect(html).toContain('name="password" type="password"');
  });

  it('signs in a member of allowed_groups with the right password and lands on next', async () => {
    const { res, jar } = await signIn(t, member.toUpperCase(), PASSWORD);
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/hub/home');
    const home = await jar.fetch(`${t.url}/hub/home`);
    expect(await home.text()).toContain(`<strong id="signed-in-user">${member}</strong>`);
    expect(t.users.get(member)).toMatchObject({ admin: false });
  });

  it('gives a wrong password, an unknown user, a locked and an expired account the same answer after the same fixed delay', async () => {
    const attempts = [
      await signIn(t, member, 'wrong-password'),
      await signIn(t, `nobody${run}`, PASSWORD),
      await signIn(t, locked, PASSWORD),
      await signIn(t, expired, PASSWORD),
    ];
    for (const a of attempts) {
      expect(a.res.status).toBe(403);
      expect(errorOf(a.text)).toBe('Invalid username or password.');
      expect(a.jar.cookies.has('jupyterhub-hub-login')).toBe(false);
      // Every failure is padded to one second, so none of them answers early.
      expect(a.ms).toBeGreaterThanOrEqual(990);
    }
  });

  it('refuses a user with the right password who is in no allowed group, saying which groups', async () => {
    const { res, text } = await signIn(t, outsider, PASSWORD);
    expect(res.status).toBe(403);
    expect(errorOf(text)).toContain(`not in any of the UNIX groups ${usersGroup} (auth.pam.allowed_groups)`);
  });

  it('makes members of admin_groups admins and revokes it when they leave the group, unless listed in admin_users', async () => {
    expect((await signIn(t, bossy, PASSWORD)).res.status).toBe(303);
    expect(t.users.get(bossy)?.admin).toBe(true);
    expect((await signIn(t, listedAdmin, PASSWORD)).res.status).toBe(303);
    expect(t.users.get(listedAdmin)?.admin).toBe(true);
    sh('gpasswd', ['-d', bossy, adminsGroup]);
    sh('gpasswd', ['-d', listedAdmin, adminsGroup]);
    sh('usermod', ['-aG', usersGroup, bossy]);
    expect((await signIn(t, bossy, PASSWORD)).res.status).toBe(303);
    expect(t.users.get(bossy)?.admin).toBe(false);
    expect((await signIn(t, listedAdmin, PASSWORD)).res.status).toBe(303);
    expect(t.users.get(listedAdmin)?.admin).toBe(true);
  });

  it('refuses an oversized form without trying PAM', async () => {
    const res = await fetch(`${t.url}/hub/login`, { method: 'POST', body: new URLSearchParams({ username: 'a'.repeat(1_000_000), password: 'x' }) });
    expect(res.status).toBe(413);
  });

  it('rate-limits failed attempts per user: after five, even the right password gets 429', async () => {
    const fails = await Promise.all(Array.from({ length: 5 }, () => signIn(t, member, 'wrong')));
    expect(fails.map((f) => f.res.status)).toEqual([403, 403, 403, 403, 403]);
    const blocked = await signIn(t, member, PASSWORD);
    expect(blocked.res.status).toBe(429);
    expect(Number(blocked.res.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(errorOf(blocked.text)).toContain('Too many failed sign-in attempts');
    expect(blocked.jar.cookies.has('jupyterhub-hub-login')).toBe(false);
  });

  it('rate-limits failed attempts per client address across user names', async () => {
    const fails = await Promise.all(Array.from({ length: 20 }, (_, i) => signIn(t, `spray${i}${run}`, 'wrong')));
    expect(fails.every((f) => f.res.status === 403)).toBe(true);
    const blocked = await signIn(t, bossy, PASSWORD);
    expect(blocked.res.status).toBe(429);
  });
});

describe('PAM sign-in when PAM cannot be asked', () => {
  let broken: TestHub;
  beforeAll(async () => {
    broken = await startTestHub(
      { auth: { pam: { enabled: true, allowed_groups: [usersGroup] } } },
      { overrides: { env: { BERTH_PYTHON: '/nonexistent/python3' } } },
    );
  });
  afterAll(() => broken?.cleanup());

  it('answers 503 saying password sign-in is not working, instead of blaming the password', async () => {
    const { res, text } = await signIn(broken, member, PASSWORD);
    expect(res.status).toBe(503);
    expect(text).toContain('Password sign-in is not working on this hub');
    expect(text).not.toContain('Invalid username or password');
  });
});
