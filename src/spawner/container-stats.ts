// One sample of a container's CPU counter and memory, read from the engine for usage accounting. The request is
// one-shot (API 1.41, Docker 19.03+): the engine answers with the next reading of its stats collector instead of
// waiting for a second one to fill `precpu_stats`. Berth needs no precpu: usage keeps each container's previous
// counter itself (usage/usage-meter.ts) and counts the growth between two samples.
import type Docker from 'dockerode';
import type { ContainerStats } from './spawner.js';

/** The fields of GET /containers/{id}/stats that usage reads, and `precpu_stats`, which one-shot leaves empty. */
export interface DockerStats {
  cpu_stats?: { cpu_usage?: { total_usage?: number } };
  precpu_stats?: { cpu_usage?: { total_usage?: number } };
  memory_stats?: { usage?: number; stats?: { total_inactive_file?: number; inactive_file?: number } };
}

/** The engine's one-shot answer for `containerId`; null when the container no longer exists. */
export async function fetchOneShotStats(docker: Docker, containerId: string): Promise<DockerStats | null> {
  return docker.getContainer(containerId).stats({ stream: false, 'one-shot': true }).catch((err: { statusCode?: number }) => {
    if (err.statusCode === 404) return null;
    throw err;
  });
}

/** The sample usage keeps; null for a container that is not running (the engine answers zeros and no memory). */
export function toContainerStats(raw: DockerStats | null): ContainerStats | null {
  const cpuNs = raw?.cpu_stats?.cpu_usage?.total_usage;
  const usage = raw?.memory_stats?.usage;
  if (!cpuNs || usage === undefined) return null;
  const cache = raw?.memory_stats?.stats?.total_inactive_file ?? raw?.memory_stats?.stats?.inactive_file ?? 0; // cgroup v1 ?? v2
  return { cpuNs, memoryBytes: Math.max(0, usage - cache) };
}
