// Values every part of the hub derives from hub.yaml — URL prefixes, the public URL, the subdomain host, cookie
// attributes — computed here when the config is loaded (or reloaded), so no module re-derives them (and none can disagree).
import type { Config } from './schema.js';

/** hub.subdomain_host, parsed once: the hub's origin, whose subdomains are the users' hosts. */
export interface SubdomainHost {
  /** `http://hub.test:8000`: scheme, host and port, no path. */
  readonly origin: string;
  /** `http:` or `https:`. */
  readonly protocol: string;
  /** Lower-case host name without port (`hub.test`). */
  readonly hostname: string;
  /** `:8000`, or '' for the scheme's default port. */
  readonly portSuffix: string;
}

export interface HubUrls {
  /** hub.base_url: `/` or `/prefix/`. */
  readonly base: string;
  /** `<base_url>hub/`: the hub's pages and API (the hub cookie's path). */
  readonly hub: string;
  /** `<base_url>hub/api`, no trailing slash. */
  readonly api: string;
  /** `<base_url>user/`: users' servers live under it. */
  readonly user: string;
  /** hub.public_url, else hub.subdomain_host, else one derived from hub.bind; never ends with "/". */
  readonly public: string;
  /** The origin of a configured public_url or subdomain_host (`JUPYTERHUB_HOST`); '' when neither is set (relative redirects). */
  readonly configuredOrigin: string;
  /** hub.subdomain_host parsed, or null when users share the hub's origin. */
  readonly subdomainHost: SubdomainHost | null;
}

/** Attributes every hub cookie shares; the path differs by cookie (hub pages, or the whole base_url). */
export interface CookieAttributes {
  /** The public URL is https: cookies carry Secure. */
  readonly secure: boolean;
  readonly httpOnly: true;
  readonly sameSite: 'Lax';
}

export function parseSubdomainHost(url: string): SubdomainHost {
  const parsed = new URL(url);
  return { origin: parsed.origin, protocol: parsed.protocol, hostname: parsed.hostname, portSuffix: parsed.port ? `:${parsed.port}` : '' };
}

export function deriveUrls(hub: Config['hub']): HubUrls {
  const configured = hub.public_url ?? hub.subdomain_host;
  return {
    base: hub.base_url,
    hub: `${hub.base_url}hub/`,
    api: `${hub.base_url}hub/api`,
    user: `${hub.base_url}user/`,
    public: (configured ?? publicUrlFromBind(hub.bind, hub.tls !== undefined)).replace(/\/+$/, ''),
    configuredOrigin: configured ? new URL(configured).origin : '',
    subdomainHost: hub.subdomain_host === undefined ? null : parseSubdomainHost(hub.subdomain_host),
  };
}

export function deriveCookieAttributes(urls: Pick<HubUrls, 'public'>): CookieAttributes {
  return { secure: urls.public.startsWith('https:'), httpOnly: true, sameSite: 'Lax' };
}

function publicUrlFromBind(bind: string, tls: boolean): string {
  const host = bind.slice(0, bind.lastIndexOf(':'));
  const port = bind.slice(bind.lastIndexOf(':') + 1);
  const shown = host === '0.0.0.0' || host === '[::]' ? 'localhost' : host;
  return `${tls ? 'https' : 'http'}://${shown}:${port}`;
}
