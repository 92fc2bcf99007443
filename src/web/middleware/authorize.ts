// The one scope check for routes: 403 without credentials, 403 naming the scopes when none is held,
// 404 when a scope is held only for other resources (so the existence of others' resources does not leak).
import type { Context } from 'hono';
import type { Caller } from '../../auth/caller.js';
import { holds, type Resource } from '../../auth/scopes.js';
import { HttpError } from '../../errors.js';
import type { AppEnv } from '../env.js';

export const NO_CREDENTIALS = 'Missing or invalid credentials.';
export const NOT_FOUND_FILTERED = 'No access to resources or resources not found';

/** The request's caller, or a 403 when it presented no valid credentials. */
export function requireCaller(c: Context<AppEnv>): Caller {
  const caller = c.get('caller');
  if (!caller) throw new HttpError(403, NO_CREDENTIALS);
  return caller;
}

export function requireScopes(
  c: Context<AppEnv>,
  anyOf: string[],
  resource?: { user?: string; server?: string; group?: string; service?: string },
): Caller {
  const caller = requireCaller(c);
  checkScopes(caller, anyOf, resource ?? null);
  return caller;
}

/**
 * For creating resources (users, groups): only an unfiltered scope will do, since a filter cannot name a resource
 * that does not exist yet (GHSA-69wv: `admin:users!group=x` must not create users).
 */
export function requireUnfilteredScopes(c: Context<AppEnv>, anyOf: string[]): Caller {
  const caller = requireCaller(c);
  const held = anyOf.map((name) => holds(caller.scopes, name, {}));
  if (held.includes('yes')) return caller;
  const filtered = held.includes('other') ? ' without a filter (filtered scopes cannot create resources)' : '';
  throw new HttpError(403, `Action is not authorized with current scopes; requires any of [${anyOf.join(', ')}]${filtered}`);
}

/**
 * The same check for code that has a caller but no request context. With `resource` null (list endpoints) a scope
 * held for some resources suffices: the handler then shows only those (scopeFilter).
 */
export function checkScopes(caller: Caller, anyOf: string[], resource: Resource | null): void {
  let other = false;
  for (const name of anyOf) {
    const held = holds(caller.scopes, name, resource ?? {});
    if (held === 'yes' || (held === 'other' && resource === null)) return;
    if (held === 'other') other = true;
  }
  if (other) throw new HttpError(404, NOT_FOUND_FILTERED);
  throw new HttpError(403, `Action is not authorized with current scopes; requires any of [${anyOf.join(', ')}]`);
}
