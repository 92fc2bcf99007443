// The browser sign-in flow: /hub/login (the page, and the PAM form's POST), /hub/oauth_login and /hub/oauth_callback
// (GitHub, JupyterHub's paths), /hub/oidc/login and /hub/oidc/callback (OpenID Connect), /hub/logout and /hub/
// (/hub/home is home-routes.tsx). Each method's authenticate() says who the person is, completeSignIn() whether and as whom they get in
// (auth/authenticator.ts), and this layer alone sets cookies and starts the session.
import type { Context } from 'hono';
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { getConnInfo } from '@hono/node-server/conninfo';
import type { HubConfig } from '../../config/load.js';
import { adminNotice } from '../../config/policy.js';
import { HttpError } from '../../errors.js';
import { createSignInCompleter, type Identity, type OAuthAuthenticator, type SignInMethod } from '../../auth/authenticator.js';
import type { GithubAuthenticator } from '../../auth/github.js';
import type { LoginThrottle } from '../../auth/login-throttle.js';
import { createOAuthStates, STATE_COOKIE, STATE_TTL_S } from '../../auth/oauth-state.js';
import type { OidcAuthenticator } from '../../auth/oidc.js';
import type { PamAuthenticator } from '../../auth/pam.js';
import { safeNext } from '../../auth/safe-next.js';
import type { Sessions } from '../../auth/sessions.js';
import type { Servers } from '../../servers/servers.js';
import type { UserStore } from '../../users/store.js';
import { parseUsername } from '../../users/username.js';
import type { AppEnv } from '../env.js';
import { endSession, startSession } from '../session-cookies.js';
import { clearXsrfCookie, FORM_LIMIT_BYTES, setXsrfCookie, xsrfCookie } from '../middleware/csrf.js';
import { renderPage } from './layout.js';
import { LoginPage } from './login-page.js';
import { frameOf } from './page-frame.js';

export interface SignInDeps {
  config: HubConfig;
  secret: Buffer;
  sessions: Sessions;
  users: UserStore;
  /** The sign-in methods; null when not configured. Read at each request: a reload of hub.yaml may change them. */
  github: GithubAuthenticator | null;
  oidc: OidcAuthenticator | null;
  pam: PamAuthenticator | null;
  throttle: LoginThrottle;
  /** The server state machine, for the home page's "running / starting / stopped" (absent: shown as stopped). */
  servers?: Pick<Servers, 'get'> | null;
  /** Every PAM attempt takes at least this long, so timing does not tell a wrong password from an unknown user. */
  pamAnswerMs?: number;
}

const INVALID = 'Invalid username or password.';

/** Where each redirect method's round trip starts and returns, under <base_url>hub, and what to set when it is off. */
const OAUTH_ROUTES = {
  github: {
    id: 'github-login', login: '/oauth_login', callback: '/oauth_callback',
    off: 'GitHub sign-in is not configured: set auth.github.client_id and auth.github.client_secret in hub.yaml (the running hub applies the edit).',
  },
  oidc: {
    id: 'oidc-login', login: '/oidc/login', callback: '/oidc/callback',
    off: 'OpenID Connect sign-in is not configured: set auth.oidc.issuer and auth.oidc.client_id in hub.yaml (the running hub applies the edit).',
  },
} as const;

