// The hub.yaml schema: the single source of the config's TypeScript types, of its validation and of the
// README's reference table. Keys are snake_case and reuse JupyterHub's names where one exists.
import { z } from 'zod';
import { TOKEN_LIMITS } from '../auth/token-limits.js';
import { invalidScopes, ROLE_NAMES, scopeProblem } from '../auth/scopes.js';
import { parseUsername, USERNAME_RULE } from '../users/username.js';
import { isOverlongDuration, parseDuration, parseSize } from './units.js';
import { LOGO_TYPES, logoTypeOf } from './logo-file.js';
import { parseAddressRange } from '../proxy/policy/trusted-proxies.js';
import { LABELS } from '../spawner/labels.js';

const duration = (what: string) =>
  z.union([z.number(), z.string()]).transform((value, ctx) => {
    const seconds = parseDuration(value);
    if (seconds === null) {
      ctx.addIssue({
        code: 'custom',
        message: isOverlongDuration(value)
          ? `${JSON.stringify(value)} is longer than 100 years, the longest duration hub.yaml accepts (give a real limit, e.g. 14d)`
          : `${JSON.stringify(value)} is not a duration (use seconds, or 30s, 5m, 2h, 14d)`,
      });
      return z.NEVER;
    }
    return seconds;
  }).meta({ unit: 'duration (seconds, or 30s, 5m, 2h, 14d)' }).describe(what);

const positiveDuration = (what: string) =>
  duration(what).refine((seconds) => seconds > 0, { message: 'must be longer than 0 seconds' }).describe(what);

const size = (what: string) =>
  z.union([z.number(), z.string()]).transform((value, ctx) => {
    const bytes = parseSize(value);
    if (bytes === null) {
      ctx.addIssue({ code: 'custom', message: `${JSON.stringify(value)} is not a size (use 512M, 2G…)` });
      return z.NEVER;
    }
    return bytes;
  }).meta({ unit: 'size (bytes, or 512M, 2G)' }).describe(what);

const username = z.string().transform((value, ctx) => checkedUsername(value, ctx));

function checkedUsername(value: string, ctx: z.RefinementCtx): string {
  const name = parseUsername(value);
  if (name === null) {
    ctx.addIssue({ code: 'custom', message: `${JSON.stringify(value)} is not a valid user name (${USERNAME_RULE})` });
    return z.NEVER;
  }
  return name;
}

// An empty entry is what an unset `${VAR:-}` leaves (e.g. BERTH_ADMIN in compose.yaml): it names nobody.
const usernames = (what: string) => z.array(z.string().transform((value, ctx) => (value === '' ? null : checkedUsername(value, ctx))))
  .transform((names) => names.filter((name): name is string => name !== null)).default([]).describe(what);

const scopeList = (what: string) => z.array(z.string().min(1).superRefine((scope, ctx) => {
  if (invalidScopes([scope]).length > 0) ctx.addIssue({ code: 'custom', message: scopeProblem(scope) });
})).default([]).describe(what);

const HTTP_URL_PROBLEM = 'is not an http(s) URL (e.g. https://hub.example.org)';
const isHttpUrl = (value: string) => /^https?:\/\/[^/\s]+/.test(value) && URL.canParse(value);
const httpUrl = z.string().refine(isHttpUrl, { message: HTTP_URL_PROBLEM });

const bind = z.string().refine((value) => /^(\[[0-9a-f:.]+\]|[a-z0-9.-]+):\d{1,5}$/i.test(value) && Number(value.split(':').pop()) <= 65535, {
  message: 'is not HOST:PORT (e.g. 0.0.0.0:8000 or 127.0.0.1:8000)',
});

const basePath = z.string().refine((value) => /^\/([A-Za-z0-9._~-]+\/)*$/.test(value), {
  message: 'must start and end with "/" and hold only path-safe characters (e.g. / or /jupyter/)',
});

