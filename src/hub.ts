// The composition root: the one place that builds every part of the hub from its config and wires them.
// Tests pass `overrides` (a Docker client, a logger) instead of mocking modules.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Docker from 'dockerode';
import { getRequestListener } from '@hono/node-server';
import type { HubConfig } from './config/load.js';
import { openDatabase, type OpenedDb } from './db/open.js';
import { loadCookieSecret } from './auth/cookie-secret.js';
import { createLogger, type Logger } from './log.js';
import { createWebApp } from './web/app.js';

export interface HubOverrides {
  docker?: Docker;
  logger?: Logger;
}

export interface Hub {
  readonly config: HubConfig;
  readonly logger: Logger;
  readonly db: OpenedDb['db'];
  /** Opens the listeners; resolves once they accept connections. */
  start(): Promise<void>;
  /** Closes listeners and the database. User containers keep running. */
  stop(): Promise<void>;
  /** The public listener's address (useful when hub.bind asks for port 0). */
  address(): AddressInfo;
}

export function createHub(config: HubConfig, overrides: HubOverrides = {}): Hub {
  const logger = overrides.logger ?? createLogger(config.hub.log_level);
  const opened = openDatabase(config.dataDir);
  let cookieSecret: Buffer;
  try {
    cookieSecret = loadCookieSecret(config.dataDir);
  } catch (err) {
    opened.close();
    throw err;
  }
  void cookieSecret;
  const docker = overrides.docker ?? new Docker();

  const app = createWebApp({
    config,
    logger,
    health: {
      database: () => void opened.db.$client.prepare('SELECT 1').get(),
      docker: () => docker.ping(),
    },
  });
  const serveHub = getRequestListener(app.fetch);
  const server = http.createServer((req, res) => void serveHub(req, res));
  server.keepAliveTimeout = 65_000;

  const [host, port] = splitBind(config.hub.bind);
  let stopped = false;

  return {
    config,
    logger,
    db: opened.db,
    async start() {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          resolve();
        });
      });
      const { address, port: bound } = server.address() as AddressInfo;
      logger.info({ address, port: bound, publicUrl: config.publicUrl }, 'hub listening');
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        setTimeout(() => server.closeAllConnections(), 2000).unref();
      });
      opened.close();
      logger.info('hub stopped; user containers left running');
      logger.flush();
    },
    address: () => server.address() as AddressInfo,
  };
}

function splitBind(bind: string): [string, number] {
  const i = bind.lastIndexOf(':');
  return [bind.slice(0, i).replace(/^\[|\]$/g, ''), Number(bind.slice(i + 1))];
}
