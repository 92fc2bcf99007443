// Route guards for scopes: 403 without credentials, 403 naming the scopes when none is held, 404 when a scope is
// held only for other resources (so others' resources do not leak). Scope names are checked when the app is built.
import type { Context, MiddlewareHandler } from 'hono';
import type { Caller } from '../../auth/caller.js';
import { assertScopeNames, type Resource, type ScopeName } from '../../auth/scopes.js';
import { HttpError } from '../../errors.js';
import type { AppEnv } from '../env.js';

export const NO_CREDENTIALS = 'Missing or invalid credentials.';
export const NOT_FOUND_FILTERED = 'No access to resources or resources not found';

/**
 * What a scope must cover. 'any': held for some resource is enough (list endpoints, which then show only those).
 * 'unfiltered': held without a filter (creating resources, since a filter cannot name one that does not exist yet,
 * GHSA-69wv; hub-wide actions). A function: the resource the request acts on.
 */
export type ScopeTarget = 'any' | 'unfiltered' | ((c: Context) => Resource);

/** The user named by `:name`. */
export const onUser = (c: Context): Resource => ({ user: c.req.param('name') ?? '' });
/** The server `:name`/`:server` (the default server when the path names none). */
export const onServer = (c: Context): Resource => {
  const name = c.req.param('name') ?? '';
  return { user: name, server: `${name}/${c.req.param('server') ?? ''}` };
};
export const onGroup = (c: Context): Resource => ({ group: c.req.param('group') ?? '' });
export const onService = (c: Context): Resource => ({ service: c.req.param('name') ?? '' });

/** What a guarded handler can rely on: a caller is present. */
export type CallerEnv = { Variables: { caller: Caller } };

/** Middleware: the caller must hold one of `anyOf` for `target`. Throws at build time on an unknown scope name. */
export function requireScope(anyOf: ScopeName | readonly ScopeName[], target: ScopeTarget): MiddlewareHandler<AppEnv & CallerEnv> {
  const names: readonly string[] = typeof anyOf === 'string' ? [anyOf] : anyOf;
  const where = `requireScope(${names.map((n) => JSON.stringify(n)).join(', ')})`;
  assertScopeNames(names, where);
  if (typeof target !== 'function' && target !== 'any' && target !== 'unfiltered') {
    throw new Error(`${where}: the target must be 'any', 'unfiltered' or a function naming the resource, got ${JSON.stringify(target)}`);
  }
  const guard: MiddlewareHandler<AppEnv> = async function requireScope(c, next) {
    checkScope(c, names, target);
    await next();
  };
  // The check guarantees the caller the type promises to later handlers.
  return guard as unknown as MiddlewareHandler<AppEnv & CallerEnv>;
}

/** The request's caller, or a 403 when it presented no valid credentials. */
export function requireCaller(c: Context): Caller {
  const caller = c.get('caller') as AppEnv['Variables']['caller'] | undefined;
  if (!caller) throw new HttpError(403, NO_CREDENTIALS);
  return caller;
}

/**
 * The check itself, for handlers that learn the resource only while running (a page acting on the caller's own
 * server, a rename that needs an unfiltered grant), given as a Resource. Route guards use requireScope.
 */
export function checkScope(c: Context, anyOf: readonly ScopeName[], target: ScopeTarget | Resource): Caller {
  const caller = requireCaller(c);
  const resource = typeof target === 'function' ? target(c) : typeof target === 'object' ? target : {};
  let other = false;
  for (const name of anyOf) {
    const held = caller.scopes.holds(name, resource);
    if (held === 'yes' || (held === 'other' && target === 'any')) return caller;
    if (held === 'other') other = true;
  }
  if (other && target !== 'unfiltered') throw new HttpError(404, NOT_FOUND_FILTERED);
  const filtered = other ? ' without a filter (filtered scopes cannot create resources)' : '';
  throw new HttpError(403, `Action is not authorized with current scopes; requires any of [${anyOf.join(', ')}]${filtered}`);
}
