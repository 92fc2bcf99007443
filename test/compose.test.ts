// `docker compose up` as shipped: compose.yaml starts the hub image with the repository's hub.yaml (this checkout's
// code and entrypoint mounted over the image's), on the host's network; the hub answers on BERTH_PORT, makes the user network so
// that containers on it cannot reach each other, and serves its API to them at the gateway. Runs with Debian's
// docker-compose (v1).
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Docker from 'dockerode';
import { parse, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
// @ts-expect-error: a plain ES module script, no types
import { RUNTIME_PACKAGES } from '../scripts/build.mjs';
import { compileCheckout } from './helpers/checkout-dist.js';
import { execIn, fetchFrom, startIn } from './helpers/container-probes.js';
import { freePort } from './helpers/free-port.js';

const ROOT = path.join(import.meta.dirname, '..');
const run = randomBytes(4).toString('hex');
const project = `berthtest${run}`;
const network = `berth-test-${run}`;
const docker = new Docker();
const work = mkdtempSync(path.join(tmpdir(), 'berth-compose-'));
const override = path.join(work, 'checkout.yaml');

function compose(args: string[], env: Record<string, string>): string {
  return execFileSync('docker-compose', ['-p', project, '-f', 'compose.yaml', '-f', override, ...args], {
    cwd: ROOT, env: { ...process.env, ...env }, encoding: 'utf8', stdio: 'pipe', timeout: 120_000,
  });
}

let env: Record<string, string> = {};

beforeAll(() => {
  const dist = compileCheckout(work);
  const entrypoint = path.join(ROOT, 'images/hub/entrypoint.sh');
  writeFileSync(override, stringify({ services: { hub: { volumes: [`${dist}:/opt/berth/dist:ro`, `${entrypoint}:/usr/local/bin/berth-entrypoint:ro`] } } }));
}, 120_000);

afterAll(async () => {
  try {
    compose(['down', '-v'], env);
  } finally {
    for (const c of await docker.listContainers({ all: true, filters: { label: [`berth.test-run=${run}`] } })) {
      await docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined);
    }
    await docker.getNetwork(network).remove().catch(() => undefined);
    rmSync(work, { recursive: true, force: true });
  }
});

// The hub brought up once, by whichever test needs it first, so the tests run in any order; answers its port.
let up: Promise<number> | undefined;
const composeUp = () => (up ??= (async () => {
  const port = await freePort();
  env = { BERTH_PORT: String(port), BERTH_NETWORK: network, BERTH_ADMIN: 'alice' };
  compose(['up', '-d'], env);
  await vi.waitFor(async () => {
    const health = await fetch(`http://127.0.0.1:${port}/hub/health`, { signal: AbortSignal.timeout(2000) });
    expect(health.status).toBe(200);
  }, { timeout: 60_000, interval: 500 });
  return port;
})());

describe('compose.yaml as shipped', () => {
  it('names no admin by default and passes BERTH_PUBLIC_URL to hub.public_url', () => {
    const text = readFileSync(path.join(ROOT, 'compose.yaml'), 'utf8');
    const environment = (parse(text) as { services: { hub: { environment: Record<string, string> } } }).services.hub.environment;
    expect(environment.BERTH_ADMIN).toBe('${BERTH_ADMIN:-}');
    expect(environment.BERTH_PUBLIC_URL).toBe('${BERTH_PUBLIC_URL:-}');
    expect(text).not.toMatch(/BERTH_ADMIN:-[^}]/);
    expect(readFileSync(path.join(ROOT, 'hub.yaml'), 'utf8')).toContain('public_url: ${BERTH_PUBLIC_URL:-}');
  });
});

