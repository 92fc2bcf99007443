// The attachable overlay network users' services live on (spawner.network), made or adopted at start, and the hub's
// own address on it: the hub must be attached to the overlay (stack.yaml does it), because task addresses answer
// only there, not on any node's host network.
import os from 'node:os';
import type Docker from 'dockerode';
import type { Logger } from '../../log.js';
import { LABELS } from '../labels.js';
import type { HubAddress } from '../hub-address.js';

export interface OverlayNetwork {
  id: string;
  name: string;
  /** IPv4 subnets of the network, CIDR. */
  subnets: string[];
}

type NetworkInfo = Awaited<ReturnType<Docker.Network['inspect']>>;

export async function ensureOverlayNetwork(docker: Docker, name: string, labels: Record<string, string>, logger: Logger): Promise<OverlayNetwork> {
  let info = await inspect(docker, name);
  if (!info) {
    await docker.createNetwork({
      Name: name,
      Driver: 'overlay',
      Attachable: true,
      CheckDuplicate: true,
      Labels: { ...labels, [LABELS.network]: 'true' },
    }).catch((err: { statusCode?: number; message?: string }) => {
      if (err.statusCode === 503) {
        throw new Error(`spawner.backend is swarm, but the Docker engine is not a swarm manager (${err.message ?? 'HTTP 503'}): run docker swarm init, or point DOCKER_HOST at a manager`, { cause: err });
      }
      if (err.statusCode !== 409) throw err; // created concurrently: adopt it, once checked below
    });
    info = (await inspect(docker, name))!;
    logger.info({ network: name }, 'created overlay network');
  }
  if (info.Driver !== 'overlay' || !info.Attachable) {
    throw new Error(
      `Docker network ${name} is a${info.Attachable ? 'n' : ' non-attachable'} ${info.Driver} network, but spawner.backend: swarm needs an ` +
        `attachable overlay network there (the hub joins it to reach users' servers): remove it (docker network rm ${name}) to let Berth ` +
        'create one, or pick another spawner.network',
    );
  }
  const subnets = (info.IPAM?.Config ?? []).map((c: { Subnet?: string }) => c.Subnet).filter((s?: string): s is string => !!s && !s.includes(':'));
  return { id: info.Id, name, subnets };
}

/** The hub's address on the overlay: an interface of this process inside one of its subnets. */
export function hubAddressOn(network: OverlayNetwork, interfaces = os.networkInterfaces()): HubAddress {
  for (const list of Object.values(interfaces)) {
    for (const entry of list ?? []) {
      if (entry.family === 'IPv4' && network.subnets.some((subnet) => inSubnet(entry.address, subnet))) {
        return { listenHost: entry.address, connectHost: entry.address, mode: 'container' };
      }
    }
  }
  throw new Error(
    `The hub has no address on overlay network ${network.name} (${network.subnets.join(', ') || 'no IPv4 subnet'}): with spawner.backend: swarm ` +
      'the hub reaches users\' servers at their task addresses on that network, so it must run attached to it: deploy it with ' +
      'stack.yaml (docker stack deploy), or docker run --network ' + network.name + ' on a manager',
  );
}

export function inSubnet(address: string, cidr: string): boolean {
  const [base, bits] = cidr.split('/');
  const size = Number(bits);
  const mask = size === 0 ? 0 : (~0 << (32 - size)) >>> 0;
  return ((toInt(address) & mask) >>> 0) === ((toInt(base) & mask) >>> 0);
}

function toInt(address: string): number {
  return address.split('.').reduce((n, part) => ((n << 8) | Number(part)) >>> 0, 0);
}

async function inspect(docker: Docker, name: string): Promise<NetworkInfo | null> {
  return docker.getNetwork(name).inspect().catch((err: { statusCode?: number }) => {
    if (err.statusCode === 404) return null;
    throw err;
  });
}
