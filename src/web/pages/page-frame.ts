// What the frame of every hub page needs to know: the hub's settings (set once per request by pageFrame(), first
// in the chain so error pages have them too) and who is looking, read from the caller identify() found.
import type { Context, MiddlewareHandler } from 'hono';
import type { HubConfig } from '../../config/load.js';
import { servicesForMenu, type MenuService } from '../../services/menu.js';
import type { AppEnv } from '../env.js';

export type { MenuService };

export interface PageSettings {
  /** <base_url>hub, without the trailing slash. */
  hubPrefix: string;
  /** hub.announcement ('' = none). */
  announcement: string;
  /** The Services menu; empty = no menu. */
  services: readonly MenuService[];
}

export interface PageFrame extends PageSettings {
  /** The signed-in user (by the login cookie), or null on pages for anyone (sign-in, most errors). */
  user: { name: string; admin: boolean } | null;
}

/** Middleware: the page settings for this hub, read per request because hub.yaml's announcement and services apply live. */
export function pageFrame(config: Pick<HubConfig, 'hub' | 'services' | 'urls'>): MiddlewareHandler<AppEnv> {
  return async function pageFrameMiddleware(c, next) {
    c.set('page', { hubPrefix: `${config.hub.base_url}hub`, announcement: config.hub.announcement, services: servicesForMenu(config) });
    await next();
  };
}

/** The frame for this request's page. */
export function frameOf(c: Context<AppEnv>): PageFrame {
  const settings = c.get('page') ?? { hubPrefix: '/hub', announcement: '', services: [] };
  const caller = c.get('caller');
  const user = caller?.kind === 'user' && caller.via === 'cookie' ? { name: caller.name, admin: caller.scopes.holds('admin-ui') === 'yes' } : null;
  return { ...settings, user };
}
