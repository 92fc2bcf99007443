// Owns the sessions table and what the two browser cookies of a sign-in hold: `jupyterhub-hub-login` (a random id,
// HMAC-signed with the cookie secret, only its hash stored) and the plain `jupyterhub-session-id` tokens are tied to.
// It says which cookies to set or clear; the web layer sets them (web/session-cookies.ts).
import { createHash, randomBytes } from 'node:crypto';
import { and, eq, inArray, lt, ne, sql } from 'drizzle-orm';
import type { HubConfig } from '../config/load.js';
import type { Db } from '../db/open.js';
import { apiTokens, oauthCodes, sessions, users, type User } from '../db/schema.js';
import { nameOwnedElsewhere, type SignInMethod } from './name-owner.js';
import { readCookie, signValue, verifyValue } from './signed-value.js';

export const LOGIN_COOKIE = 'jupyterhub-hub-login';
export const SESSION_ID_COOKIE = 'jupyterhub-session-id';

export type Authenticator = SignInMethod;

export interface SignedIn {
  user: User;
  /** The plain session id (the `jupyterhub-session-id` cookie), shared with OAuth codes and tokens of this sign-in. */
  sessionId: string;
}

/** A cookie to set on the response; a cleared one has an empty value and maxAge 0. */
export interface SessionCookie {
  name: string;
  value: string;
  options: { path: string; secure: boolean; httpOnly: true; sameSite: 'Lax'; maxAge: number };
}

export interface Sessions {
  /** The signed-in user of a Cookie header, or null (no cookie, bad signature, unknown, expired or ended session). */
  fromCookieHeader(cookieHeader: string | undefined): SignedIn | null;
  /** Creates a session; returns the plain session id and both cookies to set. */
  start(userId: number, authenticator: Authenticator): { sessionId: string; cookies: SessionCookie[] };
  /** Ends the session of this Cookie header (if any) and revokes the tokens issued in it; returns both cookies, cleared. */
  end(cookieHeader: string | undefined): SessionCookie[];
  /** Ends a user's sessions started through another sign-in method, and revokes the tokens issued in them. */
  endOtherMethods(userId: number, keep: Authenticator): void;
  /** Cookie attributes shared by every hub cookie (path, Secure, SameSite), for other hub cookies to reuse. */
  readonly cookieOptions: { path: string; secure: boolean; httpOnly: true; sameSite: 'Lax' };
}

export function createSessions(deps: { db: Db; secret: Buffer; config: Pick<HubConfig, 'auth' | 'urls' | 'cookie'> }): Sessions {
  const { db, secret, config } = deps;
  const loginCookie = { ...config.cookie, path: config.urls.hub };
  const sessionIdCookie = { ...loginCookie, path: config.urls.base };

  // Prepared once, as tokens.ts does: every signed-in page asks both, and building the query each time cost more
  // than running it.
  const sessionByHash = db.select().from(sessions).where(eq(sessions.idHash, sql.placeholder('idHash'))).prepare();
  const userById = db.select().from(users).where(eq(users.id, sql.placeholder('id'))).prepare();

  const lookup = (header: string | undefined): { idHash: string; userId: number; sessionId: string; authenticator: Authenticator } | null => {
    const id = verifyValue(secret, LOGIN_COOKIE, readCookie(header, LOGIN_COOKIE));
    if (id === null) return null;
    const row = sessionByHash.get({ idHash: hashId(id) });
    if (!row || row.expiresAt.getTime() <= Date.now()) return null;
    return row;
  };

  return {
    cookieOptions: loginCookie,
    fromCookieHeader(header) {
      const row = lookup(header);
      if (row === null) return null;
      const user = userById.get({ id: row.userId });
      // A session of a method that no longer owns the name (e.g. from when names were shared) is not the user.
      if (!user || nameOwnedElsewhere(user, row.authenticator, config.auth) !== null) return null;
      return { user, sessionId: row.sessionId };
    },
    start(userId, authenticator) {
      const id = randomBytes(32).toString('base64url');
      const sessionId = randomBytes(16).toString('hex');
      const now = Date.now();
      db.delete(sessions).where(lt(sessions.expiresAt, new Date(now))).run();
      db.insert(sessions).values({ idHash: hashId(id), userId, sessionId, authenticator, expiresAt: new Date(now + config.auth.session_max_age * 1000) }).run();
      const maxAge = config.auth.session_max_age;
      return {
        sessionId,
        cookies: [
          { name: LOGIN_COOKIE, value: signValue(secret, LOGIN_COOKIE, id), options: { ...loginCookie, maxAge } },
          { name: SESSION_ID_COOKIE, value: sessionId, options: { ...sessionIdCookie, maxAge } },
        ],
      };
    },
    end(cookieHeader) {
      const row = lookup(cookieHeader);
      if (row !== null) {
        // Tokens a server got through OAuth in this browser session die with it (GHSA-cw7p: logout must be complete).
        db.transaction((tx) => {
          tx.delete(sessions).where(eq(sessions.idHash, row.idHash)).run();
          tx.delete(apiTokens).where(and(eq(apiTokens.userId, row.userId), eq(apiTokens.sessionId, row.sessionId))).run();
          tx.delete(oauthCodes).where(and(eq(oauthCodes.userId, row.userId), eq(oauthCodes.sessionId, row.sessionId))).run();
        });
      }
      return [
        { name: LOGIN_COOKIE, value: '', options: { ...loginCookie, maxAge: 0 } },
        { name: SESSION_ID_COOKIE, value: '', options: { ...sessionIdCookie, maxAge: 0 } },
      ];
    },
    endOtherMethods(userId, keep) {
      const others = and(eq(sessions.userId, userId), ne(sessions.authenticator, keep));
      const ids = db.select({ sessionId: sessions.sessionId }).from(sessions).where(others).all().map((r) => r.sessionId);
      if (ids.length === 0) return;
      db.transaction((tx) => {
        tx.delete(sessions).where(others).run();
        tx.delete(apiTokens).where(and(eq(apiTokens.userId, userId), inArray(apiTokens.sessionId, ids))).run();
        tx.delete(oauthCodes).where(and(eq(oauthCodes.userId, userId), inArray(oauthCodes.sessionId, ids))).run();
      });
    },
  };
}

function hashId(id: string): string {
  return createHash('sha256').update(id).digest('hex');
}
