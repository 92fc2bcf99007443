// What an answer to a request that reached the hub over HTTPS carries: every cookie Secure (also when hub.public_url
// says http, as behind a TLS-terminating proxy in hub.trusted_proxies) and, when the hub serves TLS itself,
// Strict-Transport-Security. The scheme is the proxy thread's X-Forwarded-Proto: the app listens on loopback, and
// that thread writes the header itself (policy/trusted-proxies.ts), believing a client's only from a trusted proxy.
import type { MiddlewareHandler } from 'hono';
import type { HubConfig } from '../../config/load.js';
import type { AppEnv } from '../env.js';

export function httpsAnswers(config: Pick<HubConfig, 'hub'>): MiddlewareHandler<AppEnv> {
  return async function httpsAnswersMiddleware(c, next) {
    await next();
    if (c.req.header('x-forwarded-proto') !== 'https') return;
    const cookies = c.res.headers.getSetCookie();
    const insecure = cookies.some((cookie) => !/;\s*secure\s*(;|$)/i.test(cookie));
    const maxAge = config.hub.tls === undefined ? 0 : config.hub.tls.hsts_max_age;
    if (!insecure && maxAge === 0) return;
    // Headers of a Response made elsewhere may be immutable: the answer is copied once, here.
    const res = new Response(c.res.body, c.res);
    if (insecure) {
      res.headers.delete('set-cookie');
      for (const cookie of cookies) res.headers.append('set-cookie', /;\s*secure\s*(;|$)/i.test(cookie) ? cookie : `${cookie}; Secure`);
    }
    if (maxAge > 0) res.headers.set('Strict-Transport-Security', `max-age=${maxAge}`);
    // Cleared first: Hono's setter would copy the old answer's headers (its cookies too) onto the new one.
    c.res = undefined;
    c.res = res;
  };
}
