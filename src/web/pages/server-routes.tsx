// Hub pages that start servers: /hub/user/<name>/… (424 "not running", or back to the server), /hub/spawn[/<name>[/<server>]],
// /hub/spawn-pending/<name>[/<server>], /hub/user-redirect/… (JupyterHub's UserUrl, Spawn, SpawnPending, UserRedirect handlers).
import { Hono, type Context } from 'hono';
import type { Caller } from '../../auth/caller.js';
import { safeNext } from '../../auth/safe-next.js';
import type { HubConfig } from '../../config/load.js';
import type { User } from '../../db/schema.js';
import { HttpError } from '../../errors.js';
import { createMembership } from '../../groups/membership.js';
import type { GroupStore } from '../../groups/store.js';
import { admitServer } from '../../servers/server-names.js';
import { ActiveServerLimitError } from '../../servers/active-server-limit.js';
import { SpawnThrottleError } from '../../servers/concurrent-spawn-limit.js';
import { escapePath, serverUrl } from '../../servers/server-env.js';
import type { Servers } from '../../servers/servers.js';
import type { UserStore } from '../../users/store.js';
import type { AppEnv } from '../env.js';
import { checkScope } from '../middleware/require-scope.js';
import { xsrfToken } from '../middleware/csrf.js';
import { findUser, signInRedirect } from '../middleware/require-user.js';
import { renderPage } from './layout.js';
import { frameOf } from './page-frame.js';
import { pendingUrl, spawnUrl } from './page-urls.js';
import { NotRunningPage, OptionsPage, SpawnPendingPage } from './server-pages.js';
import { spawnChoices } from './spawn-choices.js';

/** JupyterHub's user_redirect_limit: more bounces between /user/ and /hub/user/ mean something is broken. */
const REDIRECT_LIMIT = 4;

export interface ServerPageDeps {
  config: HubConfig;
  users: UserStore;
  servers: Pick<Servers, 'get' | 'named' | 'start'>;
  /** For catalog entries limited to groups: the form lists only the entries the user may pick. */
  groups: Pick<GroupStore, 'groupsOf'>;
  /** The cookie secret, for the _xsrf field of the forms. */
  secret: Buffer;
}

