// A real hub (createHub) on a temp SQLite database with the fake spawner (test/fakes/fake-spawner.ts) instead of
// Docker: for REST API and page tests that call app.request(). Its listeners open in the background on 127.0.0.1:0
// (hub.public_url stays http://127.0.0.1:8000, the origin requests name); request(), startServer() and close() wait
// for them. Servers are started for real, through the state machine: `await t.startServer('alice')`.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';
import { Hono } from 'hono';
import { stringify } from 'yaml';
import { startSession } from '../../src/web/session-cookies.js';
import { parseConfig, type HubConfig } from '../../src/config/load.js';
import { loadSecrets } from '../../src/config/secrets.js';
import type { ConfigInput } from '../../src/config/schema.js';
import type { OpenedDb } from '../../src/db/open.js';
import { createHub, type Hub, type HubParts, type HubStores } from '../../src/hub.js';
import { createLogger, type Logger } from '../../src/log.js';
import type { Clock } from '../../src/clock.js';
import { createFakeSpawner, type FakeSpawner } from '../fakes/fake-spawner.js';

export interface ApiApp {
  hub: Hub;
  app: Hub['app'];
  config: HubConfig;
  /** The hub's stores, to seed and inspect. */
  deps: HubStores;
  db: OpenedDb['db'];
  spawner: FakeSpawner;
  /**
   * Starts `user`'s server (created if missing) through the hub; resolves once it runs, or — with `hold` — once it is
   * spawning and waits for `t.spawner.release(user)`.
   */
  startServer(user: string, options?: { hold?: boolean }): Promise<void>;
  /** A fresh token for `user` (created if missing) with these raw scopes. */
  tokenFor(user: string, scopes?: string[], fields?: { admin?: boolean }): string;
  /** Signs `user` in through the sessions module; returns the Cookie header value. */
  signIn(user: string): Promise<string>;
  request(path: string, init?: RequestInit & { token?: string }): Promise<Response>;
  /** Resolves once the hub's listeners are open (rejects with its start failure). */
  readonly started: Promise<void>;
  close(): Promise<void>;
}

export function createApiApp(input: ConfigInput = {}, options: { logger?: Logger; clock?: Clock; parts?: Partial<HubParts> } = {}): ApiApp {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'berth-api-'));
  const origin = (input.hub?.public_url ?? input.hub?.subdomain_host) ? {} : { public_url: 'http://127.0.0.1:8000' };
  const merged: ConfigInput = {
    ...input,
    hub: { bind: '127.0.0.1:0', ...origin, ...input.hub, data_dir: dataDir },
    auth: { admin_users: ['admin'], ...input.auth },
  };
  const config = parseConfig(stringify(merged), path.join(dataDir, 'hub.yaml'), {});
  const spawner = createFakeSpawner();
  const hub = createHub(config, loadSecrets(config, {}), {
    spawner,
    internalPort: 0,
    clock: options.clock,
    logger: options.logger ?? createLogger(process.env.BERTH_TEST_LOG ?? 'silent'),
    ...options.parts,
  });
  const started = hub.start();
  started.catch(() => undefined); // reported by whichever call awaits it
  const { users, sessions, tokens } = hub.stores;
  const signer = new Hono().get('/in/:name', (c) => {
    const user = users.ensure(c.req.param('name'));
    startSession(c, sessions, user.id, 'github');
    return c.text('ok');
  });
  return {
    hub, app: hub.app, config, deps: hub.stores, db: hub.db, spawner, started,
    async startServer(user, { hold = false } = {}) {
      await started;
      users.ensure(user);
      spawner.behave(user, hold ? 'slow' : 'instant');
      const outcome = await hub.servers.start(user, {}, { waitMs: hold ? 0 : undefined });
      if (hold) await spawner.starting(user);
      else if (outcome !== 'started') throw new Error(`${user}'s server did not start: ${outcome}`);
    },
    tokenFor(user, scopes = ['inherit'], fields = {}) {
      const row = users.ensure(user, fields);
      return tokens.issue({ userId: row.id, scopes, note: 'test' }).token;
    },
    async signIn(user) {
      const res = await signer.request(`/in/${user}`);
      return res.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
    },
    async request(p, init = {}) {
      await started;
      const headers = new Headers(init.headers);
      if (init.token) headers.set('Authorization', `token ${init.token}`);
      return hub.app.request(`http://127.0.0.1:8000${p}`, { ...init, headers });
    },
    async close() {
      await started.catch(() => undefined);
      await hub.stop();
      await spawner.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** createApiApp for one test file: every hub made through it is closed once the file's tests are done. */
export function apiAppsForFile(): (input?: ConfigInput) => ApiApp {
  const apps: ApiApp[] = [];
  afterAll(() => Promise.all(apps.map((a) => a.close())));
  return (input = {}) => {
    const t = createApiApp(input);
    apps.push(t);
    return t;
  };
}

/** What a signed-in person's "Start" on the spawn page sends for their own default server. */
export async function postSpawnForm(t: ApiApp, user: string): Promise<Response> {
  const cookie = await t.signIn(user);
  const form = await t.request(`/hub/spawn/${user}`, { headers: { cookie } });
  const xsrf = /name="_xsrf" value="([^"]+)"/.exec(await form.text())![1]!;
  return t.request(`/hub/spawn/${user}`, {
    method: 'POST', body: `_xsrf=${encodeURIComponent(xsrf)}`, headers: { cookie, 'Content-Type': 'application/x-www-form-urlencoded' },
  });
}
