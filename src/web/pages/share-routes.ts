// The browser side of sharing: /hub/accept-share (GET: what is shared by whom, with an Accept button; POST: redeem,
// then on to the server or a safe `next`), and the home panel's forms under /hub/sharing/ (grant, revoke, create or
// revoke a link, leave). Every form posts with the session's _xsrf (csrf.ts refuses it otherwise) and goes through
// the same rules as the API (src/shares/sharing.ts); sharePanelFor() gives the panel's props for the home page.
import { Hono, type Context } from 'hono';
import type { Caller } from '../../auth/caller.js';
import { safeNext } from '../../auth/safe-next.js';
import { describeScopes } from '../../auth/scopes.js';
import type { HubConfig } from '../../config/load.js';
import type { User } from '../../db/schema.js';
import { HttpError } from '../../errors.js';
import { serverUrl } from '../../servers/server-env.js';
import type { Servers } from '../../servers/servers.js';
import type { Sharing } from '../../shares/sharing.js';
import type { UserStore } from '../../users/store.js';
import { acceptUrl } from '../api/shares.js';
import { iso } from '../api/models.js';
import type { AppEnv } from '../env.js';
import { xsrfToken } from '../middleware/csrf.js';
import { signInRedirect } from '../middleware/require-user.js';
import type { SharePanelProps } from './share-panel.js';
import { acceptSharePage, linkCreatedPage } from './share-pages.js';
import { frameOf } from './page-frame.js';

export interface SharePageDeps {
  config: HubConfig;
  users: Pick<UserStore, 'get'>;
  servers: Pick<Servers, 'get' | 'named'>;
  sharing: Sharing;
  secret: Buffer;
}

type SignedIn = { caller: Caller & { kind: 'user' }; user: User };

export function sharePageRoutes(deps: SharePageDeps): Hono<AppEnv> {
  const { config, sharing } = deps;
  const base = config.hub.base_url;
  const home = `${base}hub/home`;
  const app = new Hono<AppEnv>();

  const signedIn = (c: Context<AppEnv>): SignedIn | null => {
    const caller = c.get('caller');
    if (!caller || caller.kind !== 'user') return null;
    const user = deps.users.get(caller.name);
    return user === null ? null : { caller, user };
  };
  const xsrfOf = (caller: Caller) => (caller.kind === 'user' && caller.sessionId ? xsrfToken(deps.secret, caller.sessionId) : null);
  /** A form field as a string ('' when absent): forms send nothing else, and an absent field is the empty default. */
  const field = (form: Record<string, unknown>, name: string): string => {
    const value = form[name];
    if (value !== undefined && typeof value !== 'string') throw new HttpError(400, `Form field ${name} must be text`);
    return value ?? '';
  };

  /** Where accepting sends the browser: a `next` on this hub (never elsewhere), else the shared server. */
  const nextUrl = (c: Context<AppEnv>, owner: string, server: string) => safeNext(c.req.query('next'), base) ?? serverUrl(config, owner, server);

  app.get('/accept-share', (c) => {
    const me = signedIn(c);
    if (me === null) return signInRedirect(c, base);
    const code = c.req.query('code');
    if (!code) throw new HttpError(400, 'The link has no share code (?code=…): ask for the link again');
    const { code: row, server } = sharing.invitation(me.user, code);
    c.header('Cache-Control', 'no-store');
    return c.html(acceptSharePage(frameOf(c), {
      user: me.user.name, owner: row.owner, server: row.serverName, serverUrl: serverUrl(config, row.owner, row.serverName),
      ready: server.view.ready, scopes: describeScopes(row.scopes, me.user.name), code, xsrf: xsrfOf(me.caller),
      next: nextUrl(c, row.owner, row.serverName),
    }));
  });

  app.post('/accept-share', async (c) => {
    const me = signedIn(c);
    if (me === null) throw new HttpError(403, 'Sign in to accept a share');
    const code = field(await c.req.parseBody(), 'code') || c.req.query('code') || '';
    if (!code) throw new HttpError(400, 'The form has no share code: open the share link again');
    const { server } = sharing.accept(me.user, code);
    c.var.log.info({ user: me.user.name, server: `${server.owner.name}/${server.serverName}` }, 'share code accepted');
    return c.redirect(nextUrl(c, server.owner.name, server.serverName), 302);
  });

  /** The home panel's forms: the caller's scopes decide, exactly as through the API. */
  const form = (act: (me: SignedIn, f: (name: string) => string) => Response | void) => async (c: Context<AppEnv>) => {
    const me = signedIn(c);
    if (me === null) throw new HttpError(403, 'Sign in to manage sharing');
    const body = await c.req.parseBody();
    return act(me, (name) => field(body, name)) ?? c.redirect(home, 303);
  };
  const grantee = (f: (name: string) => string) => {
    const kind = f('kind');
    const name = f('name').trim();
    if (kind !== 'user' && kind !== 'group') throw new HttpError(400, `Share with a user or a group, not ${JSON.stringify(kind)}`);
    if (name === '') throw new HttpError(400, `Name the ${kind} to share with`);
    return kind === 'user' ? { user: name } : { group: name };
  };

  app.post('/sharing/grant', form((me, f) => void sharing.grant(me.caller.scopes, f('owner'), f('server'), grantee(f))));
  app.post('/sharing/revoke', form((me, f) => void sharing.revoke(me.caller.scopes, f('owner'), f('server'), grantee(f))));
  app.post('/sharing/unlink', form((me, f) => void sharing.deleteCodes(me.caller.scopes, f('owner'), f('server'), { id: f('id') || 'none' })));
  app.post('/sharing/leave', form((me, f) => void sharing.leave(me.caller.scopes, { user: me.user.name }, f('owner'), f('server'))));
  app.post('/sharing/link', async (c) => {
    const me = signedIn(c);
    if (me === null) throw new HttpError(403, 'Sign in to manage sharing');
    const f = await c.req.parseBody();
    const seconds = Number(field(f, 'expires_in'));
    if (!Number.isInteger(seconds) || seconds < 60 || seconds > 525_600 * 60) {
      throw new HttpError(400, `A link expires after one minute to one year (expires_in in seconds), not ${JSON.stringify(field(f, 'expires_in'))}`);
    }
    const { code, row } = sharing.issueCode(me.caller.scopes, field(f, 'owner'), field(f, 'server'), { expires_in: seconds });
    const origin = config.urls.configuredOrigin || new URL(c.req.url).origin;
    c.header('Cache-Control', 'no-store');
    return c.html(linkCreatedPage(frameOf(c), { url: `${origin}${acceptUrl(config, code)}`, server: row.serverName, expiresAt: iso(row.expiresAt) ?? '', home }));
  });

  return app;
}

