import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import type { AppEnv } from '../env.js';
import { renderError } from '../errors.js';
import { describeIssues, parseJsonBody } from './body.js';
import {
  activityBody, groupMembersBody, groupPropertiesBody, newGroupBody, newGroupsBody, newTokenBody, newUserBody, newUsersBody,
  oauthTokenForm, shutdownBody, startOptionsBody, userPatchBody,
} from './bodies.js';

const catalog = { spawner: { images: { lab: { image: 'lab:1' }, r: { image: 'r:1' } } } } as unknown as Parameters<typeof userPatchBody>[0];

/** What a route would see: the parsed value, or the 400's message. */
function parse<S extends z.ZodType>(schema: S, body: unknown): { ok: z.output<S> } | { error: string } {
  const parsed = schema.safeParse(body, { reportInput: true });
  return parsed.success ? { ok: parsed.data } : { error: describeIssues(parsed.error.issues) };
}

describe('parseJsonBody', () => {
  const app = new Hono<AppEnv>().basePath('/hub/api');
  app.onError(renderError);
  app.post('/shutdown', async (c) => c.json(await parseJsonBody(c, shutdownBody, { empty: {} })));
  app.post('/users', async (c) => c.json(await parseJsonBody(c, newUsersBody)));
  const post = async (path: string, body: string) => {
    const res = await app.request(`/hub/api${path}`, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
    return { status: res.status, body: await res.json() };
  };

  it('answers 400 for an empty body where one is required, and uses the given value where not', async () => {
    expect(await post('/users', '')).toEqual({ status: 400, body: { status: 400, message: 'Request body is empty; send a JSON object' } });
    expect(await post('/shutdown', '  ')).toEqual({ status: 200, body: {} });
  });

  it('answers 400 for a body that is not JSON, or not an object', async () => {
    expect(await post('/users', '{"usernames": [')).toEqual({ status: 400, body: { status: 400, message: 'Request body is not valid JSON' } });
    expect(await post('/users', '["a"]')).toEqual({ status: 400, body: { status: 400, message: 'Request body must be a JSON object' } });
  });

  it('answers 400 naming the field and the value it got', async () => {
    expect(await post('/shutdown', '{"servers": "yes"}')).toEqual({ status: 400, body: { status: 400, message: 'servers must be true or false, got "yes"' } });
  });
});

describe('describeIssues', () => {
  it('names nested fields as a JSON path, one problem per field', () => {
    expect(parse(activityBody, { servers: { '': { last_activity: 5 } } })).toEqual({ error: 'servers[""].last_activity must be an ISO 8601 timestamp, got 5' });
    expect(parse(newUsersBody, { usernames: ['ok', 7] })).toEqual({ error: 'usernames[1] must be a string, got 7' });
  });

  it('cuts long values short', () => {
    const { error } = parse(shutdownBody, { proxy: 'x'.repeat(5000) }) as { error: string };
    expect(error.length).toBeLessThan(120);
    expect(error).toMatch(/^proxy must be true or false, got "x+\.\.\.$/);
  });
});

describe('user bodies (JupyterHub user model: unknown fields refused)', () => {
  it('POST /users needs at least one name; admin must be a boolean', () => {
    expect(parse(newUsersBody, { usernames: ['a', 'b'], admin: true })).toEqual({ ok: { usernames: ['a', 'b'], admin: true } });
    expect(parse(newUsersBody, {})).toEqual({ error: 'usernames: Must specify at least one user to create (body: {"usernames": [...]})' });
    expect(parse(newUsersBody, { usernames: [] })).toEqual({ error: 'usernames: Must specify at least one user to create (body: {"usernames": [...]})' });
    expect(parse(newUsersBody, { usernames: 'a' })).toEqual({ error: 'usernames must be a list of user names, got "a"' });
    expect(parse(newUsersBody, { usernames: ['a'], admin: 'yes' })).toEqual({ error: 'admin must be true or false, got "yes"' });
  });

  it('refuses fields outside the user model, naming them and the allowed ones', () => {
    expect(parse(newUserBody, { admin: false, colour: 'red', size: 1 }))
      .toEqual({ error: 'Unknown fields: colour, size (allowed: name, admin, groups, roles, auth_state)' });
    expect(parse(newUserBody, { groups: ['g'], roles: ['user'], auth_state: {} })).toEqual({ ok: { groups: ['g'], roles: ['user'], auth_state: {} } });
    expect(parse(newUserBody, { auth_state: [] })).toEqual({ error: 'auth_state must be a JSON object, got []' });
  });

  it('PATCH takes a catalog label or null as image, and nothing else', () => {
    const patch = userPatchBody(catalog);
    expect(parse(patch, { image: 'lab' })).toEqual({ ok: { image: 'lab' } });
    expect(parse(patch, { image: null })).toEqual({ ok: { image: null } });
    expect(parse(patch, {})).toEqual({ ok: {} });
    for (const image of ['lab:1', 'constructor', 3]) {
      expect(parse(patch, { image })).toEqual({ error: `image must be a label of spawner.images ("lab", "r") or null, got ${JSON.stringify(image)}` });
    }
    expect(parse(patch, { colour: 'red' })).toEqual({ error: 'Unknown fields: colour (allowed: name, admin, groups, roles, auth_state, image)' });
  });
});

describe('token body (unknown fields ignored, as JupyterHub does)', () => {
  const open = newTokenBody(undefined);
  const capped = newTokenBody(3600);

  it('defaults to every scope of the owner and, with token_max_age, to that lifetime', () => {
    expect(parse(open, {})).toEqual({ ok: { expires_in: null, scopes: ['inherit'] } });
    expect(parse(capped, { expires_in: null, scopes: null, extra: 1 })).toEqual({ ok: { expires_in: 3600, scopes: ['inherit'] } });
    expect(parse(open, { scopes: ['read:users!user'], note: 'ci', expires_in: 60 }))
      .toEqual({ ok: { scopes: ['read:users!user'], note: 'ci', expires_in: 60 } });
  });

  it('turns the deprecated roles into their scopes, and refuses them beside scopes (JupyterHub 5)', () => {
    expect(parse(open, { roles: ['token'] })).toEqual({ ok: { expires_in: null, scopes: ['inherit'] } });
    expect(parse(open, { roles: ['server'] })).toEqual({ ok: { expires_in: null, scopes: ['users:activity!user', 'access:servers!server'] } });
    expect(parse(open, { roles: [] })).toEqual({ ok: { expires_in: null, scopes: [] } });
    expect(parse(open, { roles: ['token'], scopes: ['read:users!user'] })).toEqual({ error: 'Can only assign one of scopes or roles when creating tokens.' });
  });

  it('refuses a lifetime outside 1 s … the maximum, in one sentence', () => {
    for (const expires_in of [0, 1.5, '60', 3601]) {
      expect(parse(capped, { expires_in })).toEqual({
        error: `expires_in must be a whole number of seconds from 1 to 3600 (auth.token_max_age), or null for the longest allowed; got ${JSON.stringify(expires_in)}`,
      });
    }
  });

  it('names unknown scopes with the nearest known one, unknown roles, and overlong notes', () => {
    expect(parse(open, { scopes: ['read:user'] })).toEqual({
      error: 'scopes: Unknown or malformed scopes: "read:user" is not a known scope (did you mean "read:users"?); names come from JupyterHub\'s scope table, or custom:NAME',
    });
    expect(parse(open, { roles: ['token', 'grader'] })).toEqual({
      error: 'roles: No such role: grader (the roles are JupyterHub\'s defaults: user, admin, server, token; roles are deprecated, send scopes instead)',
    });
    expect(parse(open, { note: 'n'.repeat(1024) })).toEqual({ error: 'note is 1024 characters long; at most 1023 are allowed' });
    expect(parse(open, { note: 5 })).toEqual({ error: 'note must be a string, got 5' });
  });
});

describe('group bodies (JupyterHub group model: unknown fields refused)', () => {
  it('POST /groups needs at least one group; members are names', () => {
    expect(parse(newGroupsBody, { groups: ['g'], users: ['a'] })).toEqual({ ok: { groups: ['g'], users: ['a'] } });
    expect(parse(newGroupsBody, { groups: [] })).toEqual({ error: 'groups: Must specify at least one group to create (body: {"groups": [...]})' });
    expect(parse(newGroupsBody, { groups: ['g'], members: ['a'] })).toEqual({ error: 'Unknown fields: members (allowed: name, users, roles, properties, groups)' });
    expect(parse(newGroupBody, { users: 'a' })).toEqual({ error: 'users must be a list of strings, got "a"' });
  });

  it('membership changes name the users; properties are any object', () => {
    expect(parse(groupMembersBody, {})).toEqual({ error: 'users: Must specify users to add or remove (body: {"users": [...]})' });
    expect(parse(groupMembersBody, { users: ['a'] })).toEqual({ ok: { users: ['a'] } });
    expect(parse(groupPropertiesBody, { course: 'x', n: [1] })).toEqual({ ok: { course: 'x', n: [1] } });
    expect(parse(groupPropertiesBody, [1])).toEqual({ error: 'properties must be a JSON object' });
  });
});

describe('other bodies (unknown fields ignored)', () => {
  it('shutdown takes booleans', () => {
    expect(parse(shutdownBody, { servers: true, proxy: false, why: 'x' })).toEqual({ ok: { servers: true, proxy: false } });
    expect(parse(shutdownBody, { proxy: 1 })).toEqual({ error: 'proxy must be true or false, got 1' });
  });

  it('start options are any object, passed on as they are', () => {
    expect(parse(startOptionsBody, { image: 'lab', profile: 'x' })).toEqual({ ok: { image: 'lab', profile: 'x' } });
    expect(parse(startOptionsBody, ['lab'])).toEqual({ error: 'Request body must be a JSON object of user options' });
  });

  it('activity needs a time; one without a zone is UTC', () => {
    expect(parse(activityBody, { last_activity: '2026-01-02T03:04:05.000' })).toEqual({ ok: { last_activity: new Date('2026-01-02T03:04:05.000Z') } });
    expect(parse(activityBody, { servers: { '': { last_activity: '2026-01-02T03:04:05+01:00' } } }))
      .toEqual({ ok: { servers: { '': { last_activity: new Date('2026-01-02T02:04:05Z') } } } });
    expect(parse(activityBody, {})).toEqual({ error: 'body has neither last_activity nor servers' });
    expect(parse(activityBody, { last_activity: 'yesterday' })).toEqual({ error: 'last_activity is not an ISO 8601 timestamp: "yesterday"' });
    expect(parse(activityBody, { servers: { '': {} } })).toEqual({ error: 'servers[""].last_activity must be an ISO 8601 timestamp, got undefined' });
    expect(parse(activityBody, { servers: [] })).toEqual({ error: 'servers must be {"<server name>": {"last_activity": "<timestamp>"}}' });
  });

  it('the OAuth token request has string fields', () => {
    expect(parse(oauthTokenForm, { grant_type: 'authorization_code', code: 'c', scope: 'x' })).toEqual({ ok: { grant_type: 'authorization_code', code: 'c' } });
    expect(parse(oauthTokenForm, { code: 1 })).toEqual({ error: 'code must be a string, got 1' });
  });
});
