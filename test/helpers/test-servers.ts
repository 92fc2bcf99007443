// For the state machine's unit tests (src/servers/*.test.ts): createServers on a temp database with the real stores
// and the fake spawner: no Docker, no listeners.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { createFakeSpawner, type FakeSpawner } from '../fakes/fake-spawner.js';
import { createOAuthClientStore } from '../../src/auth/oauth-clients.js';
import { createTokenStore } from '../../src/auth/tokens.js';
import { parseConfig, type HubConfig } from '../../src/config/load.js';
import type { ConfigInput } from '../../src/config/schema.js';
import { openDatabase, type OpenedDb } from '../../src/db/open.js';
import { createLogger } from '../../src/log.js';
import type { Clock } from '../../src/clock.js';
import { createGroupStore } from '../../src/groups/store.js';
import { createMembership } from '../../src/groups/membership.js';
import { createUserStore, type UserStore } from '../../src/users/store.js';
import { createServers, type Servers, type ServerTiming } from '../../src/servers/servers.js';

export interface TestServers {
  servers: Servers;
  spawner: FakeSpawner;
  users: UserStore;
  db: OpenedDb['db'];
  config: HubConfig;
  /** A second Servers on the same database, as a restarted hub builds it (the first is closed). */
  restart(): Promise<Servers>;
  close(): Promise<void>;
}

/** `options.config`: more hub.yaml sections (e.g. culler); `options.clock`: the hub's "now" (default real time). */
export function createTestServers(
  spawner: Partial<ConfigInput['spawner']> = {},
  timing: Partial<ServerTiming> = {},
  options: { config?: Omit<ConfigInput, 'hub' | 'spawner'>; clock?: Clock } = {},
): TestServers {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'berth-servers-'));
  const config = parseConfig(
    stringify({ auth: { admin_users: ['admin'] }, ...options.config, hub: { bind: '127.0.0.1:8000', data_dir: dataDir }, spawner: { image: 'img/base:1', http_timeout: 5, ...spawner } }),
    path.join(dataDir, 'hub.yaml'),
    {},
  );
  const opened = openDatabase(dataDir);
  const users = createUserStore(opened.db);
  const fake = createFakeSpawner();
  const build = () => createServers({
    config,
    db: opened.db,
    users,
    spawner: fake,
    tokens: createTokenStore(opened.db),
    oauthClients: createOAuthClientStore(opened.db),
    logger: createLogger(process.env.BERTH_TEST_LOG ?? 'silent'),
    clock: options.clock ?? { now: () => Date.now() },
    memberOf: createMembership(createGroupStore(opened.db)),
    hubApiUrl: () => 'http://127.0.0.1:8081/hub/api',
    timing,
  });
  const t: TestServers = {
    servers: build(),
    spawner: fake,
    users,
    db: opened.db,
    config,
    async restart() {
      await t.servers.close();
      t.servers = build();
      return t.servers;
    },
    async close() {
      await t.servers.close();
      await fake.close();
      opened.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return t;
}