export function serverPageRoutes(deps: ServerPageDeps): Hono<AppEnv> {
  const { config } = deps;
  const base = config.hub.base_url;
  const hubPrefix = `${base}hub`;
  const app = new Hono<AppEnv>();
  const memberOf = createMembership(deps.groups);

  const xsrf = (caller: Caller) => (caller.kind === 'user' && caller.sessionId ? xsrfToken(deps.secret, caller.sessionId) : null);
  const loginRedirect = (c: Context<AppEnv>) => signInRedirect(c, base);
  const mustExist = (name: string): User => findUser(deps.users, name);

  // /hub/user/<name>/<path>: the proxy sends a browser here when <name>'s server has no route.
  app.all('/user/:name/*', (c) => userUrl(c));
  app.all('/user/:name', (c) => userUrl(c));
  function userUrl(c: Context<AppEnv>): Response {
    const caller = c.get('caller');
    if (!caller) return loginRedirect(c);
    const name = c.req.param('name') as string;
    const url = new URL(c.req.url);
    const rest = url.pathname.slice(`${hubPrefix}/user/${escapePath(name)}`.length) || '/';
    // As JupyterHub's UserUrlHandler: a first path segment naming one of the user's named servers is that server.
    const segment = rest.split('/')[1] ?? '';
    const first = safeDecode(segment);
    const named = config.spawner.allow_named_servers && first ? deps.servers.get(name, first) : null;
    const server = named ? first : '';
    const tail = named ? rest.slice(1 + segment.length) || '/' : rest;
    checkScope(c, ['access:servers'], { user: name, server: `${name}/${server}` });
    mustExist(name);
    const view = named ?? deps.servers.get(name)!;
    if (view.ready) {
      const redirects = Number(url.searchParams.get('redirects') ?? 0) || 0;
      if (redirects >= REDIRECT_LIMIT) {
        throw new HttpError(500, `Redirect loop detected: ${name}'s server is running but its requests keep coming back to the hub. Try again in a moment, or ask an administrator to check the hub log.`);
      }
      url.searchParams.set('redirects', String(redirects + 1));
      // With hub.subdomain_host straight to the user's own host: the hub's host never serves /user/.
      return c.redirect(`${serverUrl(config, name, server).slice(0, -1)}${tail}${url.search}`, 302);
    }
    const target = `${base}user/${escapePath(name)}${rest}${url.search}`;
    const message = server === '' ? `${name}'s server is not running` : `${name}'s server ${server} is not running`;
    // A script's request (Sec-Fetch-Dest other than document) gets JSON too: the HTML page carries _xsrf.
    const dest = c.req.header('sec-fetch-dest');
    const wantsJson = (c.req.header('accept') ?? '').includes('application/json') || /\/api(\/|$)/.test(rest) || (dest !== undefined && dest !== 'document');
    if (c.req.method !== 'GET' || wantsJson) return c.json({ status: 424, message }, 424);
    if (view.pending === 'spawn' || (view.status === 'stopped' && view.lastError)) return c.redirect(pendingUrl(hubPrefix, name, server, target), 303);
    const own = caller.kind === 'user' && caller.name === name;
    return c.html(renderPage(
      <NotRunningPage frame={frameOf(c)} name={name} server={server} own={own} spawnUrl={spawnUrl(hubPrefix, name, server, target)} xsrf={xsrf(caller)} />,
    ), 424);
  }

  // /hub/user-redirect/<path>: a link that works for whoever follows it (nbgitpuller and course pages use it).
  app.get('/user-redirect/*', (c) => {
    const caller = c.get('caller');
    if (!caller) return loginRedirect(c);
    if (caller.kind !== 'user') throw new HttpError(400, '/hub/user-redirect/ is for signed-in users, not services');
    const url = new URL(c.req.url);
    const rest = url.pathname.slice(`${hubPrefix}/user-redirect`.length);
    return c.redirect(`${serverUrl(config, caller.name).slice(0, -1)}${rest}${url.search}`, 302);
  });

  /** The spawn pages act on <name> (the caller when no name is given) and its server <server> ('' = the default one). */
  const spawnTarget = (c: Context<AppEnv>): { caller: Caller; user: User; server: string; next: string | null } | Response => {
    const caller = c.get('caller');
    if (!caller) return loginRedirect(c);
    const name = c.req.param('name') ?? (caller.kind === 'user' ? caller.name : null);
    if (name === null) throw new HttpError(400, 'Name the user whose server to start: /hub/spawn/<name>');
    const server = c.req.param('server') ?? '';
    checkScope(c, ['servers'], { user: name, server: `${name}/${server}` });
    return { caller, user: mustExist(name), server, next: safeNext(c.req.query('next'), base) };
  };

  const showSpawn = (c: Context<AppEnv>) => {
    const target = spawnTarget(c);
    if (target instanceof Response) return target;
    const { caller, user, server, next } = target;
    // The home page's "Add a named server" form: /hub/spawn/<name>?server=<server>.
    const asked = c.req.query('server');
    if (server === '' && asked !== undefined) return c.redirect(spawnUrl(hubPrefix, user.name, asked.trim(), next), 302);
    const view = deps.servers.get(user.name, server);
    // A server that does not exist yet is created by its first start: check its name now, not after the form.
    admitServer(config, user.name, server, { exists: view !== null, namedCount: deps.servers.named(user.name).length });
    if (view?.ready) return c.redirect(next ?? view.url, 302);
    if (view?.pending === 'spawn') return c.redirect(pendingUrl(hubPrefix, user.name, server, next), 302);
    const { choices, pinned } = spawnChoices(config, user, memberOf(user));
    return c.html(renderPage(
      <OptionsPage frame={frameOf(c)} name={user.name} server={server} action={spawnUrl(hubPrefix, user.name, server, next)} xsrf={xsrf(caller)} choices={choices} pinned={pinned} />,
    ));
  };

  const doSpawn = async (c: Context<AppEnv>) => {
    const target = spawnTarget(c);
    if (target instanceof Response) return target;
    const { user, server, next } = target;
    const view = deps.servers.get(user.name, server);
    if (view?.ready) return c.redirect(next ?? view.url, 303);
    const form = await c.req.parseBody();
    const image = typeof form.image === 'string' && form.image !== '' ? form.image : undefined;
    // Do not hold the browser for the slow-spawn window: the pending page shows progress.
    const outcome = view?.pending === 'spawn' ? 'pending' : await deps.servers.start(user.name, image === undefined ? {} : { image }, { waitMs: 0, server }).catch((err: unknown) => {
      // The API keeps JupyterHub's short message; a person is told what they can do.
      if (err instanceof SpawnThrottleError) throw new HttpError(429, err.advice, { headers: err.headers });
      throw err instanceof ActiveServerLimitError ? new HttpError(429, err.advice) : err;
    });
    const url = deps.servers.get(user.name, server)?.url ?? serverUrl(config, user.name, server);
    return c.redirect(outcome === 'started' ? next ?? url : pendingUrl(hubPrefix, user.name, server, next), 303);
  };

  for (const path of ['/spawn', '/spawn/:name', '/spawn/:name/:server']) {
    app.get(path, showSpawn);
    app.post(path, doSpawn);
  }

  const showPending = (c: Context<AppEnv>) => {
    const caller = c.get('caller');
    if (!caller) return loginRedirect(c);
    const name = c.req.param('name') as string;
    const server = c.req.param('server') ?? '';
    checkScope(c, ['read:servers'], { user: name, server: `${name}/${server}` });
    mustExist(name);
    const next = safeNext(c.req.query('next'), base);
    const view = deps.servers.get(name, server);
    if (view === null) throw new HttpError(404, `${name} has no server named ${JSON.stringify(server)}: start it from the home page.`);
    if (view.ready) return c.redirect(next ?? view.url, 302);
    const failed = view.pending === null && view.lastError ? `Spawn failed: ${view.lastError}` : null;
    if (view.pending !== 'spawn' && failed === null) return c.redirect(spawnUrl(hubPrefix, name, server, next), 302);
    const stopUrl = `${config.urls.api}/users/${escapePath(name)}/${server === '' ? 'server' : `servers/${escapePath(server)}`}`;
    return c.html(renderPage(
      <SpawnPendingPage frame={frameOf(c)} name={name} server={server} progressUrl={view.progressUrl} next={next ?? view.url}
        spawnUrl={spawnUrl(hubPrefix, name, server, next)} stopUrl={stopUrl} xsrf={xsrf(caller)} failed={failed} />,
    ));
  };
  app.get('/spawn-pending/:name', showPending);
  app.get('/spawn-pending/:name/:server', showPending);

  return app;
}

/** A path segment as a server name; one that is not valid percent-encoding names no server. */
function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return '';
  }
}
