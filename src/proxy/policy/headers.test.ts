// What the proxy adds and strips, as tables: the cookies and headers a user's server may send, the forwarding
// headers of both lanes, the hub's login cookie, and hop-by-hop fields in both directions.
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { STATE_COOKIE } from '../../auth/github.js';
import { LOGIN_COOKIE, SESSION_ID_COOKIE } from '../../auth/sessions.js';
import { parseRequestHead, parseResponseHead, type RequestHead, type ResponseHead } from '../http1.js';
import { createTrustedProxies } from './trusted-proxies.js';
import {
  clientResponseHead,
  forwardedRequestHead,
  HOP_BY_HOP,
  HUB_COOKIES,
  judgeHeader,
  prepareForwardedHeaders,
  removeHopByHop,
  screenHopByHop,
  screenResponseHead,
  screenResponseHeaders,
  serverScope,
  withoutHubCookies,
  type ServerScope,
} from './headers.js';

const alice = serverScope('/', 'alice', '/user/alice/tree/notes');
const cookie = (value: string, scope = alice) => judgeHeader('set-cookie', value, scope);
const OUTSIDE = "has a Path outside the server's prefix";

describe('cookies a user server may set', () => {
  it.each([
    ['its own cookie on its prefix', 'x=1; Path=/user/alice/'],
    ["JupyterHub's form of the prefix, without the trailing slash", 'jupyterhub-user-alice=abc; Path=/user/alice; HttpOnly'],
    ['a path deeper in its prefix', '_xsrf=2|a|b; Path=/user/alice/lab'],
    ['no Path on a request deep enough in its prefix', 'x=1'],
    ['a Path that is not absolute (the default path applies)', 'x=1; Path=relative'],
  ])('keeps %s', (_what, value) => {
    expect(cookie(value)).toEqual({ keep: true });
  });

  it.each([
    ['Path=/ (jupyterhub-singleuser before 4.1 sets its _xsrf so)', '_xsrf=2|a|b; Path=/; SameSite=Lax', '_xsrf=2|a|b; SameSite=Lax; Path=/user/alice/'],
    ['Path=/user/', 'x=1; Path=/user/', 'x=1; Path=/user/alice/'],
    ['the last of two Paths when it is an ancestor', 'x=1; Path=/user/alice/; path=/', 'x=1; Path=/user/alice/'],
  ])('narrows to its prefix a cookie with %s', (_what, value, narrowed) => {
    expect(cookie(value)).toEqual({ keep: true, narrowed });
  });

  it.each([
    ['the hub login cookie', 'jupyterhub-hub-login=forged; Path=/hub/', "is one of the hub's cookies"],
    ['the hub login cookie even on its own prefix', 'jupyterhub-hub-login=forged; Path=/user/alice/', "is one of the hub's cookies"],
    ['the hub login cookie at /', 'jupyterhub-hub-login=forged; Path=/', "is one of the hub's cookies"],
    ['the session id cookie', 'jupyterhub-session-id=x; Path=/user/alice/', "is one of the hub's cookies"],
    ['a __Host- spelling of a hub cookie', '__Host-jupyterhub-hub-login=x; Path=/', "is one of the hub's cookies"],
    ['the hub _xsrf on the hub path', '_xsrf=x; Path=/hub/', OUTSIDE],
    ["another user's prefix", 'x=1; Path=/user/bob/', OUTSIDE],
    ['a prefix that only starts with the name', 'x=1; Path=/user/alicex', OUTSIDE],
    ['a Path that is a string prefix but no ancestor', 'x=1; Path=/us', OUTSIDE],
    ['the last of two Paths outside', 'x=1; Path=/user/alice/; Path=/hub/', OUTSIDE],
    ['a Domain attribute', 'x=1; Path=/user/alice/; Domain=hub.example.org', 'has a Domain attribute (it would reach other hosts)'],
    ['an empty Domain attribute', 'x=1; Path=/user/alice/; Domain=', 'has a Domain attribute (it would reach other hosts)'],
  ])('drops %s', (_what, value, why) => {
    expect(cookie(value)).toEqual({ keep: false, why });
  });

  it('derives a missing Path from the request as browsers do', () => {
    // /user/alice (no slash) defaults to /user, which every user's pages share: narrowed.
    expect(cookie('x=1', serverScope('/', 'alice', '/user/alice'))).toEqual({ keep: true, narrowed: 'x=1; Path=/user/alice/' });
    expect(cookie('x=1', serverScope('/', 'alice', '/user/alice/?a=/b/c'))).toEqual({ keep: true });
    // A Path longer than browsers accept is ignored by them, so the default applies.
    expect(cookie(`x=1; Path=/user/alice/${'a'.repeat(1100)}`, serverScope('/', 'alice', '/user/alice'))).toEqual({ keep: true, narrowed: 'x=1; Path=/user/alice/' });
  });

  it('applies the base URL', () => {
    const scope = serverScope('/jupyter/', 'alice', '/jupyter/user/alice/');
    expect(cookie('x=1; Path=/jupyter/user/alice', scope)).toEqual({ keep: true });
    expect(cookie('x=1; Path=/user/alice/', scope)).toEqual({ keep: false, why: OUTSIDE });
    expect(cookie('x=1; Path=/', scope)).toEqual({ keep: true, narrowed: 'x=1; Path=/jupyter/user/alice/' });
  });

  it('names every cookie the hub sets', () => {
    expect([...HUB_COOKIES].sort()).toEqual([LOGIN_COOKIE, SESSION_ID_COOKIE, STATE_COOKIE].sort());
  });
});

