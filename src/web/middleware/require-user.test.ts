import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import type { User } from '../../db/schema.js';
import type { AppEnv } from '../env.js';
import { renderError } from '../errors.js';
import { findUsers, requireUser, signInRedirect } from './require-user.js';

const alice = { id: 1, name: 'alice' } as User;
const users = { get: (name: string) => (name === 'alice' ? alice : null) };

function app(setCaller: boolean) {
  const hub = new Hono<AppEnv>().basePath('/base/hub');
  hub.onError(renderError);
  hub.use('*', async (c, next) => {
    c.set('caller', setCaller ? { kind: 'service', name: 'culler', admin: false, scopes: undefined as never, via: 'token' } : null);
    await next();
  });
  hub.get('/api/users/:name', requireUser(users), (c) => c.json({ id: c.var.user.id }));
  hub.get('/spawn', (c) => (c.get('caller') ? c.text('spawn page') : signInRedirect(c, '/base/')));
  return hub;
}

describe('requireUser', () => {
  it('puts the user named by the path on the context', async () => {
    expect(await (await app(true).request('/base/hub/api/users/alice')).json()).toEqual({ id: 1 });
  });

  it('answers 404 naming a user that does not exist', async () => {
    const res = await app(true).request('/base/hub/api/users/nobody');
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ status: 404, message: 'No such user: nobody' });
  });

  it('lists every name a body gives that is no user, with 400', () => {
    expect(findUsers(users, ['alice'])).toEqual([alice]);
    expect(() => findUsers(users, ['alice', 'bob', 'carol'])).toThrow(expect.objectContaining({ status: 400, message: 'No such users: bob, carol' }));
  });
});

describe('signInRedirect', () => {
  it('sends a visitor without credentials to sign in, coming back to the same URL', async () => {
    const res = await app(false).request('/base/hub/spawn?next=%2Fbase%2Fuser%2Fx%2F');
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe(`/base/hub/login?next=${encodeURIComponent('/base/hub/spawn?next=%2Fbase%2Fuser%2Fx%2F')}`);
    expect(await (await app(true).request('/base/hub/spawn')).text()).toBe('spawn page');
  });
});
