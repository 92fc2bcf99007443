// The user network and how containers reach the hub: the network is created labelled (or adopted), and the hub
// is reachable from user containers with no address configured, when it runs on the host and in a container.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Docker from 'dockerode';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { compileCheckout } from '../helpers/checkout-dist.js';
import { envOf, fetchFrom, startIn } from '../helpers/container-probes.js';
import { freePort } from '../helpers/free-port.js';
import { startTestHub, type TestHub } from '../helpers/test-hub.js';

const docker = new Docker();
const ICC = 'com.docker.network.bridge.enable_icc';

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
    const existing = await docker.createNetwork({ Name: name, Driver: 'bridge', Labels: { 'berth.test': 'true' }, Options: { [ICC]: 'false' } });
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

  it("gives a test hub's servers, their volumes and the network berth.test labels through spawner.extra_labels", async () => {
    const labelled = await startTestHub({ spawner: { volumes: { '{network}-{username}': '/data' } } });
    try {
      expect(labelled.config.spawner.extra_labels).toEqual(labelled.labels);
      labelled.users.ensure('alice');
      expect(await labelled.hub.servers.start('alice')).toBe('started');
      const container = await docker.getContainer(labelled.hub.servers.get('alice')!.containerId!).inspect();
      expect(container.Config.Labels).toMatchObject({ ...labelled.labels, 'berth.user': 'alice', 'berth.hub': labelled.hub.hubId });
      expect((await docker.getVolume(`${labelled.network}-alice`).inspect()).Labels).toMatchObject(labelled.labels);
      expect((await docker.getNetwork(labelled.network).inspect()).Labels).toMatchObject(labelled.labels);
    } finally {
      await labelled.cleanup();
    }
    const left = { label: [`berth.test-run=${labelled.labels['berth.test-run']}`] };
    expect(await docker.listContainers({ all: true, filters: left })).toEqual([]);
    expect((await docker.listVolumes({ filters: left })).Volumes ?? []).toEqual([]);
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
  const work = mkdtempSync(path.join(tmpdir(), 'berth-hub-in-container-'));
  const started: { hub: Docker.Container; network: string; run: string }[] = [];
  let dist: string;

  beforeAll(() => {
    dist = compileCheckout(work);
  }, 120_000);

  afterAll(async () => {
    for (const { hub, network, run } of started) {
      const labelled = await docker.listContainers({ all: true, filters: { label: [`berth.test-run=${run}`] } });
      const users = [...labelled, ...await docker.listContainers({ all: true, filters: { network: [network] } })];
      for (const c of users) if (c.Id !== hub.id) await docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined);
      await hub.remove({ force: true }).catch(() => undefined);
      await docker.getNetwork(network).remove().catch(() => undefined);
    }
    rmSync(work, { recursive: true, force: true });
  });

  /**
   * Runs the berth/hub image with this checkout's code, on the host's network (as compose.yaml runs it) or on a
   * network of its own (docker run's default). The hub makes the user network itself, as in a real deployment, and
   * labels it and its servers with the test's labels through its hub.yaml (spawner.extra_labels); afterAll removes
   * them by label, and by network name what a failed start may have left.
   */
  async function runHub(options: { hostNetwork: boolean; isolate: boolean }) {
    const run = randomBytes(4).toString('hex');
    const network = `berth-test-${run}`;
    const token = randomBytes(16).toString('hex');
    const port = options.hostNetwork ? await freePort() : 8000;
    const labels = { 'berth.test': 'true', 'berth.test-run': run };
    const config = path.join(work, `hub-${run}.yaml`);
    writeFileSync(config, stringify({
      hub: { bind: `${options.hostNetwork ? '127.0.0.1' : '0.0.0.0'}:${port}`, data_dir: `/tmp/berth-data-${run}`, log_level: 'warn' },
      auth: { admin_users: ['admin'] },
      spawner: { image: 'berth/backend:test', pull_policy: 'never', network, isolate_containers: options.isolate, extra_labels: labels },
      services: [{ name: 'tester', api_token: token, admin: true }],
    }));
    const hub = await docker.createContainer({
      name: `${network}-hub`,
      Image: 'berth/hub:latest',
      Cmd: ['--config', '/srv/berth/hub.yaml'],
      Labels: labels,
      HostConfig: {
        NetworkMode: options.hostNetwork ? 'host' : 'bridge',
        Binds: ['/var/run/docker.sock:/var/run/docker.sock', `${config}:/srv/berth/hub.yaml:ro`, `${dist}:/opt/berth/dist:ro`],
      },
    });
    started.push({ hub, network, run });
    await hub.start();
    const host = options.hostNetwork ? '127.0.0.1' : (await hub.inspect()).NetworkSettings.Networks.bridge!.IPAddress;
    const url = `http://${host}:${port}`;
    const api = (method: string, p: string) => fetch(`${url}/hub/api${p}`, { method, headers: { Authorization: `token ${token}` } });
    /** Starts `name`'s server through the API and returns its container. */
    const startServer = async (name: string) => {
      expect((await api('POST', `/users/${name}`)).status).toBe(201);
      expect((await api('POST', `/users/${name}/server`)).status).toBe(201);
      return docker.getContainer(`${network}-${name}`);
    };
    const ready = () => vi.waitFor(async () => expect((await fetch(`${url}/hub/health`)).status).toBe(200), { timeout: 30_000, interval: 250 });
    return { hub, network, url, labels, startServer, ready };
  }

  it("on the host's network (as compose.yaml runs it): user containers cannot connect to each other, yet reach its API and are reached by it", async () => {
    const h = await runHub({ hostNetwork: true, isolate: true });
    await h.ready();
    const alice = await h.startServer('alice');
    const mallory = await h.startServer('mallory');
    // Labelled by the hub from its own hub.yaml, so a sweep by label finds them.
    for (const server of [alice, mallory]) expect((await server.inspect()).Config.Labels).toMatchObject(h.labels);
    expect((await docker.getNetwork(h.network).inspect()).Labels).toMatchObject(h.labels);
    // On the host's network the hub is "on the host": containers reach it at the user network's gateway.
    const gateway = (await docker.getNetwork(h.network).inspect()).IPAM!.Config![0]!.Gateway!;
    expect(await envOf(alice, 'JUPYTERHUB_API_URL')).toBe(`http://${gateway}:8081/hub/api`);
    await startIn(alice, ['python3', '-m', 'http.server', '9000']);
    await vi.waitFor(async () => expect(await fetchFrom(alice, 'http://127.0.0.1:9000/')).toBe('HTTP 200'), { timeout: 15_000, interval: 200 });
    expect(await fetchFrom(mallory, `http://${h.network}-alice:9000/`)).toMatch(/^failed: timed out/);
    for (const [name, container] of [['alice', alice], ['mallory', mallory]] as const) {
      expect(await fetchFrom(container, `${await envOf(container, 'JUPYTERHUB_API_URL')}/health`)).toBe('HTTP 200');
      const proxied = await fetch(`${h.url}/user/${name}/echo`);
      expect(proxied.status).toBe(200);
      expect(((await proxied.json()) as { env: Record<string, string> }).env.JUPYTERHUB_USER).toBe(name);
    }
  }, 120_000);

  it('on a network of its own, with isolation on: refuses to start, saying to use the host\'s network or turn isolation off', async () => {
    const h = await runHub({ hostNetwork: false, isolate: true });
    expect((await h.hub.wait()).StatusCode).toBe(1);
    const log = (await h.hub.logs({ stdout: true, stderr: true })).toString('utf8');
    expect(log).toMatch(/with a network of its own, and spawner\.isolate_containers is on.*network_mode: host.*spawner\.isolate_containers: false/s);
    const joined = await docker.getNetwork(h.network).inspect();
    expect(Object.keys(joined.Containers ?? {})).not.toContain((await h.hub.inspect()).Id);
  }, 120_000);

  it('on a network of its own, with spawner.isolate_containers: false: joins the user network and gives containers its name there', async () => {
    const h = await runHub({ hostNetwork: false, isolate: false });
    await h.ready();
    const alice = await h.startServer('alice');
    const mallory = await h.startServer('mallory');
    const hubName = (await h.hub.inspect()).Name.replace(/^\//, '');
    expect(await envOf(alice, 'JUPYTERHUB_API_URL')).toBe(`http://${hubName}:8081/hub/api`);
    expect((await h.hub.inspect()).NetworkSettings.Networks[h.network]).toBeDefined();
    expect(await fetchFrom(alice, `http://${hubName}:8081/hub/api/health`)).toBe('HTTP 200');
    expect(await fetchFrom(mallory, `http://${h.network}-alice:8888/user/alice/echo`)).toBe('HTTP 200');
  }, 120_000);
});
