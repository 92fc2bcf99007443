import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { prepareForwardedHeaders, withoutHubCookies } from './request-headers.js';

function request(headers: Record<string, string>, socket: { remoteAddress?: string; encrypted?: boolean } = {}): IncomingMessage {
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
    const req = request({ host: 'hub.example:8000', cookie: 'jupyterhub-hub-login=s; k=v' });
    prepareForwardedHeaders(req);
    expect(req.headers).toMatchObject({
      'x-forwarded-for': '10.1.2.3',
      'x-forwarded-proto': 'http',
      'x-forwarded-port': '8000',
      'x-forwarded-host': 'hub.example:8000',
      cookie: 'k=v',
    });
  });

  it('appends to what a front proxy sent and keeps its X-Forwarded-Host', () => {
    const req = request({ host: 'hub.example', 'x-forwarded-for': '203.0.113.9', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'public.example' });
    prepareForwardedHeaders(req);
    expect(req.headers).toMatchObject({
      'x-forwarded-for': '203.0.113.9,10.1.2.3',
      'x-forwarded-proto': 'https,http',
      'x-forwarded-port': '80',
      'x-forwarded-host': 'public.example',
    });
  });

  it('says https and port 443 on a TLS socket', () => {
    const req = request({ host: 'hub.example' }, { encrypted: true });
    prepareForwardedHeaders(req);
    expect(req.headers['x-forwarded-proto']).toBe('https');
    expect(req.headers['x-forwarded-port']).toBe('443');
  });

  it('drops the Cookie header entirely when only the login cookie was sent', () => {
    const req = request({ host: 'h', cookie: 'jupyterhub-hub-login=s' });
    prepareForwardedHeaders(req);
    expect('cookie' in req.headers).toBe(false);
  });
});
