// Where user containers reach the hub, found without configuration (no `hub_connect_ip`): on the Docker host (or in a
// container on the host's network) the user network's gateway (the bridge's address on the host); in a container
// with a network of its own, the hub's own container, by name, which needs containers able to reach each other.
import { readFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import type Docker from 'dockerode';
import type { Logger } from '../log.js';
import type { UserNetwork } from './spawner.js';

export interface HubAddress {
  /** Address the internal listener binds to. */
  listenHost: string;
  /** Host name or address containers use in JUPYTERHUB_API_URL. */
  connectHost: string;
  mode: 'host' | 'container';
}

export async function findHubAddress(docker: Docker, network: UserNetwork, logger: Logger): Promise<HubAddress> {
  // The bridge interface exists on the host only, so a bindable gateway address means "the hub runs on the Docker
  // host" (even when the host is itself a container, as in CI sandboxes that run their own dockerd). Binding is the
  // test because os.networkInterfaces() omits bridges without carrier, i.e. networks with no container yet.
  if (await canBind(network.gateway)) return { listenHost: network.gateway, connectHost: network.gateway, mode: 'host' };

  const self = await findOwnContainer(docker);
  if (!self) {
    throw new Error(
      `The hub cannot find an address on Docker network ${network.name} that containers can reach: the network's gateway ` +
        `${network.gateway} is not an address of this machine (so the hub is not on the Docker host), and this process is ` +
        'not a container of that Docker engine. Run the hub on the Docker host, or in a container of the same engine.',
    );
  }
  if (network.isolated) {
    // The bridge drops traffic between any two containers on it, the hub's own included: joining would cut the hub
    // off from every server. On the host's network the hub is "on the host" (mode host) and nothing is cut.
    throw new Error(
      `The hub runs in container ${self.Name.replace(/^\//, '')} with a network of its own, and spawner.isolate_containers is on: ` +
        `containers on network ${network.name} cannot connect to each other, so they could not reach a hub container there either. ` +
        'Run the hub container on the host\'s network (network_mode: host, as compose.yaml does; docker run --network host), ' +
        'or set spawner.isolate_containers: false to let containers reach each other and the hub join their network.',
    );
  }
  if (!self.NetworkSettings.Networks?.[network.name]) {
    await docker.getNetwork(network.id).connect({ Container: self.Id });
    logger.info({ network: network.name, container: self.Name }, 'connected the hub container to the user network');
  }
  const info = await docker.getContainer(self.Id).inspect();
  const ip = info.NetworkSettings.Networks?.[network.name]?.IPAddress;
  if (!ip) throw new Error(`The hub container ${info.Name} has no address on network ${network.name} after connecting to it`);
  // The name survives the hub container's restarts (its IP may not), and running servers keep their URL.
  return { listenHost: ip, connectHost: info.Name.replace(/^\//, ''), mode: 'container' };
}

function canBind(address: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once('error', () => resolve(false));
    probe.listen(0, address, () => probe.close(() => resolve(true)));
  });
}

/** The container this process runs in, if the engine knows it: by hostname (Docker's default) or by the mount table. */
async function findOwnContainer(docker: Docker): Promise<Docker.ContainerInspectInfo | null> {
  const candidates = [os.hostname()];
  try {
    const mounts = readFileSync('/proc/self/mountinfo', 'utf8');
    const id = /\/containers\/([0-9a-f]{64})\//.exec(mounts)?.[1];
    if (id) candidates.push(id);
  } catch {
    // not Linux, or /proc is hidden: the hostname is the only clue
  }
  for (const candidate of candidates) {
    const info = await docker.getContainer(candidate).inspect().catch(() => null);
    if (info && (info.Config.Hostname === os.hostname() || info.Id.startsWith(candidate))) return info;
  }
  return null;
}
