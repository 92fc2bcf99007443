import { describe, expect, it } from 'vitest';
import { hubRedirect, routeRequest, userOfPath } from './route-table.js';

describe('routeRequest', () => {
  it('sends <base_url>hub and everything under it to the hub app', () => {
    expect(routeRequest('/hub/', '/')).toEqual({ kind: 'hub' });
    expect(routeRequest('/hub', '/')).toEqual({ kind: 'hub' });
    expect(routeRequest('/hub/api/users?limit=2', '/')).toEqual({ kind: 'hub' });
    expect(routeRequest('/jh/hub/login', '/jh/')).toEqual({ kind: 'hub' });
  });

  it('does not mistake a path that merely starts with "hub" for the hub', () => {
    expect(routeRequest('/hubx/a', '/')).toEqual({ kind: 'redirect', location: '/hub/hubx/a' });
  });

  it('routes <base_url>user/<name>/… to that user with the full path and query kept', () => {
    expect(routeRequest('/user/alice/lab/tree?reset=1', '/')).toEqual({ kind: 'user', name: 'alice', path: '/user/alice/lab/tree?reset=1' });
    expect(routeRequest('/user/alice', '/')).toEqual({ kind: 'user', name: 'alice', path: '/user/alice' });
    expect(routeRequest('/jh/user/bob/api/kernels', '/jh/')).toEqual({ kind: 'user', name: 'bob', path: '/jh/user/bob/api/kernels' });
  });

  it('decodes the user segment (%40 and @ name the same user)', () => {
    expect(routeRequest('/user/a%40b.org/x', '/')).toMatchObject({ kind: 'user', name: 'a@b.org' });
    expect(routeRequest('/user/a@b.org/x', '/')).toMatchObject({ kind: 'user', name: 'a@b.org' });
  });

  it('resolves dot segments before choosing the user, so the forwarded path cannot climb into another prefix', () => {
    expect(routeRequest('/user/alice/../bob/api', '/')).toEqual({ kind: 'user', name: 'bob', path: '/user/bob/api' });
    expect(routeRequest('/user/alice/%2e%2e/%2e%2e/hub/admin', '/')).toEqual({ kind: 'hub' });
    expect(routeRequest('/user\\alice\\x', '/')).toMatchObject({ kind: 'user', name: 'alice' });
  });

  it('sends names that are not canonical, malformed or empty to the hub rather than to a server', () => {
    expect(routeRequest('/user/Alice/x', '/')).toEqual({ kind: 'redirect', location: '/hub/user/Alice/x' });
    expect(routeRequest('/user/%E0%A4%A/x', '/')).toEqual({ kind: 'redirect', location: '/hub/user/%E0%A4%A/x' });
    expect(routeRequest('/user//x', '/')).toEqual({ kind: 'redirect', location: '/hub/user//x' });
    expect(routeRequest('/user/', '/')).toEqual({ kind: 'redirect', location: '/hub/user/' });
    expect(routeRequest('/user/a%2Fb/x', '/')).toMatchObject({ kind: 'redirect' });
  });

  it('redirects every other path into <base_url>hub/ like JupyterHub (query kept)', () => {
    expect(routeRequest('/', '/')).toEqual({ kind: 'redirect', location: '/hub/' });
    expect(routeRequest('/favicon.ico?v=2', '/')).toEqual({ kind: 'redirect', location: '/hub/favicon.ico?v=2' });
    expect(routeRequest('/jh/', '/jh/')).toEqual({ kind: 'redirect', location: '/jh/hub/' });
    expect(routeRequest('/jh', '/jh/')).toEqual({ kind: 'redirect', location: '/jh/hub/' });
    expect(routeRequest('/jh?next=1', '/jh/')).toEqual({ kind: 'redirect', location: '/jh/hub/?next=1' });
    expect(routeRequest('/elsewhere', '/jh/')).toEqual({ kind: 'redirect', location: '/jh/hub/elsewhere' });
  });

  it('never produces a protocol-relative redirect to another host', () => {
    for (const raw of ['//evil.example/x', '/\\evil.example/x', '///evil.example']) {
      const route = routeRequest(raw, '/');
      expect(route.kind).toBe('redirect');
      expect((route as { location: string }).location).toMatch(/^\/hub\/(?![/\\])/);
    }
  });
});

describe('userOfPath', () => {
  it('is null outside <base_url>user/', () => {
    expect(userOfPath('/users/alice/', '/')).toBeNull();
    expect(userOfPath('/user/alice/', '/jh/')).toBeNull();
  });
});

describe('hubRedirect', () => {
  it('keeps the query of a /user/ path it sends to the hub', () => {
    expect(hubRedirect('/user/alice/lab?a=1&b=2', '/')).toBe('/hub/user/alice/lab?a=1&b=2');
  });
});
