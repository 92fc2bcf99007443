// Issue 10, finding 4: user containers must not reach each other. Users may be hostile to each other, and a
// listener in one user's container (a notebook server, `python3 -m http.server`) must be out of the others'
// reach, while every container still reaches the hub's API and the proxy still reaches every server.
// The hub-in-a-container deployment is covered in test/servers/hub-network.test.ts.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { envOf, fetchFrom, resolveFrom, startIn } from '../helpers/container-probes.js';
import type { ConfigInput } from '../../src/config/schema.js';
import { startTestHub, type TestHub } from '../helpers/test-hub.js';

const LISTENER_PORT = 9000;
const ICC = 'com.docker.network.bridge.enable_icc';

/** Starts alice's and mallory's servers; alice also runs her own listener, seen answering from inside her container. */
async function twoUsers(t: TestHub): Promise<{ alice: Docker.Container; mallory: Docker.Container; aliceIp: string }> {
  for (const name of ['alice', 'mallory']) {
    t.users.ensure(name);
    expect(await t.hub.servers.start(name)).toBe('started');
  }
  const alice = t.docker.getContainer(t.hub.servers.get('alice')!.containerId!);
  const mallory = t.docker.getContainer(t.hub.servers.get('mallory')!.containerId!);
  await startIn(alice, ['python3', '-m', 'http.server', String(LISTENER_PORT)]);
  await vi.waitFor(async () => expect(await fetchFrom(alice, `http://127.0.0.1:${LISTENER_PORT}/`)).toBe('HTTP 200'), { timeout: 15_000, interval: 200 });
  const aliceIp = (await alice.inspect()).NetworkSettings.Networks[t.network]!.IPAddress;
  return { alice, mallory, aliceIp };
}

describe('user containers, with the hub on the Docker host (default settings)', () => {
  let t: TestHub;
  let alice: Docker.Container;
  let mallory: Docker.Container;
  let aliceIp: string;

  beforeAll(async () => {
    t = await startTestHub();
    ({ alice, mallory, aliceIp } = await twoUsers(t));
  });
  afterAll(() => t?.cleanup());

  it("cannot connect to another user's container, by name or by address, on any port", async () => {
    const aliceName = `${t.network}-alice`;
    // The name still resolves: what stops mallory is the network, not a missing name.
    expect(await resolveFrom(mallory, aliceName)).toBe(aliceIp);
    const malloryIp = (await mallory.inspect()).NetworkSettings.Networks[t.network]!.IPAddress;
    const port = t.config.spawner.port;
    const attempts = await Promise.all([
      fetchFrom(mallory, `http://${aliceName}:${LISTENER_PORT}/`),
      fetchFrom(mallory, `http://${aliceIp}:${LISTENER_PORT}/`),
      fetchFrom(mallory, `http://${aliceIp}:${port}/user/alice/echo`),
      fetchFrom(alice, `http://${malloryIp}:${port}/user/mallory/echo`),
    ]);
    // Dropped, not refused: the bridge discards the packets, so each attempt ends at its time limit.
    for (const attempt of attempts) expect(attempt).toMatch(/^failed: timed out/);
  });

  it("still reaches the hub's API at JUPYTERHUB_API_URL from every container", async () => {
    for (const container of [alice, mallory]) {
      expect(await fetchFrom(container, `${await envOf(container, 'JUPYTERHUB_API_URL')}/health`)).toBe('HTTP 200');
    }
  });

  it("still reaches other services on the Docker host, at the network's gateway", async () => {
    const gateway = (await t.docker.getNetwork(t.network).inspect()).IPAM!.Config![0]!.Gateway!;
    const host = http.createServer((_req, res) => res.end('from the host'));
    await new Promise<void>((resolve) => host.listen(0, gateway, resolve));
    try {
      const { port } = host.address() as AddressInfo;
      expect(await fetchFrom(mallory, `http://${gateway}:${port}/`)).toBe('HTTP 200');
    } finally {
      await new Promise((resolve) => host.close(resolve));
    }
  });

  it('is still reached by the proxy: both servers answer on the public port', async () => {
    for (const name of ['alice', 'mallory']) {
      const res = await fetch(`${t.url}/user/${name}/echo`);
      expect(res.status).toBe(200);
      expect(((await res.json()) as { env: Record<string, string> }).env.JUPYTERHUB_USER).toBe(name);
    }
  });

  it('is made on a bridge network that drops container-to-container traffic', async () => {
    expect((await t.docker.getNetwork(t.network).inspect()).Options).toMatchObject({ [ICC]: 'false' });
  });
});

