// The Hono environment every route and middleware shares: per-request values set by middleware.
import type { Caller } from '../auth/caller.js';
import type { Logger } from '../log.js';
import type { PageSettings } from './pages/page-frame.js';

export interface AppEnv {
  Variables: {
    requestId: string;
    log: Logger;
    /** Who is calling (token or login cookie), set by middleware/identify.ts; null when anonymous. */
    caller: Caller | null;
    /** The request-log line is written at debug level (a repeat already explained once, e.g. an orphan's activity). */
    quietLog?: boolean;
    /** The hub's page settings (pages/page-frame.ts), for the frame of every page, error pages included. */
    page: PageSettings;
  };
}
