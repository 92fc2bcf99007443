// What the spawner is asked to start for a user: the config's container settings with the user's slug, image,
// labels and credentials filled in.
import type { HubConfig } from '../config/load.js';
import type { User } from '../db/schema.js';
import { LABELS } from '../spawner/labels.js';
import type { SpawnSpec } from '../spawner/spawner.js';
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

export function spawnSpecFor(
  config: Pick<HubConfig, 'spawner' | 'hub' | 'urls'>,
  user: Pick<User, 'name' | 'slug'>,
  serverName: string,
  image: Pick<ImageChoice, 'label' | 'image'>,
  credentials: { apiToken: string; clientId: string; hubApiUrl: string; extra?: Record<string, string> },
): SpawnSpec {
  const { spawner } = config;
  return {
    containerName: containerNameFor(spawner.network, user.slug, serverName),
    image: image.image,
    pullPolicy: spawner.pull_policy,
    env: buildServerEnv(config, { userName: user.name, serverName, image: image.image, ...credentials }),
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
    port: spawner.port,
    readyPath: readyPathFor(serverPrefix(config, user.name, serverName)),
    httpTimeoutMs: spawner.http_timeout * 1000,
  };
}
