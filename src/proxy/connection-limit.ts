// Caps the connections one client address holds open on the public port, so that one client cannot take the
// hub's file descriptors from everyone else. Over the cap a new connection is reset at once. The counts live in a
// table all proxy threads share (client-table.ts), so the cap is the hub's, not each thread's.
import type net from 'node:net';
import type { Logger } from '../log.js';
import type { ClientTable } from './client-table.js';

export interface ConnectionLimitOptions {
  /** Open connections allowed per client (an IPv4 address or an IPv6 /64); 0 turns the cap off. */
  maxPerClient: number;
  /** Where open connections are counted: this thread's column of the table every proxy thread shares. */
  clients: ClientTable;
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
  const { log, clients } = options;
  let { maxPerClient } = options;
  const logIntervalMs = options.logIntervalMs ?? 60_000;
  /** Clients let in uncounted because the table was full, logged once per interval like a refusal. */
  let fullLoggedAt = -Infinity;
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
      { client, open: clients.total(client), max: maxPerClient, refusedSinceLastLine: since },
      'client holds too many connections (hub.max_connections_per_client); refusing its new ones',
    );
    // Entries go once they are old, so the table stays as small as the set of clients refused this minute.
    if (refused.size > 1000) for (const [key, value] of refused) if (now - value.loggedAt >= logIntervalMs) refused.delete(key);
  }

  return {
    admit(socket) {
      // Counted with no cap too (max 0), so that a cap set later knows what each client holds.
      const client = clientKey(socket.remoteAddress ?? '');
      const added = clients.tryAdd(client, maxPerClient);
      if (added === 'over') {
        refuse(client, socket);
        return false;
      }
      if (added === 'added') {
        socket.once('close', () => clients.remove(client));
      } else if (Date.now() - fullLoggedAt >= logIntervalMs) {
        // Only when tens of thousands of clients hold connections at once; refusing them all would be worse.
        fullLoggedAt = Date.now();
        log.warn({ client }, 'too many clients with open connections to count them all; new clients are let in uncounted (hub.max_connections_per_client) until some close');
      }
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