describe('headers a user server may not send', () => {
  it.each(['service-worker-allowed', 'clear-site-data'])('drops %s', (name) => {
    expect(judgeHeader(name, '/', alice).keep).toBe(false);
  });

  it('keeps everything else', () => {
    expect(judgeHeader('content-type', 'text/html', alice)).toEqual({ keep: true });
    expect(judgeHeader('set-cookie2', 'x=1; Path=/', alice)).toEqual({ keep: true });
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
      'Set-Cookie: _xsrf=1; Path=/',
      'Service-Worker-Allowed: /',
      'Content-Length: 2',
      'clear-site-data: "cookies"',
    ].join('\r\n');
    const screened = screenResponseHead(text, alice)!;
    expect(screened.head).toBe('HTTP/1.1 200 OK\r\nSET-COOKIE: mine=1; Path=/user/alice/\r\nSet-Cookie: _xsrf=1; Path=/user/alice/\r\nContent-Length: 2\r\n\r\n');
    expect(screened.narrowed).toEqual(['_xsrf']);
    expect(screened.dropped).toEqual([
      { header: 'set-cookie', cookie: 'jupyterhub-hub-login', why: "is one of the hub's cookies" },
      { header: 'service-worker-allowed', why: 'would let a service worker control pages outside the server' },
      { header: 'clear-site-data', why: "would clear the hub's cookies and storage" },
    ]);
  });
});

describe('screenResponseHeaders (node:http)', () => {
  it('removes dropped cookies and headers and narrows cookies in place', () => {
    const headers = {
      'set-cookie': ['a=1; Path=/hub/', 'mine=1; Path=/user/alice', 'wide=1; Path=/'],
      'service-worker-allowed': '/',
      'content-type': 'text/html',
    };
    const dropped = screenResponseHeaders(headers, alice);
    expect(headers).toEqual({ 'set-cookie': ['mine=1; Path=/user/alice', 'wide=1; Path=/user/alice/'], 'content-type': 'text/html' });
    expect(dropped.dropped.map((d) => d.cookie ?? d.header)).toEqual(['service-worker-allowed', 'a']);
    expect(dropped.narrowed).toEqual(['wide']);
  });

  it('removes Set-Cookie entirely when no cookie is left', () => {
    const headers: Record<string, string[]> = { 'set-cookie': ['a=1; Domain=example.org'] };
    screenResponseHeaders(headers, alice);
    expect(headers).toEqual({});
  });
});

function incoming(headers: Record<string, string>, socket: { remoteAddress?: string; encrypted?: boolean } = {}): IncomingMessage {
  return { headers: { ...headers }, socket: { remoteAddress: '10.1.2.3', ...socket } } as unknown as IncomingMessage;
}

