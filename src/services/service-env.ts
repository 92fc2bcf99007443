// The environment an external service needs to sign users in with JupyterHub's HubAuth/HubOAuth: what JupyterHub
// gives the services it manages (Service.start and Spawner.get_env). Berth runs no services itself, so whoever runs
// one (a container, systemd) sets these; the README lists them, and the tests run JupyterHub's own HubOAuth with it.
import type { HubConfig } from '../config/load.js';
import { findService } from './service-specs.js';

/**
 * The variables for service `name`, or null when there is no such service. `apiUrl` is where the service reaches
 * the hub's API (`http://<hub>:8000/hub/api` through the public port, or the hub's listener for containers).
 * JUPYTERHUB_API_TOKEN is the service's api_token: set it from the same secret as hub.yaml's.
 */
export function serviceEnvironment(config: Pick<HubConfig, 'services' | 'urls'>, name: string, apiUrl: string): Record<string, string> | null {
  const service = findService(config, name);
  if (service === null) return null;
  const { urls } = config;
  const env: Record<string, string> = {
    JUPYTERHUB_SERVICE_NAME: service.name,
    JUPYTERHUB_API_URL: apiUrl,
    JUPYTERHUB_BASE_URL: urls.base,
    // Where HubOAuth sends browsers to authorize: the hub's own host under subdomain_host, else relative.
    JUPYTERHUB_HOST: urls.subdomainHost?.origin ?? '',
  };
  const token = config.services.find((s) => s.name === name)?.api_token;
  if (token !== undefined) env.JUPYTERHUB_API_TOKEN = token;
  if (service.url !== null) {
    env.JUPYTERHUB_SERVICE_URL = service.url;
    env.JUPYTERHUB_SERVICE_PREFIX = service.prefix;
  }
  if (urls.configuredOrigin !== '') {
    env.JUPYTERHUB_PUBLIC_HUB_URL = `${urls.configuredOrigin}${urls.hub}`;
    if (service.url !== null) env.JUPYTERHUB_PUBLIC_URL = `${service.host || urls.configuredOrigin}${service.prefix}`;
  }
  if (service.oauth !== null) {
    env.JUPYTERHUB_CLIENT_ID = service.oauth.clientId;
    env.JUPYTERHUB_OAUTH_CALLBACK_URL = service.oauth.redirectUri;
    env.JUPYTERHUB_OAUTH_ACCESS_SCOPES = JSON.stringify([service.oauth.accessScope]);
    env.JUPYTERHUB_OAUTH_SCOPES = env.JUPYTERHUB_OAUTH_ACCESS_SCOPES; // the name before JupyterHub 3
    env.JUPYTERHUB_OAUTH_CLIENT_ALLOWED_SCOPES = JSON.stringify(service.oauth.allowedScopes);
  }
  return env;
}
