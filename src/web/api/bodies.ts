// The JSON bodies /hub/api accepts, as zod schemas: each route parses its body once (body.ts parseJsonBody) and
// works with the typed result. Unknown fields follow JupyterHub: user and group models refuse them (its
// _check_model, "Unknown fields"), every other body ignores them.
import { z } from 'zod';
import { invalidScopes, isRoleName, ROLE_NAMES, roleScopes, scopeProblem, type RoleName } from '../../auth/scopes.js';
import { TOKEN_LIMITS } from '../../auth/token-limits.js';
import type { Config } from '../../config/schema.js';
import { describeCatalog, isCatalogLabel } from '../../servers/image.js';

/** A value as a message shows it, cut short: bodies may be a megabyte. */
function shown(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

const NOT_AN_OBJECT = 'Request body must be a JSON object';
const boolean = z.boolean({ error: (issue) => `must be true or false, got ${shown(issue.input)}` });
const string = z.string({ error: (issue) => `must be a string, got ${shown(issue.input)}` });
const stringList = z.array(string, { error: (issue) => `must be a list of strings, got ${shown(issue.input)}` });
const object = z.record(z.string(), z.unknown(), { error: (issue) => `must be a JSON object, got ${shown(issue.input)}` });

/** A model that refuses fields it does not know, naming them and the ones it takes. */
function model<Shape extends z.ZodRawShape>(shape: Shape) {
  const allowed = Object.keys(shape).join(', ');
  return z.strictObject(shape, {
    error: (issue) => (issue.code === 'unrecognized_keys' ? `Unknown fields: ${issue.keys.join(', ')} (allowed: ${allowed})` : NOT_AN_OBJECT),
  });
}

/** A body that ignores fields it does not use. */
function options<Shape extends z.ZodRawShape>(shape: Shape) {
  return z.object(shape, { error: NOT_AN_OBJECT });
}

/** JupyterHub's user model fields (_user_model_types); Berth acts on `admin` and `name`, and takes the rest as JupyterHub does. */
const userFields = {
  name: string.optional(),
  admin: boolean.optional(),
  groups: stringList.optional(),
  roles: stringList.optional(),
  auth_state: object.optional(),
};

/** POST /users: `usernames` (at least one), and model fields every new user gets (`admin`). */
export const newUsersBody = model({
  ...userFields,
  usernames: z.array(string, {
    error: (issue) => (issue.input === undefined ? 'Must specify at least one user to create (body: {"usernames": [...]})' : `must be a list of user names, got ${shown(issue.input)}`),
  }).min(1, 'Must specify at least one user to create (body: {"usernames": [...]})'),
});

/** POST /users/:name (an empty body is `{}`). */
export const newUserBody = model(userFields);

/** PATCH /users/:name, with Berth's `image`: a catalog label for the user's next start, or null for none. */
export function userPatchBody(config: Pick<Config, 'spawner'>) {
  return model({
    ...userFields,
    image: z.unknown().refine((label) => label === null || isCatalogLabel(config, label), {
      error: (issue) => `must be a label of spawner.images (${describeCatalog(config)}) or null, got ${shown(issue.input)}`,
    }).transform((label) => label as string | null).optional(),
  });
}

/**
 * POST /users/:name/tokens. `expires_in` becomes the token's lifetime in seconds, or null for never: a whole number
 * from 1 to ten years, or to auth.token_max_age when set, which is also what a request without one gets. `scopes`
 * become the token's raw scopes; the deprecated `roles` are taken as JupyterHub 5 takes them (orm.APIToken.new):
 * turned into their scopes, never together with `scopes`, and neither means the `token` role (`inherit`).
 */
export function newTokenBody(maxAge: number | undefined, roles: { adminAccess?: boolean } = {}) {
  const max = maxAge ?? TOKEN_LIMITS.maxLifetimeSeconds;
  const range = maxAge === undefined
    ? `from 1 to ${max} (ten years), or null for a token that never expires`
    : `from 1 to ${max} (auth.token_max_age), or null for the longest allowed`;
  const lifetime = { error: (issue: { input?: unknown }) => `expires_in must be a whole number of seconds ${range}; got ${shown(issue.input)}` };
  return options({
    note: string.max(TOKEN_LIMITS.noteChars, {
      error: (issue) => `note is ${(issue.input as string).length} characters long; at most ${TOKEN_LIMITS.noteChars} are allowed`,
    }).optional(),
    expires_in: z.number(lifetime).int(lifetime).min(1, lifetime).max(max, lifetime).nullish()
      .transform((seconds) => seconds ?? maxAge ?? null),
    scopes: stringList.nullish()
      .refine((scopes) => scopes == null || invalidScopes(scopes).length === 0, {
        error: (issue) => `Unknown or malformed scopes: ${invalidScopes(issue.input as string[]).map(scopeProblem).join('; ')}`,
      }),
    roles: stringList.nullish().refine((names) => names == null || names.every(isRoleName), {
      error: (issue) => `No such role: ${(issue.input as string[]).filter((r) => !isRoleName(r)).join(', ')} (the roles are JupyterHub's defaults: ${ROLE_NAMES.join(', ')}; roles are deprecated, send scopes instead)`,
    }),
  }).refine((body) => body.scopes == null || body.roles == null, { error: 'Can only assign one of scopes or roles when creating tokens.' })
    .transform(({ scopes, roles: names, ...rest }) => ({
      ...rest,
      scopes: scopes ?? (names == null ? ['inherit'] : [...new Set(names.flatMap((name) => roleScopes(name as RoleName, roles)))]),
    }));
}

/**
 * PATCH /proxy: JupyterHub's fields telling it of a new external proxy. Berth's proxy is its own thread, so there is
 * nothing to point elsewhere; they are typed only to refuse what JupyterHub refuses.
 */
export const proxyPatchBody = options({ api_url: string.optional(), auth_token: string.optional() });

/** JupyterHub's group model fields (_group_model_types); Berth acts on `users`. */
const groupFields = {
  name: string.optional(),
  users: stringList.optional(),
  roles: stringList.optional(),
  properties: object.optional(),
};

/** POST /groups: `groups` (at least one) and the members each gets. */
export const newGroupsBody = model({
  ...groupFields,
  groups: z.array(string, {
    error: (issue) => (issue.input === undefined ? 'Must specify at least one group to create (body: {"groups": [...]})' : `must be a list of group names, got ${shown(issue.input)}`),
  }).min(1, 'Must specify at least one group to create (body: {"groups": [...]})'),
});

/** POST /groups/:group (an empty body is `{}`). */
export const newGroupBody = model(groupFields);

/** POST and DELETE /groups/:group/users. */
export const groupMembersBody = model({
  ...groupFields,
  users: z.array(string, {
    error: (issue) => (issue.input === undefined ? 'Must specify users to add or remove (body: {"users": [...]})' : `must be a list of user names, got ${shown(issue.input)}`),
  }),
});

/** PUT /groups/:group/properties: any JSON object, stored as given. */
export const groupPropertiesBody = z.record(z.string(), z.unknown(), { error: 'properties must be a JSON object' });

/** POST /shutdown (an empty body is `{}`). `proxy` is accepted for compatibility: Berth's proxy always stops with it. */
export const shutdownBody = options({ proxy: boolean.optional(), servers: boolean.optional() });

/** POST /users/:name/server: the user options, handed to the state machine as they are (it reads `image`). */
export const startOptionsBody = z.record(z.string(), z.unknown(), { error: 'Request body must be a JSON object of user options' });

/** DELETE /users/:name/servers/:server: `remove` also deletes a named server's record (jupyterhub-idle-culler --remove-named-servers). */
export const stopServerBody = options({ remove: boolean.optional() });

/** An ISO 8601 timestamp as single-user servers send it; one without a zone is UTC, as in JupyterHub. */
const timestamp = z.string({ error: (issue) => `must be an ISO 8601 timestamp, got ${shown(issue.input)}` })
  .transform((text, ctx) => {
    const date = new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(text) ? text : `${text}Z`);
    if (Number.isNaN(date.getTime())) {
      ctx.addIssue({ code: 'custom', message: `is not an ISO 8601 timestamp: ${shown(text)}` });
      return z.NEVER;
    }
    return date;
  });

/** POST /users/:name/activity, as jupyterhub-singleuser sends it: the user's time, and each server's. */
export const activityBody = options({
  last_activity: timestamp.optional(),
  servers: z.record(z.string(), z.object({ last_activity: timestamp }, { error: 'must be {"last_activity": "<timestamp>"}' }), {
    error: 'servers must be {"<server name>": {"last_activity": "<timestamp>"}}',
  }).optional(),
}).refine((body) => body.last_activity !== undefined || body.servers !== undefined, { error: 'body has neither last_activity nor servers' });

/** POST /oauth2/token's fields (a form, or JSON): OAuth's own error format reports problems, so this only types them. */
export const oauthTokenForm = options({
  grant_type: string.optional(),
  code: string.optional(),
  redirect_uri: string.optional(),
  client_id: string.optional(),
  client_secret: string.optional(),
});
