// Owns the groups and group_members tables: rows in, rows out. Group names and member names arrive validated.
// Membership is read often (every caller's `!group=` scopes are expanded to users), so lookups stay one query.
import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import type { Db } from '../db/open.js';
import { groupMembers, groups, users, type Group } from '../db/schema.js';

export type { Group };

export interface GroupStore {
  get(name: string): Group | null;
  list(options?: { offset?: number; limit?: number }): Group[];
  count(): number;
  /** Creates the group; null when the name is taken. */
  create(name: string, properties?: Record<string, unknown>): Group | null;
  remove(name: string): boolean;
  setProperties(name: string, properties: Record<string, unknown>): Group | null;
  /** Member names of a group, sorted. */
  members(name: string): string[];
  /** Names of the groups a user belongs to, sorted. */
  groupsOf(userId: number): string[];
  /** groupsOf for many users in one query (a page of the user list); users in no group are absent. */
  groupsOfUsers(userIds: readonly number[]): Map<number, string[]>;
  addMembers(groupId: number, userIds: number[]): void;
  removeMembers(groupId: number, userIds: number[]): void;
}

export function createGroupStore(db: Db): GroupStore {
  // The reads made per request (a caller's `!group=` scopes, a page of users' groups) are prepared once.
  const byName = db.select().from(groups).where(eq(groups.name, sql.placeholder('name'))).prepare();
  const membersOf = db.select({ name: users.name }).from(groupMembers)
    .innerJoin(groups, eq(groups.id, groupMembers.groupId))
    .innerJoin(users, eq(users.id, groupMembers.userId))
    .where(eq(groups.name, sql.placeholder('name'))).orderBy(asc(users.name)).prepare();
  const groupsOfUser = db.select({ name: groups.name }).from(groupMembers)
    .innerJoin(groups, eq(groups.id, groupMembers.groupId))
    .where(eq(groupMembers.userId, sql.placeholder('userId'))).orderBy(asc(groups.name)).prepare();
  const groupsOfIds = db.select({ userId: groupMembers.userId, name: groups.name }).from(groupMembers)
    .innerJoin(groups, eq(groups.id, groupMembers.groupId))
    .where(sql`${groupMembers.userId} IN (SELECT value FROM json_each(${sql.placeholder('ids')}))`).orderBy(asc(groups.name)).prepare();
  // The admin page lists the groups on every view: prepared once, like the lookups above.
  const listPage = db.select().from(groups).orderBy(asc(groups.id)).limit(sql.placeholder('limit')).offset(sql.placeholder('offset')).prepare();
  const store: GroupStore = {
    get: (name) => byName.get({ name }) ?? null,
    list({ offset = 0, limit = -1 } = {}) {
      return listPage.all({ limit, offset });
    },
    count: () => db.select({ n: sql<number>`count(*)` }).from(groups).get()?.n ?? 0,
    create(name, properties = {}) {
      return db.insert(groups).values({ name, properties }).onConflictDoNothing({ target: groups.name }).returning().get() ?? null;
    },
    remove(name) {
      return db.delete(groups).where(eq(groups.name, name)).run().changes > 0;
    },
    setProperties(name, properties) {
      return db.update(groups).set({ properties }).where(eq(groups.name, name)).returning().get() ?? null;
    },
    members: (name) => membersOf.all({ name }).map((r) => r.name),
    groupsOf: (userId) => groupsOfUser.all({ userId }).map((r) => r.name),
    groupsOfUsers(userIds) {
      const out = new Map<number, string[]>();
      if (userIds.length === 0) return out;
      for (const r of groupsOfIds.all({ ids: JSON.stringify(userIds) })) {
        const names = out.get(r.userId);
        if (names) names.push(r.name);
        else out.set(r.userId, [r.name]);
      }
      return out;
    },
    addMembers(groupId, userIds) {
      if (userIds.length === 0) return;
      db.insert(groupMembers).values(userIds.map((userId) => ({ groupId, userId }))).onConflictDoNothing().run();
    },
    removeMembers(groupId, userIds) {
      if (userIds.length === 0) return;
      db.delete(groupMembers).where(and(eq(groupMembers.groupId, groupId), inArray(groupMembers.userId, userIds))).run();
    },
  };
  return store;
}
