// Caps the connections one client address holds open on the public port, so that one client cannot take the
// hub's file descriptors from everyone else. Over the cap a new connection is reset at once.
import type net from 'node:net';
import type { Logger } from '../log.js';

export interface ConnectionLimitOptions {
  /** Open connections allowed per client (an IPv4 address or an IPv6 /64); 0 turns the cap off. */
  maxPerClient: number;
  log: Logger;
  /** A client over the cap is logged at most once per this many ms (default one minute). */
  logIntervalMs?: number;
}

export interface ConnectionLimit {
  /** Counts the connection against its client until it closes; false (and the socket destroyed) over the cap. */
  admit(socket: net.Socket): boolean;
  /** A new cap (hub.yaml reloaded), for connections from now on. */
  setMax(maxPerClient: number): void;
}

export function createConnectionLimit(options: ConnectionLimitOptions): ConnectionLimit {
  const { log } = options;
  let { maxPerClient } = options;
  const logIntervalMs = options.logIntervalMs ?? 60_000;
  const open = new Map<string, number>();
  /** Clients refused since they were last logged: when that was, and how many since. */
  const refused = new Map<string, { loggedAt: number; count: number }>();

  function refuse(client: string, socket: net.Socket): void {
    // A reset leaves no TIME_WAIT state behind on the hub's side, however many the client opens.
    socket.resetAndDestroy();
    const now = Date.now();
    let entry = refused.get(client);
    if (entry !== undefined && now - entry.loggedAt < logIntervalMs) {
      entry.count++;
      return;
    }
    const since = entry?.count ?? 0;
    entry = { loggedAt: now, count: 0 };
    refused.set(client, entry);
    log.warn(
      { client, open: open.get(client), max: maxPerClient, refusedSinceLastLine: since },
      'client holds too many connections (hub.max_connections_per_client); refusing its new ones',
    );
    // Entries go once they are old, so the table stays as small as the set of clients refused this minute.
    if (refused.size > 1000) for (const [key, value] of refused) if (now - value.loggedAt >= logIntervalMs) refused.delete(key);
  }

  return {
    admit(socket) {
      // Counted with no cap too, so that a cap set later knows what each client holds.
      const client = clientKey(socket.remoteAddress ?? '');
      const count = open.get(client) ?? 0;
      if (maxPerClient > 0 && count >= maxPerClient) {
        refuse(client, socket);
        return false;
      }
      open.set(client, count + 1);
      socket.once('close', () => {
        const left = open.get(client)! - 1;
        if (left === 0) open.delete(client);
        else open.set(client, left);
      });
      return true;
    },
    setMax(max) {
      maxPerClient = max;
    },
  };
}

/**
 * One key per client: an IPv4 address (also when mapped into IPv6), or the /64 an IPv6 address is in, since one
 * host usually holds a whole /64 and could otherwise open the cap from each of its addresses.
 */
export function clientKey(address: string): string {
  if (!address.includes(':')) return address;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped !== null) return mapped[1]!;
  const [head, tail] = address.split('::') as [string, string | undefined];
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = tail === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return `${groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, '').toLowerCase()).join(':')}::/64`;
}
