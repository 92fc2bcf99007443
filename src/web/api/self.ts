// GET /hub/api/user: who a token (or the login cookie) belongs to, with its scopes. Single-user servers resolve
// every visitor through this call, so an unknown token must be 403 (never 401, which they turn into a 500 page).
import { Hono } from 'hono';
import { identifyScopes } from '../../auth/scopes.js';
import { HttpError } from '../../errors.js';
import type { AppEnv } from '../env.js';
import { requireCaller } from '../middleware/require-scope.js';
import type { ApiDeps } from './deps.js';
import { userModel } from './models.js';

export function selfRoutes(deps: ApiDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get('/user', (c) => {
    const caller = requireCaller(c);
    const tokenId = caller.tokenId !== undefined ? `a${caller.tokenId}` : null;
    if (caller.kind === 'service') {
      // JupyterHub 5's service model under the identify scope read:services:name (kind, name, admin); roles only
      // to a token that may read them.
      const roles = caller.scopes.holds('read:roles:services', { service: caller.name }) === 'yes' ? { roles: caller.admin ? ['admin'] : [] } : {};
      return c.json({ kind: 'service', name: caller.name, admin: caller.admin, ...roles, scopes: caller.scopes.list, session_id: null, token_id: tokenId });
    }
    const user = deps.users.get(caller.name);
    if (user === null) throw new HttpError(403, 'Missing or invalid credentials.');
    // The identify scopes let any token read its owner's name and groups; they are not added to `scopes`.
    const model = userModel(deps, user, caller.scopes.with(identifyScopes(user.name)));
    return c.json({ ...model, kind: 'user', name: user.name, admin: user.admin, scopes: caller.scopes.list, session_id: caller.sessionId ?? null, token_id: tokenId });
  });
  return app;
}