// HTTPS on the public port (src/tls/): the hub's own certificate files, or ones it obtains with ACME.
const acme = z.strictObject({
  email: z.string().regex(/^[^@\s]+@[^@\s]+$/, 'is not an email address').describe('Contact address for the ACME account (expiry notices from the CA).'),
  domains: z.array(z.string()
    .refine((name) => !name.startsWith('*.'), 'is a wildcard name, which ACME issues only through DNS-01 challenges (not done by the hub): list each name, or give a wildcard certificate as hub.tls.cert and key')
    .refine((name) => name.startsWith('*.') || /^([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)+[a-z][a-z0-9-]*[a-z0-9]$/i.test(name), 'is not a DNS name (e.g. hub.example.org)')).min(1)
    .describe('Names the certificate is for (the first is its subject); each must resolve to this host, whose `redirect_http` port 80 answers the HTTP-01 challenge.'),
  directory_url: httpUrl.default('https://acme-v02.api.letsencrypt.org/directory')
    .describe('The CA\'s ACME directory; default Let\'s Encrypt. Try setups against its staging CA first: https://acme-staging-v02.api.letsencrypt.org/directory'),
  renew_before: positiveDuration('Renew the certificate this long before it expires (also at start when it is that close).').default(30 * 86400),
});

const tls = z.strictObject({
  cert: z.string().min(1).optional().describe('PEM certificate chain for the public port, relative to hub.yaml; replaced files are served to new connections without a restart.'),
  key: z.string().min(1).optional().describe('PEM private key matching `cert`, relative to hub.yaml.'),
  hsts_max_age: duration('`Strict-Transport-Security: max-age` on the hub\'s answers over HTTPS; 0 sends none.').default(365 * 86400),
  redirect_http: bind.optional()
    .describe('HOST:PORT of a plain-HTTP listener (e.g. 0.0.0.0:80) answering every request with a redirect to https, and ACME\'s HTTP-01 challenges.'),
  acme: acme.optional().describe('Obtain and renew the certificate automatically (ACME HTTP-01); kept in `data_dir/acme/`. Needs `redirect_http` on port 80 reachable from the CA.'),
}).superRefine((value, ctx) => {
  if ((value.cert === undefined) !== (value.key === undefined) && value.acme === undefined) {
    ctx.addIssue({ code: 'custom', path: [value.cert === undefined ? 'cert' : 'key'], message: 'is needed with hub.tls.' + (value.cert === undefined ? 'key' : 'cert') + ' (a certificate and its private key, both PEM files)' });
  }
  if (value.acme !== undefined && (value.cert !== undefined || value.key !== undefined)) {
    ctx.addIssue({ code: 'custom', path: [value.cert !== undefined ? 'cert' : 'key'], message: 'cannot be set with hub.tls.acme, which obtains the certificate itself; remove one of them' });
  }
  if (value.acme === undefined && value.cert === undefined && value.key === undefined) {
    ctx.addIssue({ code: 'custom', path: ['cert'], message: 'is needed: hub.tls needs cert and key (PEM files), or acme' });
  }
  if (value.acme !== undefined && value.redirect_http === undefined) {
    ctx.addIssue({ code: 'custom', path: ['redirect_http'], message: 'is needed with hub.tls.acme: the CA checks the HTTP-01 challenge on port 80 (e.g. 0.0.0.0:80)' });
  }
});

const ipOrCidr = z.string().refine((value) => parseAddressRange(value) !== null, { message: 'is not an IP address or CIDR range (e.g. 127.0.0.1, 10.0.0.0/8, fd00::/8)' });

const hub = z.strictObject({
  bind: bind.default('0.0.0.0:8000').describe('HOST:PORT of the one public listener (hub pages, API and user servers).'),
  // '' is what an unset `${BERTH_PUBLIC_URL:-}` leaves: the URL is then derived, as when the key is absent.
  public_url: z.string().transform((value, ctx) => {
    if (value === '') return undefined;
    if (!isHttpUrl(value)) ctx.addIssue({ code: 'custom', message: HTTP_URL_PROBLEM });
    return value;
  }).optional()
    .describe('URL users reach the hub at; default `subdomain_host`, else derived from `bind` (also when empty). https here marks cookies Secure. Sign-in through another host is logged, as GitHub would send the browser back here.'),
  // Only its own complaint: a value that is not a URL at all is httpUrl's.
  subdomain_host: httpUrl.refine((value) => !URL.canParse(value) || (/^\/?$/.test(new URL(value).pathname) && !/[?#]/.test(value)), {
    message: 'must be a scheme, host and optional port with no path (e.g. https://hub.example.org or http://hub.test:8000)',
  }).refine((value) => !URL.canParse(value) || !/^(\[.*\]|[0-9.]+)$/.test(new URL(value).hostname), {
    message: 'must name the hub by a DNS name, not an IP address: users are served at <user>.<that name> (e.g. https://hub.example.org)',
  }).optional()
    .describe("Give each user an origin of their own: servers at `<scheme>://<user>.<host>/user/<name>/`, the hub at this URL (JupyterHub `subdomain_host`). Needs wildcard DNS (and a wildcard certificate for https). Recommended whenever users may not trust each other."),
  base_url: basePath.default('/').describe('Path prefix of everything the hub serves (JupyterHub `base_url`).'),
  data_dir: z.string().min(1).default('./data').describe('Directory for jupyterhub.sqlite and jupyterhub_cookie_secret, relative to hub.yaml.'),
  admin_access: z.boolean().default(false).describe("Whether admins may open other users' servers (JupyterHub `admin_access`)."),
  redirect_to_server: z.boolean().default(false)
    .describe('After sign-in without a `next`, go to the user\'s server (through /hub/spawn when it is not running) instead of /hub/home (JupyterHub `redirect_to_server`).'),
  log_level: z.enum(['debug', 'info', 'warn', 'error']).default('info').describe('Lowest level of log lines written to stdout.'),
  max_connections_per_client: z.number().int().min(0).default(500)
    .describe('Open connections one client address (IPv6: one /64) may hold on the public port; more are refused at once. 0: no cap. Raise it behind a front proxy, where every client shares its address.'),
  proxy_threads: z.number().int().min(1).max(64).optional()
    .describe("Threads serving the public port together (they share its socket, the route table and the per-client connection cap; one that dies is started again). A number: that many, all started with the hub; set it on a host that does little but proxy. Unset: up to one per core (`os.availableParallelism()`, at most 8), started as the load needs them: one with the hub, and another each time every running thread's event loop has been busy more than half of two seconds in a row; a thread once started stays. Each thread holds a heap of its own (about 10 MB of RSS), every waiting thread is woken for each new connection, and the hub's main thread and users' servers need cores too."),
  request_header_timeout: positiveDuration('How long a request head may take to arrive, from the connection\'s start or the head\'s first byte; then the connection is closed.').default(10),
  logo_file: z.string().min(1).refine((file) => logoTypeOf(file) !== undefined, {
    message: `must name an image file ending in ${Object.keys(LOGO_TYPES).join(', ')}`,
  }).optional()
    .describe('Image served at /hub/logo (the logo in JupyterHub and notebook pages) instead of Berth\'s own, relative to hub.yaml (JupyterHub `logo_file`); `berth check` refuses a file it cannot read.'),
  user_sharing: z.enum(['off', 'codes', 'full']).default('full')
    .describe("What users may share of their own servers (JupyterHub 5's sharing; a share grants only `access:servers` on that one server): `full`, with a user or a group by name, or as a link (a share code); `codes`, as a link only, so nobody learns which user and group names exist; `off`, nothing (admins with `admin_access` still can, through the API)."),
  announcement: z.string().max(2000).default('')
    .describe('Text shown in a banner at the top of every hub page, e.g. planned downtime (JupyterHub `template_vars.announcement`); shown as text, never as HTML. Empty: no banner.'),
  keep_alive_timeout: positiveDuration('How long a connection may stay open between requests (an open WebSocket or a response in progress is never idle).').default(65),
  tls: tls.optional().describe('Serve HTTPS on the public port (see HTTPS). Unset: plain HTTP, for a TLS-terminating proxy in front.'),
  trusted_proxies: z.array(ipOrCidr).default([])
    .describe('Addresses (IPs or CIDRs) of proxies in front of the hub whose X-Forwarded-For/-Proto/-Host/-Port are believed; from any other peer they are replaced by what the hub sees.'),
  authenticate_prometheus: z.boolean().default(true)
    .describe('Whether /hub/metrics needs a token or sign-in holding `read:metrics` (admins hold it); false lets anyone who reaches the hub scrape it (JupyterHub `authenticate_prometheus`).'),
});

const github = z.strictObject({
  client_id: z.string().default('').describe('OAuth app client id; GitHub sign-in is off while it or the secret is empty.'),
  client_secret: z.string().default('').describe('OAuth app client secret; use `${GITHUB_CLIENT_SECRET}`.'),
  url: httpUrl.default('https://github.com').describe('GitHub (or GitHub Enterprise) web URL, for /login/oauth/*.'),
  api_url: httpUrl.default('https://api.github.com').describe('GitHub REST API URL (Enterprise: https://HOST/api/v3).'),
  callback_url: httpUrl.optional().describe('OAuth callback; default `<public_url>/hub/oauth_callback`.'),
  allowed_organizations: z.array(z.string().regex(/^[A-Za-z0-9-]+(:[A-Za-z0-9_.-]+)?$/, 'is not ORG or ORG:TEAM')).default([])
    .describe('Members of these orgs (`org`) or teams (`org:team`) may sign in; adds the read:org scope.'),
  pass_token: z.boolean().default(false).describe("Keep the user's GitHub token (encrypted with BERTH_CRYPT_KEY) and pass it as GITHUB_TOKEN."),
});

const pam = z.strictObject({
  enabled: z.boolean().default(false).describe('Offer a username/password form backed by the host PAM stack.'),
  service: z.string().min(1).default('login').describe('PAM service name.'),
  allowed_groups: z.array(z.string()).default([]).describe('UNIX groups whose members may sign in.'),
  admin_groups: z.array(z.string()).default([]).describe('UNIX groups whose members are admins while they stay in the group.'),
});

// A provider reached over plain http could hand out any keys: only a loopback one (a test stand-in) may use it.
const issuerUrl = httpUrl.refine((value) => !URL.canParse(value) || new URL(value).protocol === 'https:' || /^(localhost|127\.[0-9.]+|\[::1\])$/.test(new URL(value).hostname), {
  message: 'must be an https URL (plain http is accepted only for a provider on this machine: localhost, 127.0.0.1, [::1])',
});

const oidc = z.strictObject({
  issuer: issuerUrl.optional()
    .describe('OpenID Connect issuer URL; its `/.well-known/openid-configuration` is read on first use. Unset: OpenID Connect sign-in is off.'),
  client_id: z.string().default('').describe('Client id registered with the provider (required with `issuer`).'),
  client_secret: z.string().default('').describe('Client secret; use `${OIDC_CLIENT_SECRET}`. Empty: a public client (PKCE only).'),
  scopes: z.array(z.string().regex(/^[\x21\x23-\x5b\x5d-\x7e]+$/, 'is not an OAuth scope')).default(['openid', 'profile', 'email'])
    .refine((scopes) => scopes.includes('openid'), 'must include openid').describe('Scopes requested at sign-in.'),
  username_claim: z.string().min(1).default('preferred_username')
    .describe('Claim that becomes the hub user name (lowercased), from the id_token or else the userinfo endpoint; a dotted path reaches into objects.'),
  groups_claim: z.string().min(1).default('groups')
    .describe('Claim holding the user\'s groups (a list, or one string), for `allowed_groups` and `admin_groups`; a dotted path such as `realm_access.roles` reaches into objects.'),
  allowed_groups: z.array(z.string()).default([]).describe('Members of these groups may sign in.'),
  admin_groups: z.array(z.string()).default([]).describe('Members of these groups are admins while they stay in the group.'),
  display_name: z.string().min(1).max(60).default('OpenID Connect').describe('Name on the login button ("Sign in with …").'),
}).superRefine((value, ctx) => {
  if (value.issuer !== undefined && value.client_id === '') {
    ctx.addIssue({ code: 'custom', path: ['client_id'], message: 'is required when auth.oidc.issuer is set (the client id registered with the provider)' });
  }
});

const auth = z.strictObject({
  admin_users: usernames('Users who are admins (always allowed to sign in).'),
  allowed_users: usernames('Users allowed to sign in.'),
  blocked_users: usernames('Users never allowed to sign in, whatever other rule matches.'),
  allow_all: z.boolean().default(false).describe('Allow every user the authenticator accepts.'),
  allow_shared_names: z.boolean().default(false)
    .describe('Let the sign-in methods (GitHub, OpenID Connect, PAM) sign in to the same user name (GitHub login `alice` and host account `alice` are then one hub user). Off: a name belongs to the method that first signed it in.'),
  session_max_age: duration('How long a sign-in lasts (seconds, or 8h, 14d).').default(14 * 86400),
  extra_user_scopes: scopeList('Scopes every user holds besides their own (JupyterHub 6 `extra_user_scopes`), e.g. `access:services` to let users sign in to every service, or `access:services!service=grader` for one.'),
  token_max_age: duration('Longest lifetime of an API token users request (JupyterHub `token_expires_in_max_seconds`); a request without `expires_in` gets it. Unset: tokens may never expire.')
    .refine((s) => Number.isInteger(s) && s >= 1 && s <= TOKEN_LIMITS.maxLifetimeSeconds, 'must be whole seconds from 1s to 3650d')
    .optional(),
  github: github.prefault({}).describe('GitHub OAuth sign-in.'),
  oidc: oidc.prefault({}).describe('Generic OpenID Connect sign-in (Keycloak, GitLab, Google, Microsoft Entra ID, Auth0, Authentik…).'),
  pam: pam.prefault({}).describe('PAM sign-in (optional fallback).'),
});

const environment = (what: string) =>
  z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]).transform(String)).default({}).describe(what);

