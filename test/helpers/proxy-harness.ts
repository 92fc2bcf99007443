// A public listener on 127.0.0.1:0 in front of a RouteSource the test controls, plus what the proxy told it
// (activity, unreachable) and the log lines it wrote. No Docker: tests point routes at whatever they start.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { readdirSync, readlinkSync } from 'node:fs';
import { Writable } from 'node:stream';
import WebSocket from 'ws';
import { createLogger } from '../../src/log.js';
import { createPublicListener, type PublicListener, type PublicListenerOptions } from '../../src/proxy/public-listener.js';
import type { RouteSource } from '../../src/proxy/route-table.js';

export interface ProxyHarness {
  /** http://127.0.0.1:<port> */
  url: string;
  port: number;
  listener: PublicListener;
  targets: Map<string, string>;
  /** hub.yaml services' targets, by service name. */
  services: Map<string, string>;
  activity: string[];
  unreachable: string[];
  /** Parsed JSON log lines. */
  logs: Record<string, unknown>[];
  close(): Promise<void>;
}

export async function startProxy(options: Partial<Omit<PublicListenerOptions, 'routes' | 'logger'>> = {}): Promise<ProxyHarness> {
  const targets = new Map<string, string>();
  const services = new Map<string, string>();
  const activity: string[] = [];
  const unreachable: string[] = [];
  const logs: Record<string, unknown>[] = [];
  const routes: RouteSource = {
    target: (name) => {
      const url = targets.get(name);
      return url === undefined ? null : { url, server: '' };
    },
    serviceTarget: (name) => services.get(name) ?? null,
    noteActivity: (name) => void activity.push(name),
    noteUnreachable: (name) => void unreachable.push(name),
  };
  const sink = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split('\n')) if (line.trim()) logs.push(JSON.parse(line));
      done();
    },
  });
  // The hub app stand-in, reached through the listener like the real app (which listens on loopback).
  const hubApp = await startBackend((_req, res) => res.end('the hub app'));
  const listener = createPublicListener({
    baseUrl: '/',
    hubTarget: hubApp.url,
    activityIntervalMs: 0,
    ...options,
    routes,
    logger: createLogger('debug', sink),
  });
  await new Promise<void>((resolve) => listener.server.listen(0, '127.0.0.1', resolve));
  const { port } = listener.server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    listener,
    targets,
    services,
    activity,
    unreachable,
    logs,
    close: async () => {
      await listener.close(0);
      await hubApp.close();
    },
  };
}

/** Starts a plain node http server on 127.0.0.1:0; `url` has no trailing slash. */
export async function startBackend(handler: http.RequestListener): Promise<{ server: http.Server; url: string; close(): Promise<void> }> {
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    server,
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** A loopback port nothing listens on (bound, then released). */
export async function refusedUrl(): Promise<string> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

/** Open sockets of this process, from /proc/self/fd (TCP sockets of the listener, its clients and backends alike). */
export function openSocketCount(): number {
  let count = 0;
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`).startsWith('socket:')) count++;
    } catch {
      // the fd closed while we were listing
    }
  }
  return count;
}

/** Polls until the socket count equals `expected` or `settleMs` passes; returns the last count seen. */
export async function settledSocketCount(expected: number, settleMs = 15_000): Promise<number> {
  const deadline = Date.now() + settleMs;
  let count = openSocketCount();
  while (count !== expected && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    count = openSocketCount();
  }
  return count;
}

/** The socket count once it has not changed for `quietMs` (a baseline taken while earlier sockets still close is wrong). */
export async function stableSocketCount(quietMs = 1000): Promise<number> {
  let count = openSocketCount();
  let since = Date.now();
  while (Date.now() - since < quietMs) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    const now = openSocketCount();
    if (now !== count) {
      count = now;
      since = Date.now();
    }
  }
  return count;
}

/** Opens one WebSocket to `url` and resolves with the HTTP status the upgrade was refused with. */
export function refusedUpgradeAt(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.on('unexpected-response', (req: http.ClientRequest, res: http.IncomingMessage) => {
      res.resume();
      res.on('end', () => {
        req.destroy();
        resolve(res.statusCode ?? 0);
      });
    });
    ws.on('open', () => reject(new Error(`${url} was upgraded; expected a refusal`)));
    ws.on('error', reject);
  });
}
