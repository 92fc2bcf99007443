// /hub/api/users/<name>/server (and the default-server alias …/servers/): start (201/202), stop (204/202), and the
// progress stream (text/event-stream, JupyterHub's events, keep-alive every 8 s). Berth runs only the default server.
import { Hono, type Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import { HttpError } from '../../errors.js';
import type { Servers } from '../../servers/servers.js';
import type { UserStore } from '../../users/store.js';
import type { AppEnv } from '../env.js';
import { onServer, requireScope } from '../middleware/require-scope.js';
import { requireUser } from '../middleware/require-user.js';
import { parseJsonBody } from './body.js';
import { startOptionsBody } from './bodies.js';

const KEEPALIVE_MS = 8_000;

export interface ServerApiDeps {
  users: UserStore;
  servers: Pick<Servers, 'start' | 'stop' | 'progress'>;
}

export function serverRoutes(deps: ServerApiDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  const loadUser = requireUser(deps.users);

  /** Behind the route's scope and user guards: refuses named servers; answers the user name. */
  const authorize = (c: Context<AppEnv>): { name: string; servers: Pick<Servers, 'start' | 'stop' | 'progress'> } => {
    const name = c.req.param('name') as string;
    const serverName = c.req.param('server') ?? '';
    if (serverName !== '') {
      throw new HttpError(400, `Named servers are not enabled on this hub: use /users/${name}/server (the default server)`);
    }
    return { name, servers: deps.servers };
  };

  const start = async (c: Context<AppEnv>) => {
    const { name, servers } = authorize(c);
    const options = await parseJsonBody(c, startOptionsBody, { empty: {} });
    const outcome = await servers.start(name, options);
    c.header('Content-Type', 'text/plain; charset=utf-8');
    return c.body(null, outcome === 'started' ? 201 : 202);
  };

  const stop = async (c: Context<AppEnv>) => {
    const { name, servers } = authorize(c);
    const outcome = await servers.stop(name);
    c.header('Content-Type', 'text/plain; charset=utf-8');
    return c.body(null, outcome === 'stopped' ? 204 : 202);
  };

  const progress = (c: Context<AppEnv>) => {
    const { name, servers } = authorize(c);
    const abort = new AbortController();
    // Throws 400 now (before any byte is sent) when there is nothing to report.
    const events = servers.progress(name, abort.signal);
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

  // `/servers/` with an empty name is JupyterHub's other spelling of the default server; other names get a 400.
  for (const path of ['/users/:name/server', '/users/:name/servers/', '/users/:name/servers/:server']) {
    app.post(path, requireScope('servers', onServer), loadUser, start);
    app.delete(path, requireScope('delete:servers', onServer), loadUser, stop);
  }
  app.get('/users/:name/server/progress', requireScope('read:servers', onServer), loadUser, progress);
  app.get('/users/:name/servers/:server/progress', requireScope('read:servers', onServer), loadUser, progress);
  return app;
}
