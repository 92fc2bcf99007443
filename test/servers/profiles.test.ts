// Profiles on the real Docker engine (berth/backend:test): a catalog entry's memory and CPU limits, environment and
// volumes are on the container it creates (docker inspect), and one asking for GPUs on this host, which has no GPU
// runtime, fails with a message saying what to install. Docker keeps a container's DeviceRequests from its create,
// so those are checked on a container created (not started) from the same spec the hub would send.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { containerCreateOptions } from '../../src/spawner/docker-spawner.js';
import { spawnSpecFor } from '../../src/servers/spawn-spec.js';
import { startTestHub, type TestHub } from '../helpers/test-hub.js';

let t: TestHub;

beforeAll(async () => {
  t = await startTestHub({
    spawner: {
      mem_limit: '256M',
      volumes: { 'berth-test-{username}-home': '/home/jovyan', 'berth-test-{username}-scratch': '/scratch' },
      environment: { SITE: 'test' },
      images: {
        big: {
          image: 'berth/backend:test',
          mem_limit: '384M',
          cpu_limit: 0.75,
          environment: { PROFILE: 'big' },
          volumes: { 'berth-test-{username}-data': '/data', 'berth-test-{username}-fast': '/scratch' },
        },
        gpu: { image: 'berth/backend:test', gpus: ['0', 'GPU-3a23c669'] },
        all: { image: 'berth/backend:test', gpus: 'all' },
      },
    },
  });
  t.users.ensure('alice');
  t.users.ensure('bob');
});
afterAll(() => t?.cleanup());

describe('a profile on the Docker engine', () => {
  it("puts the entry's limits, environment and volumes on the container", async () => {
    expect(await t.hub.servers.start('alice', { image: 'big' })).toBe('started');
    const info = await t.docker.getContainer(t.hub.servers.get('alice')!.containerId!).inspect();
    expect(info.HostConfig.Memory).toBe(384 * 2 ** 20);
    expect(info.HostConfig.NanoCpus).toBe(750_000_000);
    expect(info.HostConfig.DeviceRequests ?? []).toEqual([]);
    expect(info.Config.Env).toEqual(expect.arrayContaining(['PROFILE=big', 'SITE=test', `MEM_LIMIT=${384 * 2 ** 20}`, 'CPU_LIMIT=0.75']));
    const mounts = Object.fromEntries(info.Mounts.map((m) => [m.Destination, m.Name]));
    expect(mounts).toEqual({ '/home/jovyan': 'berth-test-alice-home', '/data': 'berth-test-alice-data', '/scratch': 'berth-test-alice-fast' });
    expect(await t.hub.servers.stop('alice')).toBe('stopped');
  });

  it('fails a GPU start on an engine without a GPU runtime with what to do, and leaves no container', async () => {
    await expect(t.hub.servers.start('bob', { image: 'all' })).rejects.toMatchObject({
      status: 500,
      message: expect.stringMatching(/asks for GPUs \(spawner\.images\.all\.gpus\), but the Docker engine on the hub's host has no GPU runtime: install the NVIDIA driver and the NVIDIA Container Toolkit.*Docker said: could not select device driver/s),
    });
    expect(t.hub.servers.get('bob')).toMatchObject({ status: 'stopped', lastError: expect.stringContaining('NVIDIA Container Toolkit') });
    const left = await t.docker.listContainers({ all: true, filters: { label: [`berth.test-run=${t.labels['berth.test-run']}`, 'berth.user=bob'] } });
    expect(left).toEqual([]);
  });

  it('asks Docker for the GPUs an entry names (NVIDIA driver, gpu capability): every one, or device ids', async () => {
    const user = t.users.get('bob')!;
    const credentials = { apiToken: 'x', clientId: 'c', hubApiUrl: 'http://127.0.0.1:1/hub/api' };
    const created: string[] = [];
    try {
      for (const [label, expected] of [
        ['all', { Driver: 'nvidia', Count: -1, Capabilities: [['gpu']] }],
        ['gpu', { Driver: 'nvidia', DeviceIDs: ['0', 'GPU-3a23c669'], Capabilities: [['gpu']] }],
      ] as const) {
        const spec = spawnSpecFor(t.config, user, `gpu-${label}`, { label, image: 'berth/backend:test' }, credentials);
        const container = await t.docker.createContainer(containerCreateOptions(spec, t.network, t.labels));
        created.push(container.id);
        const [request] = (await container.inspect()).HostConfig.DeviceRequests ?? [];
        expect(request).toMatchObject(expected);
      }
    } finally {
      for (const id of created) await t.docker.getContainer(id).remove({ force: true });
    }
  });
});
