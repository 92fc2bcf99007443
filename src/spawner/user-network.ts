// The private bridge network user containers live on, made or adopted at start. It holds one security rule: with
// spawner.isolate_containers (the default) the bridge drops traffic between its containers (Docker's
// enable_icc=false), so one user's container cannot open a connection to another's. Traffic between a container
// and the host is not container-to-container, so a hub on the host still reaches every server and is reached at the
// gateway. A network whose setting differs from the config is never used silently: Berth recreates its own when no
// container uses it, and refuses to start otherwise.
import type Docker from 'dockerode';
import type { Logger } from '../log.js';
import { LABELS } from './labels.js';
import type { UserNetwork } from './spawner.js';

/** Docker's bridge option: "false" drops forwarding between containers on the same bridge (iptables FORWARD). */
export const ICC_OPTION = 'com.docker.network.bridge.enable_icc';

export interface UserNetworkOptions {
  docker: Docker;
  /** spawner.network */
  name: string;
  /** spawner.isolate_containers */
  isolate: boolean;
  hubId: string;
  /** Labels for a network Berth makes: the hub's id and any extra labels (tests: berth.test=true). */
  labels: Record<string, string>;
  logger: Logger;
}

type NetworkInfo = Awaited<ReturnType<Docker.Network['inspect']>>;

export async function ensureUserNetwork(options: UserNetworkOptions): Promise<UserNetwork> {
  const { docker, name, isolate, logger } = options;
  let info = await inspect(docker, name);
  if (info) checkBridge(info, name);
  if (info && isIsolated(info) !== isolate) {
    await removeMismatched(options, info);
    info = null;
  }
  if (!info) {
    await docker.createNetwork({
      Name: name,
      Driver: 'bridge',
      CheckDuplicate: true,
      Labels: { ...options.labels, [LABELS.network]: 'true' },
      Options: isolate ? { [ICC_OPTION]: 'false' } : {},
    }).catch((err: { statusCode?: number }) => {
      if (err.statusCode !== 409) throw err; // created concurrently: adopt it, once checked below
    });
    info = (await inspect(docker, name))!;
    if (isIsolated(info) !== isolate) throw mismatchError(options, info);
    logger.info({ network: name, isolated: isolate }, 'created user network');
  } else if (info.Labels?.[LABELS.network] !== 'true') {
    logger.info({ network: name }, 'adopting an existing network not created by Berth');
  }
  return { id: info.Id, name, gateway: checkBridge(info, name), isolated: isolate };
}

function isIsolated(info: NetworkInfo): boolean {
  return info.Options?.[ICC_OPTION] === 'false';
}

async function inspect(docker: Docker, name: string): Promise<NetworkInfo | null> {
  return docker.getNetwork(name).inspect().catch((err: { statusCode?: number; code?: string }) => {
    if (err.statusCode === 404) return null;
    if (err.code && !err.statusCode) {
      throw new Error(
        `The hub cannot reach the Docker engine at ${engineAddress(docker)} (${err.code}): ` +
          'start dockerd, give the hub user access to the socket (e.g. the docker group), or set DOCKER_HOST',
        { cause: err },
      );
    }
    throw err;
  });
}

/** The network's IPv4 gateway; anything but a bridge with one is refused. */
function checkBridge(info: NetworkInfo, name: string): string {
  const gateway = (info.IPAM?.Config ?? []).map((c: { Gateway?: string }) => c.Gateway).find((g?: string) => g && !g.includes(':'));
  if (!gateway || info.Driver !== 'bridge') {
    throw new Error(
      `Docker network ${name} is a ${info.Driver} network${gateway ? '' : ' without an IPv4 gateway'}: ` +
        'spawner.network must name a bridge network (remove it to let Berth create one, or pick another name)',
    );
  }
  return gateway;
}

/**
 * Removes a network whose isolation differs from the config, so that it is made again as configured. Only a network
 * this hub made, and that no container uses: anything else would cut running servers off or change someone else's
 * network, so the hub refuses to start and says what to do.
 */
async function removeMismatched(options: UserNetworkOptions, info: NetworkInfo): Promise<void> {
  const ours = info.Labels?.[LABELS.network] === 'true' && info.Labels?.[LABELS.hub] === options.hubId;
  if (!ours || Object.keys(info.Containers ?? {}).length > 0) throw mismatchError(options, info);
  await options.docker.getNetwork(info.Id).remove();
  options.logger.warn(
    { network: options.name, isolated: options.isolate },
    `recreating the user network, which ${isIsolated(info) ? 'dropped' : 'allowed'} traffic between its containers, as spawner.isolate_containers says`,
  );
}

function mismatchError({ name, isolate, hubId }: UserNetworkOptions, info: NetworkInfo): Error {
  const users = Object.values(info.Containers ?? {}).map((c) => (c as { Name: string }).Name).sort();
  const ours = info.Labels?.[LABELS.network] === 'true' && info.Labels?.[LABELS.hub] === hubId;
  const state = isolate
    ? `Docker network ${name} lets its containers connect to each other (it lacks the option ${ICC_OPTION}=false), ` +
      'but spawner.isolate_containers is on (the default), so one user could reach the servers of others.'
    : `Docker network ${name} drops traffic between its containers (${ICC_OPTION}=false), but spawner.isolate_containers is false.`;
  const origin = ours ? '' : ` It was not made by Berth${info.Labels?.[LABELS.network] === 'true' ? ' for this hub' : ''}, so Berth leaves it as it is.`;
  const steps = [
    ...(users.length > 0
      ? [`stop the ${users.length} container(s) on it (${listed(users)}; e.g. docker rm -f $(docker ps -aq --filter network=${name}); users' volumes are kept)`]
      : []),
    `remove the network (docker network rm ${name}) and start the hub again: it makes the network as configured`,
  ];
  const other = isolate
    ? 'Or set spawner.isolate_containers: false to let containers reach each other (collaborative setups), or pick another spawner.network.'
    : 'Or set spawner.isolate_containers: true, or pick another spawner.network.';
  return new Error(`${state}${origin} To fix it, ${steps.join(', then ')}. ${other}`);
}

function listed(names: string[], most = 10): string {
  return names.length <= most ? names.join(', ') : `${names.slice(0, most).join(', ')} and ${names.length - most} more`;
}

function engineAddress(docker: Docker): string {
  const modem = docker.modem as { socketPath?: string; host?: string; port?: number };
  return modem.socketPath ?? `${modem.host}:${modem.port}`;
}
