import { Hono } from 'hono';
import { setCookie } from 'hono/cookie';
import { describe, expect, it } from 'vitest';
import type { AppEnv } from '../env.js';
import { httpsAnswers } from './https-answers.js';

function app(tls?: { hsts_max_age: number }) {
  const hono = new Hono<AppEnv>();
  hono.use('*', httpsAnswers({ hub: { tls } } as never));
  hono.get('/', (c) => {
    setCookie(c, 'plain', '1', { path: '/' });
    setCookie(c, 'already', '2', { path: '/', secure: true });
    return c.text('ok');
  });
  return hono;
}

const overHttps = { headers: { 'X-Forwarded-Proto': 'https' } };

describe('httpsAnswers', () => {
  it('makes every cookie Secure once, and sends HSTS when the hub serves TLS', async () => {
    const res = await app({ hsts_max_age: 600 }).request('/', overHttps);
    expect(res.headers.getSetCookie()).toEqual(['plain=1; Path=/; Secure', 'already=2; Path=/; Secure']);
    expect(res.headers.get('strict-transport-security')).toBe('max-age=600');
    expect(await res.text()).toBe('ok');
  });

  it('sends no HSTS with hsts_max_age 0, nor behind a TLS-terminating proxy (no hub.tls)', async () => {
    expect((await app({ hsts_max_age: 0 }).request('/', overHttps)).headers.has('strict-transport-security')).toBe(false);
    const proxied = await app().request('/', overHttps);
    expect(proxied.headers.has('strict-transport-security')).toBe(false);
    expect(proxied.headers.getSetCookie()[0]).toBe('plain=1; Path=/; Secure');
  });

  it('leaves answers over plain HTTP as they are', async () => {
    const res = await app({ hsts_max_age: 600 }).request('/');
    expect(res.headers.getSetCookie()[0]).toBe('plain=1; Path=/');
    expect(res.headers.has('strict-transport-security')).toBe(false);
  });
});
