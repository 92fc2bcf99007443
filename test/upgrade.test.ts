// Issue 15 point 4, an upgrade as an admin does it: the previous hub image (test/helpers/previous-hub-image.ts: the
// last commit before the newest migration) runs under compose.yaml; alice signs in through the GitHub stand-in,
// creates an API token, starts her server (JupyterHub 5.2.1) and runs code in a kernel over a WebSocket through the
// public port; a backup is taken while it runs (`berth backup`, as the README says). Then compose.yaml is pointed
// at the new image (berth/hub:latest with this checkout's code) and `docker-compose up -d` recreates the hub: the
// database is backed up before it is migrated, alice's container is the same one, still running and routed again,
// the WebSocket client reconnects to the same kernel (its variables kept), and her session, her token and the users
// are intact. Rolling back to the previous image on that backup, as the README says, works too. Debian's
// docker-compose (v1), one compose project.
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { startFakeGithub, type FakeGithub } from './fakes/github.js';
import { compileCheckout } from './helpers/checkout-dist.js';
import { execIn } from './helpers/container-probes.js';
import { CookieClient } from './helpers/cookie-client.js';
import { freePort } from './helpers/free-port.js';
import { KernelSocket } from './helpers/kernel-socket.js';
import { ensurePreviousHubImage, type PreviousHub } from './helpers/previous-hub-image.js';
import { waitFor } from './helpers/wait-for.js';

const ROOT = path.join(import.meta.dirname, '..');
const run = randomBytes(4).toString('hex');
const project = `berthupgrade${run}`;
const network = `berth-test-upgrade-${run}`;
const docker = new Docker();
const work = mkdtempSync(path.join(tmpdir(), 'berth-upgrade-'));

let gh: FakeGithub | undefined;
let previous: PreviousHub;
let port: number;
let env: Record<string, string> = {};
const hubYaml = path.join(work, 'hub.yaml');
const overrideFile = path.join(work, 'override.yaml');

/** compose.yaml as shipped, with the test's hub.yaml and the image (and code) of one side of the upgrade. */
function compose(args: string[]): string {
  return execFileSync('docker-compose', ['-p', project, '-f', 'compose.yaml', '-f', overrideFile, ...args], {
    cwd: ROOT, env: { ...process.env, ...env }, encoding: 'utf8', stdio: 'pipe', timeout: 180_000,
  });
}

function useImage(image: string, extraVolumes: string[] = []): void {
  writeFileSync(overrideFile, stringify({
    services: { hub: { image, labels: { 'berth.test': 'true' }, volumes: [`${hubYaml}:/srv/berth/hub.yaml:ro`, ...extraVolumes] } },
  }));
}

async function hubContainer(): Promise<Docker.Container> {
  const [hub] = await docker.listContainers({ filters: { label: [`com.docker.compose.project=${project}`] } });
  if (!hub) throw new Error(`no running hub container in compose project ${project}`);
  return docker.getContainer(hub.Id);
}

async function healthy(): Promise<void> {
  await waitFor(async () => {
    const health = await fetch(`http://127.0.0.1:${port}/hub/health`, { signal: AbortSignal.timeout(2000) });
    expect(health.status).toBe(200);
  }, { timeoutMs: 90_000, intervalMs: 500 });
}

/** Runs SQL in the hub container against a database file in its data volume (read-only), as JSON rows. */
async function query(file: string, sql: string): Promise<unknown[]> {
  const script = `const D = require('/opt/berth/node_modules/better-sqlite3'); const db = new D(process.argv[1], { readonly: true });` +
    ` console.log(JSON.stringify(db.prepare(process.argv[2]).all()));`;
  const { output, exitCode } = await execIn(await hubContainer(), ['node', '-e', script, file, sql]);
  expect(exitCode, output).toBe(0);
  return JSON.parse(output) as unknown[];
}

