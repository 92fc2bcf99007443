// Owns the shares and share_codes tables: who has been given access to which server (a user, or a group's members),
// and the codes that turn into such a share for whoever redeems them before they expire. Rows in, rows out; the rules
// on what may be shared are rules.ts's, the checks on who may share are the API's (src/web/api/shares.ts).
import { createHash, randomBytes } from 'node:crypto';
import { and, asc, eq, inArray, lte, or, sql, type SQL } from 'drizzle-orm';
import { alias } from 'drizzle-orm/sqlite-core';
import type { Db } from '../db/open.js';
import { groupMembers, groups, servers, shareCodes, shares, users } from '../db/schema.js';
import { boundToServer } from './rules.js';

/** One server of one owner; `serverId` is the named server's row (null for the default server). */
export interface ShareTarget {
  ownerId: number;
  serverName: string;
  serverId: number | null;
}

/** A user or a group to share with. */
export type Grantee = { userId: number } | { groupId: number };

/** A share with the names the API shows. */
export interface ShareView {
  id: number;
  owner: string;
  serverName: string;
  user: string | null;
  group: string | null;
  scopes: string[];
  created: Date;
}

export interface ShareCodeView {
  id: number;
  owner: string;
  ownerId: number;
  serverName: string;
  serverId: number | null;
  scopes: string[];
  created: Date;
  expiresAt: Date;
  exchangeCount: number;
  lastExchangedAt: Date | null;
}

export interface ShareStore {
  /** Adds `scopes` to the grantee's share of the server, creating it when there is none (JupyterHub's Share.grant). */
  grant(target: ShareTarget, grantee: Grantee, scopes: readonly string[]): ShareView;
  /** Removes `scopes` (all when null); the share goes when none is left. The share that remains, or null. */
  revoke(target: ShareTarget, grantee: Grantee, scopes: readonly string[] | null): ShareView | null;
  find(target: ShareTarget, grantee: Grantee): ShareView | null;
  /** Every share of one server; answers how many went. */
  removeAll(target: Pick<ShareTarget, 'ownerId' | 'serverName'>): number;
  remove(id: number): void;
  /** The owner's shares, of one server or (serverName null) of all of them, oldest first. */
  ofOwner(ownerId: number, serverName: string | null): ShareView[];
  /** Shares granted to the user directly or to a group the user belongs to, oldest first. */
  sharedWithUser(userId: number): ShareView[];
  sharedWithGroup(groupId: number): ShareView[];
  /** The scopes the user holds through shares (directly and through groups): read on every request. */
  scopesOf(userId: number): string[];

  /** A new code for the server, returned once in clear; only its hash is kept. */
  issueCode(target: ShareTarget, scopes: readonly string[], expiresInSeconds: number, now?: Date): { code: string; row: ShareCodeView };
  /** The unexpired code's row (of one server when `target` is given), or null. */
  findCode(code: string, target?: Pick<ShareTarget, 'ownerId' | 'serverName'>, now?: Date): ShareCodeView | null;
  /** Unexpired codes of one server or (serverName null) of all the owner's servers, oldest first. */
  codesOf(ownerId: number, serverName: string | null, now?: Date): ShareCodeView[];
  removeCode(id: number): void;
  removeCodes(target: Pick<ShareTarget, 'ownerId' | 'serverName'>): number;
  /**
   * Turns the code into a share for the user, in one transaction, and counts the exchange (a second exchange by the
   * same user changes nothing but the count, as in JupyterHub). Null when the code is unknown or has expired.
   */
  redeem(code: string, userId: number, now?: Date): { share: ShareView; code: ShareCodeView } | null;
  purgeExpiredCodes(now?: Date): number;
}

/** JupyterHub's share codes: secrets.token_urlsafe(32). */
const newCode = () => randomBytes(32).toString('base64url');
const scopeName = (scope: string) => scope.split('!', 1)[0] as string;
const hash = (code: string) => createHash('sha256').update(code).digest('hex');

