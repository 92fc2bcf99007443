// The hub.yaml schema: the single source of the config's TypeScript types, of its validation and of the
// README's reference table. Keys are snake_case and reuse JupyterHub's names where one exists.
import { z } from 'zod';
import { TOKEN_LIMITS } from '../auth/token-limits.js';
import { invalidScopes, scopeProblem } from '../auth/scopes.js';
import { parseUsername, USERNAME_RULE } from '../users/username.js';
import { isOverlongDuration, parseDuration, parseSize } from './units.js';
import { LOGO_TYPES, logoTypeOf } from './logo-file.js';

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

const username = z.string().transform((value, ctx) => {
  const name = parseUsername(value);
  if (name === null) {
    ctx.addIssue({ code: 'custom', message: `${JSON.stringify(value)} is not a valid user name (${USERNAME_RULE})` });
    return z.NEVER;
  }
  return name;
});

const usernames = (what: string) => z.array(username).default([]).describe(what);

const httpUrl = z.string().refine((value) => /^https?:\/\/[^/\s]+/.test(value) && URL.canParse(value), {
  message: 'is not an http(s) URL (e.g. https://hub.example.org)',
});

const bind = z.string().refine((value) => /^(\[[0-9a-f:.]+\]|[a-z0-9.-]+):\d{1,5}$/i.test(value) && Number(value.split(':').pop()) <= 65535, {
  message: 'is not HOST:PORT (e.g. 0.0.0.0:8000 or 127.0.0.1:8000)',
});

const basePath = z.string().refine((value) => /^\/([A-Za-z0-9._~-]+\/)*$/.test(value), {
  message: 'must start and end with "/" and hold only path-safe characters (e.g. / or /jupyter/)',
});

const hub = z.strictObject({
  bind: bind.default('0.0.0.0:8000').describe('HOST:PORT of the one public listener (hub pages, API and user servers).'),
  public_url: httpUrl.optional().describe('URL users reach the hub at; default `subdomain_host`, else derived from `bind`. https here marks cookies Secure.'),
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
  request_header_timeout: positiveDuration('How long a request head may take to arrive, from the connection\'s start or the head\'s first byte; then the connection is closed.').default(10),
  logo_file: z.string().min(1).refine((file) => logoTypeOf(file) !== undefined, {
    message: `must name an image file ending in ${Object.keys(LOGO_TYPES).join(', ')}`,
  }).optional()
    .describe('Image served at /hub/logo (the logo in JupyterHub and notebook pages) instead of Berth\'s own, relative to hub.yaml (JupyterHub `logo_file`); `berth check` refuses a file it cannot read.'),
  announcement: z.string().max(2000).default('')
    .describe('Text shown in a banner at the top of every hub page, e.g. planned downtime (JupyterHub `template_vars.announcement`); shown as text, never as HTML. Empty: no banner.'),
  keep_alive_timeout: positiveDuration('How long a connection may stay open between requests (an open WebSocket or a response in progress is never idle).').default(65),
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
  token_max_age: duration('Longest lifetime of an API token users request (JupyterHub `token_expires_in_max_seconds`); a request without `expires_in` gets it. Unset: tokens may never expire.')
    .refine((s) => Number.isInteger(s) && s >= 1 && s <= TOKEN_LIMITS.maxLifetimeSeconds, 'must be whole seconds from 1s to 3650d')
    .optional(),
  github: github.prefault({}).describe('GitHub OAuth sign-in.'),
  oidc: oidc.prefault({}).describe('Generic OpenID Connect sign-in (Keycloak, GitLab, Google, Microsoft Entra ID, Auth0, Authentik…).'),
  pam: pam.prefault({}).describe('PAM sign-in (optional fallback).'),
});

const catalogEntry = z.strictObject({
  image: z.string().min(1).describe('Docker image reference.'),
  description: z.string().default('').describe('Text shown next to the choice.'),
});