export function signInRoutes(deps: SignInDeps): Hono<AppEnv> {
  const { config, sessions } = deps;
  const base = config.hub.base_url;
  const hubPrefix = `${base}hub`;
  const home = `${hubPrefix}/home`;
  const pamAnswerMs = deps.pamAnswerMs ?? 1000;
  const app = new Hono<AppEnv>();
  const xsrf = xsrfCookie(deps);
  const { completeSignIn } = createSignInCompleter(deps);
  const offered = () => (['github', 'oidc'] as const).flatMap((m) => {
    const method = deps[m];
    return method === null ? [] : [{ id: OAUTH_ROUTES[m].id, displayName: method.displayName, loginPath: `${hubPrefix}${OAUTH_ROUTES[m].login}` }];
  });

  /** Starts the session and, as JupyterHub's set_login_cookie, hands out its `_xsrf` cookie right away. */
  const signInSession = (c: Context<AppEnv>, userId: number, method: SignInMethod) => {
    setXsrfCookie(c, deps.secret, startSession(c, sessions, userId, method), xsrf);
  };

  /** Where a browser goes after sign-in when no `next` was given (JupyterHub's default next URL). */
  const landing = (name: string): string => {
    if (!config.hub.redirect_to_server) return home;
    const server = deps.servers?.get(name);
    return server?.ready ? server.url : `${hubPrefix}/spawn`;
  };

  const page = (c: Context<AppEnv>, next: string | null, extra: { error?: string; username?: string } = {}) =>
    renderPage(<LoginPage frame={frameOf(c)} oauth={offered()} pamEnabled={deps.pam !== null} next={next} adminNotice={adminNotice(config)} {...extra} />);

  app.get('/login', (c) => {
    const next = safeNext(c.req.query('next'), base);
    const signedIn = sessions.fromCookieHeader(c.req.header('cookie'));
    if (signedIn !== null) return c.redirect(next ?? landing(signedIn.user.name), 302);
    return c.html(page(c, next));
  });

  const formLimit = bodyLimit({
    maxSize: FORM_LIMIT_BYTES,
    onError: () => {
      throw new HttpError(413, `The sign-in form is too large (${FORM_LIMIT_BYTES / 1024} KiB at most).`);
    },
  });
  // The CSRF check may already have read (and bounded) the form while looking for _xsrf.
  app.post('/login', (c, next) => (c.req.raw.body?.locked ? next() : formLimit(c, next)), async (c) => {
    const { pam } = deps;
    if (pam === null) throw new HttpError(404, 'Password sign-in is not enabled on this hub (auth.pam.enabled is false): use another way on the login page.');
    const started = Date.now();
    const next = safeNext(c.req.query('next'), base);
    const form = await c.req.parseBody();
    const rawName = typeof form.username === 'string' ? form.username.slice(0, 256) : '';
    const password = typeof form.password === 'string' ? form.password.slice(0, 1024) : '';
    const name = parseUsername(rawName);
    const address = clientAddress(c);
    const log = c.var.log.child({ address });
    const shownName = rawName.slice(0, 64);
    const answer = async (status: 403 | 429, error: string, headers: Record<string, string> = {}) => {
      await padUntil(started + pamAnswerMs);
      return c.html(page(c, next, { error, username: shownName }), status, headers);
    };

    // Reserved before PAM is asked, so guesses made while others wait for their answer are counted too.
    const { slot, retryAfter: wait } = deps.throttle.reserve(name ?? rawName, address);
    if (slot === null) {
      log.warn({ username: shownName }, 'PAM sign-in throttled');
      return answer(429, `Too many failed sign-in attempts: try again in ${Math.ceil(wait / 60)} minute(s).`, { 'Retry-After': String(wait) });
    }
    let identity: Identity | null = null;
    if (name === null) {
      log.info({ username: shownName, why: 'not a valid user name' }, 'PAM sign-in failed');
    } else {
      try {
        identity = await pam.authenticate({ name, password }, log);
      } catch (err) {
        // PAM could not be asked at all: not this guess's fault, so it is not counted.
        slot.release();
        await padUntil(started + pamAnswerMs);
        throw err;
      }
    }
    if (identity === null) return answer(403, INVALID);
    slot.succeeded();
    const outcome = await completeSignIn(identity, c.var.log);
    if ('refused' in outcome) return answer(403, outcome.refused);
    await padUntil(started + pamAnswerMs);
    signInSession(c, outcome.user.id, 'pam');
    return c.redirect(next ?? landing(identity.name), 303);
  });

  for (const method of ['github', 'oidc'] as const) {
    const routes = OAUTH_ROUTES[method];
    /** The method as configured now (hub.yaml may be reloaded between a round's start and its callback). */
    const configured = (): OAuthAuthenticator => {
      const auth: OAuthAuthenticator | null = deps[method];
      if (auth === null) throw new HttpError(503, routes.off);
      return auth;
    };
    const states = createOAuthStates(deps.secret, method);
    const stateCookie = { ...sessions.cookieOptions };

    app.get(routes.login, async (c) => {
      const auth = configured();
      const { round, cookie } = states.begin(safeNext(c.req.query('next'), base));
      const url = await auth.authorizeUrl(round);
      setCookie(c, STATE_COOKIE, cookie, { ...stateCookie, maxAge: STATE_TTL_S });
      return c.redirect(url.toString(), 302);
    });

    app.get(routes.callback, async (c) => {
      const auth = configured();
      const error = c.req.query('error');
      if (error) {
        const why = c.req.query('error_description') ?? error;
        throw new HttpError(403, `${auth.displayName} did not sign you in: ${why.slice(0, 300)}. Start again from the login page.`);
      }
      const code = c.req.query('code');
      const saved = getCookie(c, STATE_COOKIE);
      deleteCookie(c, STATE_COOKIE, stateCookie);
      if (!code) throw new HttpError(400, `The ${auth.displayName} callback has no code: start again from the login page.`);
      const round = states.redeem(saved, c.req.query('state'));
      const identity = await auth.authenticate({ code, verifier: round.verifier, nonce: round.nonce }, c.var.log);
      if (identity === null) throw new HttpError(403, `${auth.displayName} did not sign you in. Start again from the login page.`);
      const outcome = await completeSignIn(identity, c.var.log);
      if ('refused' in outcome) throw new HttpError(403, outcome.refused);
      signInSession(c, outcome.user.id, method);
      return c.redirect(round.next ?? landing(identity.name), 302);
    });
  }

  const logout = (c: Context<AppEnv>) => {
    endSession(c, sessions);
    clearXsrfCookie(c, xsrf);
    return c.redirect(`${hubPrefix}/login`, 302);
  };
  app.get('/logout', logout);
  app.post('/logout', logout);

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
