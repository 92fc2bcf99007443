// The JupyterHub version Berth answers as: GET /hub/api's body and the X-JupyterHub-Version header on every hub
// answer (pages too, as JupyterHub's BaseHandler.set_default_headers does). It must be valid PEP 440: single-user
// servers parse it with `packaging` and die on anything else. jupyterhub-singleuser 5.x compares the major version
// only and 3.x/4.x major.minor; a mismatch is only a warning ("could cause failure to authenticate"), so 5.2.1 keeps
// today's images quiet and 3.x/4.x images working.
import { readFileSync } from 'node:fs';
import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../env.js';

export const HUB_API_VERSION = '5.2.1';

/**
 * Berth's own version, for what /hub/api/info says of its parts: from the nearest package.json named berth above this
 * module (src/ and dist/ sit beside it, but the benchmarks and tests compile the hub elsewhere in the checkout).
 */
export const BERTH_VERSION: string = findBerthVersion(new URL('.', import.meta.url));

function findBerthVersion(dir: URL): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('package.json', dir), 'utf8')) as { name?: string; version?: string };
    if (pkg.name === 'berth' && pkg.version) return pkg.version;
  } catch {
    // no package.json here: look further up
  }
  const parent = new URL('..', dir);
  return parent.href === dir.href ? 'unknown' : findBerthVersion(parent);
}

export function versionHeader(): MiddlewareHandler<AppEnv> {
  return async function jupyterhubVersionHeader(c, next) {
    // Before the handler, so answers rendered from the context (errors included) carry it; after, for the ones
    // built as fresh Responses.
    c.header('X-JupyterHub-Version', HUB_API_VERSION);
    await next();
    c.res.headers.set('X-JupyterHub-Version', HUB_API_VERSION);
  };
}