/** The home page's sharing panel for the signed-in caller, as HTML (empty when the caller is not a user). */
export function sharePanelFor(deps: SharePageDeps, caller: Caller | null): SharePanelProps | null {
  if (!caller || caller.kind !== 'user') return null;
  const name = caller.name;
  const { scopes } = caller;
  const mine = (server: string) => ({ user: name, server: `${name}/${server}` });
  const serverNames = ['', ...deps.servers.named(name).map((s) => s.name)];
  const shares = deps.sharing.list(scopes, name, null);
  const links = deps.sharing.codes(scopes, name, null);
  const props: SharePanelProps = {
    hubPrefix: `${deps.config.hub.base_url}hub`,
    user: name,
    xsrf: caller.sessionId ? xsrfToken(deps.secret, caller.sessionId) : '',
    canShareByName: scopes.holds('shares', mine('')) === 'yes' && (deps.config.hub.user_sharing === 'full' || scopes.holds('read:users:name', { user: '' }) !== 'no'),
    canShareByLink: scopes.holds('shares', mine('')) === 'yes',
    servers: serverNames.map((server) => ({
      name: server,
      url: serverUrl(deps.config, name, server),
      shares: shares.filter((s) => s.serverName === server).map((s) => (s.group !== null ? { kind: 'group' as const, name: s.group } : { kind: 'user' as const, name: s.user ?? '' })),
      links: links.filter((l) => l.serverName === server).map((l) => ({ id: `sc_${l.id}`, expiresAt: iso(l.expiresAt) ?? '', exchangeCount: l.exchangeCount })),
    })),
    sharedWithMe: deps.sharing.sharedWithUser(scopes, name).filter((s) => s.owner !== name).map((s) => ({
      owner: s.owner, server: s.serverName, url: serverUrl(deps.config, s.owner, s.serverName), group: s.group, ready: deps.servers.get(s.owner, s.serverName)?.ready ?? false,
    })),
  };
  return props;
}
