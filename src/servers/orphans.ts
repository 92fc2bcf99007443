// Orphans: containers on this hub's network with another hub's id (spawner/foreign-containers.ts). The hub reports
// them at start with the commands to run; `berth adopt` makes one this hub's server by recording it (its row, its
// API token and OAuth client, read from the container's environment, so it keeps working as it is, kernels included)
// or removes it. Volumes are never touched.
import type { HubConfig } from '../config/load.js';
import type { Db } from '../db/open.js';
import type { Logger } from '../log.js';
import type { OAuthClientStore } from '../auth/oauth-clients.js';
import type { TokenStore } from '../auth/tokens.js';
import type { ForeignContainer, Spawner } from '../spawner/spawner.js';
import { parseUsername } from '../users/username.js';
import type { UserStore } from '../users/store.js';
import { accessScopes, serverPrefix } from './server-env.js';
import type { ServerRows } from './server-rows.js';

/** The command that adopts or removes containers, as an admin types it. */
export function adoptCommand(configFile: string, names: string[], remove = false): string {
  return `berth adopt${remove ? ' --remove' : ''} --config ${configFile} ${names.join(' ')}`;
}

/** Logs, once at start, the orphans on the network and the exact commands to adopt or remove them. */
export async function reportOrphans(deps: { spawner: Spawner; network: string; configFile: string; logger: Logger }): Promise<void> {
  const orphans = await deps.spawner.listForeign?.().catch((err: unknown) => {
    deps.logger.warn({ err }, 'could not list containers of other hubs on the network');
    return [];
  }) ?? [];
  if (orphans.length === 0) return;
  orphans.sort((a, b) => a.containerName.localeCompare(b.containerName));
  const names = orphans.map((o) => o.containerName);
  deps.logger.warn(
    { containers: orphans.map((o) => ({ name: o.containerName, hub: o.hubId, user: o.user, server: o.server, running: o.running })) },
    `${orphans.length} container(s) on network ${deps.network} carry another hub's id (left by a hub whose data ` +
      `directory is gone, e.g. after docker compose down -v, or by another hub on this network): ${names.join(', ')}. ` +
      'This hub does not route them, their activity posts are refused (403), and they block their users\' next start. ' +
      `To make them this hub's servers (running as they are): ${adoptCommand(deps.configFile, names)}. ` +
      `To remove them (their volumes stay): ${adoptCommand(deps.configFile, names, true)}`,
  );
}

export interface AdoptDeps {
  config: Pick<HubConfig, 'urls'>;
  db: Db;
  users: UserStore;
  rows: ServerRows;
  tokens: TokenStore;
  oauthClients: OAuthClientStore;
}

/** A container that cannot be adopted; the message says why and what to do instead. */
export class AdoptError extends Error {}

/**
 * Records a running orphan as this hub's server: the user (created when missing, as a container proves the name
 * was admitted by the hub that made it), the server row (running, at the container's address), and the credentials
 * the container holds (`env`: its JUPYTERHUB_* variables), so its server keeps answering and reporting activity.
 */
export function adoptContainer(deps: AdoptDeps, orphan: ForeignContainer, env: Record<string, string>): { user: string; server: string } {
  const name = orphan.containerName;
  const removeInstead = `remove it instead (berth adopt --remove ${name}); the user's next start makes a new one with the same volumes`;
  if (!orphan.running || orphan.url === null) throw new AdoptError(`${name} is not running on the network: ${removeInstead}`);
  const userName = parseUsername(env.JUPYTERHUB_USER ?? orphan.user);
  const serverName = env.JUPYTERHUB_SERVER_NAME ?? orphan.server;
  const token = env.JUPYTERHUB_API_TOKEN;
  if (userName === null || !token) throw new AdoptError(`${name} has no JUPYTERHUB_USER or JUPYTERHUB_API_TOKEN: it is not a Jupyter server this hub can adopt; ${removeInstead}`);
  const prefix = serverPrefix(deps.config, userName, serverName);
  if (env.JUPYTERHUB_SERVICE_PREFIX !== undefined && env.JUPYTERHUB_SERVICE_PREFIX !== prefix) {
    throw new AdoptError(`${name} serves ${env.JUPYTERHUB_SERVICE_PREFIX}, but this hub serves ${userName}'s server at ${prefix} (another hub.base_url): ${removeInstead}`);
  }
  return deps.db.transaction(() => {
    const user = deps.users.get(userName) ?? deps.users.create(userName);
    if (!user) throw new AdoptError(`could not create the user ${userName} for ${name}`);
    const row = deps.rows.ensure(user.id, serverName);
    if (row.status !== 'stopped') {
      throw new AdoptError(`${userName}'s server ${JSON.stringify(serverName)} is ${row.status} on this hub already (container ${row.containerName}): ${removeInstead}`);
    }
    const [access] = accessScopes(userName, serverName) as [string, ...string[]];
    deps.tokens.issue({ userId: user.id, serverId: row.id, note: `Server at ${prefix}`, scopes: [access, `users:activity!user=${userName}`], supplied: token });
    deps.oauthClients.register({
      identifier: env.JUPYTERHUB_CLIENT_ID ?? `jupyterhub-user-${userName}`,
      secret: token,
      redirectUri: env.JUPYTERHUB_OAUTH_CALLBACK_URL ?? `${prefix}oauth_callback`,
      description: `Server at ${prefix}`,
      allowedScopes: [access],
      serverId: row.id,
    });
    deps.rows.update(row.id, { status: 'running', containerId: orphan.containerId, containerName: name, url: orphan.url, started: new Date(), lastError: null });
    return { user: userName, server: serverName };
  });
}
