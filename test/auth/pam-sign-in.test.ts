// PAM sign-in against the machine's real PAM stack (service "login"): the test creates throwaway system users and
// groups (it runs as root), signs in through the hub's form, and removes them afterwards.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { escaped } from '../helpers/escaped.js';
import { CookieJar } from '../helpers/cookie-jar.js';
import { startTestHub, type TestHub } from '../helpers/test-hub.js';

const run = randomBytes(3).toString('hex');
const member = `bpm${run}`;
const bossy = `bpa${run}`;
const outsider = `bpo${run}`;
const locked = `bpl${run}`;
const expired = `bpe${run}`;
const listedAdmin = `bpx${run}`;
const blocked = `bpb${run}`;
const usersGroup = `bpusers${run}`;
const adminsGroup = `bpadmins${run}`;
const noSuchGroup = `bpnosuch${run}`;
const PASSWORD = `Pw-${randomBytes(6).toString('hex')}!`;

function sh(cmd: string, args: string[], input?: string): void {
  execFileSync(cmd, args, { input, stdio: ['pipe', 'ignore', 'pipe'] });
}

async function signIn(t: TestHub, username: string, password: string, jar = new CookieJar(), next = '/hub/home') {
  const started = Date.now();
  const res = await jar.fetch(`${t.url}/hub/login?next=${encodeURIComponent(next)}`, {
    method: 'POST',
    body: new URLSearchParams({ username, password }),
  });
  return { res, jar, text: await res.text(), ms: Date.now() - started };
}

const errorOf = (html: string) => /id="login-error">([^<]*)</.exec(html)?.[1];

/** The hub's log lines (JSON), to check what a sign-in attempt writes there. */
const logLines: string[] = [];
const logSink = { write: (chunk: string) => void logLines.push(...chunk.split('\n').filter(Boolean)) };

// A group that does not exist on the host is listed too: it must admit nobody and break nothing.
const pamHub = {
  auth: { admin_users: [listedAdmin], blocked_users: [blocked], pam: { enabled: true, allowed_groups: [usersGroup, noSuchGroup], admin_groups: [adminsGroup] } },
};

let t: TestHub;
beforeAll(async () => {
  if (process.getuid?.() !== 0) throw new Error('The PAM test creates system users and must run as root.');
  sh('groupadd', [usersGroup]);
  sh('groupadd', [adminsGroup]);
  for (const name of [member, bossy, outsider, locked, expired, listedAdmin, blocked]) {
    sh('useradd', ['-M', '-s', '/usr/sbin/nologin', name]);
    sh('chpasswd', [], `${name}:${PASSWORD}\n`);
  }
  for (const name of [member, locked, expired, blocked]) sh('usermod', ['-aG', usersGroup, name]);
  sh('usermod', ['-aG', adminsGroup, bossy]);
  sh('usermod', ['-aG', adminsGroup, listedAdmin]);
  sh('usermod', ['-L', locked]);
  sh('chage', ['-E', '0', expired]);
  t = await startTestHub(pamHub, { overrides: { logger: createLogger('info', logSink) } });
});

