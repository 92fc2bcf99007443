// /hub/api/users/:name/tokens: list, create (scopes, expiry, note; shown once), get and revoke a user's tokens.
// A new token is checked against its owner, as JupyterHub does: never above the owner's scopes (400), nor beyond
// TOKEN_LIMITS (400). Holding `tokens` for a user (admins hold it for everyone) is acting as that user, so the
// requester's own scopes do not bound it: `{}` gives the owner's default token (`inherit`), whoever asks.
import { Hono } from 'hono';
import { scopesBeyond, tokenScopes } from '../../auth/scopes.js';
import { TOKEN_LIMITS } from '../../auth/token-limits.js';
import type { ApiToken } from '../../auth/tokens.js';
import type { User } from '../../db/schema.js';
import { HttpError } from '../../errors.js';
import type { AppEnv } from '../env.js';
import { onUser, requireScope } from '../middleware/require-scope.js';
import { requireUser } from '../middleware/require-user.js';
import { parseJsonBody } from './body.js';
import { newTokenBody } from './bodies.js';
import type { ApiDeps } from './deps.js';
import { tokenModel } from './models.js';

export function tokenRoutes(deps: ApiDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  const owner = requireUser(deps.users);
  const newToken = () => newTokenBody(deps.config.auth.token_max_age, { adminAccess: deps.config.hub.admin_access });
  /** `ownerScopes` once per request: a list of a thousand tokens need not expand the owner's roles a thousand times. */
  const model = (user: User, row: ApiToken, ownerScopes = deps.resolver.userScopes(user)) => {
    const granted = tokenScopes(row.scopes, ownerScopes, { user: user.name, server: '' });
    const client = row.clientId ? deps.oauthClients.get(row.clientId) : null;
    return tokenModel(row, { user: user.name }, granted, client ? client.description || client.identifier : null);
  };
  const findOwned = (user: User, rawId: string): ApiToken => {
    const id = /^a\d+$/.test(rawId) ? Number(rawId.slice(1)) : NaN;
    const row = Number.isSafeInteger(id) ? deps.tokens.get(id) : null;
    if (row === null || row.userId !== user.id || (row.expiresAt !== null && row.expiresAt.getTime() <= Date.now())) {
      throw new HttpError(404, `No such token: ${rawId}`);
    }
    return row;
  };

  app.get('/users/:name/tokens', requireScope('read:tokens', onUser), owner, (c) => {
    const user = c.var.user;
    deps.tokens.purgeExpired();
    const ownerScopes = deps.resolver.userScopes(user);
    return c.json({ api_tokens: deps.tokens.listForUser(user.id).map((row) => model(user, row, ownerScopes)) });
  });

  app.post('/users/:name/tokens', requireScope('tokens', onUser), owner, async (c) => {
    const name = c.req.param('name');
    const { caller, user } = c.var;
    const body = await parseJsonBody(c, newToken(), { empty: {} });
    const requested = body.scopes;

    const ownerScopes = deps.resolver.userScopes(user);
    const wanted = requested.includes('inherit') ? ownerScopes : deps.resolver.expandFor(user, requested);
    const beyondOwner = scopesBeyond(wanted, ownerScopes);
    if (beyondOwner.length > 0) throw new HttpError(400, `Not assigning requested scopes ${beyondOwner.join(', ')} not held by User ${name}`);
    if (deps.tokens.countRequested(user.id) >= TOKEN_LIMITS.perUser) {
      throw new HttpError(400, `${name} already holds ${TOKEN_LIMITS.perUser} tokens, the most a user may hold: revoke some on /hub/token (or DELETE /hub/api/users/${name}/tokens/<id>) first`);
    }
    const who = caller.kind === 'service' ? `service ${caller.name}` : caller.name === name ? null : `user ${caller.name}`;
    const note = body.note ?? `Requested via api${who ? ` by ${who}` : ''}`;
    const { token, row } = deps.tokens.issue({
      userId: user.id,
      note,
      scopes: requested,
      ...(body.expires_in !== null ? { expiresIn: body.expires_in } : {}),
    });
    if (who) c.var.log.info({ requester: who, owner: name, token: `a${row.id}` }, 'token created for another user');
    return c.json({ ...model(user, row), token }, 201);
  });

  app.get('/users/:name/tokens/:id', requireScope('read:tokens', onUser), owner, (c) => {
    const user = c.var.user;
    return c.json(model(user, findOwned(user, c.req.param('id'))));
  });

  app.delete('/users/:name/tokens/:id', requireScope('tokens', onUser), owner, (c) => {
    const user = c.var.user;
    const row = findOwned(user, c.req.param('id'));
    // Revoking one OAuth token signs the user out of that client everywhere, as in JupyterHub.
    if (row.clientId !== null) deps.tokens.revokeWhere({ userId: user.id, clientId: row.clientId });
    else deps.tokens.revoke(row.id);
    return c.body(null, 204);
  });

  return app;
}