describe('withoutHubCookies', () => {
  it('removes the hub login cookie and keeps every other cookie in order', () => {
    expect(withoutHubCookies('a=1; jupyterhub-hub-login=secret; jupyterhub-session-id=abc; jupyterhub-user-alice=x'))
      .toBe('a=1; jupyterhub-session-id=abc; jupyterhub-user-alice=x');
  });

  it('removes the __Host- variant too', () => {
    expect(withoutHubCookies('__Host-jupyterhub-hub-login=s;b=2')).toBe('b=2');
  });

  it('leaves no Cookie header when the login cookie was the only one', () => {
    expect(withoutHubCookies('jupyterhub-hub-login=secret')).toBeUndefined();
    expect(withoutHubCookies(' jupyterhub-hub-login=secret ; ')).toBeUndefined();
  });

  it('keeps _xsrf, which on /user/ paths is the single-user server\'s own cookie', () => {
    expect(withoutHubCookies('_xsrf=2|abc; jupyterhub-hub-login=s')).toBe('_xsrf=2|abc');
  });

  it('does not remove a cookie whose name only contains the login cookie\'s name', () => {
    expect(withoutHubCookies('x-jupyterhub-hub-login-y=1; jupyterhub-hub-login=s')).toBe('x-jupyterhub-hub-login-y=1');
    expect(withoutHubCookies('a=jupyterhub-hub-login')).toBe('a=jupyterhub-hub-login');
  });

  it('passes a header without the login cookie through untouched', () => {
    const header = 'a=1;b=2';
    expect(withoutHubCookies(header)).toBe(header);
    expect(withoutHubCookies(undefined)).toBeUndefined();
  });
});

describe('prepareForwardedHeaders', () => {
  it('adds X-Forwarded-For/Proto/Port/Host for a direct client', () => {
    const req = incoming({ host: 'hub.example:8000', cookie: 'jupyterhub-hub-login=s; k=v' });
    prepareForwardedHeaders(req);
    expect(req.headers).toMatchObject({
      'x-forwarded-for': '10.1.2.3',
      'x-forwarded-proto': 'http',
      'x-forwarded-port': '8000',
      'x-forwarded-host': 'hub.example:8000',
      cookie: 'k=v',
    });
  });

  it('believes what a trusted front proxy sent: its client, scheme and host', () => {
    const req = incoming({ host: 'hub.example', 'x-forwarded-for': '203.0.113.9', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'public.example' });
    prepareForwardedHeaders(req, false, createTrustedProxies(['10.0.0.0/8']));
    expect(req.headers).toMatchObject({
      'x-forwarded-for': '203.0.113.9',
      'x-forwarded-proto': 'https',
      'x-forwarded-port': '443',
      'x-forwarded-host': 'public.example',
    });
  });

  it('replaces what an untrusted peer claimed with what the hub sees', () => {
    const req = incoming({ host: 'hub.example', 'x-forwarded-for': '203.0.113.9', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'public.example', 'x-forwarded-port': '443' });
    prepareForwardedHeaders(req, false, createTrustedProxies(['192.168.0.0/16']));
    expect(req.headers).toMatchObject({
      'x-forwarded-for': '10.1.2.3',
      'x-forwarded-proto': 'http',
      'x-forwarded-port': '80',
      'x-forwarded-host': 'hub.example',
    });
  });

  it('says https and port 443 on a TLS socket', () => {
    const req = incoming({ host: 'hub.example' }, { encrypted: true });
    prepareForwardedHeaders(req);
    expect(req.headers['x-forwarded-proto']).toBe('https');
    expect(req.headers['x-forwarded-port']).toBe('443');
  });

  it('drops the Cookie header entirely when only the login cookie was sent', () => {
    const req = incoming({ host: 'h', cookie: 'jupyterhub-hub-login=s' });
    prepareForwardedHeaders(req);
    expect('cookie' in req.headers).toBe(false);
  });
});

