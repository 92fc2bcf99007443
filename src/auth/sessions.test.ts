import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Hono } from 'hono';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../config/load.js';
import { openDatabase, type OpenedDb } from '../db/open.js';
import { apiTokens, sessions as sessionsTable } from '../db/schema.js';
import { createUserStore } from '../users/store.js';
import { endSession, startSession } from '../web/session-cookies.js';
import { createSessions, LOGIN_COOKIE, SESSION_ID_COOKIE } from './sessions.js';

let dir: string;
let opened: OpenedDb;

function setup(yaml: string, secret = randomBytes(32)) {
  const config = parseConfig(`hub: {data_dir: ${dir}}\nauth: {admin_users: [alice]}\n${yaml}`, path.join(dir, 'hub.yaml'), {});
  const sessions = createSessions({ db: opened.db, secret, config });
  const alice = createUserStore(opened.db).ensure('alice');
  const app = new Hono();
  app.get('/login', (c) => c.text(startSession(c, sessions, alice.id, 'github')));
  app.get('/logout', (c) => (endSession(c, sessions), c.text('bye')));
  return { sessions, alice, app, secret, config };
}

async function signIn(app: Hono): Promise<{ cookies: string[]; header: string; sessionId: string }> {
  const res = await app.request('/login');
  const cookies = res.headers.getSetCookie();
  return { cookies, header: cookies.map((c) => c.split(';')[0]).join('; '), sessionId: await res.text() };
}

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'berth-sessions-'));
  opened = openDatabase(dir);
});
afterEach(() => {
  opened.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('sessions', () => {
  it('sets an httponly SameSite=Lax login cookie scoped to <base_url>hub/ and a session-id cookie on <base_url>', async () => {
    const s = setup('');
    const { cookies } = await signIn(s.app);
    const login = cookies.find((c) => c.startsWith(`${LOGIN_COOKIE}=`))!;
    expect(login).toMatch(/; Path=\/hub\/(;|$)/);
    expect(login).toMatch(/HttpOnly/);
    expect(login).toMatch(/SameSite=Lax/);
    expect(login).toMatch(/Max-Age=1209600/);
    expect(login).not.toMatch(/Secure/);
    const sid = cookies.find((c) => c.startsWith(`${SESSION_ID_COOKIE}=`))!;
    expect(sid).toMatch(/; Path=\/(;|$)/);
  });

  it('marks cookies Secure when public_url is https and honours base_url and session_max_age', async () => {
    opened.close();
    rmSync(dir, { recursive: true, force: true });
    dir = mkdtempSync(path.join(tmpdir(), 'berth-sessions-'));
    opened = openDatabase(dir);
    const config = parseConfig(
      `hub: {data_dir: ${dir}, public_url: "https://hub.example.org", base_url: /jh/}\nauth: {admin_users: [alice], session_max_age: 2h}\n`,
      path.join(dir, 'hub.yaml'), {});
    const sessions = createSessions({ db: opened.db, secret: randomBytes(32), config });
    const alice = createUserStore(opened.db).ensure('alice');
    const app = new Hono();
    app.get('/login', (c) => c.text(startSession(c, sessions, alice.id, 'pam')));
    const { cookies } = await signIn(app);
    const login = cookies.find((c) => c.startsWith(`${LOGIN_COOKIE}=`))!;
    expect(login).toMatch(/; Path=\/jh\/hub\/(;|$)/);
    expect(login).toMatch(/; Secure/);
    expect(login).toMatch(/Max-Age=7200/);
    expect(cookies.find((c) => c.startsWith(`${SESSION_ID_COOKIE}=`))).toMatch(/; Path=\/jh\/(;|$)/);
    // The server side ends the session at the same age, whatever the browser does with its cookie.
    const [row] = opened.db.select().from(sessionsTable).all();
    expect(Math.abs(row.expiresAt.getTime() - (Date.now() + 7200_000))).toBeLessThan(60_000);
  });

  it('stores only a hash of the session id and recognises the signed cookie', async () => {
    const s = setup('');
    const { header, sessionId, cookies } = await signIn(s.app);
    const value = decodeURIComponent(cookies[0].split(';')[0].split('=')[1]);
    const rows = opened.db.select().from(sessionsTable).all();
    expect(rows).toHaveLength(1);
    expect(rows[0].idHash).not.toContain(value.split('.')[0]);
    expect(s.sessions.fromCookieHeader(header)).toMatchObject({ user: { name: 'alice' }, sessionId });
  });

  it('refuses a tampered cookie, a cookie signed with another secret, and an expired session', async () => {
    const s = setup('');
    const { header } = await signIn(s.app);
    const tampered = header.replace(/(jupyterhub-hub-login=)(.)/, (_m, p: string, ch: string) => p + (ch === 'A' ? 'B' : 'A'));
    expect(s.sessions.fromCookieHeader(tampered)).toBeNull();
    const other = createSessions({ db: opened.db, secret: randomBytes(32), config: s.config });
    expect(other.fromCookieHeader(header)).toBeNull();
    expect(s.sessions.fromCookieHeader(undefined)).toBeNull();
    opened.db.update(sessionsTable).set({ expiresAt: new Date(Date.now() - 1000) }).run();
    expect(s.sessions.fromCookieHeader(header)).toBeNull();
  });

  it('ends the session on logout: row gone, cookies cleared, tokens of that session revoked, old cookie refused', async () => {
    const s = setup('');
    const { header, sessionId } = await signIn(s.app);
    const second = await signIn(s.app);
    opened.db.insert(apiTokens).values([
      { prefix: 'aaaa', hash: 'x', userId: s.alice.id, sessionId, note: 'oauth in session 1' },
      { prefix: 'bbbb', hash: 'y', userId: s.alice.id, sessionId: second.sessionId, note: 'oauth in session 2' },
    ]).run();
    const res = await s.app.request('/logout', { headers: { cookie: header } });
    const cleared = res.headers.getSetCookie();
    expect(cleared.find((c) => c.startsWith(`${LOGIN_COOKIE}=;`))).toMatch(/Max-Age=0/);
    expect(cleared.find((c) => c.startsWith(`${SESSION_ID_COOKIE}=;`))).toMatch(/Max-Age=0/);
    expect(s.sessions.fromCookieHeader(header)).toBeNull();
    expect(s.sessions.fromCookieHeader(second.header)).not.toBeNull();
    expect(opened.db.select().from(apiTokens).all().map((t) => t.note)).toEqual(['oauth in session 2']);
  });
});
