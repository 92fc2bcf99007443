// Where a sign-in's session cookies reach the browser: the web layer sets the cookies auth/sessions.ts describes,
// so no auth module writes to a response.
import type { Context } from 'hono';
import { setCookie } from 'hono/cookie';
import type { SessionCookie, Sessions } from '../auth/sessions.js';
import type { SignInMethod } from '../auth/authenticator.js';

/** Starts a session for the user and sets its cookies; returns the plain session id. */
export function startSession(c: Context, sessions: Pick<Sessions, 'start'>, userId: number, method: SignInMethod): string {
  const { sessionId, cookies } = sessions.start(userId, method);
  setCookies(c, cookies);
  return sessionId;
}

/** Ends the request's session, if any (revoking its tokens), and clears its cookies. */
export function endSession(c: Context, sessions: Pick<Sessions, 'end'>): void {
  setCookies(c, sessions.end(c.req.header('cookie')));
}

function setCookies(c: Context, cookies: readonly SessionCookie[]): void {
  for (const { name, value, options } of cookies) setCookie(c, name, value, options);
}