// Docker accepts any label key; these are the reverse-DNS keys its docs recommend (and Kubernetes' prefix/name).
// Berth's own keys are refused: reconcile and cleanup read them, so only Berth may set them.
const BERTH_OWN_LABELS: readonly string[] = Object.values(LABELS).filter((key) => key !== LABELS.test);
const LABEL_KEY = /^[A-Za-z0-9]([A-Za-z0-9._/-]{0,253}[A-Za-z0-9])?$/;
// Keys are checked here rather than by the record's key schema, whose own message ("invalid key in record") hides why.
const extraLabels = z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]).transform(String)).default({})
  .superRefine((labels, ctx) => {
    for (const key of Object.keys(labels)) {
      const message = !LABEL_KEY.test(key) ? `${JSON.stringify(key)} is not a Docker label key (letters, digits, ".", "-", "_", "/"; e.g. org.example.team)`
        : BERTH_OWN_LABELS.includes(key) ? `"${key}" is a label Berth sets itself (${BERTH_OWN_LABELS.join(', ')}); choose another key`
        : null;
      if (message !== null) ctx.addIssue({ code: 'custom', path: [key], message });
    }
  });

const volumes = (what: string) =>
  z.record(z.string(), z.string().regex(/^\//, 'mount point must be an absolute path')).default({}).describe(what);

// Docker's DeviceRequests as `docker run --gpus` takes them: every GPU, a count, or device ids / UUIDs. One message
// for every wrong shape, since a union's own errors talk about types rather than about GPUs.
const GPU_ID = /^[A-Za-z0-9:._-]+$/;
const gpus = z.unknown().transform((value, ctx): 'all' | number | string[] => {
  if (value === 'all') return value;
  if (typeof value === 'number' && Number.isInteger(value) && value > 0) return value;
  if (Array.isArray(value) && value.length > 0 && value.every((id) => typeof id === 'string' && GPU_ID.test(id))) return value as string[];
  ctx.addIssue({ code: 'custom', message: `must be "all", a number of GPUs (e.g. 1) or a list of device ids (e.g. ["0", "GPU-3a23c669"]), got ${JSON.stringify(value)}` });
  return z.NEVER;
}).meta({ unit: '`all`, a count, or a list of device ids' });

const hubGroupName = z.string().min(1).max(255);

const catalogEntry = z.strictObject({
  image: z.string().min(1).describe('Docker image reference.'),
  description: z.string().default('').describe('Text shown next to the choice.'),
  mem_limit: size('Memory limit for this entry\'s containers (replaces `spawner.mem_limit`).').optional(),
  cpu_limit: z.number().positive().optional().describe('CPUs for this entry\'s containers (replaces `spawner.cpu_limit`).'),
  gpus: gpus.optional()
    .describe('GPUs for this entry\'s containers, as `docker run --gpus`: `all`, a count, or a list of device ids; NVIDIA driver, capability `gpu`. The host needs the NVIDIA Container Toolkit.'),
  environment: environment('Environment variables for this entry (over `spawner.environment`).'),
  volumes: volumes('Volumes for this entry, added to `spawner.volumes` (same placeholders); a mount point both name gets this one.'),
  placement: z.array(z.string().regex(/^[A-Za-z0-9_.-]+ *(==|!=) *[^\s].*$/, 'is not a Swarm placement constraint (e.g. node.labels.gpu==true)')).optional()
    .describe('`spawner.backend: swarm` only: Swarm placement constraints for this entry\'s servers, e.g. `node.labels.gpu==true`.'),
  groups: z.array(hubGroupName).default([])
    .describe('Only members of these hub groups (or of these groups in the sign-in method\'s groups claim) may see and pick this entry; empty: everyone. A `users.<name>.image` pin or an admin\'s choice is not limited by it.'),
});

const spawner = z.strictObject({
  image: z.string().min(1).default('quay.io/jupyterhub/singleuser:5').describe('Default image for every user.'),
  images: z.record(z.string().regex(/^[A-Za-z0-9_.-]+$/, 'labels are letters, digits, "_", "." or "-"'), catalogEntry).default({})
    .describe('The allowed catalog, LABEL → {image, description}. Only these (and `image`) can ever be started.'),
  backend: z.enum(['docker', 'swarm']).default('docker')
    .describe('Where servers run: `docker`, one container each on the hub\'s engine; `swarm`, a one-replica Swarm service each on an attachable overlay network (the hub\'s engine is a swarm manager; see Docker Swarm).'),
  network: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'is not a Docker network name').default('berth')
    .describe('Private Docker network for user containers; created if missing.'),
  volume_driver: z.string().min(1).optional()
    .describe('`spawner.backend: swarm` only: the Docker volume driver named volumes are made with, one every node can mount (e.g. `local` with NFS options, or a plugin). Unset: local volumes, each pinned to the node it was first made on.'),
  volume_driver_options: z.record(z.string(), z.string()).default({})
    .describe('Options for `volume_driver`, e.g. `{type: nfs, o: "addr=10.0.0.2,rw", device: ":/export/home"}`.'),
  isolate_containers: z.boolean().default(true)
    .describe('User containers cannot open connections to each other (the network is made with Docker\'s bridge option enable_icc=false); they still reach the hub\'s API, and the hub reaches them. A hub in a container then needs the host\'s network, as compose.yaml runs it. Set false for collaborative setups whose servers talk to each other.'),
  cmd: z.array(z.string()).min(1).optional().describe("Command for user containers; default the image's CMD."),
  volumes: volumes('Named volume (or host path) → mount point; `{network}` becomes `spawner.network` (so that two hubs on one engine never share a volume), `{username}` the user\'s stable slug and `{servername}` the server\'s name (empty for the default server), as in DockerSpawner: e.g. `berth-{username}-{servername}` gives each named server a volume of its own.'),
  mem_limit: size('Memory limit per container (512M, 2G).').optional(),
  cpu_limit: z.number().positive().optional().describe('CPUs per container (1.5 = one and a half cores).'),
  environment: environment('Extra environment variables for user containers (they override the hub\'s).'),
  start_timeout: duration('Limit for the whole start (pull, create, start, HTTP ready).').default(120),
  http_timeout: duration('Limit for the server to answer HTTP once its container runs.').default(30),
  pull_policy: z.enum(['always', 'ifnotpresent', 'never']).default('ifnotpresent').describe('When to pull images.'),
  concurrent_spawn_limit: z.number().int().min(0).default(100)
    .describe('Servers that may be starting at once across the hub; a start beyond it is refused with 429 until one has finished starting. 0: no limit (JupyterHub `concurrent_spawn_limit`).'),
  extra_labels: extraLabels
    .describe('Docker labels Berth adds to every container, volume and network (Swarm: service) it creates (a test run\'s `berth.test: "true"`, an owner or cost centre for the host\'s other tools). Keys Berth sets itself (`berth.hub`, `berth.user`, …) are refused. Applies to what is created after a restart.'),
  active_server_limit: z.number().int().min(0).default(0)
    .describe('Servers that may be active at once across the hub (starting, running or stopping; named servers included); a start beyond it is refused with 429 until one has stopped. 0: no limit (JupyterHub `active_server_limit`).'),
  port: z.number().int().min(1).max(65535).default(8888).describe('Port the single-user server listens on in its container.'),
  default_url: z.string().startsWith('/').optional().describe('Landing page in the server, e.g. /lab (JUPYTERHUB_DEFAULT_URL).'),
  notebook_dir: z.string().optional().describe('Root directory of the server (JUPYTERHUB_ROOT_DIR).'),
  allow_named_servers: z.boolean().default(false)
    .describe('Let users run named servers beside their default one, at `/user/<name>/<server>/` (JupyterHub `allow_named_servers`).'),
  named_server_limit_per_user: z.number().int().min(0).default(0)
    .describe('Named servers (running or stopped) one user may have; 0: no limit (JupyterHub `named_server_limit_per_user`).'),
});

// jupyterhub-idle-culler's options, run inside the hub (servers/culler.ts). On only when `timeout` is set.
const culler = z.strictObject({
  timeout: positiveDuration('Stop a server idle this long (no traffic through the proxy, no activity it reports, no busy kernel); unset: the culler is off (jupyterhub-idle-culler `--timeout`).').optional(),
  cull_every: positiveDuration('How often the culler looks at servers; default half of `timeout`, at most 5 minutes (`--cull-every`).').optional(),
  max_age: positiveDuration('Stop a server this long after its start, however busy it is; unset: no limit (`--max-age`).').optional(),
  cull_users: z.boolean().default(false)
    .describe('Also delete users who are not admins, have no server left and have been idle for `timeout`, as `--cull-users` (their volumes are kept). Users named in hub.yaml come back at the next start.'),
  remove_named_servers: z.boolean().default(false)
    .describe('Delete a culled named server\'s record as well, as `--remove-named-servers` (its volumes are kept).'),
  busy_kernels_count_as_activity: z.boolean().default(true)
    .describe('Before stopping an idle server, ask its own `/api/kernels` and `/api/terminals` (with a token for that server only): a busy or starting kernel, or a kernel or terminal active within `timeout`, counts as activity (and so does traffic that reaches the server while it is asked), so a long computation with no browser attached is kept.'),
}).superRefine((value, ctx) => {
  for (const key of ['cull_every', 'max_age', 'cull_users', 'remove_named_servers'] as const) {
    if (value.timeout === undefined && value[key] !== undefined && value[key] !== false) {
      ctx.addIssue({ code: 'custom', path: [key], message: 'needs culler.timeout: the culler runs only when timeout is set (e.g. timeout: 1h)' });
    }
  }
});

const userPin = z.strictObject({
  image: z.string().min(1).optional().describe('Catalog LABEL this user always gets (overrides admin and user choices).'),
});

// The proxy forwards to the URL's origin and keeps the request's path (`<base_url>services/<name>/…`), as
// JupyterHub's proxy routes a service to its server's host: a path here would be ignored, so it is refused.
// The proxy speaks plain HTTP to its backends on the private network, as to users' servers: TLS ends in front of the hub.
const serviceUrl = httpUrl.refine((value) => !/^https?:\/\//.test(value) || !URL.canParse(value) || new URL(value).protocol === 'http:', {
  message: 'must be an http:// URL: the proxy reaches services in plain HTTP, as it reaches users\' servers (end TLS in front of the hub)',
}).refine((value) => !URL.canParse(value) || (/^\/?$/.test(new URL(value).pathname) && !/[?#@]/.test(value)), {
  message: 'must be a scheme, host and port with no path, user or query (e.g. http://10.0.0.5:10101): the service is reached at <base_url>services/<name>/ and serves that path itself',
});

const service = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, 'is not a service name (a-z, 0-9, "_", "-")').describe('Service name.'),
  api_token: z.string().min(8, 'must be at least 8 characters').optional().describe('Token the service authenticates with (its JUPYTERHUB_API_TOKEN, and the secret of its OAuth client).'),
  scopes: scopeList('JupyterHub scopes granted to the token.'),
  admin: z.boolean().default(false).describe('Grant the admin role.'),
  url: serviceUrl.optional()
    .describe('Where the service listens (http(s)://host:port, reachable from the hub); the public port proxies `<base_url>services/<name>/` to it (JUPYTERHUB_SERVICE_URL).'),
  oauth_client_id: z.string().regex(/^service-[A-Za-z0-9._~-]+$/, 'must start with "service-" and hold only URL-safe characters (JupyterHub\'s rule for service clients)').optional()
    .describe('OAuth client id (JUPYTERHUB_CLIENT_ID); default `service-<name>`.'),
  oauth_redirect_uri: z.string().refine((value) => value.startsWith('/') ? !value.startsWith('//') : /^https?:\/\/[^/\s]+/.test(value) && URL.canParse(value), {
    message: 'must be an http(s) URL or a path on this hub starting with "/" (e.g. /services/grader/oauth_callback)',
  }).optional()
    .describe('Where the hub sends users back with a code (JUPYTERHUB_OAUTH_CALLBACK_URL); default `<base_url>services/<name>/oauth_callback` when `url` is set. Required for OAuth without `url`.'),
  oauth_no_confirm: z.boolean().default(false).describe('Sign users in to the service without asking them to confirm first (for services run by the hub\'s admins).'),
  oauth_client_allowed_scopes: scopeList('Scopes the service may ask for on behalf of a signed-in user, beyond identifying them (JupyterHub `oauth_client_allowed_scopes`); never more than the user holds.'),
  oauth_roles: z.array(z.enum(ROLE_NAMES)).default([])
    .describe('Deprecated form of `oauth_client_allowed_scopes`: roles whose scopes the service may ask for; ignored when `oauth_client_allowed_scopes` is set.'),
  display: z.boolean().default(true).describe('List the service (when it has a `url`) in the Services menu of the hub\'s pages.'),
  info: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).default({})
    .describe('Free-form facts about the service (e.g. `{description: Grading dashboard}`), shown in the service model and the Services menu.'),
});

