// The database schema: the single source of the row types. Timestamps are epoch milliseconds.
// Secrets (tokens, session ids, OAuth codes and client secrets) are stored only as hashes.
import { sql } from 'drizzle-orm';
import { index, integer, primaryKey, real, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';

const now = sql`(CAST(unixepoch('subsec') * 1000 AS INTEGER))`;
const timestamp = (name: string) => integer(name, { mode: 'timestamp_ms' });

/** Hub-wide values that must survive restarts, e.g. the hub id put on Docker labels. */
export const settings = sqliteTable('settings', {
  key: text('key').primaryKey(),
  value: text('value').notNull(),
});

export const users = sqliteTable('users', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  name: text('name').notNull().unique(),
  /** DNS-safe, stable per-user id for container and volume names; set once, never recomputed. */
  slug: text('slug').notNull().unique(),
  admin: integer('admin', { mode: 'boolean' }).notNull().default(false),
  /**
   * Where `admin` comes from while it is true: `hub` (auth.admin_users, or an admin through the API or admin page;
   * kept until an admin removes it) or `admin_groups` (a method's admin_groups, PAM or OIDC, at the last sign-in; decided again
   * at every sign-in). Null when not admin, or for an admin flag set before this was recorded (source unknown).
   */
  adminSource: text('admin_source', { enum: ['hub', 'admin_groups'] }),
  /** The sign-in method that owns this name; null until the first sign-in (users added by an admin, older rows). */
  authenticator: text('authenticator', { enum: ['github', 'oidc', 'pam'] }),
  /** Added through the admin API or page: such users may sign in (OAuthenticator's allow_existing_users). */
  addedByAdmin: integer('added_by_admin', { mode: 'boolean' }).notNull().default(false),
  /** Catalog label an admin chose for this user's next starts; null = no choice. */
  adminImage: text('admin_image'),
  /** Catalog label the user last picked themselves; null = no pick. */
  userImage: text('user_image'),
  /** The user's GitHub token, encrypted (auth.github.pass_token); null when not kept. */
  githubTokenEncrypted: text('github_token_encrypted'),
  /** The groups the sign-in method reported at the last sign-in (PAM: UNIX groups, OIDC: the groups claim), for catalog entries' `groups`. */
  authGroups: text('auth_groups', { mode: 'json' }).$type<string[]>().notNull().default([]),
  created: timestamp('created').notNull().default(now),
  lastActivity: timestamp('last_activity'),
});

/** One row per (user, server name); kept across stops so last activity and options survive. */
export const servers = sqliteTable('servers', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  userId: integer('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
  name: text('name').notNull().default(''),
  status: text('status', { enum: ['stopped', 'spawning', 'running', 'stopping'] }).notNull().default('stopped'),
  containerId: text('container_id'),
  containerName: text('container_name'),
  /** Where the hub reaches the server, e.g. http://172.20.0.5:8888 (no path); null unless running. */
  url: text('url'),
  imageLabel: text('image_label'),
  image: text('image'),
  userOptions: text('user_options', { mode: 'json' }).$type<Record<string, unknown>>().notNull().default({}),
  started: timestamp('started'),
  lastActivity: timestamp('last_activity'),
  /** Reason of the last failed start, shown until the next start. */
  lastError: text('last_error'),
  /** Why the built-in culler stopped the server (e.g. `idle 1h 5m`, `max_age 8h`), with when; cleared by the next start. */
  cullReason: text('cull_reason'),
  culledAt: timestamp('culled_at'),
}, (t) => [uniqueIndex('servers_user_name').on(t.userId, t.name)]);

export const oauthClients = sqliteTable('oauth_clients', {
  identifier: text('identifier').primaryKey(),
  secretHash: text('secret_hash').notNull(),
  redirectUri: text('redirect_uri').notNull(),
  description: text('description').notNull().default(''),
  allowedScopes: text('allowed_scopes', { mode: 'json' }).$type<string[]>().notNull().default([]),
  serverId: integer('server_id').references(() => servers.id, { onDelete: 'cascade' }),
  created: timestamp('created').notNull().default(now),
});

export const apiTokens = sqliteTable('api_tokens', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  /** First characters of the token in clear, to find candidate rows before the constant-time hash compare. */
  prefix: text('prefix').notNull(),
  hash: text('hash').notNull(),
  userId: integer('user_id').references(() => users.id, { onDelete: 'cascade' }),
  serviceName: text('service_name'),
  /** Set for OAuth access tokens; deleting the client revokes them. */
  clientId: text('client_id').references(() => oauthClients.identifier, { onDelete: 'cascade' }),
  /** Set for a server's own token (JUPYTERHUB_API_TOKEN); stopping the server revokes it. */
  serverId: integer('server_id').references(() => servers.id, { onDelete: 'cascade' }),
  sessionId: text('session_id'),
  note: text('note').notNull().default(''),
  scopes: text('scopes', { mode: 'json' }).$type<string[]>().notNull().default([]),
  created: timestamp('created').notNull().default(now),
  expiresAt: timestamp('expires_at'),
  lastActivity: timestamp('last_activity'),
}, (t) => [index('api_tokens_prefix').on(t.prefix)]);

