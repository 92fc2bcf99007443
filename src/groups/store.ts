// Owns the groups and group_members tables: rows in, rows out. Group names and member names arrive validated.
// Membership is read often (every caller's `!group=` scopes are expanded to users), so lookups stay one query.
import { asc, eq, inArray, and } from 'drizzle-orm';
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
  const store: GroupStore = {
    get: (name) => db.select().from(groups).where(eq(groups.name, name)).get() ?? null,
    list({ offset = 0, limit = -1 } = {}) {
      return db.select().from(groups).orderBy(asc(groups.id)).limit(limit).offset(offset).all();
    },
    count: () => db.select({ id: groups.id }).from(groups).all().length,
    create(name, properties = {}) {
      return db.insert(groups).values({ name, properties }).onConflictDoNothing({ target: groups.name }).returning().get() ?? null;
    },
    remove(name) {
      return db.delete(groups).where(eq(groups.name, name)).run().changes > 0;
    },
    setProperties(name, properties) {
      return db.update(groups).set({ properties }).where(eq(groups.name, name)).returning().get() ?? null;
    },
    members(name) {
      return db.select({ name: users.name }).from(groupMembers)
        .innerJoin(groups, eq(groups.id, groupMembers.groupId))
        .innerJoin(users, eq(users.id, groupMembers.userId))
        .where(eq(groups.name, name)).orderBy(asc(users.name)).all().map((r) => r.name);
    },
    groupsOf(userId) {
      return db.select({ name: groups.name }).from(groupMembers)
        .innerJoin(groups, eq(groups.id, groupMembers.groupId))
        .where(eq(groupMembers.userId, userId)).orderBy(asc(groups.name)).all().map((r) => r.name);
    },
    groupsOfUsers(userIds) {
      const out = new Map<number, string[]>();
      if (userIds.length === 0) return out;
      const rows = db.select({ userId: groupMembers.userId, name: groups.name }).from(groupMembers)
        .innerJoin(groups, eq(groups.id, groupMembers.groupId))
        .where(inArray(groupMembers.userId, [...userIds])).orderBy(asc(groups.name)).all();
      for (const r of rows) out.set(r.userId, [...(out.get(r.userId) ?? []), r.name]);
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
