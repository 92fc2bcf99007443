// /hub/api/users/<name>/server and …/servers/<server> (named servers, spawner.allow_named_servers): start (201/202),
// stop (204/202; `{"remove": true}` also deletes a named server's record, never its volumes), and the progress stream
// (text/event-stream, JupyterHub's events, keep-alive every 8 s). The rules for names and limits are server-names.ts's.
import { Hono, type Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import type { Servers } from '../../servers/servers.js';
import type { UserStore } from '../../users/store.js';
import type { AppEnv } from '../env.js';
import { onServer, requireScope } from '../middleware/require-scope.js';
import { requireUser } from '../middleware/require-user.js';
import { parseJsonBody } from './body.js';
import { startOptionsBody, stopServerBody } from './bodies.js';
import { requireNamedServers } from '../../servers/server-names.js';
import type { HubConfig } from '../../config/load.js';

const KEEPALIVE_MS = 8_000;

export interface ServerApiDeps {
  config: Pick<HubConfig, 'spawner'>;
  users: UserStore;
  servers: Pick<Servers, 'start' | 'stop' | 'progress'>;
}

export function serverRoutes(deps: ServerApiDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  const loadUser = requireUser(deps.users);

  /** Behind the route's scope and user guards: the user and server names ('' = the default server). */
  const target = (c: Context<AppEnv>): { name: string; server: string } => {
    const server = c.req.param('server') ?? '';
    if (server !== '') requireNamedServers(deps.config);
    return { name: c.req.param('name') as string, server };
  };

  const start = async (c: Context<AppEnv>) => {
    const { name, server } = target(c);
    const options = await parseJsonBody(c, startOptionsBody, { empty: {} });
    const outcome = await deps.servers.start(name, options, { server });
    c.header('Content-Type', 'text/plain; charset=utf-8');
    return c.body(null, outcome === 'started' ? 201 : 202);
  };

  const stop = async (c: Context<AppEnv>) => {
    const { name, server } = target(c);
    const { remove } = await parseJsonBody(c, stopServerBody, { empty: {} });
    const outcome = await deps.servers.stop(name, { server, remove });
    c.header('Content-Type', 'text/plain; charset=utf-8');
    return c.body(null, outcome === 'stopped' ? 204 : 202);
  };

  const progress = (c: Context<AppEnv>) => {
    const { name, server } = target(c);
    const abort = new AbortController();
    // Throws 400 now (before any byte is sent) when there is nothing to report.
    const events = deps.servers.progress(name, abort.signal, server);
    c.header('Cache-Control', 'no-cache');
    c.header('X-Accel-Buffering', 'no');
    return streamSSE(c, async (stream) => {
      stream.onAbort(() => abort.abort());
      const keepAlive = setInterval(() => void stream.write('\n\n').catch(() => abort.abort()), KEEPALIVE_MS);
      try {
        for await (const event of events) {
          if (abort.signal.aborted) break;
          await stream.writeSSE({ data: JSON.stringify(event) });
        }
      } finally {
        clearInterval(keepAlive);
        abort.abort();
      }
    });
  };

  // `/servers/` with an empty name is JupyterHub's other spelling of the default server.
  for (const path of ['/users/:name/server', '/users/:name/servers/', '/users/:name/servers/:server']) {
    app.post(path, requireScope('servers', onServer), loadUser, start);
    app.delete(path, requireScope('delete:servers', onServer), loadUser, stop);
  }
  app.get('/users/:name/server/progress', requireScope('read:servers', onServer), loadUser, progress);
  app.get('/users/:name/servers/:server/progress', requireScope('read:servers', onServer), loadUser, progress);
  return app;
}
