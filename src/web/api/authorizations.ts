// GET /hub/api/authorizations/token/:token (deprecated in JupyterHub 2.0, kept for old services): the model of
// the token's owner. Only token-authenticated callers may ask, so a browser cookie cannot probe tokens.
import { Hono } from 'hono';
import { identifyScopes } from '../../auth/scopes.js';
import { HttpError } from '../../errors.js';
import type { AppEnv } from '../env.js';
import { requireCaller } from '../middleware/require-scope.js';
import type { ApiDeps } from './deps.js';
import { userModel } from './models.js';

export function authorizationRoutes(deps: ApiDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get('/authorizations/token/:token', (c) => {
    const caller = requireCaller(c);
    if (caller.via !== 'token') throw new HttpError(403, 'This endpoint requires token authentication (Authorization: token …)');
    const found = deps.resolver.fromToken(c.req.param('token'));
    if (found === null) throw new HttpError(404, 'No such token');
    const owner = found.caller;
    if (owner.kind === 'service') return c.json({ kind: 'service', name: owner.name, admin: owner.admin, scopes: owner.scopes.list });
    const user = deps.users.get(owner.name);
    if (user === null) throw new HttpError(404, 'No such token');
    const model = userModel(deps, user, owner.scopes.with(identifyScopes(user.name)));
    return c.json({ ...model, kind: 'user', name: user.name, admin: user.admin, scopes: owner.scopes.list, session_id: owner.sessionId ?? null });
  });
  app.post('/authorizations/token', () => {
    throw new HttpError(404, 'POST /authorizations/token was removed in JupyterHub 2.0; create tokens with POST /users/<name>/tokens');
  });
  return app;
}
