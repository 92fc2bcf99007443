// /hub/api/users/:name/tokens: list, create (scopes, expiry, note; shown once), get and revoke a user's tokens.
// A new token never exceeds its owner's scopes (400) nor the requester's (403), nor TOKEN_LIMITS (400).
import { Hono } from 'hono';
import type { Caller } from '../../auth/caller.js';
import { intersectScopes, invalidScopes, tokenScopes } from '../../auth/scopes.js';
import { TOKEN_LIMITS } from '../../auth/token-limits.js';
import type { ApiToken } from '../../auth/tokens.js';
import type { User } from '../../db/schema.js';
import { HttpError } from '../../errors.js';
import type { AppEnv } from '../env.js';
import { requireScopes } from '../middleware/authorize.js';
import { readJsonObject, stringList } from './body.js';
import type { ApiDeps } from './deps.js';
import { tokenModel } from './models.js';

export function tokenRoutes(deps: ApiDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  const owner = (name: string): User => {
    const user = deps.users.get(name);
    if (user === null) throw new HttpError(404, `No such user: ${name}`);
    return user;
  };
  const model = (user: User, row: ApiToken) => {
    const granted = tokenScopes(row.scopes, deps.resolver.userScopes(user), { user: user.name, server: '' });
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

  app.get('/users/:name/tokens', (c) => {
    const name = c.req.param('name');
    requireScopes(c, ['read:tokens'], { user: name });
    const user = owner(name);
    deps.tokens.purgeExpired();
    return c.json({ api_tokens: deps.tokens.listForUser(user.id).map((row) => model(user, row)) });
  });

  app.post('/users/:name/tokens', async (c) => {
    const name = c.req.param('name');
    const caller = requireScopes(c, ['tokens'], { user: name });
    const user = owner(name);
    const body = await readJsonObject(c, {});
    if (body.note !== undefined && typeof body.note !== 'string') throw new HttpError(400, 'note must be a string');
    if (typeof body.note === 'string' && body.note.length > TOKEN_LIMITS.noteChars) {
      throw new HttpError(400, `note is ${body.note.length} characters long; at most ${TOKEN_LIMITS.noteChars} are allowed`);
    }
    const expiresIn = lifetime(body.expires_in, deps.config.auth.token_max_age);
    const requested = body.scopes === undefined || body.scopes === null ? ['inherit'] : stringList(body.scopes, 'scopes');
    if (body.roles !== undefined) {
      const roles = stringList(body.roles, 'roles');
      const unsupported = roles.filter((r) => r !== 'token');
      if (unsupported.length > 0) throw new HttpError(400, `roles are deprecated; only "token" is accepted, use scopes instead of ${unsupported.join(', ')}`);
    }
    const bad = invalidScopes(requested);
    if (bad.length > 0) throw new HttpError(400, `Unknown or malformed scopes: ${bad.join(', ')}`);

    const ownerScopes = deps.resolver.userScopes(user);
    const wanted = requested.includes('inherit') ? ownerScopes : deps.resolver.expandFor(user, requested);
    const beyondOwner = wanted.filter((s) => !intersectScopes([s], ownerScopes).includes(s));
    if (beyondOwner.length > 0) throw new HttpError(400, `Not assigning requested scopes ${beyondOwner.join(', ')} not held by ${name}`);
    if (!coveredByCaller(caller, wanted)) {
      throw new HttpError(403, `The requesting credentials may not create a token with more scopes than they hold (${wanted.filter((s) => !intersectScopes([s], caller.scopes).includes(s)).join(', ')})`);
    }
    if (deps.tokens.countRequested(user.id) >= TOKEN_LIMITS.perUser) {
      throw new HttpError(400, `${name} already holds ${TOKEN_LIMITS.perUser} tokens, the most a user may hold: revoke some on /hub/token (or DELETE /hub/api/users/${name}/tokens/<id>) first`);
    }
    const who = caller.kind === 'service' ? `service ${caller.name}` : caller.name === name ? null : `user ${caller.name}`;
    const note = (body.note as string | undefined) ?? `Requested via api${who ? ` by ${who}` : ''}`;
    const { token, row } = deps.tokens.issue({
      userId: user.id,
      note,
      scopes: requested,
      ...(expiresIn !== null ? { expiresIn } : {}),
    });
    return c.json({ ...model(user, row), token }, 201);
  });

  app.get('/users/:name/tokens/:id', (c) => {
    const name = c.req.param('name');
    requireScopes(c, ['read:tokens'], { user: name });
    const user = owner(name);
    return c.json(model(user, findOwned(user, c.req.param('id'))));
  });

  app.delete('/users/:name/tokens/:id', (c) => {
    const name = c.req.param('name');
    requireScopes(c, ['tokens'], { user: name });
    const user = owner(name);
    const row = findOwned(user, c.req.param('id'));
    // Revoking one OAuth token signs the user out of that client everywhere, as in JupyterHub.
    if (row.clientId !== null) deps.tokens.revokeWhere({ userId: user.id, clientId: row.clientId });
    else deps.tokens.revoke(row.id);
    return c.body(null, 204);
  });

  return app;
}

/**
 * Seconds until a new token expires, or null for never: a whole number from 1 to ten years, or to
 * auth.token_max_age when set, which is also what a request without expires_in (or with null) gets.
 */
function lifetime(value: unknown, maxAge: number | undefined): number | null {
  if (value === undefined || value === null) return maxAge ?? null;
  const max = maxAge ?? TOKEN_LIMITS.maxLifetimeSeconds;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > max) {
    const range = maxAge === undefined
      ? `from 1 to ${max} (ten years), or null for a token that never expires`
      : `from 1 to ${max} (auth.token_max_age), or null for the longest allowed`;
    throw new HttpError(400, `expires_in must be a whole number of seconds ${range}; got ${JSON.stringify(value)}`);
  }
  return value;
}

function coveredByCaller(caller: Caller, wanted: string[]): boolean {
  return wanted.every((s) => intersectScopes([s], caller.scopes).includes(s));
}