export const configSchema = z.strictObject({
  hub: hub.prefault({}).describe('The hub process.'),
  auth: auth.prefault({}).describe('Who may sign in, and how.'),
  spawner: spawner.prefault({}).describe('User containers.'),
  users: z.record(username, userPin).default({}).describe("Admins' per-user pins."),
  culler: culler.prefault({}).describe('The built-in idle culler (jupyterhub-idle-culler\'s options); off unless `timeout` is set.'),
  services: z.array(service).superRefine((services, ctx) => {
    // One token, two services: the hub could not tell which one calls (the token itself is never shown).
    const owner = new Map<string, string>();
    services.forEach((s, i) => {
      if (s.api_token === undefined) return;
      const other = owner.get(s.api_token);
      if (other === undefined) owner.set(s.api_token, s.name);
      else {
        ctx.addIssue({
          code: 'custom', path: [i, 'api_token'],
          message: `is the same token as service "${other}"'s; give each service its own random token (e.g. openssl rand -hex 32)`,
        });
      }
    });
  }).default([]).describe('External services (JupyterHub `services`): API tokens for tools such as the idle culler, and services proxied at `<base_url>services/<name>/` that sign users in with OAuth (see Services).'),
}).superRefine((config, ctx) => {
  const { public_url: publicUrl, subdomain_host: subdomainHost } = config.hub;
  if (publicUrl !== undefined && subdomainHost !== undefined && new URL(publicUrl).origin !== new URL(subdomainHost).origin) {
    ctx.addIssue({
      code: 'custom', path: ['hub', 'public_url'],
      message: `must be on the subdomain_host origin (${new URL(subdomainHost).origin}), where the hub is served; leave it out to use subdomain_host`,
    });
  }
  for (const [name, pin] of Object.entries(config.users)) {
    if (pin.image !== undefined && !(pin.image in config.spawner.images)) {
      ctx.addIssue({
        code: 'custom', path: ['users', name, 'image'],
        message: `"${pin.image}" is not a label in spawner.images (labels: ${Object.keys(config.spawner.images).join(', ') || 'none'})`,
      });
    }
  }
  for (const problem of swarmProblems(config.spawner)) ctx.addIssue({ code: 'custom', ...problem });
  const seen = new Set<string>();
  config.services.forEach((s, i) => {
    if (seen.has(s.name)) ctx.addIssue({ code: 'custom', path: ['services', i, 'name'], message: `service "${s.name}" is listed twice` });
    seen.add(s.name);
  });
  for (const problem of serviceOAuthProblems(config)) ctx.addIssue({ code: 'custom', ...problem });
});

