// Reads of the servers table for the REST API: one user's default-server view, and one page of users with their
// views in a single query (state, name and user filters, sort and LIMIT/OFFSET in SQL) for GET /hub/api/users.
import { and, asc, desc, eq, isNotNull, isNull, ne, or, sql, type SQL } from 'drizzle-orm';
import type { HubConfig } from '../config/load.js';
import type { Db } from '../db/open.js';
import { servers as serversTable, users as usersTable, type Server, type User } from '../db/schema.js';
import { escapePath, serverPrefix } from './server-env.js';
import type { ServerView } from './servers.js';

export interface UserPageQuery {
  /** JupyterHub's ?state=: active = starting, running or stopping; ready = running; inactive = neither. */
  state?: 'active' | 'inactive' | 'ready';
  /** Only users whose name contains this string. */
  nameContains?: string;
  /** Only these users (a caller whose list:users is filtered); undefined = everyone. */
  only?: readonly string[];
  sort: 'id' | 'name' | 'last_activity';
  descending: boolean;
  offset: number;
  limit: number;
  /** Also count every match (the pagination envelope's total); skipped otherwise. */
  count: boolean;
}

export interface UserPage {
  rows: { user: User; view: ServerView }[];
  /** Every match, when the query asked for a count; null otherwise. */
  total: number | null;
}

/** The view of a user's default server from its row (none yet = stopped). */
export function serverView(config: Pick<HubConfig, 'hub'>, userName: string, server: Server | null): ServerView {
  const status = server?.status ?? 'stopped';
  return {
    name: '',
    status,
    ready: status === 'running',
    pending: status === 'spawning' ? 'spawn' : status === 'stopping' ? 'stop' : null,
    url: serverPrefix(config, userName),
    progressUrl: `${config.hub.base_url}hub/api/users/${escapePath(userName)}/server/progress`,
    started: server?.started ?? null,
    lastActivity: server?.lastActivity ?? null,
    userOptions: server?.userOptions ?? {},
    imageLabel: server?.imageLabel ?? null,
    image: server?.image ?? null,
    containerId: server?.containerId ?? null,
    lastError: server?.lastError ?? null,
  };
}

export function pageUsers(db: Db, config: Pick<HubConfig, 'hub'>, query: UserPageQuery): UserPage {
  const joined = and(eq(serversTable.userId, usersTable.id), eq(serversTable.name, ''));
  const conditions: SQL[] = [];
  if (query.state === 'ready') conditions.push(eq(serversTable.status, 'running'));
  if (query.state === 'active') conditions.push(and(isNotNull(serversTable.id), ne(serversTable.status, 'stopped')) as SQL);
  if (query.state === 'inactive') conditions.push(or(isNull(serversTable.id), eq(serversTable.status, 'stopped')) as SQL);
  // instr, not LIKE: an exact substring, with no wildcards and no case folding.
  if (query.nameContains) conditions.push(sql`instr(${usersTable.name}, ${query.nameContains}) > 0`);
  if (query.only !== undefined) conditions.push(sql`${usersTable.name} IN (SELECT value FROM json_each(${JSON.stringify(query.only)}))`);
  const where = conditions.length > 0 ? and(...conditions) : undefined;

  // A user's activity is the later of their own and their server's; never active sorts first.
  const activity = sql`max(coalesce(${usersTable.lastActivity}, -1), coalesce(${serversTable.lastActivity}, -1))`;
  const key = { id: usersTable.id, name: usersTable.name, last_activity: activity }[query.sort];
  const dir = query.descending ? desc : asc;
  const rows = db
    .select({ user: usersTable, server: serversTable })
    .from(usersTable)
    .leftJoin(serversTable, joined)
    .where(where)
    .orderBy(dir(key), dir(usersTable.id))
    .limit(query.limit)
    .offset(query.offset)
    .all();
  const page = rows.map(({ user, server }) => ({ user, view: serverView(config, user.name, server) }));
  return { rows: page, total: query.count ? count(db, query, joined, where) : null };
}

/** Every match. Without name filters the servers table alone answers (it holds only users who ever started). */
function count(db: Db, query: UserPageQuery, joined: SQL | undefined, where: SQL | undefined): number {
  const n = (row: { n: number } | undefined) => row?.n ?? 0;
  if (query.nameContains || query.only !== undefined) {
    return n(db.select({ n: sql<number>`count(*)` }).from(usersTable).leftJoin(serversTable, joined).where(where).get());
  }
  const allUsers = () => n(db.select({ n: sql<number>`count(*)` }).from(usersTable).get());
  const servers = (status: SQL) => n(db.select({ n: sql<number>`count(*)` }).from(serversTable).where(and(eq(serversTable.name, ''), status)).get());
  switch (query.state) {
    case undefined: return allUsers();
    case 'ready': return servers(eq(serversTable.status, 'running'));
    case 'active': return servers(ne(serversTable.status, 'stopped'));
    case 'inactive': return allUsers() - servers(ne(serversTable.status, 'stopped'));
  }
}
