// Owns the api_tokens table: issues tokens in JupyterHub's formats, stores only prefix + salted sha512 hash,
// finds them with a constant-time compare, and revokes them. A token's secret is returned once, at issue.
import { createHash, randomBytes, randomInt, randomUUID, timingSafeEqual } from 'node:crypto';
import { and, count, desc, eq, gt, isNotNull, isNull, lt, notInArray, or, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../db/open.js';
import { apiTokens, type ApiToken } from '../db/schema.js';

export type { ApiToken };

const PREFIX_LENGTH = 4;
/** Generated tokens have 128 bits of entropy: one round suffices. Admin-chosen ones get JupyterHub's 16384. */
const GENERATED_ROUNDS = 1;
const SUPPLIED_ROUNDS = 16384;
/** Token use is recorded at most this often, so a busy client does not write on every request. */
const ACTIVITY_RESOLUTION_MS = 30_000;

export interface IssueOptions {
  userId?: number;
  serviceName?: string;
  serverId?: number;
  clientId?: string;
  sessionId?: string | null;
  note?: string;
  scopes: string[];
  /** Seconds until expiry; none = never expires. */
  expiresIn?: number;
  /** 'api' = uuid4 hex (default); 'oauth' = 30 characters [A-Za-z0-9] like oauthlib's. */
  format?: 'api' | 'oauth';
  /** A token chosen outside the hub (hub.yaml services[].api_token); hashed with many rounds. */
  supplied?: string;
}

export interface TokenStore {
  issue(options: IssueOptions): { token: string; row: ApiToken };
  /** The unexpired row for this token, or null. */
  find(token: string): ApiToken | null;
  get(id: number): ApiToken | null;
  listForUser(userId: number): ApiToken[];
  /** The unexpired tokens a user requested (not issued to their servers or OAuth clients): what TOKEN_LIMITS.perUser bounds. */
  countRequested(userId: number): number;
  /** Every token owned by a hub.yaml service. */
  listServiceTokens(): ApiToken[];
  revoke(id: number): boolean;
  /** Revokes a user's oldest tokens from this OAuth client beyond the newest `keep`; answers how many. */
  keepNewestOAuth(userId: number, clientId: string, keep: number): number;
  revokeWhere(where: { serverId?: number; clientId?: string; sessionId?: string; userId?: number; serviceName?: string }): number;
  /** Records use of a token (rate-limited); returns whether a write happened. */
  touch(row: ApiToken, now?: Date): boolean;
  purgeExpired(now?: Date): number;
}

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** oauthlib's generate_token(): 30 characters from [A-Za-z0-9], drawn from a CSPRNG. Also used for OAuth codes. */
export function generateOAuthToken(length = 30): string {
  let out = '';
  for (let i = 0; i < length; i++) out += ALNUM[randomInt(ALNUM.length)];
  return out;
}

/** JupyterHub's hash_token: `sha512:<rounds>:<salt hex>:<digest hex>`, digest = sha512(salt + token × rounds). */
export function hashToken(token: string, rounds = GENERATED_ROUNDS, salt = randomBytes(8).toString('hex')): string {
  const h = createHash('sha512');
  h.update(salt);
  for (let i = 0; i < rounds; i++) h.update(token);
  return `sha512:${rounds}:${salt}:${h.digest('hex')}`;
}

export function compareToken(stored: string, token: string): boolean {
  const [alg, rounds, salt, digest] = stored.split(':');
  if (alg !== 'sha512' || !salt || !digest || !/^\d+$/.test(rounds ?? '')) return false;
  const again = hashToken(token, Number(rounds), salt).split(':')[3] as string;
  const a = Buffer.from(again, 'hex');
  const b = Buffer.from(digest, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}

export function createTokenStore(db: Db): TokenStore {
  // An admin-chosen token costs 16,384 sha512 rounds to check, on every API call of a tool such as the culler.
  // Once it matched, remember sha256(token) under the row's stored hash (salted, so unique per row): the next call
  // compares that instead. A revoked or replaced token has no row with that hash, so a memo never outlives it;
  // a wrong token still pays the full compare.
  const verified = new Map<string, Buffer>();
  const sha256 = (token: string) => createHash('sha256').update(token).digest();
  function matches(row: ApiToken, token: string): boolean {
    const seen = verified.get(row.hash);
    if (seen !== undefined && timingSafeEqual(seen, sha256(token))) return true;
    if (!compareToken(row.hash, token)) return false;
    if (!row.hash.startsWith(`sha512:${GENERATED_ROUNDS}:`)) {
      if (verified.size >= 1024) verified.clear();
      verified.set(row.hash, sha256(token));
    }
    return true;
  }

  const byPrefix = db.select().from(apiTokens).where(eq(apiTokens.prefix, sql.placeholder('prefix'))).prepare();
  const byId = db.select().from(apiTokens).where(eq(apiTokens.id, sql.placeholder('id'))).prepare();

  return {
    issue(options) {
      const token = options.supplied ?? (options.format === 'oauth' ? generateOAuthToken() : randomUUID().replace(/-/g, ''));
      const rounds = options.supplied === undefined ? GENERATED_ROUNDS : SUPPLIED_ROUNDS;
      const row = db.insert(apiTokens).values({
        prefix: token.slice(0, PREFIX_LENGTH),
        hash: hashToken(token, rounds),
        userId: options.userId ?? null,
        serviceName: options.serviceName ?? null,
        serverId: options.serverId ?? null,
        clientId: options.clientId ?? null,
        sessionId: options.sessionId ?? null,
        note: options.note ?? '',
        scopes: options.scopes,
        expiresAt: options.expiresIn === undefined ? null : new Date(Date.now() + options.expiresIn * 1000),
      }).returning().get();
      return { token, row };
    },
    find(token) {
      if (typeof token !== 'string' || token.length < 8) return null;
      const now = Date.now();
      let found: ApiToken | null = null;
      // Compare against every candidate, so timing does not tell which prefix rows exist or match.
      for (const row of byPrefix.all({ prefix: token.slice(0, PREFIX_LENGTH) })) {
        if (matches(row, token) && (row.expiresAt === null || row.expiresAt.getTime() > now)) found = row;
      }
      return found;
    },
    get: (id) => byId.get({ id }) ?? null,
    listForUser(userId) {
      return db.select().from(apiTokens).where(eq(apiTokens.userId, userId)).orderBy(apiTokens.id).all()
        .filter((row) => row.expiresAt === null || row.expiresAt.getTime() > Date.now());
    },
    countRequested(userId) {
      const unexpired = or(isNull(apiTokens.expiresAt), gt(apiTokens.expiresAt, new Date()));
      return db.select({ n: count() }).from(apiTokens)
        .where(and(eq(apiTokens.userId, userId), isNull(apiTokens.clientId), isNull(apiTokens.serverId), unexpired)).get()?.n ?? 0;
    },
    listServiceTokens() {
      return db.select().from(apiTokens).where(isNotNull(apiTokens.serviceName)).all();
    },
    revoke(id) {
      return db.delete(apiTokens).where(eq(apiTokens.id, id)).run().changes > 0;
    },
    keepNewestOAuth(userId, clientId, keep) {
      const mine = and(eq(apiTokens.userId, userId), eq(apiTokens.clientId, clientId));
      const newest = db.select({ id: apiTokens.id }).from(apiTokens).where(mine).orderBy(desc(apiTokens.id)).limit(keep);
      return db.delete(apiTokens).where(and(mine, notInArray(apiTokens.id, newest))).run().changes;
    },
    revokeWhere(where) {
      const conditions: SQL[] = [];
      if (where.serverId !== undefined) conditions.push(eq(apiTokens.serverId, where.serverId));
      if (where.clientId !== undefined) conditions.push(eq(apiTokens.clientId, where.clientId));
      if (where.sessionId !== undefined) conditions.push(eq(apiTokens.sessionId, where.sessionId));
      if (where.userId !== undefined) conditions.push(eq(apiTokens.userId, where.userId));
      if (where.serviceName !== undefined) conditions.push(eq(apiTokens.serviceName, where.serviceName));
      if (conditions.length === 0) throw new Error('revokeWhere needs at least one condition (refusing to revoke every token)');
      return db.delete(apiTokens).where(and(...conditions)).run().changes;
    },
    touch(row, now = new Date()) {
      if (row.lastActivity && now.getTime() - row.lastActivity.getTime() < ACTIVITY_RESOLUTION_MS) return false;
      db.update(apiTokens).set({ lastActivity: now }).where(eq(apiTokens.id, row.id)).run();
      row.lastActivity = now;
      return true;
    },
    purgeExpired(now = new Date()) {
      return db.delete(apiTokens).where(and(isNotNull(apiTokens.expiresAt), lt(apiTokens.expiresAt, now))).run().changes;
    },
  };
}
