// Keeps the OAuth clients of hub.yaml services in step with the file at start-up, as JupyterHub's init_services
// does: each service with OAuth gets its client (secret = its api_token, stored hashed; allowed scopes = its
// oauth_client_allowed_scopes plus access to itself), and a client whose service left the file is deleted with its
// codes and tokens. Service client ids always start with `service-`, so servers' clients are never touched.
import type { HubConfig } from '../config/load.js';
import { serviceSpecs } from '../services/service-specs.js';
import type { OAuthClientStore } from './oauth-clients.js';

export function syncServiceClients(config: Pick<HubConfig, 'services' | 'urls'>, clients: OAuthClientStore): { registered: string[]; removed: string[] } {
  const registered: string[] = [];
  for (const service of serviceSpecs(config)) {
    if (service.oauth === null) continue;
    const { clientId, secret, redirectUri, allowedScopes, accessScope } = service.oauth;
    clients.register({
      identifier: clientId, secret, redirectUri, description: `JupyterHub service ${service.name}`,
      allowedScopes: [...new Set([...allowedScopes, accessScope])].sort(),
    });
    registered.push(clientId);
  }
  return { registered, removed: clients.removeUnlisted('service-', registered) };
}
