// Named servers' admission rules, in one place: whether named servers are on, what a new server may be called
// (JupyterHub 6's rule), how many a user may have (named_server_limit_per_user), and the DNS-safe form of a name for
// container and volume names. Names of servers that already exist are accepted as JupyterHub 5 accepted them.
import { createHash } from 'node:crypto';
import type { Config } from '../config/schema.js';
import { HttpError } from '../errors.js';

export const DEFAULT_SERVER = '';

/** JupyterHub 6: 1–30 characters; lower-case ASCII letters, digits and single hyphens; a letter first; no hyphen last. */
const NEW_NAME = /^(?=.{1,30}$)[a-z](?:-?[a-z0-9])*$/;

export const SERVER_NAME_RULE =
  'a server name is 1 to 30 characters of lower-case letters, digits and single hyphens, starting with a letter and not ending with a hyphen';

/**
 * Checks a start of `serverName` before its row is made. `existing` is whether the user already has a server of
 * that name (its name was accepted when it was created, so it is not checked again); `namedCount` is how many
 * named servers the user has. Throws HttpError 400 with JupyterHub's messages.
 */
export function admitServer(
  config: Pick<Config, 'spawner'>,
  userName: string,
  serverName: string,
  existing: { exists: boolean; namedCount: number },
): void {
  if (serverName === DEFAULT_SERVER) return;
  requireNamedServers(config);
  if (existing.exists) return;
  if (!NEW_NAME.test(serverName)) throw new HttpError(400, `Invalid server name ${JSON.stringify(serverName)}: ${SERVER_NAME_RULE}`);
  const limit = config.spawner.named_server_limit_per_user;
  if (limit > 0 && existing.namedCount >= limit) {
    throw new HttpError(400, `User ${userName} already has the maximum of ${limit} named servers.  One must be deleted before a new server can be created`);
  }
}

/** JupyterHub answers every named-server call with this 400 while allow_named_servers is off. */
export function requireNamedServers(config: Pick<Config, 'spawner'>): void {
  if (!config.spawner.allow_named_servers) throw new HttpError(400, 'Named servers are not enabled (spawner.allow_named_servers is false)');
}

/**
 * The server name as it may appear in container and volume names (DockerSpawner's `{servername}`): new names
 * already are DNS-safe; an older name with other characters becomes its safe characters and a hash, so two names
 * never share a container or a volume.
 */
export function serverSlug(serverName: string): string {
  if (/^[a-z0-9-]*$/.test(serverName)) return serverName;
  const hash = createHash('sha256').update(serverName, 'utf8').digest('hex').slice(0, 8);
  return `${serverName.toLowerCase().replace(/[^a-z0-9]/g, '').slice(0, 20)}-${hash}`;
}
