// The Spawner contract: how the server state machine (servers/) starts, watches and stops one container.
// The dockerode implementations are docker-spawner.ts (one engine) and swarm/swarm-spawner.ts (Swarm services);
// nothing outside src/spawner/ talks to Docker. When a started server counts as ready is readiness.ts's rule, which
// every implementation applies.
import type { HubAddress } from './hub-address.js';
import type { ForeignContainer } from './foreign-containers.js';

export type { HubAddress, ForeignContainer };

/** Everything needed to start one user's server; built by servers/ from the config and the user's row. */
export interface SpawnSpec {
  /** Deterministic, DNS-safe container name (from the user's stored slug). */
  containerName: string;
  /** Image reference, already resolved against the catalog. */
  image: string;
  pullPolicy: 'always' | 'ifnotpresent' | 'never';
  env: Record<string, string>;
  /** Labels beyond the spawner's own (hub id, test labels): user, server, image label. */
  labels: Record<string, string>;
  /** Command; undefined = the image's CMD. */
  cmd?: string[];
  /**
   * Named volumes (created and labelled when missing, never deleted) or absolute host paths. `onlyIfOurs`: mounted
   * only when the volume exists and carries this hub's id, never created (servers/legacy-volume.ts).
   */
  volumes: { source: string; target: string; onlyIfOurs?: boolean }[];
  memLimit?: number;
  cpuLimit?: number;
  /** GPUs, as `docker run --gpus`: every one, a count, or device ids; undefined = none. */
  gpus?: GpuRequest;
  /** Swarm placement constraints (the catalog entry's `placement`); only the swarm spawner reads them. */
  placement?: string[];
  /** Port the server listens on inside the container. */
  port: number;
  /** Path polled for readiness, e.g. /user/alice/api; any answer below 500 means "up". */
  readyPath: string;
  /** Limit for the first non-5xx answer, counted from the container's start. */
  httpTimeoutMs: number;
}

export type GpuRequest = 'all' | number | string[];

/** One progress step, in JupyterHub's units (0–100). */
export interface SpawnProgress {
  progress: number;
  message: string;
}

export interface StartedContainer {
  containerId: string;
  containerName: string;
  /** Where the hub reaches the server: http://<container ip>:<port>, no path. */
  url: string;
}

/** A container carrying this hub's labels, as seen by `list()`. */
export interface OwnedContainer {
  containerId: string;
  containerName: string;
  running: boolean;
  labels: Record<string, string>;
  /** http://<ip>:<port> on the user network, or null when it has no address there. */
  url: string | null;
}

/** One sample of a running container's resources (usage accounting). */
export interface ContainerStats {
  /** CPU time the container has used since it started, in nanoseconds (a counter). */
  cpuNs: number;
  /** Memory in use now, in bytes, without the page cache the kernel can drop (as `docker stats` shows it). */
  memoryBytes: number;
}

export type PollResult =
  | { running: true; url: string | null }
  | { running: false; gone: boolean; exitCode: number | null; error: string };

export interface UserNetwork {
  id: string;
  name: string;
  /** The bridge's address on the host; containers reach the host (and a host-run hub) there. */
  gateway: string;
  /** Containers on it cannot connect to each other (spawner.isolate_containers), so neither to a hub container on it. */
  isolated: boolean;
}

/**
 * Starts and stops user containers on one private network.
 * - `prepare()` makes the servers' network ready and says where containers reach the hub (the internal listener's
 *   address). The Docker spawner creates the network (labelled as Berth's) or adopts an existing one of that name,
 *   isolated or not as configured; one set otherwise is recreated if Berth made it and it is unused, else refused.
 * - `ping()` resolves when the backend (the Docker engine) answers; the health check uses it.
 * - `start()` pulls per policy, creates missing volumes, removes a stale container of the same name (only if it
 *   carries this hub's id; any other is an error), creates and starts the container, then waits until the
 *   server is ready (readiness.ts). It reports progress through `onProgress` and stops at `signal`. On any failure or abort it
 *   removes the container it created and throws a `SpawnError` whose message says why (exit code, last log lines).
 * - `stop()` stops and removes the container; volumes are kept. A container already gone is not an error.
 * - `poll()` inspects one container; `list()` returns every container with this hub's id (running or not), and the
 *   ones its server rows record (adopted from another hub).
 * - `listForeign()` returns the containers on the network that carry another hub's id and no row records (orphans);
 *   a spawner that never shares its network with another hub (the tests' fake) need not have it.
 */
export interface Spawner {
  prepare(): Promise<HubAddress>;
  ping(): Promise<void>;
  start(spec: SpawnSpec, onProgress: (event: SpawnProgress) => void, signal: AbortSignal): Promise<StartedContainer>;
  stop(containerId: string): Promise<void>;
  poll(containerId: string): Promise<PollResult>;
  list(): Promise<OwnedContainer[]>;
  listForeign?(): Promise<ForeignContainer[]>;
  /** A one-shot sample of a running container's CPU and memory; null when it is gone or not running. Optional: without it, usage has server-hours only. */
  stats?(containerId: string): Promise<ContainerStats | null>;
}

/** A start that could not complete; the message is shown to the user as is. */
export class SpawnError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SpawnError';
  }
}
