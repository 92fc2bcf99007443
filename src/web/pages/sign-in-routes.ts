// The browser sign-in flow: /hub/login (GitHub button, PAM form), /hub/oauth_login, /hub/oauth_callback,
// /hub/logout, /hub/home and /hub/. Decides who gets in (auth/allow.ts, then auth/admission.ts: who owns the name,
// the admin flag) and starts the session.
import type { Context } from 'hono';
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { getConnInfo } from '@hono/node-server/conninfo';
import type { HubConfig } from '../../config/load.js';
import { HttpError } from '../../errors.js';
import { createAdmission } from '../../auth/admission.js';
import { decideAccess } from '../../auth/allow.js';
import type { GithubSignIn } from '../../auth/github.js';
import type { GithubTokenVault } from '../../auth/github-token.js';
import type { LoginThrottle } from '../../auth/login-throttle.js';
import type { PamAuthenticator } from '../../auth/pam.js';
import { safeNext } from '../../auth/safe-next.js';
import type { Sessions } from '../../auth/sessions.js';
import type { Servers } from '../../servers/servers.js';
import type { UserStore } from '../../users/store.js';
import { parseUsername } from '../../users/username.js';
import type { AppEnv } from '../env.js';
import { clearXsrfCookie, FORM_LIMIT_BYTES, setXsrfCookie, xsrfCookie, xsrfToken } from '../middleware/csrf.js';
import { homePage } from './home-page.js';
import { loginPage } from './login-page.js';

export interface SignInDeps {
  config: HubConfig;
  secret: Buffer;
  sessions: Sessions;
  users: UserStore;
  github: GithubSignIn | null;
  pam: PamAuthenticator | null;
  githubTokens: GithubTokenVault;
  throttle: LoginThrottle;
  /** The server state machine, for the home page's "running / starting / stopped" (absent: shown as stopped). */
  servers?: Pick<Servers, 'get'> | null;
  /** Every PAM attempt takes at least this long, so timing does not tell a wrong password from an unknown user. */
  pamAnswerMs?: number;
}

const INVALID = 'Invalid username or password.';

