// The read model of servers for lists and pages: one user's default-server view, and one page of users with their
// views in a single query (state, name and user filters, sort and LIMIT/OFFSET in SQL) for GET /hub/api/users.
// Reads only; the rows are written by server-rows.ts.
import { and, asc, desc, eq, getTableColumns, inArray, isNotNull, ne, sql, type Column, type SQL } from 'drizzle-orm';
import type { HubConfig } from '../config/load.js';
import type { Db } from '../db/open.js';
import { servers as serversTable, users as usersTable, type Server, type User } from '../db/schema.js';
import type { UserStore } from '../users/store.js';
import { escapePath, serverUrl } from './server-env.js';
import type { ServerRows } from './server-rows.js';

export type ServerStatus = 'stopped' | 'spawning' | 'running' | 'stopping';

/** One server of a user (the default one, or a named one), as the REST API and pages show it. */
export interface ServerView {
  /** '' for the default server. */
  name: string;
  status: ServerStatus;
  ready: boolean;
  pending: 'spawn' | 'stop' | null;
  /** Public URL of the server: <base_url>user/<name>/, on the user's own host with hub.subdomain_host. */
  url: string;
  /** Public path of the progress stream: <base_url>hub/api/users/<name>/server/progress (…/servers/<server>/progress for a named one) */
  progressUrl: string;
  started: Date | null;
  lastActivity: Date | null;
  userOptions: Record<string, unknown>;
  /** Catalog label the server was (last) started with; null = spawner.image. */
  imageLabel: string | null;
  image: string | null;
  containerId: string | null;
  /** Why the last start failed; cleared by the next start. */
  lastError: string | null;
  /** Why the idle culler stopped the server (`idle 1h 5m`, `max_age 8h`) and when; cleared by the next start. */
  cullReason: string | null;
  culledAt: Date | null;
}

export interface UserPageQuery {
  /** JupyterHub's ?state=: active = starting, running or stopping; ready = running; inactive = neither. */
  state?: 'active' | 'inactive' | 'ready';
  /** Only users whose name contains this string. */
  nameContains?: string;
  /** Only these users (a caller whose list:users is filtered); undefined = everyone. */
  only?: readonly string[];
  /** admin: admins first when descending; running: users with a server not stopped (default or named) first when descending. */
  sort: 'id' | 'name' | 'last_activity' | 'admin' | 'running';
  descending: boolean;
  offset: number;
  limit: number;
  /** Also count every match (the pagination envelope's total); skipped otherwise. */
  count: boolean;
  /** Also read the page's named servers, in one more query for the whole page (the admin page). */
  named?: boolean;
}

export interface UserPage {
  rows: { user: User; view: ServerView; /** The user's named servers by name, when the query asked for them. */ named?: ServerView[] }[];
  /** Every match, when the query asked for a count; null otherwise. */
  total: number | null;
}

/** A server whose container runs now (metrics and usage sampling). */
export interface RunningServer {
  userName: string;
  /** '' for the default server. */
  serverName: string;
  containerId: string;
  /** When its start was asked for. */
  started: Date | null;
}

export interface ServerReads {
  /**
   * The user's default server (stopped when it never ran), or the named server `serverName`; null when the user
   * does not exist or has no server of that name.
   */
  get(userName: string, serverName?: string): ServerView | null;
  /** The user's named servers, by name; empty when the user has none or does not exist. */
  named(userName: string): ServerView[];
  /** One page of users with their default servers, filtered and sorted in one query (GET /hub/api/users). */
  page(query: UserPageQuery): UserPage;
  /** Every running server with its container, default and named, in one query. */
  running(): RunningServer[];
}

export function createServerReads(db: Db, config: Pick<HubConfig, 'urls'>, users: Pick<UserStore, 'get'>, rows: Pick<ServerRows, 'get' | 'ofUser'>): ServerReads {
  return {
    get(userName, serverName = '') {
      const user = users.get(userName);
      if (!user) return null;
      const row = rows.get(user.id, serverName);
      return row === null && serverName !== '' ? null : serverView(config, userName, row);
    },
    named(userName) {
      const user = users.get(userName);
      return user ? rows.ofUser(user.id).filter((r) => r.name !== '').map((r) => serverView(config, userName, r)) : [];
    },
    page: (query) => pageUsers(db, config, query),
    running: () => db
      .select({ userName: usersTable.name, serverName: serversTable.name, containerId: sql<string>`${serversTable.containerId}`, started: serversTable.started })
      .from(serversTable).innerJoin(usersTable, eq(usersTable.id, serversTable.userId))
      .where(and(eq(serversTable.status, 'running'), isNotNull(serversTable.containerId))).all(),
  };
}

