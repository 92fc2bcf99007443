// Signs a user in without a sign-in flow: a real session row made by the hub's own sessions module, returned as
// the Set-Cookie lines the hub would send, for tests about what comes after sign-in.
import { Hono } from 'hono';
import { loadCookieSecret } from '../../src/auth/cookie-secret.js';
import { createSessions } from '../../src/auth/sessions.js';
import { startSession } from '../../src/web/session-cookies.js';
import type { TestHub } from './test-hub.js';

export async function sessionCookies(t: TestHub, name: string): Promise<string[]> {
  const user = t.users.ensure(name);
  const sessions = createSessions({ db: t.hub.db, secret: loadCookieSecret(t.dataDir), config: t.config });
  const app = new Hono();
  app.get('/', (c) => {
    startSession(c, sessions, user.id, 'github');
    return c.text('ok');
  });
  return (await app.request('/')).headers.getSetCookie();
}
