// The Services menu of the hub's pages (JupyterHub's page.html lists services that have a URL and `display`).
import type { HubConfig } from '../config/load.js';
import { serviceSpecs } from './service-specs.js';

export interface MenuService {
  name: string;
  /** Where the menu links to: the service's prefix, on its own host under hub.subdomain_host (JupyterHub's href). */
  url: string;
  info: Readonly<Record<string, string | number | boolean>>;
}

/** The services to list, in hub.yaml order; empty when none has a URL and `display: true`. */
export function servicesForMenu(config: Pick<HubConfig, 'services' | 'urls'>): MenuService[] {
  return serviceSpecs(config)
    .filter((s) => s.display && s.url !== null)
    .map((s) => ({ name: s.name, url: `${s.host}${s.prefix}`, info: s.info }));
}
