// The proxy thread's traffic counters. The hot path only bumps plain integer fields (no labels, no Map, no
// allocation); bytes are read from the sockets themselves, so no per-chunk work is added at all. The hub reads a
// snapshot (counts()) when it is scraped, through the thread's message channel (thread.ts).
import type net from 'node:net';

/** What the hub's /hub/metrics shows of the proxy; every count since the thread started. */
export interface ProxyCounts {
  /** Answers written to clients, by status class ('1xx' … '5xx'); a completed WebSocket upgrade is a 1xx. */
  requests: Record<StatusClass, number>;
  /** Bytes read from and written to clients on the public port. */
  bytesIn: number;
  bytesOut: number;
  /** Client connections open now. */
  openConnections: number;
  /** Requests a server (or the hub app) did not answer usably: the proxy answered 502/503 or cut the response short. */
  backendErrors: number;
  /** WebSocket upgrades a server accepted. */
  websocketUpgrades: number;
}

export const STATUS_CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx'] as const;
export type StatusClass = (typeof STATUS_CLASSES)[number];

export class ProxyCounters {
  /** Index 1–5 for 1xx–5xx; index 0 is unused, so a status needs only a division to find its slot. */
  private readonly answers = [0, 0, 0, 0, 0, 0];
  private readonly open = new Set<net.Socket>();
  private closedIn = 0;
  private closedOut = 0;
  backendErrors = 0;
  websocketUpgrades = 0;

  answered(status: number): void {
    const slot = (status / 100) | 0;
    if (slot >= 1 && slot <= 5) this.answers[slot]++;
  }

  /** Counts a client connection until it closes; its bytes are read from the socket when needed. */
  track(socket: net.Socket): void {
    this.open.add(socket);
    socket.once('close', () => {
      this.open.delete(socket);
      this.closedIn += socket.bytesRead;
      this.closedOut += socket.bytesWritten;
    });
  }

  counts(): ProxyCounts {
    let bytesIn = this.closedIn;
    let bytesOut = this.closedOut;
    for (const socket of this.open) {
      bytesIn += socket.bytesRead;
      bytesOut += socket.bytesWritten;
    }
    const requests = Object.fromEntries(STATUS_CLASSES.map((name, i) => [name, this.answers[i + 1]])) as Record<StatusClass, number>;
    return { requests, bytesIn, bytesOut, openConnections: this.open.size, backendErrors: this.backendErrors, websocketUpgrades: this.websocketUpgrades };
  }
}
