// The JupyterHub version Berth answers as: GET /hub/api's body and the X-JupyterHub-Version header on every hub
// answer (pages too, as JupyterHub's BaseHandler.set_default_headers does). It must be valid PEP 440: single-user
// servers parse it with `packaging` and die on anything else. jupyterhub-singleuser 5.x compares the major version
// only and 3.x/4.x major.minor; a mismatch is only a warning ("could cause failure to authenticate"), so 5.2.1 keeps
// today's images quiet and 3.x/4.x images working.
import { readFileSync } from 'node:fs';
import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../env.js';

export const HUB_API_VERSION = '5.2.1';

/** Berth's own version (package.json, beside src/ and dist/ alike), for what /hub/api/info says of its parts. */
export const BERTH_VERSION: string = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')).version;

export function versionHeader(): MiddlewareHandler<AppEnv> {
  return async function jupyterhubVersionHeader(c, next) {
    // Before the handler, so answers rendered from the context (errors included) carry it; after, for the ones
    // built as fresh Responses.
    c.header('X-JupyterHub-Version', HUB_API_VERSION);
    await next();
    c.res.headers.set('X-JupyterHub-Version', HUB_API_VERSION);
  };
}