afterAll(async () => {
  await t?.cleanup();
  for (const name of [member, bossy, outsider, locked, expired, listedAdmin, blocked]) {
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

  it('gives a wrong password, an unknown user, a locked and an expired account and an invalid name the same answer after the same fixed delay', async () => {
    const attempts = [
      { name: member, ...await signIn(t, member, 'wrong-password') },
      { name: `nobody${run}`, ...await signIn(t, `nobody${run}`, PASSWORD) },
      { name: locked, ...await signIn(t, locked, PASSWORD) },
      { name: expired, ...await signIn(t, expired, PASSWORD) },
      { name: '../etc/passwd', ...await signIn(t, '../etc/passwd', PASSWORD) },
    ];
    // The page echoes the typed name into the form; apart from that, every answer is the same page, byte for byte.
    const page = (a: (typeof attempts)[number]) => a.text.replaceAll(`value="${escaped(a.name)}"`, 'value="NAME"');
    const headers = (a: (typeof attempts)[number]) => [...a.res.headers].filter(([k]) => !['date', 'x-request-id', 'content-length'].includes(k));
    for (const a of attempts) {
      expect(a.res.status).toBe(403);
      expect(errorOf(a.text)).toBe('Invalid username or password.');
      expect(page(a)).toBe(page(attempts[0]));
      expect(headers(a)).toEqual(headers(attempts[0]));
      expect(a.jar.cookies.has('jupyterhub-hub-login')).toBe(false);
      // Every failure is padded to one second (auth.pam's fixed delay), so none of them answers early.
      expect(a.ms).toBeGreaterThanOrEqual(990);
    }
  });

  it('strips whitespace around the name and lowercases it, and lands on the next the form was given', async () => {
    const next = `/user/${member}/lab?x=1`;
    const { res, jar } = await signIn(t, `  ${member.toUpperCase()}\t`, PASSWORD, new CookieJar(), next);
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(next);
    expect(await (await jar.fetch(`${t.url}/hub/home`)).text()).toContain(`<strong id="signed-in-user">${member}</strong>`);
  });

  it('refuses a blocked user even with the right password and membership of an allowed group', async () => {
    const { res, text, jar } = await signIn(t, blocked, PASSWORD);
    expect(res.status).toBe(403);
    expect(errorOf(text)).toBe(`${blocked} is listed in auth.blocked_users.`);
    expect(jar.cookies.has('jupyterhub-hub-login')).toBe(false);
    expect(t.users.get(blocked)).toBeNull();
  });

  it('escapes the typed name and next when it shows the form again', async () => {
    const { text } = await signIn(t, '"><script>alert(1)</script>', 'x', new CookieJar(), `/hub/home?a="><img src=x onerror=alert(1)>&b='`);
    expect(text).not.toContain('<script>alert(1)');
    expect(text).not.toContain('<img src=x');
    expect(text).toContain('value="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"');
    expect(text).toContain('action="/hub/login?next=%2Fhub%2Fhome%3Fa%3D%22%3E%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E%26b%3D\'"'.replace("\'", '&#39;'));
  });

  it('logs a failed attempt with a long user name cut short, and answers it like any other failure (GHSA-p43p)', async () => {
    const long = `bp${'q'.repeat(60_000)}`;
    logLines.length = 0;
    const { res, text } = await signIn(t, long, 'x');
    expect(res.status).toBe(403);
    expect(errorOf(text)).toBe('Invalid username or password.');
    const failed = logLines.filter((line) => line.includes('PAM sign-in failed'));
    expect(failed).toHaveLength(1);
    expect(logLines.every((line) => line.length < 2000)).toBe(true);
    expect(logLines.join('\n')).not.toContain('q'.repeat(100));
  });

  it('refuses a user with the right password who is in no allowed group, saying which groups', async () => {
    const { res, text } = await signIn(t, outsider, PASSWORD);
    expect(res.status).toBe(403);
    expect(errorOf(text)).toContain(`not in any of the UNIX groups ${usersGroup}, ${noSuchGroup} (auth.pam.allowed_groups)`);
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

  it('refuses an oversized form (a 1 MB user name or password) without trying PAM or logging it', async () => {
    logLines.length = 0;
    for (const form of [{ username: 'z'.repeat(1_000_000), password: 'x' }, { username: member, password: 'z'.repeat(1_000_000) }]) {
      const res = await fetch(`${t.url}/hub/login`, { method: 'POST', body: new URLSearchParams(form) });
      expect(res.status).toBe(413);
    }
    expect(logLines.join('\n')).not.toContain('z'.repeat(100));
    expect(logLines.some((line) => line.includes('PAM sign-in failed'))).toBe(false);
    expect((await fetch(`${t.url}/hub/health`)).status).toBe(200);
  });
});

describe('PAM sign-in throttling', () => {
  // A hub per test: failed attempts count per hub, and a limit reached here would answer 429 to the other tests.
  let t: TestHub;
  beforeEach(async () => {
    t = await startTestHub(pamHub);
  });
  afterEach(() => t?.cleanup());

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
    // 20 failures from one address is the limit: the last of the spray may already meet it.
    expect(fails.every((f) => f.res.status === 403 || f.res.status === 429)).toBe(true);
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

describe('PAM sign-in with another auth.pam.service', () => {
  // A site stack that refuses everyone: if the hub asked "login" instead, the right password would get in.
  const service = `bpdeny${run}`;
  const file = `/etc/pam.d/${service}`;
  let denying: TestHub;
  beforeAll(async () => {
    writeFileSync(file, 'auth required pam_deny.so\naccount required pam_deny.so\n');
    denying = await startTestHub({ auth: { pam: { enabled: true, service, allowed_groups: [usersGroup] } } });
  });
  afterAll(async () => {
    await denying?.cleanup();
    rmSync(file, { force: true });
  });

  it('asks the configured PAM service, not login', async () => {
    const { res, text, jar } = await signIn(denying, member, PASSWORD);
    expect(res.status).toBe(403);
    expect(errorOf(text)).toBe('Invalid username or password.');
    expect(jar.cookies.has('jupyterhub-hub-login')).toBe(false);
  });
});
