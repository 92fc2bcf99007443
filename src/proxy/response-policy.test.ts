import { describe, expect, it } from 'vitest';
import { STATE_COOKIE } from '../auth/github.js';
import { LOGIN_COOKIE, SESSION_ID_COOKIE } from '../auth/sessions.js';
import { dropReason, HUB_COOKIES, screenResponseHead, screenResponseHeaders, serverScope } from './response-policy.js';

const alice = serverScope('/', 'alice', '/user/alice/tree/notes');
const cookie = (value: string, scope = alice) => dropReason('set-cookie', value, scope);

describe('cookies a user server may set', () => {
  it.each([
    ['its own cookie on its prefix', 'x=1; Path=/user/alice/'],
    ["JupyterHub's form of the prefix, without the trailing slash", 'jupyterhub-user-alice=abc; Path=/user/alice; HttpOnly'],
    ['a path deeper in its prefix', '_xsrf=2|a|b; Path=/user/alice/lab'],
    ['no Path on a request deep enough in its prefix', 'x=1'],
    ['a Path that is not absolute (the default path applies)', 'x=1; Path=relative'],
  ])('keeps %s', (_what, value) => {
    expect(cookie(value)).toBeNull();
  });

  it.each([
    ['the hub login cookie', 'jupyterhub-hub-login=forged; Path=/hub/', "is one of the hub's cookies"],
    ['the hub login cookie even on its own prefix', 'jupyterhub-hub-login=forged; Path=/user/alice/', "is one of the hub's cookies"],
    ['the session id cookie', 'jupyterhub-session-id=x; Path=/user/alice/', "is one of the hub's cookies"],
    ['a __Host- spelling of a hub cookie', '__Host-jupyterhub-hub-login=x; Path=/user/alice/', "is one of the hub's cookies"],
    ['the hub _xsrf on the hub path', '_xsrf=x; Path=/hub/', "has a Path outside the server's prefix"],
    ['Path=/', 'x=1; Path=/', "has a Path outside the server's prefix"],
    ["another user's prefix", 'x=1; Path=/user/bob/', "has a Path outside the server's prefix"],
    ['a prefix that only starts with the name', 'x=1; Path=/user/alicex', "has a Path outside the server's prefix"],
    ['the last of two Paths outside', 'x=1; Path=/user/alice/; Path=/', "has a Path outside the server's prefix"],
    ['a Domain attribute', 'x=1; Path=/user/alice/; Domain=hub.example.org', 'has a Domain attribute (it would reach other hosts)'],
    ['an empty Domain attribute', 'x=1; Path=/user/alice/; Domain=', 'has a Domain attribute (it would reach other hosts)'],
  ])('drops %s', (_what, value, why) => {
    expect(cookie(value)).toBe(why);
  });

  it('derives a missing Path from the request as browsers do', () => {
    // /user/alice (no slash) defaults to /user, which every user's pages share.
    expect(cookie('x=1', serverScope('/', 'alice', '/user/alice'))).toBe("has a Path outside the server's prefix");
    expect(cookie('x=1', serverScope('/', 'alice', '/user/alice/?a=/b/c'))).toBeNull();
    // A Path longer than browsers accept is ignored by them, so the default applies.
    expect(cookie(`x=1; Path=/user/alice/${'a'.repeat(1100)}`, serverScope('/', 'alice', '/user/alice'))).toBe("has a Path outside the server's prefix");
  });

  it('applies the base URL', () => {
    const scope = serverScope('/jupyter/', 'alice', '/jupyter/user/alice/');
    expect(cookie('x=1; Path=/jupyter/user/alice', scope)).toBeNull();
    expect(cookie('x=1; Path=/user/alice/', scope)).toBe("has a Path outside the server's prefix");
  });

  it("names every cookie the hub sets", () => {
    expect([...HUB_COOKIES].sort()).toEqual([LOGIN_COOKIE, SESSION_ID_COOKIE, STATE_COOKIE].sort());
  });
});

describe('headers a user server may not send', () => {
  it.each(['service-worker-allowed', 'clear-site-data'])('drops %s', (name) => {
    expect(dropReason(name, '/', alice)).not.toBeNull();
  });

  it('keeps everything else', () => {
    expect(dropReason('content-type', 'text/html', alice)).toBeNull();
    expect(dropReason('set-cookie2', 'x=1; Path=/', alice)).toBeNull();
  });
});

describe('screenResponseHead (the fast lane)', () => {
  it('leaves a head without screened headers alone', () => {
    expect(screenResponseHead('HTTP/1.1 200 OK\r\nContent-Length: 0\r\nX-Set-Cookie: a=b; Path=/', alice)).toBeNull();
  });

  it('leaves a head whose cookies are all allowed alone', () => {
    expect(screenResponseHead('HTTP/1.1 200 OK\r\nSet-Cookie: _xsrf=1; Path=/user/alice/\r\nContent-Length: 0', alice)).toBeNull();
  });

  it('rewrites the head without the dropped lines, keeping order and spelling', () => {
    const text = [
      'HTTP/1.1 200 OK',
      'Set-Cookie: jupyterhub-hub-login=forged; Path=/hub/',
      'SET-COOKIE: mine=1; Path=/user/alice/',
      'Service-Worker-Allowed: /',
      'Content-Length: 2',
      'clear-site-data: "cookies"',
    ].join('\r\n');
    const screened = screenResponseHead(text, alice)!;
    expect(screened.head).toBe('HTTP/1.1 200 OK\r\nSET-COOKIE: mine=1; Path=/user/alice/\r\nContent-Length: 2\r\n\r\n');
    expect(screened.dropped).toEqual([
      { header: 'set-cookie', cookie: 'jupyterhub-hub-login', why: "is one of the hub's cookies" },
      { header: 'service-worker-allowed', why: 'would let a service worker control pages outside the server' },
      { header: 'clear-site-data', why: "would clear the hub's cookies and storage" },
    ]);
  });
});

describe('screenResponseHeaders (node:http)', () => {
  it('removes dropped cookies and headers in place', () => {
    const headers = {
      'set-cookie': ['a=1; Path=/', 'mine=1; Path=/user/alice'],
      'service-worker-allowed': '/',
      'content-type': 'text/html',
    };
    const dropped = screenResponseHeaders(headers, alice);
    expect(headers).toEqual({ 'set-cookie': ['mine=1; Path=/user/alice'], 'content-type': 'text/html' });
    expect(dropped.map((d) => d.cookie ?? d.header)).toEqual(['service-worker-allowed', 'a']);
  });

  it('removes Set-Cookie entirely when no cookie is left', () => {
    const headers: Record<string, string[]> = { 'set-cookie': ['a=1; Domain=example.org'] };
    screenResponseHeaders(headers, alice);
    expect(headers).toEqual({});
  });
});
