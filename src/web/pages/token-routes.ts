// GET /hub/token: the signed-in user's API tokens. The page only reads; creating and revoking tokens are REST API
// calls from the page (cookie + X-XSRFToken), so the API's scope ceilings apply.
import { Hono } from 'hono';
import { tokenScopes } from '../../auth/scopes.js';
import { HttpError } from '../../errors.js';
import type { ApiDeps } from '../api/deps.js';
import { iso } from '../api/models.js';
import type { AppEnv } from '../env.js';
import { xsrfToken } from '../middleware/csrf.js';
import { signInRedirect } from '../middleware/require-user.js';
import { tokenPage, type TokenRow } from './token-page.js';

export function tokenPageRoutes(deps: ApiDeps & { secret: Buffer }): Hono<AppEnv> {
  const base = deps.config.hub.base_url;
  const app = new Hono<AppEnv>();
  app.get('/token', (c) => {
    const caller = c.get('caller');
    if (!caller || caller.kind !== 'user' || caller.via !== 'cookie') return signInRedirect(c, base);
    const user = deps.users.get(caller.name);
    if (user === null) throw new HttpError(403, 'Missing or invalid credentials.');
    const tokens: TokenRow[] = deps.tokens.listForUser(user.id).map((row) => {
      const client = row.clientId ? deps.oauthClients.get(row.clientId) : null;
      return {
        id: `a${row.id}`,
        note: row.note,
        scopes: tokenScopes(row.scopes, deps.resolver.userScopes(user), { user: user.name, server: '' }),
        created: iso(row.created),
        lastActivity: iso(row.lastActivity),
        expiresAt: iso(row.expiresAt),
        oauthClient: client ? client.description || client.identifier : 'JupyterHub',
      };
    });
    return c.html(tokenPage({ baseUrl: base, me: user.name, xsrf: xsrfToken(deps.secret, caller.sessionId ?? ''), tokens, maxAge: deps.config.auth.token_max_age }));
  });
  return app;
}
