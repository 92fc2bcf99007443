// The dockerode implementation of the Spawner contract: one private network (user-network.ts), one container per server,
// labelled with this hub's id so that reconcile and the stale-container check only ever touch the hub's own.
import type Docker from 'dockerode';
import type { Logger } from '../log.js';
import { LABELS, ownedBy } from './labels.js';
import { ensureImage } from './pull-image.js';
import { ensureUserNetwork } from './user-network.js';
import { findHubAddress, type HubAddress } from './hub-address.js';
import { waitUntilReady } from './readiness.js';
import { listForeignContainers, type ForeignContainer } from './foreign-containers.js';
import { fetchOneShotStats, toContainerStats } from './container-stats.js';
import {
  SpawnError,
  type GpuRequest,
  type OwnedContainer,
  type ContainerStats,
  type PollResult,
  type SpawnProgress,
  type SpawnSpec,
  type Spawner,
  type StartedContainer,
  type UserNetwork,
} from './spawner.js';

export interface DockerSpawnerOptions {
  docker: Docker;
  /** spawner.network */
  network: string;
  /** spawner.isolate_containers: containers on the network cannot connect to each other. */
  isolate: boolean;
  hubId: string;
  /** Port the servers listen on (spawner.port), to build target URLs of adopted containers. */
  port: number;
  /** Extra labels put on every container, volume and network (tests: berth.test=true). */
  extraLabels?: Record<string, string>;
  logger: Logger;
  /**
   * Containers this hub's server rows record. They are the hub's whatever their label says: a container another hub
   * made becomes this hub's when `berth adopt` records it (labels cannot change).
   */
  claimed?: () => ReadonlySet<string>;
}

const STOP_GRACE_S = 5;
const LOG_TAIL_LINES = 20;

