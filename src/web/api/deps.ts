// What the /hub/api routers need, filled in by hub.ts. Servers come from the state machine (src/servers/); the API only
// reads them (and asks it to stop), it never writes the servers table.
import type { ConfigReloadProblem } from '../../config/live-config.js';
import type { OAuthClientStore } from '../../auth/oauth-clients.js';
import type { OAuthCodeStore } from '../../auth/oauth-codes.js';
import type { HubConfig } from '../../config/load.js';
import type { GroupStore } from '../../groups/store.js';
import type { Servers } from '../../servers/servers.js';
import type { Sharing } from '../../shares/sharing.js';
import type { IdentifyDeps } from '../middleware/identify.js';
import type { UsageApiDeps } from './usage.js';

/**
 * The part of the server state machine the API uses: reads (one or a page), start/stop/progress, activity reported
 * by servers, the running servers (GET /hub/api/proxy), and a reconcile pass (POST/PATCH /hub/api/proxy).
 */
export type ApiServers = Pick<Servers, 'get' | 'named' | 'page' | 'running' | 'target' | 'start' | 'stop' | 'progress' | 'recordActivity' | 'reconcile'>;

export interface ApiDeps extends IdentifyDeps {
  config: HubConfig;
  groups: GroupStore;
  oauthClients: OAuthClientStore;
  oauthCodes: OAuthCodeStore;
  /** The session's _xsrf value for forms the API renders (the OAuth consent page); from helper C's csrf module. */
  xsrfToken?: (sessionId: string) => string;
  servers: ApiServers;
  /** Shares and share codes (src/shares/): the sharing API, the accept-share page and the home page's panel. */
  sharing: Sharing;
  /**
   * Stops the hub soon after the caller's response is sent (POST /hub/api/shutdown); with `servers`, users' servers
   * are stopped first.
   */
  shutdown: (options: { servers: boolean }) => void;
  /** GET /hub/api/usage. */
  usage: UsageApiDeps;
  /** Why the last edit of hub.yaml was refused (the running config stays), for the admin page's banner; null: none. */
  configProblem: () => ConfigReloadProblem | null;
}
