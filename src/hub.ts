// The composition root: the one place that builds every part of the hub from its config and secrets and wires
// them. Tests pass parts (a spawner, a Docker client, a clock, a logger) instead of mocking modules.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import { loadConfig, type HubConfig } from './config/load.js';
import { createLiveConfig, type ConfigReloadProblem, type ReloadOutcome } from './config/live-config.js';
import { watchConfigFile } from './config/watch-file.js';
import type { HubSecrets } from './config/secrets.js';
import { systemClock, type Clock } from './clock.js';
import { adminNotice, admissionWarnings } from './config/policy.js';
import { openDatabase, type OpenedDb } from './db/open.js';
import { createLogger, type Logger } from './log.js';
import { createWebApp } from './web/app.js';
import { createUserStore, type UserStore } from './users/store.js';
import { ensureConfiguredUsers } from './users/configured-users.js';
import { revokeUnbackedGroupAdmins } from './auth/admin-grant.js';
import { createTokenStore, type TokenStore } from './auth/tokens.js';
import { createOAuthClientStore, type OAuthClientStore } from './auth/oauth-clients.js';
import { createOAuthCodeStore } from './auth/oauth-codes.js';
import { startPurging } from './auth/purge.js';
import { createCallerResolver } from './auth/caller.js';
import { createSessions, type Sessions } from './auth/sessions.js';
import { createGithubAuthenticator } from './auth/github.js';
import { createOidcAuthenticator } from './auth/oidc.js';
import { CRYPT_KEY_ENV, createGithubTokenVault, type GithubTokenVault } from './auth/github-token.js';
import { createLoginThrottle } from './auth/login-throttle.js';
import { createPamAuthenticator } from './auth/pam.js';
import { syncServiceTokens } from './auth/service-tokens.js';
import { syncServiceClients } from './auth/service-clients.js';
import { serviceRoutes } from './services/service-specs.js';
import { createGroupStore, type GroupStore } from './groups/store.js';
import { createMembership } from './groups/membership.js';
import { createShareStore, type ShareStore } from './shares/store.js';
import { createSharing } from './shares/sharing.js';
import { xsrfToken } from './web/middleware/csrf.js';
import { loadHubId } from './hub-id.js';
import { createDockerClient, type DockerClient } from './spawner/docker-client.js';
import { createDockerSpawner } from './spawner/docker-spawner.js';
import { createSwarmSpawner } from './spawner/swarm/swarm-spawner.js';
import { createVolumePins } from './servers/volume-pins.js';
import { catalogImages } from './servers/image.js';
import type { Spawner } from './spawner/spawner.js';
import { createServers, type Servers, type ServerTiming } from './servers/servers.js';
import { claimedContainerIds } from './servers/server-rows.js';
import { reportOrphans } from './servers/orphans.js';
import { listenInternal, type InternalListener } from './internal-listener.js';
import { defaultProxyThreads, startProxyThreads, type ProxyThreads } from './proxy/threads.js';
import { bootProxyThread, type BootedProxyThread } from './proxy/thread.js';
import type { ProxyLimits } from './proxy/public-listener.js';
import type { SignInDeps } from './web/pages/sign-in-routes.js';
import { createHubMetrics, type HubMetrics } from './metrics/hub-metrics.js';
import { measuredServers, measuredSpawner } from './metrics/measured.js';
import { createUsageStore } from './usage/usage-store.js';
import { usageSources } from './usage/usage-report.js';
import { createUsageMeter, type UsageMeter } from './usage/usage-meter.js';
import { startHubTls, type HubTls } from './tls/hub-tls.js';
import type { AcmeTiming } from './tls/acme-certificates.js';

/** The parts a hub is built from; createHub makes each one it is not given. */
export interface HubParts {
  /** Starts and stops servers; default: the Docker spawner on `docker` (tests: test/fakes/fake-spawner.ts). */
  spawner: Spawner;
  /** The Docker engine the default spawner uses; default: the engine DOCKER_HOST names, else the local socket. */
  docker: DockerClient;
  /** "Now" for the timestamps the hub records. */
  clock: Clock;
  logger: Logger;
  /** Shorter server timings (tests). */
  serverTiming: Partial<ServerTiming>;
  /** Port of the internal listener containers use (default 8081). */
  internalPort: number;
  /** Environment for settings that are not secrets (BERTH_PYTHON for PAM); default process.env. */
  env: Record<string, string | undefined>;
  /** Shorter ACME renewal checks and retries (tests). */
  acmeTiming: Partial<AcmeTiming>;
  /** The first proxy thread, booted by main.ts before it loads the hub; default: booted when start() begins. */
  bootedProxy: BootedProxyThread;
}

