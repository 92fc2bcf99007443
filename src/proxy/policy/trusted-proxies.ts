// hub.trusted_proxies: the peers whose X-Forwarded-* the proxy believes, and what the client and its scheme are
// once they are weighed. From any other peer those headers are claims anyone can make, so they are replaced.
import { BlockList, isIP } from 'node:net';

export interface AddressRange {
  address: string;
  prefix: number;
  family: 'ipv4' | 'ipv6';
}

/** `10.0.0.0/8`, `fd00::/8` or a single address; null when it is neither. */
export function parseAddressRange(value: string): AddressRange | null {
  const [address = '', prefixText, extra] = value.trim().split('/');
  if (extra !== undefined) return null;
  const version = isIP(address);
  if (version === 0) return null;
  const max = version === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? max : /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : NaN;
  if (!(prefix >= 0 && prefix <= max)) return null;
  return { address, prefix, family: version === 4 ? 'ipv4' : 'ipv6' };
}

export interface TrustedProxies {
  trusts(address: string): boolean;
}

export const TRUST_NOBODY: TrustedProxies = { trusts: () => false };

export function createTrustedProxies(ranges: readonly string[]): TrustedProxies {
  // The common case asks nothing per request (it runs for every proxied request).
  if (ranges.length === 0) return TRUST_NOBODY;
  const list = new BlockList();
  for (const text of ranges) {
    const range = parseAddressRange(text);
    if (range === null) throw new Error(`hub.trusted_proxies: ${JSON.stringify(text)} is not an IP address or CIDR range`);
    list.addSubnet(range.address, range.prefix, range.family);
  }
  return {
    trusts(address) {
      const plain = address.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, '');
      const version = isIP(plain);
      return version !== 0 && list.check(plain, version === 4 ? 'ipv4' : 'ipv6');
    },
  };
}

/** The X-Forwarded-* a request arrived with (each as received, commas and all). */
export interface ClaimedForwarding {
  for?: string;
  proto?: string;
  port?: string;
  host?: string;
}

/** What the proxy tells the server behind it: one value each, so every reader (Tornado takes the last) agrees. */
export interface Forwarding {
  /** The chain of addresses whose last entry is the client. */
  for: string;
  proto: 'http' | 'https';
  port: string;
  host: string;
}

/**
 * From an untrusted peer: the peer is the client, over the connection's own scheme and Host. From a trusted one:
 * the nearest address in X-Forwarded-For that is not itself a trusted proxy is the client (entries beyond it are
 * kept for logs but never read), and the last -Proto/-Port/-Host values are the ones that proxy wrote.
 */
export function resolveForwarding(claimed: ClaimedForwarding, peer: string, encrypted: boolean, host: string, trust: TrustedProxies): Forwarding {
  const own: Forwarding = { for: peer, proto: encrypted ? 'https' : 'http', port: portOf(host, encrypted), host };
  if (!trust.trusts(peer)) return own;
  const chain = (claimed.for ?? '').split(',').map((entry) => entry.trim()).filter((entry) => entry !== '');
  while (chain.length > 1 && trust.trusts(chain.at(-1)!)) chain.pop();
  const proto = lastOf(claimed.proto)?.toLowerCase();
  const scheme = proto === 'https' || proto === 'http' ? proto : own.proto;
  const claimedHost = lastOf(claimed.host);
  const forwardedHost = claimedHost !== undefined && /^[A-Za-z0-9.:[\]-]+$/.test(claimedHost) ? claimedHost : host;
  const claimedPort = lastOf(claimed.port);
  return {
    for: chain.length > 0 ? chain.join(', ') : peer,
    proto: scheme,
    port: claimedPort !== undefined && /^\d{1,5}$/.test(claimedPort) ? claimedPort : portOf(forwardedHost, scheme === 'https'),
    host: forwardedHost,
  };
}

function lastOf(value: string | undefined): string | undefined {
  const last = value?.split(',').at(-1)?.trim();
  return last === '' ? undefined : last;
}

function portOf(host: string, encrypted: boolean): string {
  return /:(\d+)$/.exec(host)?.[1] ?? (encrypted ? '443' : '80');
}