/** The view of a user's server from its row (none yet = the default server, stopped). */
export function serverView(config: Pick<HubConfig, 'urls'>, userName: string, server: Server | null): ServerView {
  const status = server?.status ?? 'stopped';
  const name = server?.name ?? '';
  return {
    name,
    status,
    ready: status === 'running',
    pending: status === 'spawning' ? 'spawn' : status === 'stopping' ? 'stop' : null,
    url: serverUrl(config, userName, name),
    progressUrl: `${config.urls.api}/users/${escapePath(userName)}/${name === '' ? 'server' : `servers/${escapePath(name)}`}/progress`,
    started: server?.started ?? null,
    lastActivity: server?.lastActivity ?? null,
    userOptions: server?.userOptions ?? {},
    imageLabel: server?.imageLabel ?? null,
    image: server?.image ?? null,
    containerId: server?.containerId ?? null,
    lastError: server?.lastError ?? null,
    cullReason: server?.cullReason ?? null,
    culledAt: server?.culledAt ?? null,
  };
}

export function pageUsers(db: Db, config: Pick<HubConfig, 'urls'>, query: UserPageQuery): UserPage {
  const statements = statementsFor(db, query);
  const params = {
    offset: query.offset,
    limit: query.limit,
    name: query.nameContains ?? '',
    only: query.only === undefined ? '[]' : JSON.stringify(query.only),
  };
  const rows = statements.page.values(params).map((row) => {
    const user = decode<User>(USER_COLUMNS, row, 0);
    const server = row[USER_COLUMNS.length] === null ? null : decode<Server>(SERVER_COLUMNS, row, USER_COLUMNS.length);
    return { user, view: serverView(config, user.name, server) };
  });
  if (query.named && rows.length > 0) {
    const byUser = new Map<number, ServerView[]>(rows.map((r) => [r.user.id, []]));
    const names = new Map(rows.map((r) => [r.user.id, r.user.name]));
    const named = namedStatement(db).all({ ids: JSON.stringify([...byUser.keys()]) });
    for (const s of named) byUser.get(s.userId)?.push(serverView(config, names.get(s.userId)!, s));
    return { rows: rows.map((r) => ({ ...r, named: byUser.get(r.user.id) ?? [] })), total: query.count ? statements.count.get(params)?.n ?? 0 : null };
  }
  return { rows, total: query.count ? statements.count.get(params)?.n ?? 0 : null };
}

// Rows are read as arrays and decoded with each column's own decoder: drizzle's generic row mapping (type checks per
// field, nested objects) cost as much as the query itself. The server's id comes first, so null = no server row.
const USER_COLUMNS = Object.entries(getTableColumns(usersTable));
const SERVER_COLUMNS = Object.entries(getTableColumns(serversTable)).sort(([a], [b]) => (a === 'id' ? -1 : b === 'id' ? 1 : 0));
const SELECTION = Object.fromEntries([...USER_COLUMNS.map(([k, c]) => [`user_${k}`, c]), ...SERVER_COLUMNS.map(([k, c]) => [`server_${k}`, c])]);

function decode<T>(columns: [string, Column][], row: unknown[], from: number): T {
  const out: Record<string, unknown> = {};
  for (let i = 0; i < columns.length; i++) {
    const value = row[from + i];
    out[columns[i]![0]] = value === null ? null : columns[i]![1].mapFromDriverValue(value);
  }
  return out as T;
}

type Statements = ReturnType<typeof prepare>;

/**
 * Statements prepared once per database and query shape (state, sort, direction, which filters): building and
 * preparing the query was half of a page's cost. Values (name, names, offset, limit) are placeholders.
 */
const prepared = new WeakMap<Db, Map<string, Statements>>();

function statementsFor(db: Db, query: UserPageQuery): Statements {
  let byShape = prepared.get(db);
  if (!byShape) prepared.set(db, (byShape = new Map()));
  const key = [query.state ?? '', query.sort, query.descending, Boolean(query.nameContains), query.only !== undefined].join('|');
  let statements = byShape.get(key);
  if (!statements) byShape.set(key, (statements = prepare(db, query)));
  return statements;
}