export function createDockerSpawner(options: DockerSpawnerOptions): Spawner {
  const { docker, network, hubId, port, logger } = options;
  const baseLabels = { ...options.extraLabels, [LABELS.hub]: hubId };
  const claimed = options.claimed ?? (() => new Set<string>());

  const addressOf = (info: Docker.ContainerInspectInfo | Docker.ContainerInfo): string | null => {
    const ip = info.NetworkSettings?.Networks?.[network]?.IPAddress;
    return ip ? `http://${ip}:${port}` : null;
  };

  async function removeQuietly(id: string): Promise<void> {
    await docker.getContainer(id).remove({ force: true, v: false }).catch((err: { statusCode?: number }) => {
      if (err.statusCode !== 404 && err.statusCode !== 409) throw err;
    });
  }

  /** Creates the missing named volumes; answers the mounts to make (without `onlyIfOurs` ones that are not this hub's). */
  async function ensureVolumes(spec: SpawnSpec): Promise<SpawnSpec['volumes']> {
    const mounts: SpawnSpec['volumes'] = [];
    for (const volume of spec.volumes) {
      const { source } = volume;
      if (!source.startsWith('/')) {
        const found = await docker.getVolume(source).inspect().catch(() => null);
        if (volume.onlyIfOurs && found?.Labels?.[LABELS.hub] !== hubId) continue;
        if (!found) await docker.createVolume({ Name: source, Labels: { ...baseLabels, ...spec.labels } });
      }
      mounts.push(volume);
    }
    return mounts;
  }

  /** A leftover container with the same name is replaced when it is this hub's; anything else is refused. */
  async function removeStale(name: string): Promise<void> {
    const info = await docker.getContainer(name).inspect().catch((err: { statusCode?: number }) => {
      if (err.statusCode === 404) return null;
      throw err;
    });
    if (!info) return;
    if (info.Config.Labels?.[LABELS.hub] !== hubId && !claimed().has(info.Id)) {
      throw new SpawnError(
        `A container named ${name} already exists and was not created by this hub (its ${LABELS.hub} label is ` +
          `${JSON.stringify(info.Config.Labels?.[LABELS.hub] ?? null)}). An admin can adopt it (berth adopt ${name}) or ` +
          `remove it (berth adopt --remove ${name}, or docker rm -f ${name}), or give this hub another spawner.network`,
      );
    }
    logger.info({ container: name, id: info.Id }, 'removing stale container before start');
    await removeQuietly(info.Id);
  }

  async function logTail(id: string): Promise<string> {
    const raw = await docker.getContainer(id).logs({ stdout: true, stderr: true, tail: LOG_TAIL_LINES, follow: false })
      .catch(() => Buffer.alloc(0));
    return demux(Buffer.isBuffer(raw) ? raw : Buffer.from(String(raw))).trimEnd();
  }

  async function exitedError(id: string, state: Docker.ContainerInspectInfo['State']): Promise<SpawnError> {
    const tail = await logTail(id);
    return new SpawnError(
      `The container exited with code ${state.ExitCode}${state.Error ? ` (${state.Error})` : ''} before its server answered HTTP.` +
        (tail ? ` Last log lines:\n${tail}` : ' It wrote no log lines.'),
    );
  }

  /**
   * Creates the container, asking the engine first and checking only when it refuses, as `docker run` does: the
   * common start costs one request instead of three. "No such image" (404) → the pull policy decides (pull or a clear
   * error) and the create is retried; a name in use (409) → a stale container of this hub is removed, any other is
   * refused (removeStale), and the create is retried.
   */
  async function createContainer(spec: SpawnSpec, onProgress: (event: SpawnProgress) => void, signal: AbortSignal, volumes: SpawnSpec['volumes']): Promise<Docker.Container> {
    const options = containerCreateOptions({ ...spec, volumes }, network, baseLabels);
    let imageChecked = spec.pullPolicy === 'always';
    let staleRemoved = false;
    for (;;) {
      try {
        const container = await docker.createContainer(options);
        onProgress({ progress: 45, message: `Creating container ${spec.containerName}` });
        return container;
      } catch (err) {
        const status = (err as { statusCode?: number }).statusCode;
        if (status === 404 && !imageChecked) {
          imageChecked = true;
          await ensureImage(docker, spec.image, spec.pullPolicy, onProgress, signal);
        } else if (status === 409 && !staleRemoved) {
          staleRemoved = true;
          await removeStale(spec.containerName);
        } else {
          throw err;
        }
        signal.throwIfAborted();
      }
    }
  }

  /**
   * Waits for the container's next exit (POST /containers/{id}/wait?condition=next-exit), asked before the start as
   * `docker run` does, so an exit right after the start is not missed. `signal` aborts when the wait answers or
   * fails (the caller then inspects); `close()` ends the request.
   */
  function watchExit(id: string): { signal: AbortSignal; close(): void } {
    const answered = new AbortController();
    const closed = new AbortController();
    docker.getContainer(id).wait({ condition: 'next-exit', abortSignal: closed.signal }).then(
      () => answered.abort(new Error('the container exited')),
      (err: unknown) => {
        if (!closed.signal.aborted) answered.abort(err);
      },
    );
    return { signal: answered.signal, close: () => closed.abort() };
  }

  return {
    async prepare(): Promise<HubAddress> {
      const userNetwork: UserNetwork = await ensureUserNetwork({ docker, name: network, isolate: options.isolate, hubId, labels: baseLabels, logger });
      return findHubAddress(docker, userNetwork, logger);
    },

    async ping() {
      await docker.ping();
    },

    async start(spec, onProgress: (event: SpawnProgress) => void, signal): Promise<StartedContainer> {
      if (spec.pullPolicy === 'always') await ensureImage(docker, spec.image, spec.pullPolicy, onProgress, signal);
      const volumes = await ensureVolumes(spec);
      signal.throwIfAborted();
      const container = await createContainer(spec, onProgress, signal, volumes);
      const exited = watchExit(container.id);
      try {
        signal.throwIfAborted();
        onProgress({ progress: 55, message: 'Starting container' });
        await container.start().catch((err: Error) => {
          throw noGpuRuntime(err, spec) ?? err;
        });
        const info = await container.inspect();
        const url = addressOf(info);
        if (!info.State.Running) throw await exitedError(info.Id, info.State);
        if (!url) throw new SpawnError(`The container has no address on network ${network}`);
        onProgress({ progress: 70, message: `Waiting for the server to answer HTTP at ${spec.readyPath}` });
        await waitUntilReady(url, spec.readyPath, spec.httpTimeoutMs, signal, {
          exited: exited.signal,
          check: async () => {
            const now = await docker.getContainer(info.Id).inspect();
            if (!now.State.Running) throw await exitedError(info.Id, now.State);
          },
          logTail: () => logTail(info.Id),
        });
        return { containerId: info.Id, containerName: spec.containerName, url };
      } catch (err) {
        await removeQuietly(container.id).catch((cleanup) => logger.warn({ err: cleanup, id: container.id }, 'could not remove failed container'));
        throw err;
      } finally {
        exited.close();
      }
    },

    async stop(containerId) {
      await docker.getContainer(containerId).stop({ t: STOP_GRACE_S }).catch((err: { statusCode?: number }) => {
        if (err.statusCode !== 304 && err.statusCode !== 404) throw err;
      });
      await removeQuietly(containerId);
    },

    async poll(containerId): Promise<PollResult> {
      const info = await docker.getContainer(containerId).inspect().catch((err: { statusCode?: number }) => {
        if (err.statusCode === 404) return null;
        throw err;
      });
      if (!info) return { running: false, gone: true, exitCode: null, error: 'the container no longer exists' };
      if (info.State.Running) return { running: true, url: addressOf(info) };
      return {
        running: false,
        gone: false,
        exitCode: info.State.ExitCode,
        error: `the container exited with code ${info.State.ExitCode}${info.State.Error ? ` (${info.State.Error})` : ''}`,
      };
    },

    async stats(containerId): Promise<ContainerStats | null> {
      return toContainerStats(await fetchOneShotStats(docker, containerId));
    },

    async list(): Promise<OwnedContainer[]> {
      const found = await docker.listContainers({ all: true, filters: ownedBy(hubId) });
      const adopted = [...claimed()].filter((id) => !found.some((c) => c.Id === id));
      if (adopted.length > 0) found.push(...await docker.listContainers({ all: true, filters: { id: adopted } }));
      return found.map((c) => ({
        containerId: c.Id,
        containerName: (c.Names[0] ?? '').replace(/^\//, ''),
        running: c.State === 'running',
        labels: c.Labels ?? {},
        url: addressOf(c),
      }));
    },

    listForeign(): Promise<ForeignContainer[]> {
      return listForeignContainers(docker, { network, hubId, port, claimed: claimed() });
    },
  };
}

/** What `docker create` gets for `spec`: the container on `network`, with its mounts, limits and GPUs. */
export function containerCreateOptions(spec: SpawnSpec, network: string, labels: Record<string, string>): Docker.ContainerCreateOptions {
  return {
    name: spec.containerName,
    Image: spec.image,
    Env: Object.entries(spec.env).map(([k, v]) => `${k}=${v}`),
    Cmd: spec.cmd,
    Labels: { ...labels, ...spec.labels },
    ExposedPorts: { [`${spec.port}/tcp`]: {} },
    HostConfig: {
      NetworkMode: network,
      Mounts: spec.volumes.map(({ source, target }) => ({
        Type: source.startsWith('/') ? ('bind' as const) : ('volume' as const),
        Source: source,
        Target: target,
      })),
      Memory: spec.memLimit,
      NanoCpus: spec.cpuLimit === undefined ? undefined : Math.round(spec.cpuLimit * 1e9),
      DeviceRequests: spec.gpus === undefined ? undefined : [deviceRequest(spec.gpus)],
    },
  };
}

/** `docker run --gpus` as the Engine API takes it: NVIDIA's driver, the `gpu` capability; Count -1 is every GPU. */
function deviceRequest(gpus: GpuRequest): Docker.DeviceRequest {
  const which = Array.isArray(gpus) ? { DeviceIDs: gpus } : { Count: gpus === 'all' ? -1 : gpus };
  return { Driver: 'nvidia', ...which, Capabilities: [['gpu']] };
}

/**
 * Docker's answer when a container asks for GPUs on an engine without a GPU runtime ("could not select device driver
 * "nvidia" with capabilities: [[gpu]]"), as what to do about it; null for any other failure.
 */
export function noGpuRuntime(err: Error, spec: Pick<SpawnSpec, 'gpus' | 'labels'>): SpawnError | null {
  if (spec.gpus === undefined || !/could not select device driver/i.test(err.message)) return null;
  const label = spec.labels[LABELS.imageLabel];
  const where = label ? `spawner.images.${label}.gpus` : 'gpus';
  return new SpawnError(
    `This server asks for GPUs (${where}), but the Docker engine on the hub's host has no GPU runtime: ` +
      'install the NVIDIA driver and the NVIDIA Container Toolkit there and restart Docker ' +
      '(nvidia-ctk runtime configure --runtime=docker && systemctl restart docker), or choose an image without GPUs. ' +
      `Docker said: ${err.message.replace(/^\(HTTP code \d+\) [^-]*- /, '').trim()}`,
    { cause: err },
  );
}

/** Docker multiplexes stdout/stderr of a non-TTY container into frames: 8-byte header, then the payload. */
function demux(raw: Buffer): string {
  const parts: Buffer[] = [];
  let offset = 0;
  while (offset + 8 <= raw.length && raw[offset] <= 2 && raw[offset + 1] === 0) {
    const size = raw.readUInt32BE(offset + 4);
    parts.push(raw.subarray(offset + 8, offset + 8 + size));
    offset += 8 + size;
  }
  return offset === 0 ? raw.toString('utf8') : Buffer.concat(parts).toString('utf8');
}