export const oauthCodes = sqliteTable('oauth_codes', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  codeHash: text('code_hash').notNull().unique(),
  clientId: text('client_id').notNull().references(() => oauthClients.identifier, { onDelete: 'cascade' }),
  userId: integer('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
  redirectUri: text('redirect_uri').notNull(),
  scopes: text('scopes', { mode: 'json' }).$type<string[]>().notNull().default([]),
  sessionId: text('session_id'),
  expiresAt: timestamp('expires_at').notNull(),
});

/** Browser sign-ins. The cookie holds a random id; only its hash is stored. */
export const sessions = sqliteTable('sessions', {
  idHash: text('id_hash').primaryKey(),
  userId: integer('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
  /** The plain `jupyterhub-session-id` value shared with OAuth codes and tokens issued in this session. */
  sessionId: text('session_id').notNull(),
  authenticator: text('authenticator', { enum: ['github', 'oidc', 'pam'] }).notNull(),
  created: timestamp('created').notNull().default(now),
  expiresAt: timestamp('expires_at').notNull(),
});

export const groups = sqliteTable('groups', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  name: text('name').notNull().unique(),
  properties: text('properties', { mode: 'json' }).$type<Record<string, unknown>>().notNull().default({}),
});

export const groupMembers = sqliteTable('group_members', {
  groupId: integer('group_id').notNull().references(() => groups.id, { onDelete: 'cascade' }),
  userId: integer('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
}, (t) => [primaryKey({ columns: [t.groupId, t.userId] })]);

/**
 * JupyterHub 5's shares: access to one server (`ownerId` + `serverName`) granted to one user or one group (exactly
 * one of `userId`, `groupId`). `serverId` links a named server's row so removing the server removes its shares; the
 * default server is never removed apart from its owner, so it needs no row.
 */
export const shares = sqliteTable('shares', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  ownerId: integer('owner_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
  serverName: text('server_name').notNull().default(''),
  serverId: integer('server_id').references(() => servers.id, { onDelete: 'cascade' }),
  userId: integer('user_id').references(() => users.id, { onDelete: 'cascade' }),
  groupId: integer('group_id').references(() => groups.id, { onDelete: 'cascade' }),
  scopes: text('scopes', { mode: 'json' }).$type<string[]>().notNull().default([]),
  created: timestamp('created').notNull().default(now),
}, (t) => [
  uniqueIndex('shares_server_user').on(t.ownerId, t.serverName, t.userId),
  uniqueIndex('shares_server_group').on(t.ownerId, t.serverName, t.groupId),
  index('shares_user').on(t.userId),
  index('shares_group').on(t.groupId),
]);

/** Share codes: a share waiting for whoever redeems the code before it expires (only the code's hash is stored). */
export const shareCodes = sqliteTable('share_codes', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  codeHash: text('code_hash').notNull().unique(),
  ownerId: integer('owner_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
  serverName: text('server_name').notNull().default(''),
  serverId: integer('server_id').references(() => servers.id, { onDelete: 'cascade' }),
  scopes: text('scopes', { mode: 'json' }).$type<string[]>().notNull().default([]),
  created: timestamp('created').notNull().default(now),
  expiresAt: timestamp('expires_at').notNull(),
  exchangeCount: integer('exchange_count').notNull().default(0),
  lastExchangedAt: timestamp('last_exchanged_at'),
});

/**
 * Resource use per user, server and UTC day (src/usage/), added to at every sample. Keyed by names, not ids: the
 * record of what was used outlives a deleted user or server.
 */
export const usage = sqliteTable('usage', {
  userName: text('user_name').notNull(),
  serverName: text('server_name').notNull().default(''),
  /** YYYY-MM-DD, UTC. */
  day: text('day').notNull(),
  serverSeconds: real('server_seconds').notNull().default(0),
  cpuSeconds: real('cpu_seconds').notNull().default(0),
  peakMemoryBytes: integer('peak_memory_bytes').notNull().default(0),
  /** Where the next sample goes on from (on the server's latest row): the container, its CPU counter (ns) and the time counted up to. */
  containerId: text('container_id'),
  cpuNs: real('cpu_ns'),
  accountedUntil: timestamp('accounted_until'),
}, (t) => [primaryKey({ columns: [t.userName, t.serverName, t.day] }), index('usage_day').on(t.day)]);

export type User = typeof users.$inferSelect;
export type Server = typeof servers.$inferSelect;
export type ApiToken = typeof apiTokens.$inferSelect;
export type OAuthClient = typeof oauthClients.$inferSelect;
export type OAuthCode = typeof oauthCodes.$inferSelect;
export type Session = typeof sessions.$inferSelect;
export type Group = typeof groups.$inferSelect;
export type Share = typeof shares.$inferSelect;
export type ShareCode = typeof shareCodes.$inferSelect;
export type Usage = typeof usage.$inferSelect;

/**
 * Where each user's local named volume lives on a swarm (spawner.backend: swarm without spawner.volume_driver): the
 * node the volume was first created on, so every later start of a server mounting it is placed there and a user's
 * files are never split over nodes (src/servers/volume-pins.ts, read by src/spawner/swarm/swarm-spawner.ts).
 */
export const swarmVolumeNodes = sqliteTable('swarm_volume_nodes', {
  volume: text('volume').primaryKey(),
  nodeId: text('node_id').notNull(),
  /** The node's hostname when the pin was made, for messages. */
  nodeName: text('node_name').notNull(),
  createdAt: timestamp('created_at').notNull(),
});
