// JupyterHub 5.0's sharing API: /hub/api/shares/:owner[/:server] (list, grant, revoke, revoke all),
// /hub/api/users/:name/shared and /hub/api/groups/:group/shared (what was shared with them, and leaving a share),
// /hub/api/share-codes/:owner[/:server] (codes to redeem at /hub/accept-share). The rules are src/shares/sharing.ts's;
// this file parses requests and writes JupyterHub's models. A path without a server (`/shares/alice`) is the
// owner's list; `/shares/alice/` is alice's default server.
import { Hono, type Context } from 'hono';
import type { HubConfig } from '../../config/load.js';
import { HttpError } from '../../errors.js';
import type { ShareCodeView, ShareView } from '../../shares/store.js';
import type { Sharing } from '../../shares/sharing.js';
import type { ServerView } from '../../servers/servers.js';
import type { AppEnv } from '../env.js';
import { requireCaller } from '../middleware/require-scope.js';
import { parseJsonBody } from './body.js';
import { iso, serverModel } from './models.js';
import { paginate, parsePaging } from './pagination.js';
import { shareBody, shareCodeBody } from './share-bodies.js';

export interface ShareApiDeps {
  config: Pick<HubConfig, 'urls' | 'hub'>;
  sharing: Sharing;
  server(owner: string, server: string): ServerView | null;
}

/** JupyterHub's truncated server model for shares: the owner's name, and name, url, full_url, ready. */
function shareServerModel(config: ShareApiDeps['config'], owner: string, view: ServerView | null, serverName: string): Record<string, unknown> {
  const full = view === null ? null : serverModel(config, owner, view);
  return { user: { name: owner }, name: serverName, url: full?.url ?? null, full_url: full?.full_url ?? null, ready: full?.ready ?? false };
}

export function shareModel(deps: Pick<ShareApiDeps, 'config' | 'server'>, share: ShareView): Record<string, unknown> {
  return {
    server: shareServerModel(deps.config, share.owner, deps.server(share.owner, share.serverName), share.serverName),
    scopes: share.scopes,
    user: share.user === null ? null : { name: share.user },
    group: share.group === null ? null : { name: share.group },
    kind: share.group === null ? 'user' : 'group',
    created_at: iso(share.created),
  };
}

/** The accept-share page's path for a code, relative to the hub's origin. */
export const acceptUrl = (config: Pick<HubConfig, 'urls'>, code: string) => `${config.urls.hub}accept-share?code=${encodeURIComponent(code)}`;

export function shareCodeModel(deps: Pick<ShareApiDeps, 'config' | 'server'>, row: ShareCodeView, code?: string): Record<string, unknown> {
  const model: Record<string, unknown> = {
    server: shareServerModel(deps.config, row.owner, deps.server(row.owner, row.serverName), row.serverName),
    scopes: row.scopes,
    id: `sc_${row.id}`,
    created_at: iso(row.created),
    expires_at: iso(row.expiresAt),
    exchange_count: row.exchangeCount,
    last_exchanged_at: iso(row.lastExchangedAt),
  };
  if (code !== undefined) {
    // The code itself only in the answer that created it; only its hash is kept.
    const origin = deps.config.urls.configuredOrigin;
    model.code = code;
    model.accept_url = acceptUrl(deps.config, code);
    model.full_accept_url = origin ? `${origin}${model.accept_url as string}` : null;
  }
  return model;
}

export function shareRoutes(deps: ShareApiDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const { sharing } = deps;
  const scopesOf = (c: Context<AppEnv>) => requireCaller(c).scopes;
  const owner = (c: Context<AppEnv>) => c.req.param('owner') as string;
  const server = (c: Context<AppEnv>) => c.req.param('server') ?? '';
  const page = <T>(c: Context<AppEnv>, all: T[], toModel: (item: T) => unknown) => c.json(paginate(c, parsePaging(c), all, toModel) as object);
  const share = (s: ShareView) => shareModel(deps, s);
  const code = (r: ShareCodeView) => shareCodeModel(deps, r);
  const onlyGet = () => {
    throw new HttpError(405, 'Only GET is supported without a server name: use /shares/{owner}/{server} (/shares/{owner}/ for the default server)');
  };

  // The owner's shares and codes over all their servers.
  app.get('/shares/:owner', (c) => page(c, sharing.list(scopesOf(c), owner(c), null), share));
  app.on(['POST', 'PATCH', 'DELETE'], '/shares/:owner', onlyGet);
  app.get('/share-codes/:owner', (c) => page(c, sharing.codes(scopesOf(c), owner(c), null), code));
  app.on(['POST', 'DELETE'], '/share-codes/:owner', onlyGet);

  for (const path of ['/shares/:owner/', '/shares/:owner/:server']) {
    app.get(path, (c) => page(c, sharing.list(scopesOf(c), owner(c), server(c)), share));
    app.post(path, async (c) => {
      const scopes = scopesOf(c);
      const body = await parseJsonBody(c, shareBody);
      return c.json(share(sharing.grant(scopes, owner(c), server(c), body)));
    });
    app.patch(path, async (c) => {
      const scopes = scopesOf(c);
      const body = await parseJsonBody(c, shareBody);
      const left = sharing.revoke(scopes, owner(c), server(c), body);
      // JupyterHub: the share that remains, or {} once nothing is left.
      return c.json(left === null ? {} : share(left));
    });
    app.delete(path, (c) => {
      sharing.revokeAll(scopesOf(c), owner(c), server(c));
      return c.body(null, 204);
    });
  }

  for (const path of ['/share-codes/:owner/', '/share-codes/:owner/:server']) {
    app.get(path, (c) => page(c, sharing.codes(scopesOf(c), owner(c), server(c)), code));
    app.post(path, async (c) => {
      const scopes = scopesOf(c);
      const body = await parseJsonBody(c, shareCodeBody, { empty: {} });
      const issued = sharing.issueCode(scopes, owner(c), server(c), body);
      return c.json(shareCodeModel(deps, issued.row, issued.code));
    });
    app.delete(path, (c) => {
      sharing.deleteCodes(scopesOf(c), owner(c), server(c), { code: c.req.query('code'), id: c.req.query('id') });
      return c.body(null, 204);
    });
  }

  app.get('/users/:name/shared', (c) => page(c, sharing.sharedWithUser(scopesOf(c), c.req.param('name')), share));
  app.get('/groups/:group/shared', (c) => page(c, sharing.sharedWithGroup(scopesOf(c), c.req.param('group')), share));
  for (const path of ['/users/:name/shared/:owner/', '/users/:name/shared/:owner/:server']) {
    app.get(path, (c) => c.json(share(sharing.shareOf(scopesOf(c), { user: c.req.param('name') as string }, owner(c), server(c)))));
    app.delete(path, (c) => {
      sharing.leave(scopesOf(c), { user: c.req.param('name') as string }, owner(c), server(c));
      return c.body(null, 204);
    });
  }
  for (const path of ['/groups/:group/shared/:owner/', '/groups/:group/shared/:owner/:server']) {
    app.get(path, (c) => c.json(share(sharing.shareOf(scopesOf(c), { group: c.req.param('group') as string }, owner(c), server(c)))));
    app.delete(path, (c) => {
      sharing.leave(scopesOf(c), { group: c.req.param('group') as string }, owner(c), server(c));
      return c.body(null, 204);
    });
  }
  return app;
}