describe('docker compose up', () => {
  it("starts the hub from compose.yaml and hub.yaml on the host's network; it serves on BERTH_PORT and makes an isolated user network", async () => {
    const port = await composeUp();
    const login = await fetch(`http://127.0.0.1:${port}/hub/login`);
    expect(login.status).toBe(200);
    expect(await login.text()).toContain('GitHub sign-in is not configured');
    const [hub] = await docker.listContainers({ filters: { label: [`com.docker.compose.project=${project}`] } });
    expect(hub?.HostConfig.NetworkMode).toBe('host');
    expect((await docker.getContainer(hub!.Id).inspect()).Config.Env).toContain('BERTH_IMAGE=berth/singleuser:latest');
    // Without BERTH_PUBLIC_URL the public URL follows BERTH_PORT, so GitHub's redirect_uri names the right port.
    const logs = (await docker.getContainer(hub!.Id).logs({ stdout: true, stderr: true })).toString('latin1');
    expect(logs).toContain(`"publicUrl":"http://localhost:${port}"`);
    const made = await docker.getNetwork(network).inspect();
    expect(made.Options).toMatchObject({ 'com.docker.network.bridge.enable_icc': 'false' });
    expect(made.Labels).toMatchObject({ 'berth.network': 'true' });
  }, 180_000);

  it("lets containers on the user network reach the hub's API at the gateway, and not each other", async () => {
    await composeUp();
    const gateway = (await docker.getNetwork(network).inspect()).IPAM!.Config![0]!.Gateway!;
    const [alice, mallory] = await Promise.all(['alice', 'mallory'].map(async (name) => {
      const container = await docker.createContainer({
        name: `${network}-${name}`, Image: 'berth/backend:test',
        Labels: { 'berth.test': 'true', 'berth.test-run': run }, HostConfig: { NetworkMode: network },
      });
      await container.start();
      return container;
    }));
    await startIn(alice!, ['python3', '-m', 'http.server', '9000']);
    await vi.waitFor(async () => expect(await fetchFrom(alice!, 'http://127.0.0.1:9000/')).toBe('HTTP 200'), { timeout: 15_000, interval: 200 });
    expect(await fetchFrom(mallory!, `http://${network}-alice:9000/`)).toMatch(/^failed: timed out/);
    for (const container of [alice!, mallory!]) expect(await fetchFrom(container, `http://${gateway}:8081/hub/api/health`)).toBe('HTTP 200');
  }, 180_000);

  it("runs the hub as the unprivileged user berth, with the Docker socket's group, and reports healthy", async () => {
    await composeUp();
    const [hub] = await docker.listContainers({ filters: { label: [`com.docker.compose.project=${project}`] } });
    const container = docker.getContainer(hub!.Id);
    const status = (await execIn(container, ['cat', '/proc/1/status'])).output;
    const uid = /^Uid:\s+(\d+)/m.exec(status)?.[1];
    const groups = /^Groups:\s*(.*)$/m.exec(status)?.[1]?.trim().split(/\s+/) ?? [];
    expect(uid).toBe((await execIn(container, ['id', '-u', 'berth'])).output.trim());
    expect(uid).not.toBe('0');
    expect(groups).toContain(String(statSync('/var/run/docker.sock').gid));
    // One capability kept, so that BERTH_PORT=443 works on the host's network; every other one dropped.
    for (const set of ['CapInh', 'CapPrm', 'CapEff', 'CapBnd', 'CapAmb']) expect(new RegExp(`^${set}:\\s*(\\w+)$`, 'm').exec(status)?.[1], set).toBe('0000000000000400');
    // Data written by the hub belongs to berth, so a later start needs no root.
    expect((await execIn(container, ['stat', '-c', '%U', '/srv/berth/data/jupyterhub.sqlite'])).output.trim()).toBe('berth');
    await vi.waitFor(async () => expect((await container.inspect()).State.Health?.Status).toBe('healthy'), { timeout: 90_000, interval: 1000 });
  }, 180_000);
});

describe('the hub image', () => {
  it("runs Node.js from Debian's package, with only the packages the bundle loads at run time, each loadable", async () => {
    const image = 'berth/hub:latest';
    // What src/ loads from node_modules (scripts/build.mjs RUNTIME_PACKAGES); bootstrap is read for its CSS only.
    const load = `for (const name of ${JSON.stringify(RUNTIME_PACKAGES)}) name === 'bootstrap' ? require('fs').statSync(require.resolve('bootstrap/dist/css/bootstrap.min.css')) : require(name); console.log('loaded');`;
    const out = execFileSync('docker', ['run', '--rm', '--network', 'none', '--entrypoint', 'sh', image, '-c',
      `dpkg -S "$(readlink -f "$(command -v node)")"; ls /opt/berth/node_modules /opt/berth/node_modules/better-sqlite3/build/Release; cd /opt/berth && node -e "$1"`, 'sh', load],
    { encoding: 'utf8' });
    expect(out).toMatch(/^nodejs: \/usr\/bin\/node$/m);
    expect(out).toMatch(/^better-sqlite3$/m);
    expect(out).toMatch(/^loaded$/m);
    // Bundled into dist/, so not carried twice; and nothing of the build.
    expect(out).not.toMatch(/^(hono|zod|drizzle-orm|yaml|vitest|typescript|esbuild|playwright-core)$/m);
    expect(out.split('\n').filter((line) => line.endsWith('.node') || line === 'obj.target')).toEqual(['better_sqlite3.node']);
  });
});