const spawner = z.strictObject({
  image: z.string().min(1).default('quay.io/jupyterhub/singleuser:5').describe('Default image for every user.'),
  images: z.record(z.string().regex(/^[A-Za-z0-9_.-]+$/, 'labels are letters, digits, "_", "." or "-"'), catalogEntry).default({})
    .describe('The allowed catalog, LABEL → {image, description}. Only these (and `image`) can ever be started.'),
  network: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'is not a Docker network name').default('berth')
    .describe('Private Docker network for user containers; created if missing.'),
  isolate_containers: z.boolean().default(true)
    .describe('User containers cannot open connections to each other (the network is made with Docker\'s bridge option enable_icc=false); they still reach the hub\'s API, and the hub reaches them. A hub in a container then needs the host\'s network, as compose.yaml runs it. Set false for collaborative setups whose servers talk to each other.'),
  cmd: z.array(z.string()).min(1).optional().describe("Command for user containers; default the image's CMD."),
  volumes: z.record(z.string(), z.string().regex(/^\//, 'mount point must be an absolute path')).default({})
    .describe('Named volume (or host path) → mount point; `{username}` becomes the user\'s stable slug and `{servername}` the server\'s name (empty for the default server), as in DockerSpawner: e.g. `berth-{username}-{servername}` gives each named server a volume of its own.'),
  mem_limit: size('Memory limit per container (512M, 2G).').optional(),
  cpu_limit: z.number().positive().optional().describe('CPUs per container (1.5 = one and a half cores).'),
  environment: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]).transform(String)).default({})
    .describe('Extra environment variables for user containers (they override the hub\'s).'),
  start_timeout: duration('Limit for the whole start (pull, create, start, HTTP ready).').default(120),
  http_timeout: duration('Limit for the server to answer HTTP once its container runs.').default(30),
  pull_policy: z.enum(['always', 'ifnotpresent', 'never']).default('ifnotpresent').describe('When to pull images.'),
  concurrent_spawn_limit: z.number().int().positive().default(20).describe('Starts in flight at once; more get 429.'),
  port: z.number().int().min(1).max(65535).default(8888).describe('Port the single-user server listens on in its container.'),
  default_url: z.string().startsWith('/').optional().describe('Landing page in the server, e.g. /lab (JUPYTERHUB_DEFAULT_URL).'),
  notebook_dir: z.string().optional().describe('Root directory of the server (JUPYTERHUB_ROOT_DIR).'),
  allow_named_servers: z.boolean().default(false)
    .describe('Let users run named servers beside their default one, at `/user/<name>/<server>/` (JupyterHub `allow_named_servers`).'),
  named_server_limit_per_user: z.number().int().min(0).default(0)
    .describe('Named servers (running or stopped) one user may have; 0: no limit (JupyterHub `named_server_limit_per_user`).'),
});

const userPin = z.strictObject({
  image: z.string().min(1).optional().describe('Catalog LABEL this user always gets (overrides admin and user choices).'),
});

const service = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, 'is not a service name (a-z, 0-9, "_", "-")').describe('Service name.'),
  api_token: z.string().min(8, 'must be at least 8 characters').optional().describe('Token the service authenticates with.'),
  scopes: z.array(z.string().min(1).superRefine((scope, ctx) => {
    if (invalidScopes([scope]).length > 0) ctx.addIssue({ code: 'custom', message: scopeProblem(scope) });
  })).default([]).describe('JupyterHub scopes granted to the token.'),
  admin: z.boolean().default(false).describe('Grant the admin role.'),
});

export const configSchema = z.strictObject({
  hub: hub.prefault({}).describe('The hub process.'),
  auth: auth.prefault({}).describe('Who may sign in, and how.'),
  spawner: spawner.prefault({}).describe('User containers.'),
  users: z.record(username, userPin).default({}).describe("Admins' per-user pins."),
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
  }).default([]).describe('API tokens for tools such as the idle culler.'),
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
  const seen = new Set<string>();
  config.services.forEach((s, i) => {
    if (seen.has(s.name)) ctx.addIssue({ code: 'custom', path: ['services', i, 'name'], message: `service "${s.name}" is listed twice` });
    seen.add(s.name);
  });
});

export type ConfigInput = z.input<typeof configSchema>;
export type Config = z.output<typeof configSchema>;
