// Warns when a sign-in starts on a host other than hub.public_url's: the OAuth provider sends the browser back to
// the redirect_uri built from public_url, so the sign-in ends on another host (or fails) without saying why.
// Once per host, and for a bounded number of hosts, so a client that varies Host cannot flood the log.
import type { MiddlewareHandler } from 'hono';
import type { Logger } from '../../log.js';
import type { AppEnv } from '../env.js';

const MAX_HOSTS_WARNED = 100;

export function publicHostCheck(deps: { publicUrl: string; logger: Logger }): MiddlewareHandler<AppEnv> {
  const expected = new URL(deps.publicUrl).host;
  const warned = new Set<string>();
  return async function publicHostCheckMiddleware(c, next) {
    // The hub's proxy sets X-Forwarded-Host (a front proxy's value first, else Host): the host the browser used.
    const host = c.req.header('x-forwarded-host')?.split(',')[0]?.trim() || new URL(c.req.url).host;
    if (host !== expected && warned.size < MAX_HOSTS_WARNED && !warned.has(host)) {
      warned.add(host);
      deps.logger.warn(
        { host, publicUrl: deps.publicUrl },
        `A sign-in started at ${host}, but hub.public_url is ${deps.publicUrl}: the sign-in provider (GitHub's ` +
          `redirect_uri) sends the browser back to ${deps.publicUrl}, not to ${host}. Set hub.public_url (with docker ` +
          'compose: BERTH_PUBLIC_URL) to the URL users open, and register its callback with the provider.' +
          (warned.size === MAX_HOSTS_WARNED ? ` (Further hosts are not logged: ${MAX_HOSTS_WARNED} were.)` : ''),
      );
    }
    await next();
  };
}
