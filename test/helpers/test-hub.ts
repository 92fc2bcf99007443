// A whole hub for one test, shared by every Docker-backed suite: a temp data_dir, its own Docker network, the
// berth.test labels (spawner.extra_labels, so every container, volume and network the hub makes has them),
// 127.0.0.1:0, and a cleanup that removes everything labelled with this run, then the network by name.
//
// Usage:
//   const t = await startTestHub({ spawner: { environment: { BACKEND_DELAY_S: 2 } } });
//   afterAll(() => t.cleanup());
//   t.users.ensure('alice'); await t.hub.servers.start('alice');
//   await fetch(`${t.url}/hub/health`);
//
// - `config` is hub.yaml as an object; sections are merged over the defaults below (spawner.image is the
//   berth/backend:test image, pull_policy never, network `berth-test-<random>`).
// - Containers a test makes itself should carry `t.labels` so cleanup() sweeps them too.
// - `restart()` stops the hub object and builds a new one on the same data_dir and network (a hub restart).
// - servers.start() waits up to 120 s for ready (not 10 s), unless overrides.serverTiming.slowSpawnMs says otherwise.
// - Set BERTH_TEST_LOG=debug to see the hub's log lines.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Docker from 'dockerode';
import { stringify } from 'yaml';
import type { ConfigInput } from '../../src/config/schema.js';
import { parseConfig, type HubConfig } from '../../src/config/load.js';
import { loadSecrets, type HubSecrets } from '../../src/config/secrets.js';
import { createHub, type Hub, type HubParts } from '../../src/hub.js';
import { createLogger } from '../../src/log.js';
import { createUserStore, type UserStore } from '../../src/users/store.js';

export interface TestHub {
  hub: Hub;
  config: HubConfig;
  /** The secrets the hub was built with (read from `overrides.env`, as main.ts reads process.env). */
  secrets: HubSecrets;
  /** Public origin of the running hub, e.g. http://127.0.0.1:41234 (no trailing slash, no base_url). */
  url: string;
  dataDir: string;
  network: string;
  docker: Docker;
  /** Labels every Docker object of this test carries: berth.test=true and a per-run id. */
  labels: Record<string, string>;
  /** The users store of the current hub object (use it to create users). */
  users: UserStore;
  restart(): Promise<Hub>;
  cleanup(): Promise<void>;
}

export interface TestHubOptions {
  /** Parts passed to createHub; `env` also supplies the secrets (BERTH_CRYPT_KEY). */
  overrides?: Partial<HubParts>;
  /** Build the hub without starting it (default: start it). */
  start?: boolean;
}

export const TEST_IMAGE = 'berth/backend:test';

export async function startTestHub(config: ConfigInput = {}, options: TestHubOptions = {}): Promise<TestHub> {
  const docker = options.overrides?.docker ?? new Docker();
  const run = randomBytes(4).toString('hex');
  const network = `berth-test-${run}`;
  const dataDir = mkdtempSync(path.join(tmpdir(), 'berth-test-'));
  const labels = { 'berth.test': 'true', 'berth.test-run': run };
  const merged: ConfigInput = {
    ...config,
    hub: { bind: '127.0.0.1:0', log_level: 'warn', ...config.hub, data_dir: dataDir },
    auth: { admin_users: ['admin'], ...config.auth },
    spawner: {
      image: TEST_IMAGE, pull_policy: 'never', network, start_timeout: 60, http_timeout: 20, ...config.spawner,
      // Through the hub's own config, as a hub in a container is labelled: everything its spawner makes is the test's.
      extra_labels: { ...config.spawner?.extra_labels, ...labels },
    },
  };
  const file = path.join(dataDir, 'hub.yaml');
  writeFileSync(file, stringify(merged));
  const hubConfig = parseConfig(stringify(merged), file, {});
  const overrides: Partial<HubParts> = {
    docker,
    logger: createLogger(process.env.BERTH_TEST_LOG ?? 'silent'),
    ...options.overrides,
    // start() answers when the server is ready or has failed, however loaded the machine is: a test that wants
    // 'pending' asks for a short window itself. (JupyterHub's 10 s slow_spawn_timeout would make tests timings.)
    serverTiming: { slowSpawnMs: 120_000, ...options.overrides?.serverTiming },
  };

  // Read again on every build, as a restarted hub process reads them again (a deleted cookie secret is replaced).
  const build = () => {
    t.secrets = loadSecrets(hubConfig, overrides.env ?? {});
    return createHub(hubConfig, t.secrets, overrides);
  };
  const t: TestHub = {
    hub: undefined as unknown as Hub,
    config: hubConfig,
    secrets: undefined as unknown as HubSecrets,
    url: '',
    dataDir,
    network: hubConfig.spawner.network,
    docker,
    labels,
    users: undefined as unknown as UserStore,
    async restart() {
      await t.hub.stop();
      t.hub = build();
      t.users = createUserStore(t.hub.db);
      await t.hub.start();
      t.url = `http://127.0.0.1:${t.hub.address().port}`;
      return t.hub;
    },
    async cleanup() {
      await t.hub.stop().catch(() => undefined);
      const filters = { label: [`berth.test-run=${run}`] };
      for (const c of await docker.listContainers({ all: true, filters }).catch(() => [])) {
        await docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined);
      }
      const { Volumes } = await docker.listVolumes({ filters }).catch(() => ({ Volumes: [] }));
      for (const v of Volumes ?? []) await docker.getVolume(v.Name).remove().catch(() => undefined);
      for (const n of await docker.listNetworks({ filters }).catch(() => [])) await docker.getNetwork(n.Id).remove().catch(() => undefined);
      await docker.getNetwork(t.network).remove().catch(() => undefined);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  t.hub = build();
  t.users = createUserStore(t.hub.db);
  if (options.start !== false) {
    try {
      await t.hub.start();
    } catch (err) {
      await t.cleanup();
      throw err;
    }
    t.url = `http://127.0.0.1:${t.hub.address().port}`;
  }
  return t;
}