export function createShareStore(db: Db): ShareStore {
  const owner = alias(users, 'owner');
  const grantee = alias(users, 'grantee');
  const shareColumns = {
    id: shares.id, owner: owner.name, serverName: shares.serverName, user: grantee.name, group: groups.name,
    scopes: shares.scopes, created: shares.created,
  };
  const selectShares = (where: SQL | undefined): ShareView[] => db.select(shareColumns).from(shares)
    .innerJoin(owner, eq(owner.id, shares.ownerId))
    .leftJoin(grantee, eq(grantee.id, shares.userId))
    .leftJoin(groups, eq(groups.id, shares.groupId))
    .where(where).orderBy(asc(shares.id)).all()
    .map((row) => ({ ...row, scopes: boundToServer(row.scopes, row.owner, row.serverName) }));
  const codeColumns = {
    id: shareCodes.id, owner: owner.name, ownerId: shareCodes.ownerId, serverName: shareCodes.serverName, serverId: shareCodes.serverId,
    scopes: shareCodes.scopes, created: shareCodes.created, expiresAt: shareCodes.expiresAt,
    exchangeCount: shareCodes.exchangeCount, lastExchangedAt: shareCodes.lastExchangedAt,
  };
  const selectCodes = (where: SQL | undefined): ShareCodeView[] => db.select(codeColumns).from(shareCodes)
    .innerJoin(owner, eq(owner.id, shareCodes.ownerId)).where(where).orderBy(asc(shareCodes.id)).all()
    .map((row) => ({ ...row, scopes: boundToServer(row.scopes, row.owner, row.serverName) }));

  const onServer = (t: Pick<ShareTarget, 'ownerId' | 'serverName'>) => and(eq(shares.ownerId, t.ownerId), eq(shares.serverName, t.serverName));
  const forGrantee = (g: Grantee) => ('userId' in g ? eq(shares.userId, g.userId) : eq(shares.groupId, g.groupId));
  const byId = (id: number) => selectShares(eq(shares.id, id))[0] ?? null;
  const inGroupsOf = (userId: number) => inArray(shares.groupId, db.select({ id: groupMembers.groupId }).from(groupMembers).where(eq(groupMembers.userId, userId)));
  // Read for every request of a user (caller.ts): one prepared query over both kinds of share.
  const scopesQuery = db.select({ scopes: shares.scopes, owner: owner.name, serverName: shares.serverName }).from(shares)
    .innerJoin(owner, eq(owner.id, shares.ownerId)).where(or(
    eq(shares.userId, sql.placeholder('userId')),
    inArray(shares.groupId, db.select({ id: groupMembers.groupId }).from(groupMembers).where(eq(groupMembers.userId, sql.placeholder('userId')))),
  )).prepare();
  const unexpired = (now: Date) => sql`${shareCodes.expiresAt} > ${now.getTime()}`;

  const store: ShareStore = {
    grant(target, who, scopes) {
      // Synchronous statements with nothing awaited between them: no other request can interleave.
      const existing = db.select().from(shares).where(and(onServer(target), forGrantee(who))).get();
      if (existing === undefined) {
        const { id } = db.insert(shares).values({ ...target, ...who, scopes: [...scopes].sort() }).returning({ id: shares.id }).get();
        return byId(id) as ShareView;
      }
      const merged = [...new Set([...existing.scopes, ...scopes])].sort();
      if (merged.length !== existing.scopes.length) db.update(shares).set({ scopes: merged }).where(eq(shares.id, existing.id)).run();
      return byId(existing.id) as ShareView;
    },
    revoke(target, who, scopes) {
      const existing = db.select().from(shares).where(and(onServer(target), forGrantee(who))).get();
      if (!existing) return null;
      // By scope name: the filter of a stored scope may carry the owner's name from before a rename.
      const names = new Set((scopes ?? []).map(scopeName));
      const left = scopes === null ? [] : existing.scopes.filter((s) => !names.has(scopeName(s)));
      if (left.length === 0) {
        db.delete(shares).where(eq(shares.id, existing.id)).run();
        return null;
      }
      if (left.length !== existing.scopes.length) db.update(shares).set({ scopes: left }).where(eq(shares.id, existing.id)).run();
      return byId(existing.id);
    },
    find: (target, who) => selectShares(and(onServer(target), forGrantee(who)))[0] ?? null,
    removeAll: (target) => db.delete(shares).where(onServer(target)).run().changes,
    remove: (id) => void db.delete(shares).where(eq(shares.id, id)).run(),
    ofOwner: (ownerId, serverName) => selectShares(serverName === null ? eq(shares.ownerId, ownerId) : onServer({ ownerId, serverName })),
    sharedWithUser: (userId) => selectShares(or(eq(shares.userId, userId), inGroupsOf(userId))),
    sharedWithGroup: (groupId) => selectShares(eq(shares.groupId, groupId)),
    scopesOf: (userId) => [...new Set(scopesQuery.all({ userId }).flatMap((r) => boundToServer(r.scopes, r.owner, r.serverName)))],

    issueCode(target, scopes, expiresInSeconds, now = new Date()) {
      const code = newCode();
      store.purgeExpiredCodes(now);
      const { id } = db.insert(shareCodes).values({
        ...target, codeHash: hash(code), scopes: [...scopes].sort(), created: now, expiresAt: new Date(now.getTime() + expiresInSeconds * 1000),
      }).returning({ id: shareCodes.id }).get();
      return { code, row: selectCodes(eq(shareCodes.id, id))[0] as ShareCodeView };
    },
    findCode(code, target, now = new Date()) {
      if (typeof code !== 'string' || code === '') return null;
      const where = and(eq(shareCodes.codeHash, hash(code)), unexpired(now),
        target ? and(eq(shareCodes.ownerId, target.ownerId), eq(shareCodes.serverName, target.serverName)) : undefined);
      return selectCodes(where)[0] ?? null;
    },
    codesOf(ownerId, serverName, now = new Date()) {
      return selectCodes(and(eq(shareCodes.ownerId, ownerId), serverName === null ? undefined : eq(shareCodes.serverName, serverName), unexpired(now)));
    },
    removeCode: (id) => void db.delete(shareCodes).where(eq(shareCodes.id, id)).run(),
    removeCodes: (target) => db.delete(shareCodes).where(and(eq(shareCodes.ownerId, target.ownerId), eq(shareCodes.serverName, target.serverName))).run().changes,
    redeem(code, userId, now = new Date()) {
      return db.transaction(() => {
        const row = store.findCode(code, undefined, now);
        if (row === null) return null;
        const target = { ownerId: row.ownerId, serverName: row.serverName, serverId: row.serverId };
        const share = store.grant(target, { userId }, row.scopes);
        db.update(shareCodes).set({ exchangeCount: sql`${shareCodes.exchangeCount} + 1`, lastExchangedAt: now }).where(eq(shareCodes.id, row.id)).run();
        return { share, code: selectCodes(eq(shareCodes.id, row.id))[0] as ShareCodeView };
      });
    },
    purgeExpiredCodes: (now = new Date()) => db.delete(shareCodes).where(lte(shareCodes.expiresAt, now)).run().changes,
  };
  return store;
}

/** The row of a user's named server, to link its shares (so removing the server removes them); null for the default. */
export function namedServerId(db: Db, ownerId: number, serverName: string): number | null {
  if (serverName === '') return null;
  return db.select({ id: servers.id }).from(servers).where(and(eq(servers.userId, ownerId), eq(servers.name, serverName))).get()?.id ?? null;
}