export interface HubStores {
  users: UserStore;
  groups: GroupStore;
  tokens: TokenStore;
  oauthClients: OAuthClientStore;
  sessions: Sessions;
  shares: ShareStore;
}

export interface Hub {
  /** The running config: reads always see the last hub.yaml applied (config/live-config.ts). */
  readonly config: HubConfig;
  /** Reads hub.yaml again and applies it (started also by edits of the file, and by SIGHUP in main.ts). */
  reloadConfig(reason: string): ReloadOutcome;
  /** Why the last edit of hub.yaml was refused (for the admin page's banner), or null when the file is applied. */
  configReloadProblem(): ConfigReloadProblem | null;
  readonly logger: Logger;
  readonly db: OpenedDb['db'];
  /** The server state machine (start/stop/progress/target). */
  readonly servers: Servers;
  /** This hub's id, the value of the `berth.hub` label on its containers. */
  readonly hubId: string;
  /** The stores the hub was built with (tests and benchmarks seed and inspect through them). */
  readonly stores: HubStores;
  /** The hub app (everything under <base_url>hub/), for in-process requests without listeners: app.request(url). */
  readonly app: ReturnType<typeof createWebApp>;
  /** Opens the listeners; resolves once they accept connections. */
  start(): Promise<void>;
  /** Closes listeners and the database. User containers keep running. */
  stop(): Promise<void>;
  /**
   * Resolves once the hub has stopped, whoever stopped it (stop(), POST /hub/api/shutdown), with the failure that
   * stopped it or null. A hub whose proxy thread died stops itself, so a supervisor can restart it.
   */
  readonly closed: Promise<Error | null>;
  /** The public listener's address (useful when hub.bind asks for port 0). */
  address(): AddressInfo;
  /** What /hub/metrics shows. */
  readonly metrics: HubMetrics;
  /** Usage sampling (a sample runs at the poll interval; tests may ask for one). */
  readonly usage: Pick<UsageMeter, 'sample'>;
}