describe('user containers with spawner.isolate_containers: false (collaborative setups)', () => {
  let t: TestHub;
  afterAll(() => t?.cleanup());

  it("can connect to each other's listeners, by name", async () => {
    t = await startTestHub({ spawner: { isolate_containers: false } });
    const { mallory } = await twoUsers(t);
    expect(await fetchFrom(mallory, `http://${t.network}-alice:${LISTENER_PORT}/`)).toBe('HTTP 200');
    expect(await fetchFrom(mallory, `${await envOf(mallory, 'JUPYTERHUB_API_URL')}/health`)).toBe('HTTP 200');
  });
});

describe('an existing user network whose isolation differs from spawner.isolate_containers (e.g. made before the upgrade)', () => {
  /** A hub built but not started, and its network made beforehand as an older Berth made it: no enable_icc option. */
  async function hubWithOpenNetwork(berthLabels: boolean): Promise<TestHub> {
    return hubWithNetwork({ berthLabels, isolated: false });
  }

  async function hubWithNetwork(options: { berthLabels: boolean; isolated: boolean; config?: ConfigInput }): Promise<TestHub> {
    const t = await startTestHub(options.config, { start: false });
    const labels: Record<string, string> = options.berthLabels ? { 'berth.network': 'true', 'berth.hub': t.hub.hubId } : {};
    await t.docker.createNetwork({
      Name: t.network, Driver: 'bridge', Labels: { ...t.labels, ...labels }, Options: options.isolated ? { [ICC]: 'false' } : {},
    });
    return t;
  }

  it('is recreated isolated at start when Berth made it and no container uses it', async () => {
    const t = await hubWithOpenNetwork(true);
    try {
      const before = await t.docker.getNetwork(t.network).inspect();
      await t.hub.start();
      const after = await t.docker.getNetwork(t.network).inspect();
      expect(after.Id).not.toBe(before.Id);
      expect(after.Options).toMatchObject({ [ICC]: 'false' });
      expect(after.Labels).toMatchObject({ 'berth.network': 'true', 'berth.hub': t.hub.hubId });
    } finally {
      await t.cleanup();
    }
  });

  it('stops the hub from starting while containers use it, naming them and saying what to do', async () => {
    const t = await hubWithOpenNetwork(true);
    const squatter = await t.docker.createContainer({
      name: `${t.network}-old-server`, Image: 'berth/backend:test', Labels: t.labels, HostConfig: { NetworkMode: t.network },
    });
    try {
      await squatter.start();
      await expect(t.hub.start()).rejects.toThrow(new RegExp(
        `network ${t.network} lets its containers connect to each other.*${t.network}-old-server.*` +
          `docker network rm ${t.network}.*spawner\\.isolate_containers: false`, 's',
      ));
    } finally {
      await t.cleanup();
    }
  });

  it('stops the hub from starting when Berth did not make it, rather than change it', async () => {
    const t = await hubWithOpenNetwork(false);
    try {
      await expect(t.hub.start()).rejects.toThrow(/not made by Berth.*docker network rm/s);
      expect((await t.docker.getNetwork(t.network).inspect()).Options?.[ICC]).toBeUndefined();
    } finally {
      await t.cleanup();
    }
  });

  it('is recreated open when spawner.isolate_containers is turned off, Berth made it and no container uses it', async () => {
    const t = await hubWithNetwork({ berthLabels: true, isolated: true, config: { spawner: { isolate_containers: false } } });
    try {
      await t.hub.start();
      expect((await t.docker.getNetwork(t.network).inspect()).Options?.[ICC]).toBeUndefined();
    } finally {
      await t.cleanup();
    }
  });
});
