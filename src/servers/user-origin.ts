// Where users' servers live when hub.subdomain_host gives each user an origin of their own (JupyterHub's
// subdomain_host): the DNS label of a name, the user's host, and the public URL of a server in either layout.
import { createHash } from 'node:crypto';
import type { SubdomainHost } from '../config/derived.js';

export { parseSubdomainHost, type SubdomainHost } from '../config/derived.js';

const DNS_LABEL = /^[a-z0-9-]{1,63}$/i;

/**
 * JupyterHub 5's default subdomain_hook ('idna', utils._strict_dns_safe_encode): a name that is a valid DNS label
 * (and has no `--`, the mark of an encoded label) is kept; any other becomes `u-<up to 8 of its [a-z0-9]>--<first 7
 * hex of sha256(name)>`, so two names never share a host. Its IDNA step never applies to Berth's ASCII-only names.
 */
export function dnsLabel(name: string): string {
  let label = labels.get(name);
  if (label === undefined) {
    // The proxy asks on every request to a user's host: keep the hashes, within a bound.
    if (labels.size >= MAX_CACHED_LABELS) labels.clear();
    label = encodeLabel(name);
    labels.set(name, label);
  }
  return label;
}

const labels = new Map<string, string>();
const MAX_CACHED_LABELS = 10_000;

function encodeLabel(name: string): string {
  if (!name.includes('--') && DNS_LABEL.test(name) && !/^[0-9]+$/.test(name) && !name.startsWith('-') && !name.endsWith('-')) {
    return name;
  }
  const hash = createHash('sha256').update(name, 'utf8').digest('hex').slice(0, 7);
  const stub = name.toLowerCase().replace(/[^a-z0-9]/g, '').slice(0, 8) || 'x';
  return `u-${stub}--${hash}`;
}

/** `<label>.<hub host name>`, the host a user's servers are served on (JupyterHub's User.domain). */
export function userHostname(sub: SubdomainHost, userName: string): string {
  return `${dnsLabel(userName)}.${sub.hostname}`;
}

/** `<scheme>://<label>.<hub host>[:port]` (JupyterHub's User.host). */
export function userOrigin(sub: SubdomainHost, userName: string): string {
  return `${sub.protocol}//${userHostname(sub, userName)}${sub.portSuffix}`;
}
