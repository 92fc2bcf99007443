// Owns the oauth_codes table: single-use authorization codes (30 characters, stored as sha256) that live
// five minutes, at most 20 unused per user and client, and carry the user, client, redirect_uri, scopes and hub
// session of the authorize step.
import { createHash } from 'node:crypto';
import { and, desc, eq, lt, notInArray } from 'drizzle-orm';
import type { Db } from '../db/open.js';
import { oauthCodes, type OAuthCode } from '../db/schema.js';
import { generateOAuthToken } from './tokens.js';

const CODE_LIFETIME_MS = 5 * 60_000;
/** Unused codes kept per user and client: each authorize request stores one, and a page could ask in a loop. */
const PENDING_PER_CLIENT = 20;

export interface OAuthCodeStore {
  issue(code: { clientId: string; userId: number; redirectUri: string; scopes: string[]; sessionId: string | null }): string;
  /** Deletes the code and returns it when it exists, is unexpired and belongs to `clientId`; null otherwise. */
  consume(code: string, clientId: string): OAuthCode | null;
  /** Deletes codes that expired before `now`; answers how many. */
  purgeExpired(now?: Date): number;
}

const hash = (code: string) => createHash('sha256').update(code).digest('hex');

export function createOAuthCodeStore(db: Db): OAuthCodeStore {
  return {
    issue(fields) {
      const code = generateOAuthToken();
      const now = Date.now();
      db.insert(oauthCodes).values({ ...fields, codeHash: hash(code), expiresAt: new Date(now + CODE_LIFETIME_MS) }).run();
      const mine = and(eq(oauthCodes.userId, fields.userId), eq(oauthCodes.clientId, fields.clientId));
      const newest = db.select({ id: oauthCodes.id }).from(oauthCodes).where(mine).orderBy(desc(oauthCodes.id)).limit(PENDING_PER_CLIENT);
      db.delete(oauthCodes).where(and(mine, notInArray(oauthCodes.id, newest))).run();
      return code;
    },
    consume(code, clientId) {
      if (typeof code !== 'string' || code === '') return null;
      // Deleted before it is checked: a code that was presented once can never be presented again.
      const row = db.delete(oauthCodes).where(eq(oauthCodes.codeHash, hash(code))).returning().get();
      if (!row || row.clientId !== clientId || row.expiresAt.getTime() <= Date.now()) return null;
      return row;
    },
    purgeExpired(now = new Date()) {
      return db.delete(oauthCodes).where(lt(oauthCodes.expiresAt, now)).run().changes;
    },
  };
}
