// The Hono app with the real stores on a temp SQLite database and no listener or Docker: for REST API tests that
// call app.request(). Servers are a small in-memory stand-in for helper A's state machine (set `t.servers.set`).
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Hono } from 'hono';
import { stringify } from 'yaml';
import { createCallerResolver } from '../../src/auth/caller.js';
import { createOAuthClientStore } from '../../src/auth/oauth-clients.js';
import { createOAuthCodeStore } from '../../src/auth/oauth-codes.js';
import { syncServiceTokens } from '../../src/auth/service-tokens.js';
import { createSessions } from '../../src/auth/sessions.js';
import { startSession } from '../../src/web/session-cookies.js';
import { createGithubAuthenticator } from '../../src/auth/github.js';
import { createGithubTokenVault } from '../../src/auth/github-token.js';
import { createLoginThrottle } from '../../src/auth/login-throttle.js';
import { createTokenStore } from '../../src/auth/tokens.js';
import { parseConfig, type HubConfig } from '../../src/config/load.js';
import type { ConfigInput } from '../../src/config/schema.js';
import { openDatabase, type OpenedDb } from '../../src/db/open.js';
import { createGroupStore } from '../../src/groups/store.js';
import { createLogger, type Logger } from '../../src/log.js';
import type { ServerView } from '../../src/servers/servers.js';
import { createUserStore } from '../../src/users/store.js';
import type { ApiDeps, ApiServers } from '../../src/web/api/deps.js';
import { createWebApp } from '../../src/web/app.js';
import { xsrfToken } from '../../src/web/middleware/csrf.js';

export interface ApiApp {
  app: ReturnType<typeof createWebApp>;
  config: HubConfig;
  deps: ApiDeps;
  db: OpenedDb['db'];
  /** The stand-in's servers by user name; absent = stopped. */
  servers: Map<string, ServerView>;
  /** Names whose server was stopped through the API, in order. */
  stopped: string[];
  /** A fresh token for `user` (created if missing) with these raw scopes. */
  tokenFor(user: string, scopes?: string[], fields?: { admin?: boolean }): string;
  /** Signs `user` in through the sessions module; returns the Cookie header value. */
  signIn(user: string): Promise<string>;
  request(path: string, init?: RequestInit & { token?: string }): Promise<Response>;
  close(): void;
}

export function runningServer(name: string, fields: Partial<ServerView> = {}): ServerView {
  return {
    name: '', status: 'running', ready: true, pending: null, url: `/user/${name}/`,
    progressUrl: `/hub/api/users/${name}/server/progress`, started: new Date(Date.now() - 3600_000),
    lastActivity: new Date(Date.now() - 1800_000), userOptions: {}, imageLabel: null, image: null, containerId: null, lastError: null,
    ...fields,
  };
}

export function createApiApp(input: ConfigInput = {}, options: { logger?: Logger } = {}): ApiApp {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'berth-api-'));
  const merged: ConfigInput = { ...input, hub: { bind: '127.0.0.1:8000', ...input.hub, data_dir: dataDir }, auth: { admin_users: ['admin'], ...input.auth } };
  const config = parseConfig(stringify(merged), path.join(dataDir, 'hub.yaml'), {});
  const opened = openDatabase(dataDir);
  const db = opened.db;
  const users = createUserStore(db);
  const groups = createGroupStore(db);
  const tokens = createTokenStore(db);
  syncServiceTokens(config, tokens);
  const secret = randomBytes(32);
  const sessions = createSessions({ db, secret, config });
  const servers = new Map<string, ServerView>();
  const stopped: string[] = [];
  const viewOf = (name: string): ServerView => servers.get(name) ?? { ...runningServer(name), status: 'stopped', ready: false, started: null };
  const serverStandIn: ApiServers = {
    get: (name) => (users.get(name) ? viewOf(name) : null),
    // The same filters as the real query (src/servers/server-list.ts, tested there), over the map.
    page(q) {
      const time = (d: Date | null) => d?.getTime() ?? -1;
      let rows = users.list().map((user) => ({ user, view: viewOf(user.name) }));
      if (q.state === 'ready') rows = rows.filter((r) => r.view.status === 'running');
      if (q.state === 'active') rows = rows.filter((r) => r.view.status !== 'stopped');
      if (q.state === 'inactive') rows = rows.filter((r) => r.view.status === 'stopped');
      if (q.nameContains) rows = rows.filter((r) => r.user.name.includes(q.nameContains!));
      if (q.only) rows = rows.filter((r) => q.only!.includes(r.user.name));
      const key = {
        id: (r: (typeof rows)[number]) => r.user.id,
        name: (r: (typeof rows)[number]) => r.user.name,
        last_activity: (r: (typeof rows)[number]) => Math.max(time(r.user.lastActivity), time(r.view.lastActivity)),
      }[q.sort];
      rows.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : a.user.id - b.user.id));
      if (q.descending) rows.reverse();
      return { rows: rows.slice(q.offset, q.offset + q.limit), total: q.count ? rows.length : null };
    },
    async stop(name) {
      stopped.push(name);
      servers.delete(name);
      return 'stopped';
    },
    recordActivity(name, at) {
      const view = servers.get(name);
      if (view && (view.lastActivity === null || at > view.lastActivity)) view.lastActivity = at;
    },
    target: (name) => (servers.get(name)?.status === 'running' ? 'http://10.0.0.2:8888' : null),
    // Starting only marks the server running: enough for pages and models; real starts are test/helpers/test-hub.ts's.
    async start(name) {
      servers.set(name, runningServer(name));
      return 'started';
    },
    progress: () => { throw new Error('the API test app has no spawner; use test/helpers/test-hub.ts'); },
  };
  const deps: ApiDeps = {
    config, users, groups, tokens,
    oauthClients: createOAuthClientStore(db),
    oauthCodes: createOAuthCodeStore(db),
    resolver: createCallerResolver({ config, users, groups, tokens }),
    servers: serverStandIn,
    sessions,
    xsrfToken: (sessionId) => xsrfToken(secret, sessionId),
  };
  const app = createWebApp({
    config,
    logger: options.logger ?? createLogger(process.env.BERTH_TEST_LOG ?? 'silent'),
    health: { database: () => undefined, docker: async () => undefined },
    api: deps,
    signIn: {
      config, secret, sessions, users,
      github: createGithubAuthenticator({ config, tokens: createGithubTokenVault(config, {}) }),
      oidc: null,
      pam: null,
      throttle: createLoginThrottle(),
    },
  });
  const signer = new Hono().get('/in/:name', (c) => {
    const user = users.ensure(c.req.param('name'));
    startSession(c, sessions, user.id, 'github');
    return c.text('ok');
  });
  return {
    app, config, deps, db, servers, stopped,
    tokenFor(user, scopes = ['inherit'], fields = {}) {
      const row = users.ensure(user, fields);
      return tokens.issue({ userId: row.id, scopes, note: 'test' }).token;
    },
    async signIn(user) {
      const res = await signer.request(`/in/${user}`);
      return res.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
    },
    request(p, init = {}) {
      const headers = new Headers(init.headers);
      if (init.token) headers.set('Authorization', `token ${init.token}`);
      return Promise.resolve(app.request(`http://127.0.0.1:8000${p}`, { ...init, headers }));
    },
    close() {
      opened.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
