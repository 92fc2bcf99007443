// GET /hub/token: the signed-in user's API tokens and authorized applications (their OAuth tokens, by client). The page only reads; creating and revoking tokens are REST API
// calls from the page (cookie + X-XSRFToken), so the API's scope ceilings apply.
import { Hono } from 'hono';
import { tokenScopes } from '../../auth/scopes.js';
import { HttpError } from '../../errors.js';
import type { ApiDeps } from '../api/deps.js';
import type { AppEnv } from '../env.js';
import { xsrfToken } from '../middleware/csrf.js';
import { signInRedirect } from '../middleware/require-user.js';
import { renderPage } from './layout.js';
import { frameOf } from './page-frame.js';
import { TokenPage, type AuthorizedApp, type TokenRow } from './token-page.js';

const earliest = (a: Date | null, b: Date | null) => (a === null || (b !== null && b < a) ? b : a);
const latest = (a: Date | null, b: Date | null) => (a === null || (b !== null && b > a) ? b : a);

export function tokenPageRoutes(deps: ApiDeps & { secret: Buffer }): Hono<AppEnv> {
  const base = deps.config.hub.base_url;
  const app = new Hono<AppEnv>();
  app.get('/token', (c) => {
    const caller = c.get('caller');
    if (!caller || caller.kind !== 'user' || caller.via !== 'cookie') return signInRedirect(c, base);
    const user = deps.users.get(caller.name);
    if (user === null) throw new HttpError(403, 'Missing or invalid credentials.');
    const rows = deps.tokens.listForUser(user.id);
    const owned = deps.resolver.userScopes(user);
    const scopesOf = (raw: string[]) => tokenScopes(raw, owned, { user: user.name, server: '' });
    const tokens: TokenRow[] = rows.filter((row) => !row.clientId).map((row) => ({
      id: `a${row.id}`, note: row.note, scopes: scopesOf(row.scopes), created: row.created, lastActivity: row.lastActivity, expiresAt: row.expiresAt,
    }));
    // The OAuth tokens, one application per client (JupyterHub's "Authorized Applications"); the rows are already read.
    const apps = new Map<string, AuthorizedApp>();
    for (const row of rows) {
      if (!row.clientId) continue;
      const app = apps.get(row.clientId) ?? { clientId: row.clientId, description: describeClient(row.clientId), tokenIds: [], scopes: [], created: null, lastActivity: null };
      app.tokenIds.push(`a${row.id}`);
      app.scopes = [...new Set([...app.scopes, ...scopesOf(row.scopes)])];
      app.created = earliest(app.created, row.created);
      app.lastActivity = latest(app.lastActivity, row.lastActivity);
      apps.set(row.clientId, app);
    }
    return c.html(renderPage(
      <TokenPage frame={frameOf(c)} me={user.name} xsrf={xsrfToken(deps.secret, caller.sessionId ?? '')} tokens={tokens} apps={[...apps.values()]} maxAge={deps.config.auth.token_max_age} />,
    ));
  });
  const describeClient = (clientId: string) => {
    const client = deps.oauthClients.get(clientId);
    return client ? client.description || client.identifier : clientId;
  };
  return app;
}
