// The Spawner contract on Docker Swarm: each server is a one-replica service (service-spec.ts) on an attachable
// overlay (overlay-network.ts), labelled with this hub's id like the docker backend's containers. A server's id is its
// service id; it runs while the service's task runs on a node that is up, and is reached at the task's overlay address.
// Servers are placed only on nodes that hold their image (image-distribution.ts checks the catalog on every node).
import type Docker from 'dockerode';
import type { Logger } from '../../log.js';
import { LABELS, ownedBy } from '../labels.js';
import { waitUntilReady } from '../readiness.js';
import { SpawnError, type OwnedContainer, type PollResult, type SpawnProgress, type SpawnSpec, type Spawner, type StartedContainer } from '../spawner.js';
import { createImageDistribution } from './image-distribution.js';
import { ensureOverlayNetwork, hubAddressOn } from './overlay-network.js';
import { serviceSpec, type VolumeDriver } from './service-spec.js';
import { isFinal, taskProgress } from './task-state.js';

export interface SwarmSpawnerOptions {
  /** A client for a swarm manager. */
  docker: Docker;
  /** spawner.network: the attachable overlay. */
  network: string;
  hubId: string;
  /** spawner.port */
  port: number;
  /** Extra labels on every service, volume and network (tests: berth.test=true). */
  extraLabels?: Record<string, string>;
  logger: Logger;
  /** spawner.volume_driver: named volumes every node can mount; without it, volumes are local and pinned. */
  volumeDriver?: VolumeDriver;
  /** Which node holds each local named volume (servers/volume-pins.ts); without it, nothing is pinned. */
  volumePins?: VolumePins;
  /** The catalog's images (spawner.image and every entry's) and pull_policy, read at each distribution. */
  catalog?: () => { images: string[]; pullPolicy: SpawnSpec['pullPolicy'] };
  /** Calls back after each applied reload of hub.yaml: the catalog may have changed. */
  onConfigChange?: (listener: () => void) => void;
}

/**
 * Where local named volumes live. A volume is pinned to the node its first server ran on, and every later server
 * mounting it is placed there: a user's files are never split over nodes.
 */
export interface VolumePins {
  get(volume: string): { nodeId: string; nodeName: string } | null;
  record(volume: string, node: { nodeId: string; nodeName: string }): void;
}

/** The fields of GET /tasks the spawner reads. */
interface Task {
  ID: string;
  NodeID?: string;
  CreatedAt?: string;
  Status?: { State?: string; Err?: string; Message?: string; ContainerStatus?: { ExitCode?: number } };
  NetworksAttachments?: { Network?: { Spec?: { Name?: string } }; Addresses?: string[] }[];
}

/** The fields of a node the spawner reads. */
interface NodeInfo {
  Description?: { Hostname?: string };
  Status?: { State?: string; Message?: string };
}

const TASK_POLL_MS = 250;