export function signInRoutes(deps: SignInDeps): Hono<AppEnv> {
  const { config, sessions, users, github, pam } = deps;
  const base = config.hub.base_url;
  const hubPrefix = `${base}hub`;
  const home = `${hubPrefix}/home`;
  const pamAnswerMs = deps.pamAnswerMs ?? 1000;
  const app = new Hono<AppEnv>();
  const xsrf = xsrfCookie(deps);

  /** Starts the session and, as JupyterHub's set_login_cookie, hands out its `_xsrf` cookie right away. */
  const startSession = (c: Context<AppEnv>, userId: number, authenticator: 'github' | 'pam') => {
    setXsrfCookie(c, deps.secret, sessions.start(c, userId, authenticator), xsrf);
  };

  /** Where a browser goes after sign-in when no `next` was given (JupyterHub's default next URL). */
  const landing = (name: string): string => {
    if (!config.hub.redirect_to_server) return home;
    const server = deps.servers?.get(name);
    return server?.ready ? server.url : `${hubPrefix}/spawn`;
  };

  const { admit } = createAdmission({ config, users, sessions });

  const page = (next: string | null, extra: { error?: string; username?: string } = {}) =>
    loginPage({ hubPrefix, githubConfigured: github !== null, pamEnabled: pam !== null, next, ...extra });

  app.get('/login', (c) => {
    const next = safeNext(c.req.query('next'), base);
    const signedIn = sessions.fromCookieHeader(c.req.header('cookie'));
    if (signedIn !== null) return c.redirect(next ?? landing(signedIn.user.name), 302);
    return c.html(page(next));
  });

  const formLimit = bodyLimit({
    maxSize: FORM_LIMIT_BYTES,
    onError: () => {
      throw new HttpError(413, `The sign-in form is too large (${FORM_LIMIT_BYTES / 1024} KiB at most).`);
    },
  });
  // The CSRF check may already have read (and bounded) the form while looking for _xsrf.
  app.post('/login', (c, next) => (c.req.raw.body?.locked ? next() : formLimit(c, next)), async (c) => {
    if (pam === null) throw new HttpError(404, 'Password sign-in is not enabled on this hub (auth.pam.enabled is false): use "Sign in with GitHub".');
    const started = Date.now();
    const next = safeNext(c.req.query('next'), base);
    const form = await c.req.parseBody();
    const rawName = typeof form.username === 'string' ? form.username.slice(0, 256) : '';
    const password = typeof form.password === 'string' ? form.password.slice(0, 1024) : '';
    const name = parseUsername(rawName);
    const address = clientAddress(c);
    const shownName = rawName.slice(0, 64);
    const answer = async (status: 403 | 429, error: string, headers: Record<string, string> = {}) => {
      await padUntil(started + pamAnswerMs);
      return c.html(page(next, { error, username: shownName }), status, headers);
    };

    // Reserved before PAM is asked, so guesses made while others wait for their answer are counted too.
    const { slot, retryAfter: wait } = deps.throttle.reserve(name ?? rawName, address);
    if (slot === null) {
      c.var.log.warn({ username: shownName, address }, 'PAM sign-in throttled');
      return answer(429, `Too many failed sign-in attempts: try again in ${Math.ceil(wait / 60)} minute(s).`, { 'Retry-After': String(wait) });
    }
    const result = name === null || password === '' ? { ok: false as const, why: 'not a valid user name or empty password' } : await pam.authenticate(name, password);
    if (!result.ok && result.broken) {
      slot.release();
      c.var.log.error({ service: config.auth.pam.service, why: result.why }, 'PAM is not usable');
      await padUntil(started + pamAnswerMs);
      throw new HttpError(503, 'Password sign-in is not working on this hub right now (PAM could not be asked): an administrator must check the hub log.');
    }
    if (!result.ok) {
      c.var.log.info({ username: shownName, address, why: result.why }, 'PAM sign-in failed');
      return answer(403, INVALID);
    }
    slot.succeeded();
    const user = name!;
    const groups = await pam.groupsOf(user);
    const { admin_users: adminUsers, pam: pamConfig } = config.auth;
    const inAdminGroup = pamConfig.admin_groups.some((g) => groups.includes(g));
    const admin = adminUsers.includes(user) || inAdminGroup;
    const decision = await decideAccess(user, config.auth, {
      admin,
      addedByAdmin: users.get(user)?.addedByAdmin ?? false,
      memberOf: async () => pamConfig.allowed_groups.find((g) => groups.includes(g)) ?? null,
    }, 'pam');
    if (!decision.allowed) {
      c.var.log.info({ username: user, reason: decision.reason }, 'PAM sign-in refused by policy');
      return answer(403, decision.reason);
    }
    const admitted = admit(c.var.log, user, 'pam', { listed: adminUsers.includes(user), inAdminGroup });
    if ('refused' in admitted) return answer(403, admitted.refused);
    const { row } = admitted;
    c.var.log.info({ username: user, rule: decision.rule, admin: row.admin }, 'signed in with PAM');
    await padUntil(started + pamAnswerMs);
    startSession(c, row.id, 'pam');
    return c.redirect(next ?? landing(user), 303);
  });

  app.get('/oauth_login', (c) => {
    if (github === null) {
      throw new HttpError(503, 'GitHub sign-in is not configured: set auth.github.client_id and auth.github.client_secret in hub.yaml and restart the hub.');
    }
    return github.begin(c, safeNext(c.req.query('next'), base));
  });

  app.get('/oauth_callback', async (c) => {
    if (github === null) {
      throw new HttpError(503, 'GitHub sign-in is not configured: set auth.github.client_id and auth.github.client_secret in hub.yaml and restart the hub.');
    }
    const identity = await github.finish(c);
    const name = parseUsername(identity.login);
    if (name === null) throw new HttpError(403, `The GitHub login ${JSON.stringify(identity.login.slice(0, 100))} is not a valid user name on this hub.`);
    const admin = config.auth.admin_users.includes(name);
    const decision = await decideAccess(name, config.auth, {
      admin,
      addedByAdmin: users.get(name)?.addedByAdmin ?? false,
      memberOf: () => github.memberOf(identity.login, identity.token),
    }, 'github');
    if (!decision.allowed) {
      c.var.log.info({ username: name, reason: decision.reason }, 'GitHub sign-in refused by policy');
      throw new HttpError(403, decision.reason);
    }
    const githubTokenEncrypted = deps.githubTokens.enabled ? deps.githubTokens.seal(identity.token) : null;
    const admitted = admit(c.var.log, name, 'github', { listed: admin, inAdminGroup: false }, { githubTokenEncrypted });
    if ('refused' in admitted) throw new HttpError(403, admitted.refused);
    const { row } = admitted;
    c.var.log.info({ username: name, rule: decision.rule, admin: row.admin }, 'signed in with GitHub');
    startSession(c, row.id, 'github');
    return c.redirect(identity.next ?? landing(name), 302);
  });

  const logout = (c: Context<AppEnv>) => {
    sessions.end(c);
    clearXsrfCookie(c, xsrf);
    return c.redirect(`${hubPrefix}/login`, 302);
  };
  app.get('/logout', logout);
  app.post('/logout', logout);

  app.get('/home', (c) => {
    const signedIn = sessions.fromCookieHeader(c.req.header('cookie'));
    if (signedIn === null) return c.redirect(`${hubPrefix}/login?next=${encodeURIComponent(home)}`, 302);
    const { name, admin } = signedIn.user;
    return c.html(homePage({ baseUrl: base, name, admin, xsrf: xsrfToken(deps.secret, signedIn.sessionId), server: deps.servers?.get(name) ?? null }));
  });

  const root = (c: Context<AppEnv>) => {
    const signedIn = sessions.fromCookieHeader(c.req.header('cookie'));
    return c.redirect(signedIn === null ? `${hubPrefix}/login` : landing(signedIn.user.name), 302);
  };
  app.get('/', root);
  // Under basePath '<base_url>hub', '/' is only '/hub'; an empty last segment is how '/hub/' can be routed.
  app.get('/:root{^$}', root);
  return app;
}

/**
 * The app is reached only through the hub's own proxy, which appends the peer's address to X-Forwarded-For: the
 * last entry is the one to trust (earlier ones are whatever the client or a front proxy claimed).
 */
function clientAddress(c: Context<AppEnv>): string {
  const forwarded = c.req.header('x-forwarded-for');
  if (forwarded) return forwarded.slice(forwarded.lastIndexOf(',') + 1).trim();
  try {
    return getConnInfo(c).remote.address ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

function padUntil(deadline: number): Promise<void> {
  const wait = deadline - Date.now();
  return wait > 0 ? new Promise((resolve) => setTimeout(resolve, wait)) : Promise.resolve();
}