function prepare(db: Db, shape: Pick<UserPageQuery, 'state' | 'sort' | 'descending' | 'nameContains' | 'only'>) {
  const joined = and(eq(serversTable.userId, usersTable.id), eq(serversTable.name, ''));
  const userConditions: SQL[] = [];
  // instr, not LIKE: an exact substring, with no wildcards and no case folding.
  if (shape.nameContains) userConditions.push(sql`instr(${usersTable.name}, ${sql.placeholder('name')}) > 0`);
  if (shape.only !== undefined) userConditions.push(sql`${usersTable.name} IN (SELECT value FROM json_each(${sql.placeholder('only')}))`);
  // A state is a user's when any of their servers, default or named, is in it (JupyterHub's ?state=).
  const withState = STATE_USERS[shape.state ?? ''];
  if (withState) userConditions.push(sql`${usersTable.id} ${sql.raw(withState.negate ? 'NOT IN' : 'IN')} (${withState.users(db)})`);
  const where = userConditions.length > 0 ? and(...userConditions) : undefined;

  // A user's activity is the later of their own and their default server's; never active sorts first.
  const activity = sql`max(coalesce(${usersTable.lastActivity}, -1), coalesce(${serversTable.lastActivity}, -1))`;
  const running = sql`(${usersTable.id} IN (${STATE_USERS.active!.users(db)}))`;
  const key = { id: usersTable.id, name: usersTable.name, last_activity: activity, admin: usersTable.admin, running }[shape.sort];
  const dir = shape.descending ? desc : asc;
  // admin and running only group users: within a group, by name (unique), whichever way the groups go.
  const order = shape.sort === 'admin' || shape.sort === 'running' ? [dir(key), asc(usersTable.name)] : [dir(key), dir(usersTable.id)];
  const select = db.select(SELECTION).from(usersTable).leftJoin(serversTable, joined);
  // When the order does not need the servers table, the page of ids comes from the users table alone, so a deep
  // offset skips users rather than joined rows (offset 5,000 of 10,000: 0.57 -> 0.16 ms).
  const page = shape.sort !== 'last_activity'
    ? select.where(inArray(usersTable.id, db.select({ id: usersTable.id }).from(usersTable).where(where)
      .orderBy(...order).limit(sql.placeholder('limit')).offset(sql.placeholder('offset')))).orderBy(...order).prepare()
    : select.where(where).orderBy(...order).limit(sql.placeholder('limit')).offset(sql.placeholder('offset')).prepare();
  return { page, count: prepareCount(db, shape, where) };
}

/** The named servers of a page's users (ids as a JSON array), prepared once per database like the page queries. */
const namedStatements = new WeakMap<Db, ReturnType<typeof prepareNamed>>();
function namedStatement(db: Db) {
  let statement = namedStatements.get(db);
  if (!statement) namedStatements.set(db, (statement = prepareNamed(db)));
  return statement;
}
function prepareNamed(db: Db) {
  return db.select().from(serversTable)
    .where(and(sql`${serversTable.userId} IN (SELECT value FROM json_each(${sql.placeholder('ids')}))`, ne(serversTable.name, '')))
    .orderBy(asc(serversTable.name)).prepare();
}

/** Users with a server in a state: ready = running; active = not stopped; inactive = no active server. */
const STATE_USERS: Record<string, { users: (db: Db) => SQL; negate: boolean } | undefined> = {
  ready: { users: (db) => sql`${db.selectDistinct({ id: serversTable.userId }).from(serversTable).where(eq(serversTable.status, 'running'))}`, negate: false },
  active: { users: (db) => sql`${db.selectDistinct({ id: serversTable.userId }).from(serversTable).where(ne(serversTable.status, 'stopped'))}`, negate: false },
  inactive: { users: (db) => sql`${db.selectDistinct({ id: serversTable.userId }).from(serversTable).where(ne(serversTable.status, 'stopped'))}`, negate: true },
};

/** Every match. Without name filters the servers table alone answers (it holds only users who ever started). */
function prepareCount(db: Db, shape: Pick<UserPageQuery, 'state' | 'nameContains' | 'only'>, where: SQL | undefined) {
  const n = { n: sql<number>`count(DISTINCT ${serversTable.userId})` };
  const servers = (status: SQL) => db.select(n).from(serversTable).where(status);
  if (shape.nameContains || shape.only !== undefined) return db.select({ n: sql<number>`count(*)` }).from(usersTable).where(where).prepare();
  switch (shape.state) {
    case undefined: return db.select({ n: sql<number>`count(*)` }).from(usersTable).prepare();
    case 'ready': return servers(eq(serversTable.status, 'running')).prepare();
    case 'active': return servers(ne(serversTable.status, 'stopped')).prepare();
    // Users minus users with an active server, in one statement.
    case 'inactive': return db.select({ n: sql<number>`(SELECT count(*) FROM ${usersTable}) - count(DISTINCT ${serversTable.userId})` }).from(serversTable)
      .where(ne(serversTable.status, 'stopped')).prepare();
  }
}
