// What the spawner is asked to start for a user: the config's container settings, with the chosen catalog entry's
// resources over them (a profile), and the user's slug, image, labels and credentials filled in.
import type { HubConfig } from '../config/load.js';
import type { User } from '../db/schema.js';
import { LABELS } from '../spawner/labels.js';
import type { GpuRequest, SpawnSpec } from '../spawner/spawner.js';
import type { ImageChoice } from './image.js';
import { readyPathFor } from '../spawner/readiness.js';
import { buildServerEnv, serverPrefix } from './server-env.js';
import { serverSlug } from './server-names.js';
import { legacyVolume } from './legacy-volume.js';

/**
 * `<network>-<slug>`, or `<network>-<slug>--<server>` for a named server (DockerSpawner's name template):
 * deterministic and DNS-safe, and distinct for hubs that use distinct networks.
 */
export function containerNameFor(network: string, slug: string, serverName = ''): string {
  const base = `${network.toLowerCase().replace(/[^a-z0-9-]/g, '-')}-${slug}`;
  return serverName === '' ? base : `${base}--${serverSlug(serverName)}`;
}

/**
 * spawner.* with the catalog entry `label` names laid over it: its limits and GPUs replace the spawner's, its
 * environment overrides, and its volumes are added (a mount point both name gets the entry's).
 */
export function withEntry(spawner: HubConfig['spawner'], label: string | null): HubConfig['spawner'] & { gpus?: GpuRequest; placement?: string[] } {
  const entry = label !== null && Object.hasOwn(spawner.images, label) ? spawner.images[label] : null;
  if (entry === null) return spawner;
  const targets = new Set(Object.values(entry.volumes));
  return {
    ...spawner,
    mem_limit: entry.mem_limit ?? spawner.mem_limit,
    cpu_limit: entry.cpu_limit ?? spawner.cpu_limit,
    gpus: entry.gpus,
    placement: entry.placement,
    environment: { ...spawner.environment, ...entry.environment },
    volumes: { ...Object.fromEntries(Object.entries(spawner.volumes).filter(([, target]) => !targets.has(target))), ...entry.volumes },
  };
}

export function spawnSpecFor(
  config: Pick<HubConfig, 'spawner' | 'hub' | 'urls'>,
  user: Pick<User, 'name' | 'slug'>,
  serverName: string,
  image: Pick<ImageChoice, 'label' | 'image'>,
  credentials: { apiToken: string; clientId: string; hubApiUrl: string; extra?: Record<string, string> },
): SpawnSpec {
  const spawner = withEntry(config.spawner, image.label);
  return {
    containerName: containerNameFor(spawner.network, user.slug, serverName),
    image: image.image,
    pullPolicy: spawner.pull_policy,
    env: buildServerEnv({ ...config, spawner }, { userName: user.name, serverName, image: image.image, ...credentials }),
    labels: { [LABELS.user]: user.name, [LABELS.server]: serverName, [LABELS.imageLabel]: image.label ?? '' },
    cmd: spawner.cmd ? [...spawner.cmd] : undefined,
    // Named volumes are keyed by the stored slug, never by the (renameable) name, so data is never orphaned; and
    // by the network where the name says so, so that two hubs on one engine never share one.
    volumes: Object.entries(spawner.volumes).map(([source, target]) => ({
      source: source.replaceAll('{network}', spawner.network).replaceAll('{username}', user.slug).replaceAll('{servername}', serverSlug(serverName)),
      target,
    })).concat(legacyVolume(spawner.volumes, user.slug, serverName)),
    memLimit: spawner.mem_limit,
    cpuLimit: spawner.cpu_limit,
    gpus: spawner.gpus,
    placement: spawner.placement,
    port: spawner.port,
    readyPath: readyPathFor(serverPrefix(config, user.name, serverName)),
    httpTimeoutMs: spawner.http_timeout * 1000,
  };
}
