import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import type { Caller } from '../../auth/caller.js';
import { ScopeSet, type ScopeName } from '../../auth/scopes.js';
import type { AppEnv } from '../env.js';
import { renderError } from '../errors.js';
import { onServer, onUser, requireScope, type ScopeTarget } from './require-scope.js';

/** A one-route app under /hub/api whose caller holds `scopes` (or no caller at all). */
function guarded(scopes: string[] | null, anyOf: ScopeName | ScopeName[], target: ScopeTarget, path = '/hub/api/users/:name') {
  const app = new Hono<AppEnv>();
  app.onError(renderError);
  app.use('*', async (c, next) => {
    const caller: Caller | null = scopes === null ? null
      : { kind: 'user', name: 'alice', userId: 1, admin: false, scopes: ScopeSet.of(scopes), via: 'token' };
    c.set('caller', caller);
    await next();
  });
  app.get(path, requireScope(anyOf, target), (c) => c.text(`ok ${c.var.caller.name}`));
  return app;
}

const status = async (res: Response | Promise<Response>) => {
  const r = await res;
  return { status: r.status, body: r.status === 200 ? await r.text() : ((await r.json()) as { message: string }).message };
};

describe('requireScope', () => {
  it('throws when the app is built if a route names a misspelt scope, instead of answering 403 forever', () => {
    expect(() => requireScope('read:user' as ScopeName, onUser)).toThrow('requireScope("read:user"): "read:user" is not a scope in JupyterHub\'s table (src/auth/scopes.ts); did you mean "read:users"?');
    expect(() => requireScope(['servers', 'delete:server' as ScopeName], onServer)).toThrow(/"delete:server" is not a scope.*did you mean "delete:servers"/);
    expect(() => requireScope([], 'any')).toThrow(/at least one scope/);
    expect(() => requireScope('servers', 'unfilterd' as ScopeTarget)).toThrow(/the target must be 'any', 'unfiltered' or a function/);
  });

  it('lets a caller through who holds the scope for the resource the path names', async () => {
    expect(await status(guarded(['read:users!user=alice'], 'read:users', onUser).request('/hub/api/users/alice'))).toEqual({ status: 200, body: 'ok alice' });
    expect(await status(guarded(['read:users'], ['admin:users', 'read:users'], onUser).request('/hub/api/users/bob'))).toEqual({ status: 200, body: 'ok alice' });
  });

  it('answers 403 without credentials, and 403 naming the scopes when none is held', async () => {
    expect(await status(guarded(null, 'read:users', onUser).request('/hub/api/users/alice'))).toEqual({ status: 403, body: 'Missing or invalid credentials.' });
    expect(await status(guarded(['read:hub'], ['read:users', 'admin:users'], onUser).request('/hub/api/users/alice')))
      .toEqual({ status: 403, body: 'Action is not authorized with current scopes; requires any of [read:users, admin:users]' });
  });

  it('answers 404 when the scope is held only for other resources, so they do not leak', async () => {
    expect(await status(guarded(['read:users!user=alice'], 'read:users', onUser).request('/hub/api/users/bob')))
      .toEqual({ status: 404, body: 'No access to resources or resources not found' });
    expect(await status(guarded(['servers!server=alice/'], 'servers', onServer, '/hub/api/users/:name/servers/:server').request('/hub/api/users/alice/servers/lab')))
      .toEqual({ status: 404, body: 'No access to resources or resources not found' });
  });

  it("accepts a filtered scope on list routes ('any'), but only an unfiltered one where resources are created", async () => {
    expect((await guarded(['list:users!user=alice'], 'list:users', 'any', '/hub/api/users').request('/hub/api/users')).status).toBe(200);
    expect(await status(guarded(['admin:users!group=staff'], 'admin:users', 'unfiltered', '/hub/api/users').request('/hub/api/users')))
      .toEqual({ status: 403, body: 'Action is not authorized with current scopes; requires any of [admin:users] without a filter (filtered scopes cannot create resources)' });
    expect((await guarded(['admin:users'], 'admin:users', 'unfiltered', '/hub/api/users').request('/hub/api/users')).status).toBe(200);
  });
});
