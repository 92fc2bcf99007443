// The Hono environment every route and middleware shares: per-request values set by middleware.
import type { Logger } from '../log.js';

export interface AppEnv {
  Variables: {
    requestId: string;
    log: Logger;
  };
}
