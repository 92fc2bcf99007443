// /hub/api/users/<name>/server (and the default-server alias …/servers/): start (201/202), stop (204/202), and the
// progress stream (text/event-stream, JupyterHub's events, keep-alive every 8 s). Berth runs only the default server.
import { Hono, type Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import { HttpError } from '../../errors.js';
import type { Servers } from '../../servers/servers.js';
import type { UserStore } from '../../users/store.js';
import type { AppEnv } from '../env.js';
import { requireScopes } from '../middleware/authorize.js';
import { readJsonObject } from './body.js';

const KEEPALIVE_MS = 8_000;

export interface ServerApiDeps {
  users: UserStore;
  servers: Pick<Servers, 'start' | 'stop' | 'progress'>;
}

export function serverRoutes(deps: ServerApiDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  /** Checks the scope on the user's default server and that the user exists; answers the user name. */
  const authorize = (c: Context<AppEnv>, scope: string): { name: string; servers: Pick<Servers, 'start' | 'stop' | 'progress'> } => {
    const name = c.req.param('name') as string;
    const serverName = c.req.param('server') ?? '';
    requireScopes(c, [scope], { user: name, server: `${name}/${serverName}` });
    if (deps.users.get(name) === null) throw new HttpError(404, `No such user: ${name}`);
    if (serverName !== '') {
      throw new HttpError(400, `Named servers are not enabled on this hub: use /users/${name}/server (the default server)`);
    }
    return { name, servers: deps.servers };
  };

  const start = async (c: Context<AppEnv>) => {
    const { name, servers } = authorize(c, 'servers');
    const options = await readJsonObject(c, {});
    const outcome = await servers.start(name, options);
    c.header('Content-Type', 'text/plain; charset=utf-8');
    return c.body(null, outcome === 'started' ? 201 : 202);
  };

  const stop = async (c: Context<AppEnv>) => {
    const { name, servers } = authorize(c, 'delete:servers');
    const outcome = await servers.stop(name);
    c.header('Content-Type', 'text/plain; charset=utf-8');
    return c.body(null, outcome === 'stopped' ? 204 : 202);
  };

  const progress = (c: Context<AppEnv>) => {
    const { name, servers } = authorize(c, 'read:servers');
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
    app.post(path, start);
    app.delete(path, stop);
  }
  app.get('/users/:name/server/progress', progress);
  app.get('/users/:name/servers/:server/progress', progress);
  return app;
}
