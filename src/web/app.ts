// Builds the Hono app served under <base_url>hub/: middleware, then each area's routes.
// It knows its collaborators only through WebDeps, which the composition root (hub.ts) fills in.
import { Hono } from 'hono';
import type { HubConfig } from '../config/load.js';
import type { Logger } from '../log.js';
import type { AppEnv } from './env.js';
import { renderError } from './errors.js';
import { healthRoutes, type HealthChecks } from './health.js';
import { requestLog } from './middleware/request-log.js';
import { identify } from './middleware/identify.js';
import { apiRoutes } from './api/index.js';
import { versionHeader } from './api/version.js';
import { unmatchedRequest } from './api/method-not-allowed.js';
import { boundedBodies } from './api/body.js';
import type { ApiDeps } from './api/deps.js';
import { adminRoutes } from './pages/admin-routes.js';
import { tokenPageRoutes } from './pages/token-routes.js';
import { csrf, xsrfCookie } from './middleware/csrf.js';
import { pageIsolation } from './middleware/page-isolation.js';
import { publicHostCheck } from './middleware/public-host-check.js';
import { httpsAnswers } from './middleware/https-answers.js';
import { unknownServerToken } from './middleware/unknown-server-token.js';
import { signInRoutes, type SignInDeps } from './pages/sign-in-routes.js';
import { serverPageRoutes } from './pages/server-routes.js';
import { homeRoutes } from './pages/home-routes.js';
import { logoRoutes } from './pages/logo-routes.js';
import { sharePageRoutes, sharePanelFor } from './pages/share-routes.js';
import { createMembership } from '../groups/membership.js';
import type { HubMetrics } from '../metrics/hub-metrics.js';
import { requestMetrics } from './middleware/request-metrics.js';
import { metricsRoutes } from './metrics-routes.js';
import { usagePageRoutes } from './pages/usage-routes.js';
import { pageFrame } from './pages/page-frame.js';
import { staticRoutes } from './pages/static-assets.js';

export interface WebDeps {
  config: HubConfig;
  logger: Logger;
  health: HealthChecks;
  /** Stores and collaborators of the REST API and of caller identification (helper B). */
  api: ApiDeps;
  /** Sessions, authenticators and the pages of the browser sign-in flow (helper C). */
  signIn: SignInDeps;
  /** /hub/metrics and the request timings. */
  metrics: HubMetrics;
}

export function createWebApp(deps: WebDeps): Hono<AppEnv> {
  const hubPrefix = deps.config.urls.hub.slice(0, -1);
  const app = new Hono<AppEnv>().basePath(hubPrefix);
  // First, so that every page, error pages included, has its frame.
  app.use('*', pageFrame(deps.config));
  app.use('*', requestLog(deps.logger));
  app.use('*', requestMetrics(deps.metrics));
  app.use('*', versionHeader());
  app.use('*', httpsAnswers(deps.config));
  app.use('*', pageIsolation({ baseUrl: deps.config.hub.base_url }));
  app.use('*', boundedBodies());
  app.use('*', identify(deps.api));
  // After identify(): the XSRF rules depend on how the caller was authenticated.
  app.use('*', csrf({ secret: deps.signIn.secret, publicUrl: deps.config.urls.public, baseUrl: deps.config.urls.base, cookie: xsrfCookie(deps.signIn) }));
  app.use('/api/users/:name/activity', unknownServerToken({ logger: deps.logger, configFile: deps.config.file }));
  app.onError(renderError);
  const unmatched = unmatchedRequest(() => app.routes);
  app.notFound((c) => renderError(unmatched(c), c));

  app.route('/', healthRoutes(deps.health));
  app.route('/', metricsRoutes(deps.metrics, () => deps.config.hub.authenticate_prometheus));
  app.route('/api', healthRoutes(deps.health));
  app.route('/api', apiRoutes(deps.api));
  app.route('/', logoRoutes(deps.config));
  const hostCheck = publicHostCheck({ publicUrl: deps.config.urls.public, logger: deps.logger });
  for (const start of ['/oauth_login', '/oidc/login']) app.use(start, hostCheck);
  app.route('/', signInRoutes(deps.signIn));
  app.route('/', serverPageRoutes({ config: deps.config, users: deps.api.users, servers: deps.api.servers, groups: deps.api.groups, secret: deps.signIn.secret }));
  app.route('/', staticRoutes());
  const sharePageDeps = { config: deps.config, users: deps.api.users, servers: deps.api.servers, sharing: deps.api.sharing, secret: deps.signIn.secret };
  app.route('/', homeRoutes({
    config: deps.config, users: deps.api.users, servers: deps.api.servers, secret: deps.signIn.secret,
    memberOf: createMembership(deps.api.groups), sharePanel: (caller) => sharePanelFor(sharePageDeps, caller),
  }));
  app.route('/', adminRoutes({ ...deps.api, secret: deps.signIn.secret }));
  app.route('/', tokenPageRoutes({ ...deps.api, secret: deps.signIn.secret }));
  app.route('/', sharePageRoutes(sharePageDeps));
  app.route('/', usagePageRoutes(deps.api));
  return app;
}
