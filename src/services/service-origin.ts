// Where a service is served under hub.subdomain_host: JupyterHub 5's default subdomain_hook gives each service a
// host of its own, `<label>--service.<hub host>` (users keep `<label>.<hub host>`), so no service shares an origin
// with the hub or a user. Pure; read by the service specs and by the proxy's routing.
import type { SubdomainHost } from '../config/derived.js';
import { dnsLabel } from '../servers/user-origin.js';

export function serviceHostname(sub: SubdomainHost, serviceName: string): string {
  return `${dnsLabel(serviceName)}--service.${sub.hostname}`;
}

export function serviceOrigin(sub: SubdomainHost, serviceName: string): string {
  return `${sub.protocol}//${serviceHostname(sub, serviceName)}${sub.portSuffix}`;
}
