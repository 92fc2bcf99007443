// The one writer of the `servers` table: rows keyed by (user, server name), and every change of a server's status
// or URL, which it passes on to the route table in the same step, so routes stay derived from the rows.
import { and, asc, eq, isNotNull, ne, sql } from 'drizzle-orm';
import type { Db } from '../db/open.js';
import { servers as serversTable, users as usersTable, type Server } from '../db/schema.js';
import type { UserStore } from '../users/store.js';
import { createRouteTable, type RouteTable } from './route-table.js';

export interface ServerRows {
  readonly routes: RouteTable;
  get(userId: number, serverName: string): Server | null;
  /** The row, created (stopped) when missing. */
  ensure(userId: number, serverName: string): Server;
  /** Every server row of a user, the default one first. */
  ofUser(userId: number): Server[];
  /** Deletes a stopped server's row (a named server removed); its credentials go with it (foreign keys cascade). */
  remove(id: number): void;
  /** Writes `fields`; null when the row is gone (its user was deleted meanwhile). */
  update(id: number, fields: Partial<Server>): Server | null;
  /** Every row not stopped (reconcile's work list). */
  notStopped(): Server[];
  /** How many rows are not stopped (starting, running or stopping), counted in SQL: spawner.active_server_limit. */
  countNotStopped(): number;
  /** Container ids some row records. */
  claimedContainers(): Set<string>;
}

/** Container ids some server row records: the hub's containers, whatever their labels say (adopted ones too). */
export function claimedContainerIds(db: Db): Set<string> {
  return new Set(
    db.select({ containerId: serversTable.containerId }).from(serversTable).where(isNotNull(serversTable.containerId)).all()
      .map((r) => r.containerId!),
  );
}

export function createServerRows(db: Db, users: Pick<UserStore, 'getById'>): ServerRows {
  const routable = db
    .select({ userName: usersTable.name, serverName: serversTable.name, target: serversTable.url })
    .from(serversTable)
    .innerJoin(usersTable, eq(usersTable.id, serversTable.userId))
    .where(and(eq(serversTable.status, 'running'), isNotNull(serversTable.url)))
    .all() as { userName: string; serverName: string; target: string }[];
  const routes = createRouteTable(routable);
  const rowQuery = db
    .select()
    .from(serversTable)
    .where(and(eq(serversTable.userId, sql.placeholder('userId')), eq(serversTable.name, sql.placeholder('serverName'))))
    .prepare();
  const get = (userId: number, serverName: string): Server | null => rowQuery.get({ userId, serverName }) ?? null;
  const notStoppedCount = db.select({ n: sql<number>`count(*)` }).from(serversTable).where(ne(serversTable.status, 'stopped')).prepare();
  const userQuery = db.select().from(serversTable).where(eq(serversTable.userId, sql.placeholder('userId'))).orderBy(asc(serversTable.name)).prepare();

  return {
    routes,
    get,
    ensure(userId, serverName) {
      db.insert(serversTable).values({ userId, name: serverName }).onConflictDoNothing().run();
      return get(userId, serverName) as Server;
    },
    ofUser: (userId) => userQuery.all({ userId }),
    remove(id) {
      const row = db.delete(serversTable).where(and(eq(serversTable.id, id), eq(serversTable.status, 'stopped'))).returning().get() as Server | undefined;
      const userName = row === undefined ? undefined : users.getById(row.userId)?.name;
      if (row !== undefined && userName !== undefined) routes.set(userName, row.name, null);
    },
    update(id, fields) {
      const row = db.update(serversTable).set(fields).where(eq(serversTable.id, id)).returning().get() as Server | undefined;
      if (row === undefined) return null;
      if ('status' in fields || 'url' in fields) {
        const userName = users.getById(row.userId)?.name;
        if (userName !== undefined) routes.set(userName, row.name, row.status === 'running' && row.url ? row.url : null);
      }
      return row;
    },
    notStopped: () => db.select().from(serversTable).where(ne(serversTable.status, 'stopped')).all(),
    countNotStopped: () => notStoppedCount.get()?.n ?? 0,
    claimedContainers: () => claimedContainerIds(db),
  };
}