/** What one backend cannot do, refused at load rather than ignored. */
function swarmProblems(settings: z.output<typeof spawner>): { path: (string | number)[]; message: string }[] {
  const problems: { path: (string | number)[]; message: string }[] = [];
  if (settings.backend === 'docker') {
    for (const [label, entry] of Object.entries(settings.images)) {
      if (entry.placement !== undefined) {
        problems.push({ path: ['spawner', 'images', label, 'placement'], message: 'needs spawner.backend: swarm (a single Docker engine has no nodes to place servers on); remove it or set the backend' });
      }
    }
    if (settings.volume_driver !== undefined) {
      problems.push({ path: ['spawner', 'volume_driver'], message: 'needs spawner.backend: swarm (on one engine, set the driver on the volume itself); remove it or set the backend' });
    }
  } else if (settings.isolate_containers) {
    problems.push({
      path: ['spawner', 'isolate_containers'],
      message: 'cannot be kept on a swarm: an overlay network has no option to drop traffic between its containers, so users\' servers can reach each other there. Set spawner.isolate_containers: false to accept that, or use spawner.backend: docker',
    });
  }
  return problems;
}

/** The first OAuth key a service sets (JupyterHub's _oauth_specified): OAuth is then on even without a url. */
export function explicitOAuthKey(s: z.output<typeof service>): 'oauth_client_id' | 'oauth_redirect_uri' | 'oauth_client_allowed_scopes' | 'oauth_roles' | 'oauth_no_confirm' | undefined {
  return (['oauth_client_id', 'oauth_redirect_uri', 'oauth_client_allowed_scopes', 'oauth_roles', 'oauth_no_confirm'] as const)
    .find((key) => (Array.isArray(s[key]) ? (s[key] as unknown[]).length > 0 : s[key] !== undefined && s[key] !== false));
}

