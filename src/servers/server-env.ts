// The environment a single-user server reads (jupyterhub-protocol.md §1.1): hub variables first, then
// spawner.environment, which overrides them, as JupyterHub's Spawner.get_env() does.
// Compared with JupyterHub 5.2.1's get_env(): every variable it always sets is set here (the 5.x ones included:
// JUPYTERHUB_PUBLIC_URL, JUPYTERHUB_PUBLIC_HUB_URL), and of the conditional ones ADMIN_ACCESS, ROOT_DIR,
// DEFAULT_URL, MEM_LIMIT and CPU_LIMIT follow their keys. Not set, for want of a Berth key: COOKIE_OPTIONS,
// MEM_GUARANTEE/CPU_GUARANTEE, the JUPYTERHUB_SSL_* of internal_ssl, JUPYTERHUB_DEBUG and
// JUPYTERHUB_DISABLE_USER_CONFIG (set those two through spawner.environment). Added, as DockerSpawner and
// KubeSpawner do: JUPYTER_IMAGE_SPEC and JUPYTER_IMAGE.
import type { HubConfig } from '../config/load.js';
import { userHostname, userOrigin } from './user-origin.js';

export interface ServerEnvInput {
  userName: string;
  /** '' for the default server. */
  serverName?: string;
  /** The server's own API token (also its OAuth client secret). */
  apiToken: string;
  clientId: string;
  /** Internal hub API URL, reachable from the container, without a trailing slash. */
  hubApiUrl: string;
  image: string;
  /** Per-user variables (e.g. GITHUB_TOKEN); spawner.environment still overrides them. */
  extra?: Record<string, string>;
}

/** JupyterHub's url_escape_path: quote(name, safe='@~'). */
export function escapePath(name: string): string {
  return encodeURIComponent(name).replace(/%40/g, '@');
}

/** Public path prefix of a user's server: <base_url>user/<name>/, or <base_url>user/<name>/<server>/ for a named one. */
export function serverPrefix(config: Pick<HubConfig, 'urls'>, userName: string, serverName = ''): string {
  return `${config.urls.user}${escapePath(userName)}/${serverName === '' ? '' : `${escapePath(serverName)}/`}`;
}

/**
 * Public URL of a user's default server (JupyterHub's User.url): the prefix alone on the shared origin, or the full
 * URL on the user's own host with hub.subdomain_host.
 */
export function serverUrl(config: Pick<HubConfig, 'urls'>, userName: string, serverName = ''): string {
  const sub = config.urls.subdomainHost;
  const prefix = serverPrefix(config, userName, serverName);
  return sub === null ? prefix : `${userOrigin(sub, userName)}${prefix}`;
}

/** The proxy's key for a user's server, as JupyterHub reports it: `<base_url>user/<name>/`, led by the user's host name with hub.subdomain_host. */
export function serverRoutespec(config: Pick<HubConfig, 'urls'>, userName: string, serverName = ''): string {
  const sub = config.urls.subdomainHost;
  return `${sub === null ? '' : userHostname(sub, userName)}${serverPrefix(config, userName, serverName)}`;
}

/** The scopes a visitor must hold (any of them) to use the server. */
export function accessScopes(userName: string, serverName = ''): string[] {
  return [`access:servers!server=${userName}/${serverName}`, `access:servers!user=${userName}`];
}

export function buildServerEnv(config: Pick<HubConfig, 'spawner' | 'hub' | 'urls'>, input: ServerEnvInput): Record<string, string> {
  const { spawner, hub, urls } = config;
  const serverName = input.serverName ?? '';
  const prefix = serverPrefix(config, input.userName, serverName);
  const url = serverUrl(config, input.userName, serverName);
  const scopes = JSON.stringify(accessScopes(input.userName, serverName));
  // JUPYTERHUB_HOST stays empty unless the hub's origin is configured, so redirects stay relative (same origin).
  // With subdomain_host the server is on another origin: its OAuth callback and links to the hub must be full URLs.
  const origin = urls.configuredOrigin;
  const env: Record<string, string> = {
    JUPYTERHUB_API_TOKEN: input.apiToken,
    JPY_API_TOKEN: input.apiToken,
    JUPYTERHUB_CLIENT_ID: input.clientId,
    JUPYTERHUB_API_URL: input.hubApiUrl,
    JUPYTERHUB_ACTIVITY_URL: `${input.hubApiUrl}/users/${escapePath(input.userName)}/activity`,
    JUPYTERHUB_BASE_URL: hub.base_url,
    JUPYTERHUB_SERVICE_PREFIX: prefix,
    JUPYTERHUB_SERVICE_URL: `http://0.0.0.0:${spawner.port}${prefix}`,
    JUPYTERHUB_OAUTH_CALLBACK_URL: `${url}oauth_callback`,
    JUPYTERHUB_OAUTH_ACCESS_SCOPES: scopes,
    JUPYTERHUB_OAUTH_SCOPES: scopes,
    JUPYTERHUB_OAUTH_CLIENT_ALLOWED_SCOPES: '[]',
    JUPYTERHUB_USER: input.userName,
    JUPYTERHUB_SERVER_NAME: serverName,
    JUPYTERHUB_HOST: origin,
    JUPYTERHUB_PUBLIC_URL: url !== prefix ? url : origin ? `${origin}${prefix}` : '',
    JUPYTERHUB_PUBLIC_HUB_URL: origin ? `${origin}${urls.hub}` : '',
    JUPYTERHUB_COOKIE_HOST_PREFIX_ENABLED: '0',
    JUPYTER_IMAGE_SPEC: input.image,
    JUPYTER_IMAGE: input.image,
  };
  if (spawner.default_url !== undefined) env.JUPYTERHUB_DEFAULT_URL = spawner.default_url;
  if (spawner.notebook_dir !== undefined) env.JUPYTERHUB_ROOT_DIR = spawner.notebook_dir;
  if (hub.admin_access) env.JUPYTERHUB_ADMIN_ACCESS = '1';
  if (spawner.mem_limit !== undefined) env.MEM_LIMIT = String(spawner.mem_limit);
  if (spawner.cpu_limit !== undefined) env.CPU_LIMIT = String(spawner.cpu_limit);
  return { ...env, ...input.extra, ...spawner.environment };
}
