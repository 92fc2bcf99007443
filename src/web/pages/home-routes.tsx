// GET /hub/home: the signed-in user's servers (pages/home-page.tsx). One read of the user's server rows; the page
// then follows them through the REST API.
import { Hono } from 'hono';
import type { Caller } from '../../auth/caller.js';
import type { HubConfig } from '../../config/load.js';
import type { Membership } from '../../groups/membership.js';
import type { Servers } from '../../servers/servers.js';
import type { UserStore } from '../../users/store.js';
import type { AppEnv } from '../env.js';
import { xsrfToken } from '../middleware/csrf.js';
import { signInRedirect } from '../middleware/require-user.js';
import { HomePage, type HomeServer } from './home-page.js';
import type { SharePanelProps } from './share-panel.js';
import { renderPage } from './layout.js';
import { frameOf } from './page-frame.js';
import { pendingUrl, spawnUrl } from './page-urls.js';
import { spawnChoices } from './spawn-choices.js';

export interface HomeDeps {
  config: HubConfig;
  users: Pick<UserStore, 'get'>;
  servers: Pick<Servers, 'get' | 'named'>;
  secret: Buffer;
  /** The user's groups, for catalog entries limited to groups (whether Start has a choice to offer). */
  memberOf: Membership;
  /** The sharing panel's contents for the caller (share-routes.ts's sharePanelFor). */
  sharePanel: (caller: Caller) => SharePanelProps | null;
}

export function homeRoutes(deps: HomeDeps): Hono<AppEnv> {
  const { config } = deps;
  const hub = `${config.hub.base_url}hub`;
  const app = new Hono<AppEnv>();
  app.get('/home', (c) => {
    const caller = c.get('caller');
    if (!caller || caller.kind !== 'user' || caller.via !== 'cookie') return signInRedirect(c, config.hub.base_url);
    const user = deps.users.get(caller.name);
    if (user === null) return signInRedirect(c, config.hub.base_url);
    const { choose } = spawnChoices(config, user, deps.memberOf(user));
    const views = [deps.servers.get(user.name)!, ...deps.servers.named(user.name)];
    const servers: HomeServer[] = views.map((view) => ({
      view,
      start: { href: spawnUrl(hub, user.name, view.name), choose },
      pendingUrl: pendingUrl(hub, user.name, view.name),
    }));
    const named = config.spawner.allow_named_servers ? { action: spawnUrl(hub, user.name, ''), limit: config.spawner.named_server_limit_per_user } : null;
    return c.html(renderPage(
      <HomePage frame={frameOf(c)} name={user.name} xsrf={xsrfToken(deps.secret, caller.sessionId ?? '')} servers={servers} named={named} sharing={deps.sharePanel(caller)} />,
    ));
  });
  return app;
}