/** The OAuth settings of services that cannot work: JupyterHub's rules (app.py service_from_spec), checked at load. */
function serviceOAuthProblems(config: { hub: { base_url: string }; services: z.output<typeof service>[] }): { path: (string | number)[]; message: string }[] {
  const problems: { path: (string | number)[]; message: string }[] = [];
  const clients = new Map<string, string>();
  config.services.forEach((s, i) => {
    const at = (key: string) => ['services', i, key];
    const oauthKey = explicitOAuthKey(s);
    if (s.url === undefined && oauthKey !== undefined && s.oauth_redirect_uri === undefined) {
      problems.push({ path: at(oauthKey), message: `configures OAuth for service "${s.name}", which has no url: set oauth_redirect_uri (where the hub sends users back), or url` });
    }
    if (s.api_token === undefined && oauthKey !== undefined) {
      problems.push({ path: at(oauthKey), message: `configures OAuth for service "${s.name}", which has no api_token: set one (e.g. \${GRADER_TOKEN}); it is the OAuth client's secret and the service's JUPYTERHUB_API_TOKEN` });
    }
    const prefix = `${config.hub.base_url}services/${s.name}/`;
    if (s.oauth_redirect_uri?.startsWith('/') && !s.oauth_redirect_uri.startsWith(prefix)) {
      problems.push({ path: at('oauth_redirect_uri'), message: `is a path outside the service's own prefix ${prefix}: codes sent there would reach whatever serves that path; use ${prefix}oauth_callback, or a full URL` });
    }
    const clientId = s.oauth_client_id ?? `service-${s.name}`;
    const other = clients.get(clientId);
    if (other !== undefined) problems.push({ path: at('oauth_client_id'), message: `"${clientId}" is already the OAuth client id of service "${other}"; each service needs its own` });
    else clients.set(clientId, s.name);
  });
  return problems;
}

export type ConfigInput = z.input<typeof configSchema>;
export type Config = z.output<typeof configSchema>;
