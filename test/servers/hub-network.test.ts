// The user network and how containers reach the hub: the network is created labelled (or adopted), and the hub
// is reachable from user containers with no address configured, when it runs on the host and in a container.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Docker from 'dockerode';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startTestHub, type TestHub } from '../helpers/test-hub.js';

const docker = new Docker();
const ROOT = path.join(import.meta.dirname, '..', '..');

async function execIn(container: Docker.Container, cmd: string[]): Promise<{ output: string; exitCode: number | null }> {
  const exec = await container.exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({});
  const output = await new Promise<string>((resolve) => {
    let out = '';
    stream.on('data', (chunk: Buffer) => (out += chunk.toString('latin1')));
    stream.on('end', () => resolve(out));
  });
  return { output, exitCode: (await exec.inspect()).ExitCode };
}

const FETCH_HUB = ['python3', '-c', 'import os, urllib.request; r = urllib.request.urlopen(os.environ["JUPYTERHUB_API_URL"] + "/health"); print("STATUS %d" % r.status)'];

describe('the user network', () => {
  let t: TestHub | undefined;
  afterAll(() => t?.cleanup());

  it("is created as a bridge labelled as Berth's and this hub's", async () => {
    t = await startTestHub();
    const info = await docker.getNetwork(t.network).inspect();
    expect(info.Driver).toBe('bridge');
    expect(info.Labels).toMatchObject({ 'berth.network': 'true', 'berth.hub': t.hub.hubId, 'berth.test': 'true' });
  });

  it('is adopted when a network of that name already exists', async () => {
    const name = `berth-test-${randomBytes(4).toString('hex')}`;
    const existing = await docker.createNetwork({ Name: name, Driver: 'bridge', Labels: { 'berth.test': 'true' } });
    const adopted = await startTestHub({ spawner: { network: name } });
    try {
      adopted.users.ensure('alice');
      expect(await adopted.hub.servers.start('alice')).toBe('started');
      const info = await docker.getContainer(adopted.hub.servers.get('alice')!.containerId!).inspect();
      expect(info.NetworkSettings.Networks[name]?.NetworkID).toBe(existing.id);
    } finally {
      await adopted.cleanup();
    }
  });

  it('cannot be made without a Docker engine: the hub refuses to start and says what to do', async () => {
    const nowhere = new Docker({ socketPath: '/nonexistent/docker.sock' });
    await expect(startTestHub({}, { overrides: { docker: nowhere } })).rejects.toThrow(
      /cannot reach the Docker engine at \/nonexistent\/docker.sock \(ENOENT\).*start dockerd/,
    );
  });

  it('is refused with a clear error when the name is not a bridge network', async () => {
    await expect(startTestHub({ spawner: { network: 'host' } })).rejects.toThrow(/spawner.network must name a bridge network/);
  });
});

describe('a hub running in a container', () => {
  const run = randomBytes(4).toString('hex');
  const network = `berth-test-${run}`;
  const hubName = `berth-test-${run}-hub`;
  const token = randomBytes(16).toString('hex');
  const work = mkdtempSync(path.join(tmpdir(), 'berth-hub-in-container-'));
  let hub: Docker.Container;
  let hubUrl: string;

  beforeAll(async () => {
    // The hub image with this checkout's code: compile into a scratch dir and mount it over the image's dist/.
    execFileSync(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', path.join(ROOT, 'tsconfig.build.json'), '--outDir', path.join(work, 'dist'), '--sourceMap', 'false'], { stdio: 'pipe' });
    cpSync(path.join(ROOT, 'src/db/migrations'), path.join(work, 'dist/db/migrations'), { recursive: true });
    writeFileSync(path.join(work, 'hub.yaml'), stringify({
      hub: { bind: '0.0.0.0:8000', data_dir: '/tmp/berth-data', log_level: 'warn' },
      auth: { admin_users: ['admin'] },
      spawner: { image: 'berth/backend:test', pull_policy: 'never', network },
      services: [{ name: 'tester', api_token: token, admin: true }],
    }));
    // Created here so it carries the test labels; the hub adopts it.
    await docker.createNetwork({ Name: network, Driver: 'bridge', Labels: { 'berth.test': 'true', 'berth.test-run': run } });
    hub = await docker.createContainer({
      name: hubName,
      Image: 'berth/hub:latest',
      Cmd: ['--config', '/srv/berth/hub.yaml'],
      Labels: { 'berth.test': 'true', 'berth.test-run': run },
      HostConfig: {
        Binds: ['/var/run/docker.sock:/var/run/docker.sock', `${work}/hub.yaml:/srv/berth/hub.yaml:ro`, `${work}/dist:/opt/berth/dist:ro`],
      },
    });
    await hub.start();
    const ip = (await hub.inspect()).NetworkSettings.Networks.bridge.IPAddress;
    hubUrl = `http://${ip}:8000`;
    await vi.waitFor(async () => expect((await fetch(`${hubUrl}/hub/health`)).status).toBe(200), { timeout: 30_000, interval: 250 });
  }, 180_000);

  afterAll(async () => {
    const users = await docker.listContainers({ all: true, filters: { network: [network] } });
    for (const c of users) if (c.Id !== hub?.id) await docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined);
    await hub?.remove({ force: true }).catch(() => undefined);
    await docker.getNetwork(network).remove().catch(() => undefined);
    rmSync(work, { recursive: true, force: true });
  });

  it('joins the user network itself and gives containers its name there as JUPYTERHUB_API_URL', async () => {
    const api = (method: string, p: string) => fetch(`${hubUrl}/hub/api${p}`, { method, headers: { Authorization: `token ${token}` } });
    expect((await api('POST', '/users/alice')).status).toBe(201);
    expect((await api('POST', '/users/alice/server')).status).toBe(201);
    const alice = docker.getContainer(`${network}-alice`);
    const env = (await alice.inspect()).Config.Env;
    expect(env).toContain(`JUPYTERHUB_API_URL=http://${hubName}:8081/hub/api`);
    expect((await hub.inspect()).NetworkSettings.Networks[network]).toBeDefined();
    const { output, exitCode } = await execIn(alice, FETCH_HUB);
    expect(output).toContain('STATUS 200');
    expect(exitCode).toBe(0);
  });
});
