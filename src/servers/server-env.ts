// The environment a single-user server reads (jupyterhub-protocol.md §1.1): hub variables first, then
// spawner.environment, which overrides them, as JupyterHub's Spawner.get_env() does.
import type { HubConfig } from '../config/load.js';

export interface ServerEnvInput {
  userName: string;
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

/** Public path prefix of a user's default server: <base_url>user/<name>/ */
export function serverPrefix(config: Pick<HubConfig, 'hub'>, userName: string): string {
  return `${config.hub.base_url}user/${escapePath(userName)}/`;
}

/** The scopes a visitor must hold (any of them) to use the server. */
export function accessScopes(userName: string): string[] {
  return [`access:servers!server=${userName}/`, `access:servers!user=${userName}`];
}

export function buildServerEnv(config: HubConfig, input: ServerEnvInput): Record<string, string> {
  const { spawner, hub } = config;
  const prefix = serverPrefix(config, input.userName);
  const scopes = JSON.stringify(accessScopes(input.userName));
  // JUPYTERHUB_HOST stays empty unless public_url is configured, so redirects stay relative (same origin).
  const origin = hub.public_url ? new URL(hub.public_url).origin : '';
  const env: Record<string, string> = {
    JUPYTERHUB_API_TOKEN: input.apiToken,
    JPY_API_TOKEN: input.apiToken,
    JUPYTERHUB_CLIENT_ID: input.clientId,
    JUPYTERHUB_API_URL: input.hubApiUrl,
    JUPYTERHUB_ACTIVITY_URL: `${input.hubApiUrl}/users/${escapePath(input.userName)}/activity`,
    JUPYTERHUB_BASE_URL: hub.base_url,
    JUPYTERHUB_SERVICE_PREFIX: prefix,
    JUPYTERHUB_SERVICE_URL: `http://0.0.0.0:${spawner.port}${prefix}`,
    JUPYTERHUB_OAUTH_CALLBACK_URL: `${prefix}oauth_callback`,
    JUPYTERHUB_OAUTH_ACCESS_SCOPES: scopes,
    JUPYTERHUB_OAUTH_SCOPES: scopes,
    JUPYTERHUB_OAUTH_CLIENT_ALLOWED_SCOPES: '[]',
    JUPYTERHUB_USER: input.userName,
    JUPYTERHUB_SERVER_NAME: '',
    JUPYTERHUB_HOST: origin,
    JUPYTERHUB_PUBLIC_URL: origin ? `${origin}${prefix}` : '',
    JUPYTERHUB_PUBLIC_HUB_URL: origin ? `${origin}${hub.base_url}hub/` : '',
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