export function createHub(initialConfig: HubConfig, secrets: HubSecrets, overrides: Partial<HubParts> = {}): Hub {
  const logger = overrides.logger ?? createLogger(initialConfig.hub.log_level);
  const clock = overrides.clock ?? systemClock;
  const env = overrides.env ?? process.env;
  // ${VAR} in hub.yaml keeps meaning what it meant at start when the file is read again.
  const startEnv = { ...env };
  const { cookieSecret } = secrets;
  // Refuse to start before touching anything when pass_token is on without a key.
  const githubTokens: GithubTokenVault = createGithubTokenVault(initialConfig, { [CRYPT_KEY_ENV]: secrets.cryptKey });
  const opened = openDatabase(initialConfig.dataDir);
  if (opened.backup) logger.info({ backup: opened.backup }, 'database backed up before migrating it; the README (Upgrades) says how to roll back to it');
  const hubId = loadHubId(opened.db);
  const userStore = createUserStore(opened.db);
  const tokens = createTokenStore(opened.db);
  /** The rows hub.yaml names (admins, allowed users, service tokens), brought in line with it at start and on reload. */
  const oauthClients = createOAuthClientStore(opened.db);
  const syncConfiguredRows = (next: HubConfig) => opened.db.$client.transaction(() => {
    revokeUnbackedGroupAdmins(next.auth, userStore, logger);
    const created = ensureConfiguredUsers(next.auth, userStore);
    if (created.length > 0) logger.info({ users: created.slice(0, 20), count: created.length }, 'users named in auth.admin_users / auth.allowed_users created');
    syncServiceTokens(next, tokens);
    syncServiceClients(next, oauthClients);
  })();
  try {
    syncConfiguredRows(initialConfig);
  } catch (err) {
    opened.close();
    throw err;
  }
  const live = createLiveConfig({
    initial: initialConfig,
    load: () => loadConfig(initialConfig.file, startEnv),
    sync: syncConfiguredRows,
    logger,
  });
  const config = live.view;
  let proxy: ProxyThreads | undefined;
  let bootedProxy: BootedProxyThread | undefined;
  let tls: HubTls | null = null;
  let servers: Servers;
  const metrics = createHubMetrics({
    totalUsers: () => userStore.count(),
    activeUsers: (cutoffs) => userStore.countActiveSince(cutoffs),
    runningServers: () => servers.running().length,
    proxyCounts: async () => (proxy ? proxy.counts() : null),
    proxyThreads: () => proxy?.running() ?? 0,
    now: () => clock.now(),
  });
  const baseSpawner = overrides.spawner ?? (config.spawner.backend === 'swarm' ? createSwarmSpawner({
    docker: overrides.docker ?? createDockerClient(),
    network: config.spawner.network,
    hubId,
    port: config.spawner.port,
    extraLabels: config.spawner.extra_labels,
    logger,
    volumeDriver: config.spawner.volume_driver === undefined ? undefined : { name: config.spawner.volume_driver, options: config.spawner.volume_driver_options },
    volumePins: createVolumePins(opened.db),
    catalog: () => ({ images: catalogImages(config), pullPolicy: config.spawner.pull_policy }),
    onConfigChange: (listener) => live.onChange(listener),
  }) : createDockerSpawner({
    docker: overrides.docker ?? createDockerClient(),
    network: config.spawner.network,
    isolate: config.spawner.isolate_containers,
    hubId,
    port: config.spawner.port,
    extraLabels: config.spawner.extra_labels,
    logger,
    claimed: () => claimedContainerIds(opened.db),
  }));
  const usageStore = createUsageStore(opened.db);
  const usage = createUsageMeter({ store: usageStore, spawner: baseSpawner, clock, logger, intervalMs: overrides.serverTiming?.pollIntervalMs });
  const spawner = measuredSpawner(baseSpawner, metrics);
  const groupStore = createGroupStore(opened.db);
  const oauthCodes = createOAuthCodeStore(opened.db);
  const shares = createShareStore(opened.db);
  let stopPurging: (() => void) | null = null;
  const sessions = createSessions({ db: opened.db, secret: cookieSecret, config });
  let internal: InternalListener | null = null;
  servers = measuredServers(createServers({
    config,
    db: opened.db,
    users: userStore,
    spawner,
    tokens,
    oauthClients,
    logger,
    clock,
    hubApiUrl: () => {
      if (!internal) throw new Error('the hub has not started its internal listener yet (call hub.start() first)');
      return internal.apiUrl;
    },
    memberOf: createMembership(groupStore),
    userEnv: (user) => githubTokens.envFor(user),
    timing: overrides.serverTiming,
    onReconciled: (first, seconds) => metrics.observeReconcile(first, seconds),
  }), metrics);

  const sharing = createSharing({ byName: config.hub.user_sharing === 'full', db: opened.db, users: userStore, groups: groupStore, shares, server: (owner, server) => servers.get(owner, server) });
  const signInMethods = signInMethodsOf(config, githubTokens, env.BERTH_PYTHON);
  const app = createWebApp({
    config,
    logger,
    health: {
      database: () => void opened.db.$client.prepare('SELECT 1').get(),
      docker: () => spawner.ping(),
    },
    api: {
      config,
      configProblem: () => live.problem(),
      users: userStore,
      groups: groupStore,
      tokens,
      oauthClients,
      oauthCodes,
      resolver: createCallerResolver({ config, users: userStore, groups: groupStore, tokens, shares }),
      sharing,
      servers,
      sessions,
      xsrfToken: (sessionId) => xsrfToken(cookieSecret, sessionId),
      usage: { usage: usageSources(usageStore, userStore, groupStore), now: () => clock.now() },
      shutdown: (options) => {
        // On the next turn, so the 202 is written before the listener it travels on closes.
        setImmediate(() => void shutdown(options).catch((err) => logger.error({ err }, 'shutdown through the API failed')));
      },
    },
    metrics,
    signIn: {
      config,
      secret: cookieSecret,
      sessions,
      users: userStore,
      get github() {
        return signInMethods().github;
      },
      get oidc() {
        return signInMethods().oidc;
      },
      get pam() {
        return signInMethods().pam;
      },
      throttle: createLoginThrottle(),
      servers,
    },
  });
  const serveHub = getRequestListener(app.fetch);
  // The app listens on loopback only; the public port belongs to the proxy thread, which forwards <base_url>hub/
  // here and <base_url>user/<name>/ to the server state's targets, so hub work never delays proxied traffic.
  const appServer = http.createServer(serveHub);
  appServer.keepAliveTimeout = 65_000;

  const [host, port] = splitBind(config.hub.bind);
  let stopped = false;
  let failure: Error | null = null;
  let markClosed!: (failure: Error | null) => void;
  const closed = new Promise<Error | null>((resolve) => (markClosed = resolve));

  async function shutdown(options: { servers: boolean }): Promise<void> {
    // Stops still under way when these answer 'pending' are awaited by servers.close() in stop().
    if (options.servers) await servers.stopAll();
    await hub.stop();
  }

  // From here, not from start(): an edit saved while the hub starts is not missed.
  const configWatch = watchConfigFile(config.file, () => void live.reload('file changed'), { logger });
  const hub: Hub = {
    config,
    reloadConfig: (reason) => live.reload(reason),
    configReloadProblem: () => live.problem(),
    logger,
    db: opened.db,
    servers,
    hubId,
    stores: { users: userStore, groups: groupStore, tokens, oauthClients, sessions, shares },
    app,
    metrics,
    usage,
    async start() {
      const began = performance.now();
      // The first proxy thread loads its modules while Docker answers the questions below.
      bootedProxy = overrides.bootedProxy ?? bootProxyThread();
      // Containers must reach the hub before any server starts, and running ones are re-adopted before routing.
      const where = await spawner.prepare();
      internal = await listenInternal((req, res) => void serveHub(req, res), {
        ...where, port: overrides.internalPort, baseUrl: config.hub.base_url,
      });
      logger.info({ apiUrl: internal.apiUrl, mode: where.mode }, 'containers reach the hub here');
      await servers.reconcile();
      await reportOrphans({ spawner, network: config.spawner.network, configFile: config.file, logger });
      servers.watch();
      // After the first reconcile: only servers found alive are metered, from where their accounting stopped.
      usage.start(servers);
      stopPurging = startPurging({ tokens, oauthCodes }, logger);
      await new Promise<void>((resolve, reject) => {
        appServer.once('error', reject);
        appServer.listen(0, '127.0.0.1', () => {
          appServer.off('error', reject);
          resolve();
        });
      });
      tls = await startHubTls({ config, logger, publicPort: () => proxy?.address().port ?? null, acmeTiming: overrides.acmeTiming });
      proxy = await startProxyThreads({
        // Unset: one at start, more as load needs them, up to one per core (threads.ts).
        count: config.hub.proxy_threads ?? defaultProxyThreads(),
        startWith: config.hub.proxy_threads ?? 1,
        tls: tls?.first ?? null,
        baseUrl: config.hub.base_url,
        subdomainHost: config.hub.subdomain_host ?? null,
        host,
        port,
        hubTarget: `http://127.0.0.1:${(appServer.address() as AddressInfo).port}`,
        ...proxyLimits(config),
        routes: servers,
        services: serviceRoutes(config),
        logger,
        booted: bootedProxy,
        onExit: (code) => {
          failure = new Error(`the proxy threads stopped unexpectedly (exit code ${code}); see the log above`);
          void hub.stop().catch((err) => logger.error({ err }, 'stopping after the proxy thread died failed'));
        },
      });
      const started = proxy;
      live.onChange((next) => {
        started.setLimits(proxyLimits(next));
        started.setServices(serviceRoutes(next));
      });
      tls?.follow((pair) => started.setCertificate(pair));
      const { address, port: bound } = proxy.address();
      logger.info({ address, port: bound, publicUrl: config.urls.public }, 'hub listening');
      for (const warning of [adminNotice(config) ?? [], admissionWarnings(config)].flat()) logger.warn(warning);
      metrics.observeStartup((performance.now() - began) / 1000);
    },
    closed,
    async stop() {
      if (stopped) {
        await closed;
        return;
      }
      stopped = true;
      try {
        await stopHub();
      } finally {
        markClosed(failure);
      }
    },
    address: () => proxy?.address() as AddressInfo,
  };
  return hub;

  async function stopHub(): Promise<void> {
    configWatch.close();
    stopPurging?.();
    await servers.close();
    await usage.close();
    await internal?.close();
    await tls?.close();
    await proxy?.close();
    // A start that failed before the proxy: the thread booted for it still waits for its setup.
    if (!proxy) await bootedProxy?.worker.terminate();
    await new Promise<void>((resolve) => {
      appServer.close(() => resolve());
      appServer.closeAllConnections();
    });
    opened.close();
    logger.info('hub stopped; user containers left running');
    logger.flush();
  }
}

