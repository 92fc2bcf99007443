import { describe, expect, it } from 'vitest';
import type Docker from 'dockerode';
import type { SpawnSpec } from '../spawner.js';
import { GPU_RESOURCE, serviceSpec } from './service-spec.js';

const spec: SpawnSpec = {
  containerName: 'berth-alice',
  image: 'berth/backend:test',
  pullPolicy: 'ifnotpresent',
  env: { JUPYTERHUB_API_TOKEN: 'secret-token', A: '1' },
  labels: { 'berth.user': 'alice', 'berth.server': '', 'berth.image-label': 'gpu' },
  volumes: [{ source: 'berth-alice', target: '/home/jovyan' }, { source: '/srv/shared', target: '/shared' }],
  memLimit: 2 ** 30,
  cpuLimit: 1.5,
  placement: ['node.labels.gpu==true'],
  port: 8888,
  readyPath: '/user/alice/api',
  httpTimeoutMs: 30_000,
};

const containerSpec = (s: Docker.CreateServiceOptions) => (s.TaskTemplate as Docker.ContainerTaskSpec).ContainerSpec;

describe('a server as a Swarm service', () => {
  it('is one replica that is never restarted, on the overlay, reached at its task address', () => {
    const s = serviceSpec(spec, 'berth', { 'berth.hub': 'h1' });
    expect(s.Mode).toEqual({ Replicated: { Replicas: 1 } });
    expect(s.TaskTemplate?.RestartPolicy?.Condition).toBe('none');
    expect(s.TaskTemplate?.Networks).toEqual([{ Target: 'berth' }]);
    expect(s.EndpointSpec?.Mode).toBe('dnsrr');
    expect(s.Labels).toEqual({ 'berth.hub': 'h1', 'berth.user': 'alice', 'berth.server': '', 'berth.image-label': 'gpu' });
  });

  it('limits and reserves the catalog entry\'s memory and CPUs, and places it by the entry\'s constraints', () => {
    const s = serviceSpec(spec, 'berth', {});
    expect(s.TaskTemplate?.Resources?.Limits).toEqual({ MemoryBytes: 2 ** 30, NanoCPUs: 1.5e9 });
    expect(s.TaskTemplate?.Resources?.Reservations).toMatchObject({ MemoryBytes: 2 ** 30, NanoCPUs: 1.5e9 });
    expect(s.TaskTemplate?.Placement?.Constraints).toEqual(['node.labels.gpu==true']);
  });

  it('keeps the environment (the API token) out of every label', () => {
    const s = serviceSpec(spec, 'berth', {});
    expect(containerSpec(s)?.Env).toContain('JUPYTERHUB_API_TOKEN=secret-token');
    expect(JSON.stringify([s.Labels, containerSpec(s)?.Labels, containerSpec(s)?.Mounts])).not.toContain('secret-token');
  });

  it('asks for a count of GPUs as a generic resource and refuses the forms Swarm cannot schedule', () => {
    expect(serviceSpec({ ...spec, gpus: 2 }, 'berth', {}).TaskTemplate?.Resources?.Reservations?.GenericResources)
      .toEqual([{ DiscreteResourceSpec: { Kind: GPU_RESOURCE, Value: 2 } }]);
    expect(() => serviceSpec({ ...spec, gpus: 'all' }, 'berth', {})).toThrow(/spawner\.images\.gpu\.gpus.*set gpus to a number/);
  });

  it('makes named volumes with spawner.volume_driver when one is set', () => {
    const mounts = containerSpec(serviceSpec(spec, 'berth', {}, { name: 'local', options: { type: 'nfs', o: 'addr=10.0.0.2' } }))?.Mounts;
    expect(mounts?.[0].VolumeOptions?.DriverConfig).toEqual({ Name: 'local', Options: { type: 'nfs', o: 'addr=10.0.0.2' } });
    expect(mounts?.[1]).toEqual({ Type: 'bind', Source: '/srv/shared', Target: '/shared' });
  });

  it('mounts named volumes (made on the task\'s node with the labels) and host paths', () => {
    const mounts = containerSpec(serviceSpec(spec, 'berth', { 'berth.hub': 'h1' }))?.Mounts;
    expect(mounts?.[0]).toMatchObject({ Type: 'volume', Source: 'berth-alice', Target: '/home/jovyan', VolumeOptions: { Labels: { 'berth.hub': 'h1' } } });
    expect(mounts?.[1]).toEqual({ Type: 'bind', Source: '/srv/shared', Target: '/shared' });
  });
});
