// What `docker service create` gets for one server: one replica that Swarm never restarts (a stopped server stays
// stopped), on the overlay, with the catalog entry's limits (also reserved, so the scheduler only places a server
// where it fits), placement constraints and GPUs as generic resources. The environment, which holds the server's
// API token, goes in the container spec only: service labels are listed to anyone who can list services.
import type Docker from 'dockerode';
import { SpawnError, type SpawnSpec } from '../spawner.js';
import { LABELS } from '../labels.js';

/** The generic resource kind nodes advertise their GPUs as (dockerd --node-generic-resource NVIDIA-GPU=<uuid>). */
export const GPU_RESOURCE = 'NVIDIA-GPU';
/** Seconds a stopping server gets before SIGKILL, as the docker backend's `docker stop -t`. */
const STOP_GRACE_NS = 5e9;

/** spawner.volume_driver and its options: named volumes made by a driver every node can mount (NFS, a plugin). */
export interface VolumeDriver {
  name: string;
  options: Record<string, string>;
}

export function serviceSpec(spec: SpawnSpec, network: string, labels: Record<string, string>, driver?: VolumeDriver): Docker.CreateServiceOptions {
  const resources = {
    MemoryBytes: spec.memLimit,
    NanoCPUs: spec.cpuLimit === undefined ? undefined : Math.round(spec.cpuLimit * 1e9),
  };
  return {
    Name: spec.containerName,
    Labels: { ...labels, ...spec.labels },
    TaskTemplate: {
      ContainerSpec: {
        Image: spec.image,
        Args: spec.cmd,
        Env: Object.entries(spec.env).map(([k, v]) => `${k}=${v}`),
        Labels: { ...labels, ...spec.labels },
        Mounts: spec.volumes.map(({ source, target }) => ({
          Type: source.startsWith('/') ? ('bind' as const) : ('volume' as const),
          Source: source,
          Target: target,
          // Swarm creates a missing named volume on the node the task lands on, with these labels.
          ...(source.startsWith('/') ? {} : {
            VolumeOptions: {
              Labels: { ...labels, ...spec.labels },
              ...(driver ? { DriverConfig: { Name: driver.name, Options: driver.options } } : {}),
            } as Docker.MountSettings['VolumeOptions'],
          }),
        })),
        StopGracePeriod: STOP_GRACE_NS,
      },
      Resources: {
        Limits: resources,
        Reservations: { ...resources, GenericResources: gpuResources(spec) },
      },
      RestartPolicy: { Condition: 'none', MaxAttempts: 0 },
      Placement: { Constraints: spec.placement ?? [] },
      Networks: [{ Target: network }],
    },
    Mode: { Replicated: { Replicas: 1 } },
    // The hub routes to the task's own address; no virtual IP, no published port.
    EndpointSpec: { Mode: 'dnsrr' },
  };
}

/** GPUs as Swarm can schedule them: a count of a generic resource; "all" or device ids have no Swarm form. */
function gpuResources(spec: SpawnSpec): Docker.GenericResource[] | undefined {
  if (spec.gpus === undefined) return undefined;
  // The Engine API's shape; @types/dockerode flattens it wrongly.
  if (typeof spec.gpus === 'number') return [{ DiscreteResourceSpec: { Kind: GPU_RESOURCE, Value: spec.gpus } } as Docker.GenericResource];
  const label = spec.labels[LABELS.imageLabel];
  throw new SpawnError(
    `spawner.images.${label || '?'}.gpus is ${JSON.stringify(spec.gpus)}, but on a swarm GPUs are a count of the generic resource ` +
      `${GPU_RESOURCE} that nodes advertise: set gpus to a number (e.g. 1)`,
  );
}
