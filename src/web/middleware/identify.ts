// Sets c.var.caller for every hub request: from `Authorization: token|bearer <t>` (API, OAuth and service tokens),
// from `?token=` on read-only API calls (JupyterHub 1.x compatibility; redacted in logs), or from the login cookie.
import type { MiddlewareHandler } from 'hono';
import type { CallerResolver } from '../../auth/caller.js';
import type { SignedIn } from '../../auth/sessions.js';
import type { TokenStore } from '../../auth/tokens.js';
import type { UserStore } from '../../users/store.js';
import type { AppEnv } from '../env.js';

export interface IdentifyDeps {
  resolver: CallerResolver;
  tokens: TokenStore;
  users: UserStore;
  /** Helper C's sessions (login cookie); absent in API-only test setups. */
  sessions?: { fromCookieHeader(header: string | undefined): SignedIn | null } | null;
}

const AUTH_HEADER = /^(?:token|bearer)\s+(\S+)$/i;

/** The token a request presents, or null. A malformed Authorization header presents no token. */
export function presentedToken(authorization: string | undefined, url: URL, method: string): string | null {
  if (authorization !== undefined) return AUTH_HEADER.exec(authorization.trim())?.[1] ?? null;
  // Query tokens only where they cannot change anything and never on the OAuth endpoints (codes travel there).
  if ((method === 'GET' || method === 'HEAD') && /\/hub\/api\//.test(url.pathname) && !/\/hub\/api\/oauth2\//.test(url.pathname)) {
    return url.searchParams.get('token');
  }
  return null;
}

export function identify(deps: IdentifyDeps): MiddlewareHandler<AppEnv> {
  if (!deps.resolver || !deps.tokens || !deps.users) throw new Error('identify() needs resolver, tokens and users');
  return async function identifyMiddleware(c, next) {
    c.set('caller', null);
    const authorization = c.req.header('authorization');
    const token = presentedToken(authorization, new URL(c.req.url), c.req.method);
    if (token !== null) {
      const found = deps.resolver.fromToken(token);
      if (found !== null) {
        c.set('caller', found.caller);
        // Server tokens ("Server at …") do not count as the user being active, as in JupyterHub.
        if (deps.tokens.touch(found.row) && found.caller.kind === 'user' && !found.row.note.startsWith('Server at ')) {
          deps.users.update(found.caller.name, { lastActivity: new Date() });
        }
      }
    } else if (authorization === undefined && deps.sessions) {
      const signedIn = deps.sessions.fromCookieHeader(c.req.header('cookie'));
      if (signedIn !== null) c.set('caller', deps.resolver.fromSignedIn(signedIn.user, signedIn.sessionId));
    }
    await next();
  };
}
