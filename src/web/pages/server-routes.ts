// Hub pages that start servers: /hub/user/<name>/… (424 "not running", or back to the server), /hub/spawn[/<name>],
// /hub/spawn-pending/<name>, /hub/user-redirect/… (JupyterHub's UserUrl, Spawn, SpawnPending, UserRedirect handlers).
import { Hono, type Context } from 'hono';
import type { Caller } from '../../auth/caller.js';
import { safeNext } from '../../auth/safe-next.js';
import type { HubConfig } from '../../config/load.js';
import type { User } from '../../db/schema.js';
import { HttpError } from '../../errors.js';
import { createMembership } from '../../groups/membership.js';
import type { GroupStore } from '../../groups/store.js';
import { catalogChoices, resolveImage } from '../../servers/image.js';
import { escapePath, serverUrl } from '../../servers/server-env.js';
import type { Servers } from '../../servers/servers.js';
import type { UserStore } from '../../users/store.js';
import type { AppEnv } from '../env.js';
import { checkScope } from '../middleware/require-scope.js';
import { xsrfToken } from '../middleware/csrf.js';
import { findUser, signInRedirect } from '../middleware/require-user.js';
import { notRunningPage, spawnPage, spawnPendingPage } from './server-pages.js';

/** JupyterHub's user_redirect_limit: more bounces between /user/ and /hub/user/ mean something is broken. */
const REDIRECT_LIMIT = 4;

export interface ServerPageDeps {
  config: HubConfig;
  users: UserStore;
  servers: Pick<Servers, 'get' | 'start'>;
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
  const spawnUrl = (name: string, next: string | null) =>
    `${hubPrefix}/spawn/${escapePath(name)}${next ? `?next=${encodeURIComponent(next)}` : ''}`;
  const pendingUrl = (name: string, next: string | null) =>
    `${hubPrefix}/spawn-pending/${escapePath(name)}${next ? `?next=${encodeURIComponent(next)}` : ''}`;

  // /hub/user/<name>/<path>: the proxy sends a browser here when <name>'s server has no route.
  app.all('/user/:name/*', (c) => userUrl(c));
  app.all('/user/:name', (c) => userUrl(c));
  function userUrl(c: Context<AppEnv>): Response {
    const caller = c.get('caller');
    if (!caller) return loginRedirect(c);
    const name = c.req.param('name') as string;
    checkScope(c, ['access:servers'], { user: name, server: `${name}/` });
    mustExist(name);
    const url = new URL(c.req.url);
    const rest = url.pathname.slice(`${hubPrefix}/user/${escapePath(name)}`.length) || '/';
    const view = deps.servers.get(name)!;
    if (view.ready) {
      const redirects = Number(url.searchParams.get('redirects') ?? 0) || 0;
      if (redirects >= REDIRECT_LIMIT) {
        throw new HttpError(500, `Redirect loop detected: ${name}'s server is running but its requests keep coming back to the hub. Try again in a moment, or ask an administrator to check the hub log.`);
      }
      url.searchParams.set('redirects', String(redirects + 1));
      // With hub.subdomain_host straight to the user's own host: the hub's host never serves /user/.
      return c.redirect(`${serverUrl(config, name).slice(0, -1)}${rest}${url.search}`, 302);
    }
    const target = `${base}user/${escapePath(name)}${rest}${url.search}`;
    const message = `${name}'s server is not running`;
    // A script's request (Sec-Fetch-Dest other than document) gets JSON too: the HTML page carries _xsrf.
    const dest = c.req.header('sec-fetch-dest');
    const wantsJson = (c.req.header('accept') ?? '').includes('application/json') || /\/api(\/|$)/.test(rest) || (dest !== undefined && dest !== 'document');
    if (c.req.method !== 'GET' || wantsJson) return c.json({ status: 424, message }, 424);
    if (view.pending === 'spawn' || (view.status === 'stopped' && view.lastError)) return c.redirect(pendingUrl(name, target), 303);
    const own = caller.kind === 'user' && caller.name === name;
    return c.html(notRunningPage({ name, own, spawnUrl: spawnUrl(name, target), xsrf: xsrf(caller) }), 424);
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

  /** The spawn pages act on <name>, or on the caller when no name is given. */
  const spawnTarget = (c: Context<AppEnv>): { caller: Caller; user: User; next: string | null } | Response => {
    const caller = c.get('caller');
    if (!caller) return loginRedirect(c);
    const name = c.req.param('name') ?? (caller.kind === 'user' ? caller.name : null);
    if (name === null) throw new HttpError(400, 'Name the user whose server to start: /hub/spawn/<name>');
    checkScope(c, ['servers'], { user: name, server: `${name}/` });
    return { caller, user: mustExist(name), next: safeNext(c.req.query('next'), base) };
  };

  const showSpawn = (c: Context<AppEnv>) => {
    const target = spawnTarget(c);
    if (target instanceof Response) return target;
    const { caller, user, next } = target;
    const view = deps.servers.get(user.name)!;
    if (view.ready) return c.redirect(next ?? view.url, 302);
    if (view.pending === 'spawn') return c.redirect(pendingUrl(user.name, next), 302);
    const groups = memberOf(user);
    const current = resolveImage(config, user, undefined, groups);
    const fixed = current.source === 'file' || current.source === 'admin' ? current.label : null;
    const choices = catalogChoices(config, groups, current.label);
    return c.html(spawnPage({ name: user.name, action: spawnUrl(user.name, next), xsrf: xsrf(caller), choices, fixed }));
  };

  const doSpawn = async (c: Context<AppEnv>) => {
    const target = spawnTarget(c);
    if (target instanceof Response) return target;
    const { user, next } = target;
    const view = deps.servers.get(user.name)!;
    if (view.ready) return c.redirect(next ?? view.url, 303);
    const form = await c.req.parseBody();
    const image = typeof form.image === 'string' && form.image !== '' ? form.image : undefined;
    // Do not hold the browser for the slow-spawn window: the pending page shows progress.
    const outcome = view.pending === 'spawn' ? 'pending' : await deps.servers.start(user.name, image === undefined ? {} : { image }, { waitMs: 0 });
    return c.redirect(outcome === 'started' ? next ?? view.url : pendingUrl(user.name, next), 303);
  };

  for (const path of ['/spawn', '/spawn/:name']) {
    app.get(path, showSpawn);
    app.post(path, doSpawn);
  }

  app.get('/spawn-pending/:name', (c) => {
    const caller = c.get('caller');
    if (!caller) return loginRedirect(c);
    const name = c.req.param('name');
    checkScope(c, ['read:servers'], { user: name, server: `${name}/` });
    mustExist(name);
    const next = safeNext(c.req.query('next'), base);
    const view = deps.servers.get(name)!;
    if (view.ready) return c.redirect(next ?? view.url, 302);
    const failed = view.pending === null && view.lastError ? `Spawn failed: ${view.lastError}` : null;
    if (view.pending !== 'spawn' && failed === null) return c.redirect(spawnUrl(name, next), 302);
    return c.html(spawnPendingPage({
      name, progressUrl: view.progressUrl, next: next ?? view.url, spawnUrl: spawnUrl(name, next), xsrf: xsrf(caller), failed,
    }));
  });

  return app;
}