describe('hop-by-hop fields (RFC 9110 §7.6.1)', () => {
  const head = (text: string) => Buffer.from(`${text}\r\n\r\n`, 'latin1');
  const response = (text: string) => parseResponseHead(head(text), text.length, 'GET') as ResponseHead;
  const rewritten = (text: string, close: boolean, scope: ServerScope | null = null) => clientResponseHead(response(text), close, scope);

  it('are never sent on by the fast lane, whichever the parser meets (its list is HOP_BY_HOP)', () => {
    for (const name of HOP_BY_HOP) {
      const parsed = parseRequestHead(head(`GET /user/alice/ HTTP/1.1\r\nHost: h\r\n${name}: x`), `GET /user/alice/ HTTP/1.1\r\nHost: h\r\n${name}: x`.length);
      // Either the lane hands the request to node:http (Connection: x, Upgrade), or it drops the line.
      if (parsed !== null) expect(forwardedRequestHead(parsed, '/user/alice/', '10.0.0.1', false).toLowerCase()).not.toContain(`\r\n${name}:`);
    }
  });

  it('leave a head with none of them, or a lone Connection: keep-alive, untouched (no copy)', () => {
    expect(rewritten('HTTP/1.1 200 OK\r\nContent-Length: 0', false)).toBeNull();
    expect(rewritten('HTTP/1.1 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0', false)).toBeNull();
    expect(rewritten('HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0', true)).toBeNull();
  });

  it('are removed from a response head with the fields Connection names, order and spelling of the rest kept', () => {
    const text = 'HTTP/1.1 200 OK\r\nConnection: keep-alive, X-Hop\r\nX-A: 1\r\nx-hop: secret\r\nKeep-Alive: timeout=5\r\nProxy-Connection: x\r\nTE: trailers\r\nTrailer: X-Sum\r\nUpgrade: h2c\r\nContent-Length: 0';
    expect(rewritten(text, false)).toEqual({ head: 'HTTP/1.1 200 OK\r\nX-A: 1\r\nContent-Length: 0\r\n\r\n', screened: null });
  });

  it('are replaced by Connection: close when the lane ends the client connection, and a server\'s close is not the client\'s', () => {
    expect(rewritten('HTTP/1.1 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0', true)?.head).toBe('HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
    expect(rewritten('HTTP/1.1 200 OK\r\nContent-Length: 0', true)?.head).toBe('HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
    expect(rewritten('HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0', false)?.head).toBe('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n');
  });

  it('go before a user server\'s head is screened, in one rewrite', () => {
    const out = rewritten('HTTP/1.1 200 OK\r\nKeep-Alive: timeout=5\r\nSet-Cookie: jupyterhub-hub-login=x; Path=/hub/\r\nContent-Length: 0', false, alice);
    expect(out?.head).toBe('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n');
    expect(out?.screened?.dropped.map((d) => d.cookie)).toEqual(['jupyterhub-hub-login']);
  });

  it('are removed from node:http\'s parsed response, which then says close only when the client connection ends', () => {
    const headers: IncomingHttpHeaders = { connection: 'keep-alive, X-Hop', 'x-hop': 's', 'keep-alive': 'timeout=5', 'proxy-connection': 'x', te: 'trailers', trailer: 'X-Sum', upgrade: 'h2c', 'x-a': '1' };
    screenHopByHop(headers, false);
    expect(headers).toEqual({ 'x-a': '1' });
    screenHopByHop(headers, true);
    expect(headers).toEqual({ 'x-a': '1', connection: 'close' });
  });

  it('never take a response\'s framing with them, though Connection names it (the client would read on into the next response)', () => {
    expect(rewritten('HTTP/1.1 200 OK\r\nConnection: Content-Length, Transfer-Encoding\r\nContent-Length: 2', false)?.head).toBe('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n');
    const headers: IncomingHttpHeaders = { connection: 'content-length', 'content-length': '2' };
    screenHopByHop(headers, false);
    expect(headers).toEqual({ 'content-length': '2' });
  });

  it('are taken off node:http\'s outgoing request, Host never', () => {
    const removed: string[] = [];
    removeHopByHop({ removeHeader: (name) => void removed.push(name) }, { connection: 'close, X-Hop, Host', host: 'h' });
    expect(removed.sort()).toEqual([...HOP_BY_HOP, 'x-hop'].sort());
  });
});

// The fast lane's form of the forwarding rules (node:http's is prepareForwardedHeaders above).
const GET = 'GET /user/alice/x HTTP/1.1\r\nHost: hub.example:8000';

function request(head: string): RequestHead | null {
  const buf = Buffer.from(`${head}\r\n\r\n`, 'latin1');
  return parseRequestHead(buf, buf.length - 4);
}

describe('forwardedRequestHead', () => {
  function forwarded(head: string, path = '/user/alice/x', remote = '10.0.0.9'): string {
    const parsed = request(head);
    expect(parsed).not.toBeNull();
    return forwardedRequestHead(parsed!, path, remote, false);
  }
  function lines(text: string, name: string): string[] {
    return text.split('\r\n').filter((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`));
  }

  it('removes the hub login cookie and keeps the others', () => {
    const out = forwarded(`${GET}\r\nCookie: a=1; jupyterhub-hub-login=secret; jupyterhub-user-alice=u`);
    expect(lines(out, 'cookie')).toEqual(['Cookie: a=1; jupyterhub-user-alice=u']);
    expect(out).not.toContain('secret');
  });

  it('removes the __Host- variant of the login cookie', () => {
    const out = forwarded(`${GET}\r\nCookie: __Host-jupyterhub-hub-login=secret; _xsrf=x`);
    expect(lines(out, 'cookie')).toEqual(['Cookie: _xsrf=x']);
  });

  it('sends no Cookie header when the login cookie was the only one', () => {
    expect(lines(forwarded(`${GET}\r\nCookie: jupyterhub-hub-login=secret`), 'cookie')).toEqual([]);
  });

  it('keeps the login cookie on a request forwarded to the hub', () => {
    const parsed = request('GET /hub/home HTTP/1.1\r\nHost: h\r\nCookie: a=1; jupyterhub-hub-login=secret')!;
    expect(lines(forwardedRequestHead(parsed, '/hub/home', '10.0.0.9', true), 'cookie')).toEqual(['Cookie: a=1; jupyterhub-hub-login=secret']);
  });

  it('keeps a Cookie header without the login cookie as it was', () => {
    expect(lines(forwarded(`${GET}\r\nCookie: a=1;b=2`), 'cookie')).toEqual(['Cookie: a=1;b=2']);
  });

  it('sets X-Forwarded-For/Proto/Port/Host from the client and its Host', () => {
    const out = forwarded(GET);
    expect(lines(out, 'x-forwarded-for')).toEqual(['X-Forwarded-For: 10.0.0.9']);
    expect(lines(out, 'x-forwarded-proto')).toEqual(['X-Forwarded-Proto: http']);
    expect(lines(out, 'x-forwarded-port')).toEqual(['X-Forwarded-Port: 8000']);
    expect(lines(out, 'x-forwarded-host')).toEqual(['X-Forwarded-Host: hub.example:8000']);
  });

  it('uses port 80 for a Host without a port', () => {
    expect(lines(forwarded('GET /user/alice/x HTTP/1.1\r\nHost: hub.example'), 'x-forwarded-port')).toEqual(['X-Forwarded-Port: 80']);
  });

  const FRONT = `${GET}\r\nX-Forwarded-For: 1.2.3.4, 5.6.7.8\r\nX-Forwarded-Proto: https\r\nX-Forwarded-Port: 443\r\nX-Forwarded-Host: public.example`;

  it('keeps the X-Forwarded-For/Proto/Port/Host a trusted front proxy sent, its client last', () => {
    const parsed = request(FRONT)!;
    const out = forwardedRequestHead(parsed, '/user/alice/x', '10.0.0.9', false, { encrypted: false, trust: createTrustedProxies(['10.0.0.9']) });
    expect(lines(out, 'x-forwarded-for')).toEqual(['X-Forwarded-For: 1.2.3.4, 5.6.7.8']);
    expect(lines(out, 'x-forwarded-proto')).toEqual(['X-Forwarded-Proto: https']);
    expect(lines(out, 'x-forwarded-port')).toEqual(['X-Forwarded-Port: 443']);
    expect(lines(out, 'x-forwarded-host')).toEqual(['X-Forwarded-Host: public.example']);
  });

  it('ignores the X-Forwarded-* of a peer that is not a trusted proxy', () => {
    const out = forwarded(FRONT);
    expect(lines(out, 'x-forwarded-for')).toEqual(['X-Forwarded-For: 10.0.0.9']);
    expect(lines(out, 'x-forwarded-proto')).toEqual(['X-Forwarded-Proto: http']);
    expect(lines(out, 'x-forwarded-port')).toEqual(['X-Forwarded-Port: 8000']);
    expect(lines(out, 'x-forwarded-host')).toEqual(['X-Forwarded-Host: hub.example:8000']);
  });

  it('says https for a TLS client connection', () => {
    const out = forwardedRequestHead(request(GET)!, '/user/alice/x', '10.0.0.9', false, { encrypted: true, trust: createTrustedProxies([]) });
    expect(lines(out, 'x-forwarded-proto')).toEqual(['X-Forwarded-Proto: https']);
  });

  it('drops Connection and Keep-Alive (the server connection is pooled)', () => {
    const out = forwarded(`${GET}\r\nConnection: keep-alive, close\r\nKeep-Alive: timeout=5`);
    expect(lines(out, 'connection')).toEqual([]);
    expect(lines(out, 'keep-alive')).toEqual([]);
  });

  it('replaces the target with the normalised path and keeps the method', () => {
    const out = forwarded('DELETE /user/alice/a/../b?x=1 HTTP/1.1\r\nHost: h', '/user/alice/b?x=1');
    expect(out.startsWith('DELETE /user/alice/b?x=1 HTTP/1.1\r\nHost: h\r\n')).toBe(true);
  });

  it('ends with one empty line and keeps Content-Length', () => {
    const out = forwarded('POST /user/alice/x HTTP/1.1\r\nHost: h\r\nContent-Length: 12');
    expect(lines(out, 'content-length')).toEqual(['Content-Length: 12']);
    expect(out.endsWith('\r\n\r\n')).toBe(true);
    expect(out.indexOf('\r\n\r\n')).toBe(out.length - 4);
  });
});


describe('forwardedRequestHead, one request after another', () => {
  // The lines of a request that claims no X-Forwarded-* are reused while their inputs repeat: any change must show.
  const xf = (out: string) => out.split('\r\n').filter((l) => l.startsWith('X-Forwarded-')).join('|');
  const make = (head: string, remote: string, encrypted = false, trust = createTrustedProxies([])) =>
    xf(forwardedRequestHead(request(head)!, '/user/alice/x', remote, false, { encrypted, trust }));

  it('follows a change of client, Host, scheme, trusted proxies or claims from one request to the next', () => {
    const plain = 'GET /user/alice/x HTTP/1.1\r\nHost: a.example:8000';
    expect(make(plain, '10.0.0.1')).toBe('X-Forwarded-For: 10.0.0.1|X-Forwarded-Proto: http|X-Forwarded-Port: 8000|X-Forwarded-Host: a.example:8000');
    expect(make(plain, '10.0.0.1')).toBe('X-Forwarded-For: 10.0.0.1|X-Forwarded-Proto: http|X-Forwarded-Port: 8000|X-Forwarded-Host: a.example:8000');
    expect(make(plain, '10.0.0.2')).toContain('X-Forwarded-For: 10.0.0.2|');
    expect(make('GET /user/alice/x HTTP/1.1\r\nHost: b.example', '10.0.0.2')).toContain('X-Forwarded-Port: 80|X-Forwarded-Host: b.example');
    expect(make('GET /user/alice/x HTTP/1.1\r\nHost: b.example', '10.0.0.2', true)).toContain('X-Forwarded-Proto: https|X-Forwarded-Port: 443|');
    const claims = 'GET /user/alice/x HTTP/1.1\r\nHost: b.example\r\nX-Forwarded-For: 1.2.3.4';
    expect(make(claims, '10.0.0.2', true)).toContain('X-Forwarded-For: 10.0.0.2|');
    expect(make(claims, '10.0.0.2', true, createTrustedProxies(['10.0.0.2']))).toContain('X-Forwarded-For: 1.2.3.4|');
    expect(make('GET /user/alice/x HTTP/1.1\r\nHost: b.example', '10.0.0.2', true, createTrustedProxies(['10.0.0.2']))).toContain('X-Forwarded-For: 10.0.0.2|');
  });
});

describe('forwardedRequestHead with an empty X-Forwarded-Host', () => {
  it('sends one X-Forwarded-Host, from Host, as the node:http path does', () => {
    const parsed = request(`${GET}\r\nX-Forwarded-Host: `)!;
    const out = forwardedRequestHead(parsed, '/user/alice/x', '10.0.0.9', false);
    const hosts = out.split('\r\n').filter((l) => l.toLowerCase().startsWith('x-forwarded-host:'));
    expect(hosts).toEqual(['X-Forwarded-Host: hub.example:8000']);
  });
});
