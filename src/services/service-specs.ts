// What each hub.yaml service is, worked out once from the config as JupyterHub's service_from_spec does: its
// prefix (`<base_url>services/<name>/`), its host under hub.subdomain_host, where the proxy sends it, and its OAuth
// client. Every other module reads services through these specs, so none re-derives a default.
import type { HubConfig } from '../config/load.js';
import { roleScopes } from '../auth/scopes.js';
import { explicitOAuthKey } from '../config/schema.js';
import { serviceOrigin } from './service-origin.js';

export interface ServiceOAuth {
  /** oauth_client_id, default `service-<name>` (JUPYTERHUB_CLIENT_ID). */
  readonly clientId: string;
  /** oauth_redirect_uri, default `<host><prefix>oauth_callback` (JUPYTERHUB_OAUTH_CALLBACK_URL). */
  readonly redirectUri: string;
  /** The service's api_token: HubOAuth sends it as the client secret. */
  readonly secret: string;
  readonly noConfirm: boolean;
  /** What the client may be granted besides its access scope and the visitor's identity (raw scopes). */
  readonly allowedScopes: readonly string[];
  /** `access:services!service=<name>`: what a visitor must hold to sign in (JUPYTERHUB_OAUTH_ACCESS_SCOPES). */
  readonly accessScope: string;
}

export interface ServiceSpec {
  readonly name: string;
  readonly admin: boolean;
  /** `<base_url>services/<name>/` (JupyterHub's Service.prefix). */
  readonly prefix: string;
  /** The service's own origin under hub.subdomain_host (`<label>--service.<host>`, JupyterHub 5's hook); '' otherwise. */
  readonly host: string;
  /** The configured url, as written; null for a service with no HTTP endpoint. */
  readonly url: string | null;
  /** Where the proxy forwards `<prefix>…` (the url's origin), or null: not proxied. */
  readonly target: string | null;
  /** The OAuth client, or null: the service signs no one in (no url and no oauth keys, or no api_token). */
  readonly oauth: ServiceOAuth | null;
  readonly display: boolean;
  readonly info: Readonly<Record<string, string | number | boolean>>;
}

type ServicesConfig = Pick<HubConfig, 'services' | 'urls'>;

const cache = new WeakMap<ServicesConfig, ServiceSpec[]>();

/** Every service of the config, in file order (computed once per config object). */
export function serviceSpecs(config: ServicesConfig): readonly ServiceSpec[] {
  let specs = cache.get(config);
  if (specs === undefined) {
    specs = config.services.map((s) => specOf(s, config.urls));
    cache.set(config, specs);
  }
  return specs;
}

export function findService(config: ServicesConfig, name: string): ServiceSpec | null {
  return serviceSpecs(config).find((s) => s.name === name) ?? null;
}

/** The service whose OAuth client this is, or null (a user's server, or a client no service has any more). */
export function serviceOfClient(config: ServicesConfig, clientId: string): ServiceSpec | null {
  return serviceSpecs(config).find((s) => s.oauth?.clientId === clientId) ?? null;
}

/** What the proxy routes: each service with a url, name → target (`<prefix>…` is forwarded to it unchanged). */
export function serviceRoutes(config: ServicesConfig): [string, string][] {
  return serviceSpecs(config).flatMap((s) => (s.target === null ? [] : [[s.name, s.target] as [string, string]]));
}

function specOf(s: HubConfig['services'][number], urls: HubConfig['urls']): ServiceSpec {
  const prefix = `${urls.base}services/${s.name}/`;
  const sub = urls.subdomainHost;
  const host = sub === null ? '' : serviceOrigin(sub, s.name);
  const explicitOAuth = explicitOAuthKey(s) !== undefined;
  // JupyterHub's oauth_available: a service with a URL, or any OAuth key. Without api_token there is no client
  // secret, so no client (the schema refuses OAuth keys without one; a url alone is then only proxied).
  const oauth = (s.url !== undefined || explicitOAuth) && s.api_token !== undefined
    ? {
        clientId: s.oauth_client_id ?? `service-${s.name}`,
        redirectUri: s.oauth_redirect_uri ?? `${host}${prefix}oauth_callback`,
        secret: s.api_token,
        noConfirm: s.oauth_no_confirm,
        // oauth_roles is the deprecated form, used only when the scopes are not given (as JupyterHub does).
        allowedScopes: s.oauth_client_allowed_scopes.length > 0 ? s.oauth_client_allowed_scopes : s.oauth_roles.flatMap((role) => roleScopes(role)),
        accessScope: `access:services!service=${s.name}`,
      }
    : null;
  return {
    name: s.name,
    admin: s.admin,
    prefix,
    host,
    url: s.url ?? null,
    target: s.url === undefined ? null : new URL(s.url).origin,
    oauth,
    display: s.display,
    info: s.info,
  };
}