beforeAll(async () => {
  previous = await ensurePreviousHubImage();
  gh = await startFakeGithub({ clientId: 'cid', clientSecret: 'csecret', login: 'Alice' });
  port = await freePort();
  env = { BERTH_PORT: String(port), BERTH_PUBLIC_URL: `http://127.0.0.1:${port}` };
  // The hub runs on the host's network, so it reaches the GitHub stand-in on loopback. Written once: both images
  // read the same file, as a real upgrade keeps its hub.yaml.
  writeFileSync(hubYaml, stringify({
    hub: { bind: '${BERTH_BIND}', public_url: '${BERTH_PUBLIC_URL}', data_dir: '${BERTH_DATA_DIR}' },
    auth: { admin_users: ['alice'], github: { client_id: 'cid', client_secret: 'csecret', url: gh.url, api_url: gh.apiUrl } },
    spawner: { image: 'berth/singleuser:latest', network, start_timeout: 120, http_timeout: 60 },
  }));
}, 900_000);

afterAll(async () => {
  try {
    if (env.BERTH_PORT) compose(['down', '-v']);
  } finally {
    // alice's container (and anything else the hub started) lives on this run's own network.
    for (const c of await docker.listContainers({ all: true, filters: { network: [network] } })) {
      await docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined);
    }
    await docker.getNetwork(network).remove().catch(() => undefined);
    await gh?.close();
    rmSync(work, { recursive: true, force: true });
  }
}, 180_000);

