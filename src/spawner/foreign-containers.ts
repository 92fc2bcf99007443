// Containers on this hub's network that carry another hub's id: what a hub whose data directory is gone (e.g. after
// `docker compose down -v`, which makes a new hub id) or another hub on the same network left there. They are not
// this hub's, so reconcile leaves them alone; the hub reports them at start and `berth adopt` takes them over or
// removes them (servers/orphans.ts).
import type Docker from 'dockerode';
import { LABELS } from './labels.js';

export interface ForeignContainer {
  containerId: string;
  containerName: string;
  /** The `berth.hub` label it carries. */
  hubId: string;
  user: string;
  server: string;
  running: boolean;
  /** http://<ip>:<port> on the network, or null when it has no address there. */
  url: string | null;
}

export interface ForeignQuery {
  network: string;
  hubId: string;
  port: number;
  /** Containers this hub's server rows record: adopted already, so not foreign. */
  claimed: ReadonlySet<string>;
}

export async function listForeignContainers(docker: Docker, q: ForeignQuery): Promise<ForeignContainer[]> {
  const found = await docker.listContainers({ all: true, filters: { label: [LABELS.hub] } });
  return found
    .filter((c) => {
      const owner = c.Labels?.[LABELS.hub];
      const onNetwork = c.HostConfig?.NetworkMode === q.network || q.network in (c.NetworkSettings?.Networks ?? {});
      return owner !== undefined && owner !== q.hubId && onNetwork && !q.claimed.has(c.Id);
    })
    .map((c) => {
      const ip = c.NetworkSettings?.Networks?.[q.network]?.IPAddress;
      return {
        containerId: c.Id,
        containerName: (c.Names[0] ?? '').replace(/^\//, ''),
        hubId: c.Labels[LABELS.hub] as string,
        user: c.Labels[LABELS.user] ?? '',
        server: c.Labels[LABELS.server] ?? '',
        running: c.State === 'running',
        url: ip ? `http://${ip}:${q.port}` : null,
      };
    });
}

/** The JUPYTERHUB_* variables a container was started with: its server's credentials, read to adopt it. */
export async function readJupyterhubEnv(docker: Docker, containerId: string): Promise<Record<string, string>> {
  const info = await docker.getContainer(containerId).inspect();
  const env: Record<string, string> = {};
  for (const entry of info.Config.Env ?? []) {
    const at = entry.indexOf('=');
    if (at > 0 && entry.startsWith('JUPYTERHUB_')) env[entry.slice(0, at)] = entry.slice(at + 1);
  }
  return env;
}

/** Stops and removes a container; its volumes stay. */
export async function removeForeignContainer(docker: Docker, containerId: string): Promise<void> {
  await docker.getContainer(containerId).remove({ force: true, v: false }).catch((err: { statusCode?: number }) => {
    if (err.statusCode !== 404) throw err;
  });
}
