// The user a route acts on, and the one answer for a name that is no user (404 by path, 400 when a body names it);
// and the one way a page sends a visitor without a session to sign in (back to the same URL afterwards).
import type { Context, MiddlewareHandler } from 'hono';
import type { User } from '../../db/schema.js';
import { HttpError } from '../../errors.js';
import type { UserStore } from '../../users/store.js';
import type { AppEnv } from '../env.js';

type Users = Pick<UserStore, 'get'>;

/** What a handler behind requireUser can rely on: `c.var.user` is the user named by `:name`. */
export type UserEnv = { Variables: { user: User } };

/** The user `name`, or a 404 saying there is none. */
export function findUser(users: Users, name: string): User {
  const user = users.get(name);
  if (user === null) throw new HttpError(404, `No such user: ${name}`);
  return user;
}

/** Users a request body names (group members): a 400 listing every name that is no user. */
export function findUsers(users: Users, names: readonly string[]): User[] {
  const found = names.map((name) => ({ name, user: users.get(name) }));
  const missing = found.filter((f) => f.user === null).map((f) => f.name);
  if (missing.length > 0) throw new HttpError(400, `No such users: ${missing.join(', ')}`);
  return found.map((f) => f.user as User);
}

/** Middleware: loads the user named by `:name` into `c.var.user`. Put it after requireScope, so an unknown name
 * is a 404 only for callers who could see the user (others get the scope's 403 or 404 first). */
export function requireUser(users: Users): MiddlewareHandler<AppEnv & UserEnv> {
  if (typeof users?.get !== 'function') throw new Error('requireUser(users) needs the user store');
  return async function requireUser(c, next) {
    c.set('user', findUser(users, c.req.param('name') ?? ''));
    await next();
  };
}

/** A redirect to the sign-in page that comes back to this request's URL. */
export function signInRedirect(c: Context, baseUrl: string): Response {
  const url = new URL(c.req.url);
  return c.redirect(`${baseUrl}hub/login?next=${encodeURIComponent(url.pathname + url.search)}`, 302);
}
