import { describe, expect, it } from 'vitest';
import { parseSubdomainHost } from '../servers/user-origin.js';
import { hubRedirect, lookupTarget, routeRequest, routeTargetOf, userOfPath, splitTarget, type RequestSite } from './route-table.js';

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
    expect(routeRequest('/user/alice/lab/tree?reset=1', '/')).toEqual({
      kind: 'user', name: 'alice', path: '/user/alice/lab/tree?reset=1', fallback: '/hub/user/alice/lab/tree?reset=1',
    });
    expect(routeRequest('/user/alice', '/')).toEqual({ kind: 'user', name: 'alice', path: '/user/alice', fallback: '/hub/user/alice' });
    expect(routeRequest('/jh/user/bob/api/kernels', '/jh/')).toMatchObject({ kind: 'user', name: 'bob', path: '/jh/user/bob/api/kernels' });
  });

  it('decodes the user segment (%40 and @ name the same user)', () => {
    expect(routeRequest('/user/a%40b.org/x', '/')).toMatchObject({ kind: 'user', name: 'a@b.org' });
    expect(routeRequest('/user/a@b.org/x', '/')).toMatchObject({ kind: 'user', name: 'a@b.org' });
  });

  it('resolves dot segments before choosing the user, so the forwarded path cannot climb into another prefix', () => {
    expect(routeRequest('/user/alice/../bob/api', '/')).toMatchObject({ kind: 'user', name: 'bob', path: '/user/bob/api' });
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

describe('routeRequest with hub.subdomain_host', () => {
  const subdomain = parseSubdomainHost('http://hub.test:8000');
  const on = (host: string | undefined, method = 'GET'): RequestSite => ({ host, method, subdomain });

  it("serves a user's server only on that user's host, with the hub's host as the not-running fallback", () => {
    expect(routeRequest('/user/alice/tree?x=1', '/', on('alice.hub.test:8000'))).toEqual({
      kind: 'user', name: 'alice', path: '/user/alice/tree?x=1', fallback: 'http://hub.test:8000/hub/user/alice/tree?x=1',
    });
    expect(routeRequest('/user/alice/api/contents', '/', on('ALICE.Hub.Test:8000', 'POST'))).toMatchObject({ kind: 'user', name: 'alice' });
    expect(routeRequest('/user/a@b.org/api', '/', on('u-aborg--5b26064.hub.test:8000'))).toMatchObject({ kind: 'user', name: 'a@b.org' });
    expect(routeRequest('/jh/user/bob/', '/jh/', on('bob.hub.test:8000'))).toMatchObject({ kind: 'user', name: 'bob', path: '/jh/user/bob/' });
  });

  it("redirects a GET for a user's path on the hub's host to that user's host, and refuses other methods", () => {
    expect(routeRequest('/user/alice/tree?x=1', '/', on('hub.test:8000'))).toEqual({ kind: 'redirect', location: 'http://alice.hub.test:8000/user/alice/tree?x=1' });
    expect(routeRequest('/user/a@b.org/', '/', on('hub.test:8000', 'HEAD'))).toEqual({ kind: 'redirect', location: 'http://u-aborg--5b26064.hub.test:8000/user/a@b.org/' });
    const refused = routeRequest('/user/alice/api/contents', '/', on('hub.test:8000', 'POST'));
    expect(refused).toMatchObject({ kind: 'refuse', status: 421 });
    expect((refused as { message: string }).message).toContain('http://alice.hub.test:8000');
  });

  it('serves the hub only on its own host', () => {
    expect(routeRequest('/hub/api/users', '/', on('hub.test:8000', 'POST'))).toEqual({ kind: 'hub' });
    expect(routeRequest('/hub/login', '/', on('hub.test'))).toEqual({ kind: 'hub' });
    expect(routeRequest('/', '/', on('hub.test:8000'))).toEqual({ kind: 'redirect', location: '/hub/' });
  });

  it("never lets one user's host reach another user's server or the hub", () => {
    const mallory = (path: string, method = 'GET') => routeRequest(path, '/', on('mallory.hub.test:8000', method));
    expect(mallory('/user/alice/api/contents')).toEqual({ kind: 'redirect', location: 'http://hub.test:8000/user/alice/api/contents' });
    expect(mallory('/user/mallory/../alice/tree')).toEqual({ kind: 'redirect', location: 'http://hub.test:8000/user/alice/tree' });
    expect(mallory('/user/alice/api/contents/x', 'PUT')).toMatchObject({ kind: 'refuse', status: 421 });
    expect(mallory('/hub/api/users/alice/tokens')).toEqual({ kind: 'redirect', location: 'http://hub.test:8000/hub/api/users/alice/tokens' });
    expect(mallory('/hub/api/users/alice/tokens', 'POST')).toMatchObject({ kind: 'refuse', status: 421 });
    expect(mallory('/user/mallory/%2e%2e/%2e%2e/hub/admin')).toEqual({ kind: 'redirect', location: 'http://hub.test:8000/hub/admin' });
    expect(mallory('/')).toEqual({ kind: 'redirect', location: 'http://hub.test:8000/hub/' });
  });

  it('sends unknown, missing and malformed hosts to the hub host, whatever the path', () => {
    expect(routeRequest('/user/alice/', '/', on('127.0.0.1:8000'))).toEqual({ kind: 'redirect', location: 'http://hub.test:8000/user/alice/' });
    expect(routeRequest('/hub/health', '/', on(undefined))).toEqual({ kind: 'redirect', location: 'http://hub.test:8000/hub/health' });
    expect(routeRequest('/user/alice/', '/', on('alice.hub.test.evil.example'))).toMatchObject({ kind: 'redirect', location: 'http://hub.test:8000/user/alice/' });
    expect(routeRequest('/user/alice/', '/', on('x@alice.hub.test'))).toMatchObject({ kind: 'redirect', location: 'http://hub.test:8000/user/alice/' });
    expect(routeRequest('/hub/api/users', '/', on('evil.example', 'DELETE'))).toMatchObject({ kind: 'refuse', status: 421 });
  });

  it("does not take a name's unencoded spelling as its host when the name needs encoding", () => {
    expect(routeRequest('/user/a_b/', '/', on('a_b.hub.test:8000'))).toMatchObject({ kind: 'redirect' });
  });
});

describe('lookupTarget', () => {
  const table = (entries: [string, string][]) => new Map(entries.map(([key, url]) => [key, routeTargetOf(key, url)]));
  const routes = table([['alice', 'http://a:1'], ['alice/work', 'http://w:1'], ['bob', 'http://b:1']]);

  it('prefers a running named server, the longer prefix, over the default server', () => {
    expect(lookupTarget(routes, '/', 'alice', '/user/alice/work/lab?x=1')).toEqual({ url: 'http://w:1', server: 'work' });
    expect(lookupTarget(routes, '/', 'alice', '/user/alice/work/')).toEqual({ url: 'http://w:1', server: 'work' });
  });

  it('sends every other path of the user to the default server', () => {
    expect(lookupTarget(routes, '/', 'alice', '/user/alice/lab/tree')).toEqual({ url: 'http://a:1', server: '' });
    expect(lookupTarget(routes, '/', 'alice', '/user/alice/')).toEqual({ url: 'http://a:1', server: '' });
    // Not a prefix: a path segment named like a server, without its trailing slash, or in the query.
    expect(lookupTarget(routes, '/', 'alice', '/user/alice/work')).toEqual({ url: 'http://a:1', server: '' });
    expect(lookupTarget(routes, '/', 'alice', '/user/alice/?work/')).toEqual({ url: 'http://a:1', server: '' });
  });

  it('never reaches another user\'s named server, and finds none when nothing runs', () => {
    expect(lookupTarget(routes, '/', 'bob', '/user/bob/work/')).toEqual({ url: 'http://b:1', server: '' });
    expect(lookupTarget(table([['alice/work', 'http://w:1']]), '/', 'alice', '/user/alice/lab')).toBeNull();
  });

  it('decodes the server segment and honours base_url', () => {
    const spaced = table([['alice/my work', 'http://m:1']]);
    expect(lookupTarget(spaced, '/jh/', 'alice', '/jh/user/alice/my%20work/api')).toEqual({ url: 'http://m:1', server: 'my work' });
    expect(lookupTarget(spaced, '/jh/', 'alice', '/jh/user/alice/%E0%A4%A/api')).toBeNull();
  });
});

describe('routeRequest for hub.yaml services', () => {
  it('routes <base_url>services/<name>[/…] to that service with the path and query kept', () => {
    expect(routeRequest('/services/grader/oauth_callback?code=x', '/')).toEqual({
      kind: 'service', name: 'grader', path: '/services/grader/oauth_callback?code=x', fallback: '/hub/services/grader/oauth_callback?code=x',
    });
    expect(routeRequest('/services/grader', '/')).toMatchObject({ kind: 'service', name: 'grader', path: '/services/grader' });
    expect(routeRequest('/jh/services/my_dash-2/', '/jh/')).toMatchObject({ kind: 'service', name: 'my_dash-2', path: '/jh/services/my_dash-2/' });
  });

  it('never lets a service shadow the hub or a user, and sends names no service can have to the hub', () => {
    expect(routeRequest('/services/grader/../../hub/admin', '/')).toEqual({ kind: 'hub' });
    expect(routeRequest('/services/x/%2e%2e/%2e%2e/user/alice/', '/')).toMatchObject({ kind: 'user', name: 'alice' });
    expect(routeRequest('/user/services/grader/', '/')).toMatchObject({ kind: 'user', name: 'services' });
    expect(routeRequest('/hub/services/grader/', '/')).toEqual({ kind: 'hub' });
    expect(routeRequest('/services/Grader/', '/')).toEqual({ kind: 'redirect', location: '/hub/services/Grader/' });
    expect(routeRequest('/services/gr%61der/', '/')).toEqual({ kind: 'redirect', location: '/hub/services/gr%61der/' });
    expect(routeRequest('/services/', '/')).toEqual({ kind: 'redirect', location: '/hub/services/' });
    expect(routeRequest('/jh/services/grader/', '/')).toEqual({ kind: 'redirect', location: '/hub/jh/services/grader/' });
  });

  it('serves a service only on its own host under subdomain_host (<name>--service.<host>, JupyterHub 5)', () => {
    const subdomain = parseSubdomainHost('http://hub.test:8000');
    const on = (host: string, method = 'GET'): RequestSite => ({ host, method, subdomain });
    expect(routeRequest('/services/grader/x', '/', on('grader--service.hub.test:8000'))).toEqual({
      kind: 'service', name: 'grader', path: '/services/grader/x', fallback: 'http://hub.test:8000/hub/services/grader/x',
    });
    expect(routeRequest('/services/grader/x', '/', on('hub.test:8000'))).toEqual({ kind: 'redirect', location: 'http://grader--service.hub.test:8000/services/grader/x' });
    expect(routeRequest('/services/grader/x', '/', on('hub.test:8000', 'POST'))).toMatchObject({ kind: 'refuse', status: 421 });
    // Not on a user's host, nor another service's; and the service's host serves nothing else.
    expect(routeRequest('/services/grader/x', '/', on('grader.hub.test:8000'))).toEqual({ kind: 'redirect', location: 'http://hub.test:8000/services/grader/x' });
    expect(routeRequest('/services/grader/x', '/', on('other--service.hub.test:8000'))).toMatchObject({ kind: 'redirect', location: 'http://hub.test:8000/services/grader/x' });
    expect(routeRequest('/hub/admin', '/', on('grader--service.hub.test:8000'))).toEqual({ kind: 'redirect', location: 'http://hub.test:8000/hub/admin' });
    expect(routeRequest('/user/alice/', '/', on('grader--service.hub.test:8000'))).toEqual({ kind: 'redirect', location: 'http://hub.test:8000/user/alice/' });
  });
});

describe('splitTarget', () => {
  const parser = (raw: string) => {
    try {
      const { pathname, search } = new URL(raw, 'http://berth.invalid');
      return { pathname, search };
    } catch {
      return null;
    }
  };

  it('agrees with the URL parser on targets it skips the parser for and on those it does not', () => {
    // Pieces that the parser treats specially (dot segments, encoded dots, backslashes, `//`, quotes, empty
    // queries) mixed with plain ones: every target either skips the parser or falls back to it, and both agree.
    const pieces = ['/', 'user', 'alice', '.', '..', '%2e', '%2E', '%2F', '?', '#', '\\', "'", '"', '<', '`', '{', 'a=b', '&', '~', '%', '%zz', ':', '@', '|', '^', ' '];
    let seed = 1;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    for (let i = 0; i < 20_000; i++) {
      let raw = '/';
      const length = 1 + Math.floor(random() * 8);
      for (let j = 0; j < length; j++) raw += pieces[Math.floor(random() * pieces.length)];
      expect(splitTarget(raw), raw).toEqual(parser(raw));
    }
  });

  it('takes the common targets as they are', () => {
    expect(splitTarget('/user/alice/api/kernels?token=x&y=1')).toEqual({ pathname: '/user/alice/api/kernels', search: '?token=x&y=1' });
    expect(splitTarget('/user/alice/lab?')).toEqual({ pathname: '/user/alice/lab', search: '' });
    expect(splitTarget('/user/alice/../bob/')).toEqual({ pathname: '/user/bob/', search: '' });
    expect(splitTarget('//evil.example/x')).toEqual(parser('//evil.example/x'));
  });
});