/** What the proxy thread takes from hub.yaml and is sent again on every reload (a message; connections stay open). */
function proxyLimits(config: HubConfig): ProxyLimits {
  return {
    keepAliveTimeoutMs: config.hub.keep_alive_timeout * 1000,
    requestHeaderTimeoutMs: config.hub.request_header_timeout * 1000,
    maxConnectionsPerClient: config.hub.max_connections_per_client,
    trustedProxies: [...config.hub.trusted_proxies],
  };
}

/** The sign-in methods as the auth section configures them, built again when it changes (a reload). */
function signInMethodsOf(config: HubConfig, github: GithubTokenVault, python: string | undefined) {
  let key = '';
  let methods: Pick<SignInDeps, 'github' | 'oidc' | 'pam'>;
  return () => {
    const now = JSON.stringify([config.auth, config.urls]);
    if (now !== key) {
      key = now;
      methods = {
        github: createGithubAuthenticator({ config, tokens: github }),
        oidc: createOidcAuthenticator({ config }),
        pam: config.auth.pam.enabled ? createPamAuthenticator({ pam: config.auth.pam, python }) : null,
      };
    }
    return methods;
  };
}

function splitBind(bind: string): [string, number] {
  const i = bind.lastIndexOf(':');
  return [bind.slice(0, i).replace(/^\[|\]$/g, ''), Number(bind.slice(i + 1))];
}