describe('upgrading the hub with docker-compose up -d', () => {
  it('backs the database up and migrates it; the server keeps running and is routed again, its kernel answers a reconnected WebSocket, users, session and token are intact; and the backup rolls it back', async () => {
    // The previous hub, as it ran before the upgrade.
    useImage(previous.image);
    compose(['up', '-d']);
    await healthy();

    const client = new CookieClient(`http://127.0.0.1:${port}`);
    expect((await client.navigate('/hub/oauth_login?next=%2Fhub%2Fhome')).status).toBe(200);
    expect(new URL(client.hops.at(-1)!.url).pathname).toBe('/hub/home');
    const created = await client.request('/hub/api/users/alice/tokens', {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ note: 'survives the upgrade' }),
    });
    expect(created.status).toBe(201);
    const { token } = (await created.json()) as { token: string };
    const auth = { Authorization: `token ${token}` };
    const api = (route: string, init: RequestInit = {}) => fetch(`http://127.0.0.1:${port}/hub/api${route}`, { ...init, headers: { ...auth, ...init.headers } });

    expect([201, 202]).toContain((await api('/users/alice/server', { method: 'POST' })).status);
    await waitFor(async () => {
      const alice = (await (await api('/users/alice')).json()) as { servers: Record<string, { ready: boolean }> };
      expect(alice.servers['']?.ready).toBe(true);
    }, { timeoutMs: 150_000, intervalMs: 1000 });
    const [server] = await docker.listContainers({ filters: { network: [network], label: ['berth.user=alice'] } });
    const startedAt = (await docker.getContainer(server!.Id).inspect()).State.StartedAt;

    const kernel = await fetch(`http://127.0.0.1:${port}/user/alice/api/kernels`, {
      method: 'POST', headers: { ...auth, 'Content-Type': 'application/json' }, body: '{"name":"python3"}',
    });
    expect(kernel.status).toBe(201);
    const kernelUrl = `ws://127.0.0.1:${port}/user/alice/api/kernels/${((await kernel.json()) as { id: string }).id}`;
    const before = await KernelSocket.open(kernelUrl, token);
    expect(await before.run('x = 6 * 7\nprint(x)')).toBe('42\n');

    // The README's backup before an upgrade, taken while the hub runs, and copied off the host with docker cp.
    compose(['exec', '-T', '-u', 'berth', 'hub', 'berth-entrypoint', 'backup', '/srv/berth/data/backup-before-upgrade']);
    const oldHub = (await hubContainer()).id;
    execFileSync('docker', ['cp', `${oldHub}:/srv/berth/data/backup-before-upgrade`, work]);
    expect(statSync(path.join(work, 'backup-before-upgrade', 'jupyterhub.sqlite')).mode & 0o777).toBe(0o600);

    // The upgrade: compose.yaml's image changes, `up -d` recreates the hub on the same data volume.
    useImage('berth/hub:latest', [`${compileCheckout(work)}:/opt/berth/dist:ro`]);
    compose(['up', '-d']);
    const newHub = await hubContainer();
    expect(newHub.id).not.toBe(oldHub);
    // The old hub's proxy went with it, and with it the socket; clients reconnect, as JupyterLab does.
    await waitFor(() => expect(before.open).toBe(false), { timeoutMs: 30_000, intervalMs: 200 });
    await healthy();

    const after = await waitFor(() => KernelSocket.open(kernelUrl, token), { timeoutMs: 60_000, intervalMs: 500 });
    expect(await after.run('print(x + 1)')).toBe('43\n');
    after.close();
    const same = await docker.getContainer(server!.Id).inspect();
    expect(same.State.Running).toBe(true);
    expect(same.State.StartedAt).toBe(startedAt);

    // Users, the session cookie and the token are the ones from before.
    expect(await (await api('/user')).json()).toMatchObject({ name: 'alice', admin: true });
    expect(((await (await api('/users')).json()) as { name: string }[]).map((u) => u.name)).toEqual(['alice']);
    expect((await client.navigate('/hub/home')).status).toBe(200);
    expect(new URL(client.hops.at(-1)!.url).pathname).toBe('/hub/home');

    // The backup: made before migrating, named for the migration, logged, and holding the old schema and the rows.
    const logs = spawnSync('docker', ['logs', newHub.id], { encoding: 'utf8' });
    const logged = `${logs.stdout}\n${logs.stderr}`.split('\n').filter((l) => l.includes('database backed up before migrating it')).map((l) => JSON.parse(l) as { backup: string });
    expect(logged).toHaveLength(1);
    const backup = logged[0]!.backup;
    expect(backup).toMatch(new RegExp(`^/srv/berth/data/jupyterhub\\.sqlite\\.before-${previous.migration}\\.[0-9TZ-]+\\.bak$`));
    const migrations = `SELECT count(*) AS n FROM __drizzle_migrations`;
    const [{ n: applied }] = (await query('/srv/berth/data/jupyterhub.sqlite', migrations)) as [{ n: number }];
    expect(await query(backup, migrations)).toEqual([{ n: applied - 1 }]);
    expect(await query(backup, 'SELECT name FROM users')).toEqual([{ name: 'alice' }]);
    expect(await query(backup, `SELECT note FROM api_tokens WHERE note = 'survives the upgrade'`)).toHaveLength(1);
    expect(await query('/srv/berth/data/backup-before-upgrade/jupyterhub.sqlite', 'SELECT name FROM users')).toEqual([{ name: 'alice' }]);

    // Rolling back as the README's Production section says: the backup put in place by the new image's `restore`,
    // then the previous image started on it. alice's server is still hers, and still answers.
    compose(['stop', 'hub']);
    compose(['run', '--rm', '--no-deps', '-u', 'berth', '--entrypoint', 'sh', 'hub', '-c',
      `mkdir /srv/berth/data/rollback && cp ${backup} /srv/berth/data/rollback/jupyterhub.sqlite`]);
    compose(['run', '--rm', '--no-deps', 'hub', 'restore', '/srv/berth/data/rollback']);
    useImage(previous.image);
    compose(['up', '-d']);
    await healthy();
    expect(await (await api('/user')).json()).toMatchObject({ name: 'alice', admin: true });
    const rolledBack = await waitFor(() => KernelSocket.open(kernelUrl, token), { timeoutMs: 60_000, intervalMs: 500 });
    expect(await rolledBack.run('print(x + 2)')).toBe('44\n');
    rolledBack.close();
  }, 900_000);
});
