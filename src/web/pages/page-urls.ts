// The hub page URLs that start and follow a server, for one user's default or named server, with an optional `next`.
import { escapePath } from '../../servers/server-env.js';

const withNext = (url: string, next: string | null) => (next ? `${url}?next=${encodeURIComponent(next)}` : url);
const serverPath = (user: string, server: string) => `${escapePath(user)}${server === '' ? '' : `/${escapePath(server)}`}`;

/** /hub/spawn/<user>[/<server>]: the options page (GET) and the start (POST). */
export function spawnUrl(hubPrefix: string, user: string, server: string, next: string | null = null): string {
  return withNext(`${hubPrefix}/spawn/${serverPath(user, server)}`, next);
}

/** /hub/spawn-pending/<user>[/<server>]: the progress page. */
export function pendingUrl(hubPrefix: string, user: string, server: string, next: string | null = null): string {
  return withNext(`${hubPrefix}/spawn-pending/${serverPath(user, server)}`, next);
}