export function createSwarmSpawner(options: SwarmSpawnerOptions): Spawner {
  const { docker, network, hubId, port, logger } = options;
  const baseLabels = { ...options.extraLabels, [LABELS.hub]: hubId };
  const nodeNames = new Map<string, string>();
  const images = createImageDistribution({ docker, hubId, labels: options.extraLabels ?? {}, logger });
  let distributed = '';

  /** Puts the catalog's images on every node, unless this catalog was already distributed (a reload of other keys). */
  function distributeCatalog(): void {
    if (!options.catalog) return;
    const { images: list, pullPolicy } = options.catalog();
    const key = JSON.stringify([[...new Set(list)].sort(), pullPolicy]);
    if (key === distributed) return;
    distributed = key;
    void images.distribute(list, pullPolicy);
  }
  options.onConfigChange?.(distributeCatalog);

  /** The service's newest task (a one-replica service with no restarts has one, but a node loss may add more). */
  async function currentTask(serviceId: string): Promise<Task | null> {
    const tasks = (await docker.listTasks({ filters: { service: [serviceId] } })) as Task[];
    tasks.sort((a, b) => (b.CreatedAt ?? '').localeCompare(a.CreatedAt ?? ''));
    return tasks[0] ?? null;
  }

  function addressOf(task: Task): string | null {
    const attachment = task.NetworksAttachments?.find((a) => a.Network?.Spec?.Name === network);
    const ip = attachment?.Addresses?.[0]?.split('/')[0];
    return ip ? `http://${ip}:${port}` : null;
  }

  async function nodeOf(task: Task): Promise<{ name: string; down: string | null }> {
    if (!task.NodeID) return { name: '', down: null };
    return nodeStatus(task.NodeID, await docker.getNode(task.NodeID).inspect().catch(() => null) as NodeInfo | null);
  }

  function nodeStatus(nodeId: string, info: NodeInfo | null): { name: string; down: string | null } {
    const name = info?.Description?.Hostname ?? nodeNames.get(nodeId) ?? nodeId.slice(0, 12);
    nodeNames.set(nodeId, name);
    const state = info?.Status?.State ?? 'unknown';
    return { name, down: state === 'ready' ? null : `node ${name} is ${state}${info?.Status?.Message ? ` (${info.Status.Message})` : ''}` };
  }

  function taskError(task: Task): string {
    const status = task.Status ?? {};
    const code = status.ContainerStatus?.ExitCode;
    return `the task is ${status.State ?? 'unknown'}${status.Err ? `: ${status.Err}` : status.Message ? ` (${status.Message})` : ''}` +
      (code !== undefined && status.State === 'failed' ? ` (exit code ${code})` : '');
  }

  async function removeQuietly(id: string): Promise<void> {
    await docker.getService(id).remove().catch((err: { statusCode?: number }) => {
      if (err.statusCode !== 404) throw err;
    });
  }

  async function logTail(serviceId: string): Promise<string> {
    const logs = docker.getService(serviceId).logs({ stdout: true, stderr: true, tail: 20, follow: false } as never) as unknown as Promise<unknown>;
    const raw = await logs.catch(() => Buffer.alloc(0));
    return (Buffer.isBuffer(raw) ? raw : Buffer.from(String(raw))).toString('utf8').replace(/[\0-\x08]/g, '').trimEnd();
  }

  /** A leftover service with the same name is replaced when it is this hub's; anything else is refused. */
  async function removeStale(name: string): Promise<void> {
    const info = await docker.getService(name).inspect().catch((err: { statusCode?: number }) => {
      if (err.statusCode === 404) return null;
      throw err;
    }) as { ID: string; Spec?: { Labels?: Record<string, string> } } | null;
    if (!info) return;
    if (info.Spec?.Labels?.[LABELS.hub] !== hubId) {
      throw new SpawnError(
        `A Swarm service named ${name} already exists and was not created by this hub (its ${LABELS.hub} label is ` +
          `${JSON.stringify(info.Spec?.Labels?.[LABELS.hub] ?? null)}): remove it (docker service rm ${name}) or give this hub another spawner.network`,
      );
    }
    logger.info({ service: name, id: info.ID }, 'removing stale service before start');
    await removeQuietly(info.ID);
  }

  /** Follows the task until it runs, reporting each state; throws when it ends first. */
  async function waitForTask(serviceId: string, onProgress: (event: SpawnProgress) => void, signal: AbortSignal): Promise<{ task: Task; url: string }> {
    let last = '';
    for (;;) {
      signal.throwIfAborted();
      const task = await currentTask(serviceId);
      const state = task?.Status?.State ?? 'new';
      const node = task ? await nodeOf(task) : { name: '', down: null };
      const step = taskProgress(state, node.name, state === 'pending' ? task?.Status?.Err ?? '' : '');
      if (step && step.message !== last) {
        last = step.message;
        onProgress(step);
      }
      if (task && isFinal(state)) throw new SpawnError(`The server did not start on Swarm: ${taskError(task)}`);
      if (task && state === 'running') {
        const url = addressOf(task);
        if (!url) throw new SpawnError(`The server's task has no address on overlay network ${network}`);
        return { task, url };
      }
      await new Promise((resolve) => setTimeout(resolve, TASK_POLL_MS));
    }
  }

  return {
    async prepare() {
      const where = hubAddressOn(await ensureOverlayNetwork(docker, network, baseLabels, logger));
      // Not awaited: the hub serves meanwhile; a start waits only for its own image's check (image-distribution.ts).
      distributeCatalog();
      return where;
    },

    async ping() {
      await docker.ping();
    },

    async start(spec, onProgress, signal): Promise<StartedContainer> {
      // A legacy volume (onlyIfOurs) lives on whichever node the old container ran on: never mounted on a swarm.
      const volumes = spec.volumes.filter((v) => !v.onlyIfOurs);
      const local = options.volumeDriver || !options.volumePins ? [] : volumes.map((v) => v.source).filter((source) => !source.startsWith('/'));
      const pin = pinnedNode(local);
      if (pin) {
        const { down } = await nodeOf({ ID: '', NodeID: pin.nodeId });
        if (down) {
          throw new SpawnError(
            `This server's files (volume ${pin.volume}) are kept on node ${pin.nodeName}, and ${down}: it starts there once the node is back ` +
              '(its volumes never move to another node; an admin can copy the volume and remove its pin, or use spawner.volume_driver)',
          );
        }
        onProgress({ progress: 10, message: `Placing the server on node ${pin.nodeName}, which holds volume ${pin.volume}` });
      }
      const { constraints: withImage, ref } = await images.placeFor(spec.image, signal);
      if (pin && withImage.includes(`node.id!=${pin.nodeId}`)) {
        throw new SpawnError(
          `This server's files (volume ${pin.volume}) are kept on node ${pin.nodeName}, which lacks image ${spec.image}: ` +
            `load the image there (docker load) or push it to a registry the node reaches, then reload the hub`,
        );
      }
      if (withImage.length > 0 && !pin) onProgress({ progress: 12, message: `Image ${spec.image} is not on every node: placing the server on one that has it` });
      const placement = [...spec.placement ?? [], ...(pin ? [`node.id==${pin.nodeId}`] : []), ...withImage];
      const create = serviceSpec({ ...spec, image: ref, volumes, placement }, network, baseLabels, options.volumeDriver);
      let service: Docker.Service;
      try {
        service = await docker.createService(create);
      } catch (err) {
        if ((err as { statusCode?: number }).statusCode !== 409) throw err;
        await removeStale(spec.containerName);
        service = await docker.createService(create);
      }
      onProgress({ progress: 15, message: `Created Swarm service ${spec.containerName}` });
      try {
        const { task, url } = await waitForTask(service.id, onProgress, signal);
        if (task.NodeID) {
          const node = { nodeId: task.NodeID, nodeName: (await nodeOf(task)).name };
          for (const volume of local) options.volumePins!.record(volume, node);
        }
        onProgress({ progress: 70, message: `Waiting for the server to answer HTTP at ${spec.readyPath}` });
        await waitUntilReady(url, spec.readyPath, spec.httpTimeoutMs, signal, {
          exited: null,
          check: async () => {
            const now = await this.poll(service.id);
            if (!now.running) throw new SpawnError(`The server stopped before it answered HTTP: ${now.error}.${await tailLine(service.id)}`);
          },
          logTail: () => logTail(service.id),
        });
        return { containerId: service.id, containerName: spec.containerName, url };
      } catch (err) {
        await removeQuietly(service.id).catch((cleanup) => logger.warn({ err: cleanup, id: service.id }, 'could not remove failed service'));
        throw err;
      }
    },

    async stop(serviceId) {
      await removeQuietly(serviceId);
    },

    async poll(serviceId): Promise<PollResult> {
      const exists = await docker.getService(serviceId).inspect().then(() => true, (err: { statusCode?: number }) => {
        if (err.statusCode === 404) return false;
        throw err;
      });
      if (!exists) return { running: false, gone: true, exitCode: null, error: 'the Swarm service no longer exists' };
      const task = await currentTask(serviceId);
      if (!task) return { running: false, gone: false, exitCode: null, error: 'the Swarm service has no task' };
      const state = task.Status?.State ?? 'unknown';
      const node = await nodeOf(task);
      if (node.down) return { running: false, gone: false, exitCode: null, error: node.down };
      if (state === 'running') return { running: true, url: addressOf(task) };
      return { running: false, gone: false, exitCode: task.Status?.ContainerStatus?.ExitCode ?? null, error: taskError(task) };
    },

    async list(): Promise<OwnedContainer[]> {
      const services = (await docker.listServices({ filters: ownedBy(hubId) })) as { ID: string; Spec?: { Name?: string; Labels?: Record<string, string> } }[];
      if (services.length === 0) return [];
      // Every task and node in two requests: asked per service, a pass made two requests per server, all at once
      // (bench/swarm-scale.ts: at 2,000 services the engine's socket refused connections).
      const [tasks, nodes] = await Promise.all([
        docker.listTasks() as Promise<(Task & { ServiceID?: string })[]>,
        docker.listNodes() as Promise<(NodeInfo & { ID: string })[]>,
      ]);
      const newest = new Map<string, Task>();
      for (const task of tasks) {
        const seen = task.ServiceID === undefined ? undefined : newest.get(task.ServiceID);
        if (task.ServiceID !== undefined && (!seen || (task.CreatedAt ?? '') > (seen.CreatedAt ?? ''))) newest.set(task.ServiceID, task);
      }
      const nodeById = new Map(nodes.map((n) => [n.ID, n]));
      return services.map((s) => {
        const task = newest.get(s.ID) ?? null;
        const running = task?.Status?.State === 'running' && !(task.NodeID && nodeStatus(task.NodeID, nodeById.get(task.NodeID) ?? null).down);
        return {
          containerId: s.ID,
          containerName: s.Spec?.Name ?? '',
          running,
          labels: s.Spec?.Labels ?? {},
          url: task ? addressOf(task) : null,
        };
      });
    },
  };

  /** The node holding the given local volumes, if any is pinned; volumes pinned to two nodes cannot be mounted together. */
  function pinnedNode(volumes: string[]): { nodeId: string; nodeName: string; volume: string } | null {
    const pins = volumes.flatMap((volume) => {
      const pinned = options.volumePins!.get(volume);
      return pinned ? [{ ...pinned, volume }] : [];
    });
    const other = pins.find((p) => p.nodeId !== pins[0].nodeId);
    if (other) {
      throw new SpawnError(
        `This server mounts volume ${pins[0].volume}, kept on node ${pins[0].nodeName}, and volume ${other.volume}, kept on node ${other.nodeName}: ` +
          'one server cannot run on both. Copy one volume to the other node, or set spawner.volume_driver to a driver every node can mount',
      );
    }
    return pins[0] ?? null;
  }

  async function tailLine(serviceId: string): Promise<string> {
    const tail = await logTail(serviceId);
    return tail ? ` Last log lines:\n${tail}` : '';
  }
}
