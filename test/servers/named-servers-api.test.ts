// Named servers over the REST API (a whole hub with the fake spawner): start, list, progress, stop, remove, the
// per-user limit and the name rule as 400s, scopes filtered by server, activity per server, and
// jupyterhub-idle-culler's calls with --remove-named-servers, made exactly as it makes them.
import { afterEach, describe, expect, it } from 'vitest';
import { createApiApp, type ApiApp } from '../helpers/api-app.js';

let t: ApiApp;
afterEach(() => t?.close());

const named = (limit = 0) => createApiApp({ spawner: { allow_named_servers: true, named_server_limit_per_user: limit } });

async function message(res: Response): Promise<string> {
  return ((await res.json()) as { message: string }).message;
}

type ServerModel = Record<string, unknown>;
const serversOf = async (t: ApiApp, token: string, user: string, query = '') =>
  ((await (await t.request(`/hub/api/users/${user}${query}`, { token })).json()) as { servers: Record<string, ServerModel> }).servers;

describe('named servers over the API', () => {
  it('starts a named server with POST …/servers/<name> and lists it in the user model with JupyterHub\'s fields', async () => {
    t = named();
    const alice = t.tokenFor('alice');
    const started = await t.request('/hub/api/users/alice/servers/work', { method: 'POST', token: alice });
    expect(started.status).toBe(201);
    const servers = await serversOf(t, alice, 'alice');
    expect(Object.keys(servers)).toEqual(['work']);
    expect(servers.work).toMatchObject({
      name: 'work', url: '/user/alice/work/', ready: true, pending: null, stopped: false,
      progress_url: '/hub/api/users/alice/servers/work/progress', user_options: {},
    });
    expect(typeof servers.work!.started).toBe('string');
    expect(typeof servers.work!.last_activity).toBe('string');
    // The default server stays apart: it is listed when it runs too.
    await t.startServer('alice');
    expect(Object.keys(await serversOf(t, alice, 'alice')).sort()).toEqual(['', 'work']);
    // `state` (the container) only for holders of admin:server_state.
    expect(servers.work).not.toHaveProperty('state');
    const admin = t.tokenFor('admin', ['inherit'], { admin: true });
    expect((await serversOf(t, admin, 'alice')).work).toMatchObject({ state: { container_id: t.spawner.containerOf('alice/work')!.id } });
  });

  it('streams a named server\'s progress at …/servers/<name>/progress', async () => {
    t = named();
    const alice = t.tokenFor('alice');
    await t.request('/hub/api/users/alice/servers/work', { method: 'POST', token: alice });
    const res = await t.request('/hub/api/users/alice/servers/work/progress', { token: alice });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toContain('"ready":true');
    expect(text).toContain('/user/alice/work/');
    expect((await t.request('/hub/api/users/alice/servers/nope/progress', { token: alice })).status).toBe(404);
  });

  it('stops a named server (204) and keeps its record; {"remove": true} deletes it; unknown servers are 404', async () => {
    t = named();
    const alice = t.tokenFor('alice');
    await t.request('/hub/api/users/alice/servers/work', { method: 'POST', token: alice });
    expect((await t.request('/hub/api/users/alice/servers/work', { method: 'DELETE', token: alice })).status).toBe(204);
    expect(await serversOf(t, alice, 'alice')).toEqual({});
    expect((await serversOf(t, alice, 'alice', '?include_stopped_servers=1')).work).toMatchObject({ stopped: true, ready: false });
    expect(t.hub.servers.get('alice', 'work')?.status).toBe('stopped');
    const removed = await t.request('/hub/api/users/alice/servers/work', { method: 'DELETE', token: alice, body: JSON.stringify({ remove: true }) });
    expect(removed.status).toBe(204);
    expect(Object.keys(await serversOf(t, alice, 'alice', '?include_stopped_servers=1'))).toEqual(['']);
    const gone = await t.request('/hub/api/users/alice/servers/work', { method: 'DELETE', token: alice });
    expect(gone.status).toBe(404);
    expect(await message(gone)).toBe('alice has no server named "work"');
    const defaultRemoved = await t.request('/hub/api/users/alice/server', { method: 'DELETE', token: alice, body: '{"remove": true}' });
    expect([defaultRemoved.status, await message(defaultRemoved)]).toEqual([400, 'Cannot delete the default server']);
  });

  it('answers the per-user limit and a name outside the rule with 400s that say why', async () => {
    t = named(1);
    const alice = t.tokenFor('alice');
    expect((await t.request('/hub/api/users/alice/servers/one', { method: 'POST', token: alice })).status).toBe(201);
    const over = await t.request('/hub/api/users/alice/servers/two', { method: 'POST', token: alice });
    expect(over.status).toBe(400);
    expect(await message(over)).toBe('User alice already has the maximum of 1 named servers.  One must be deleted before a new server can be created');
    const bad = await t.request('/hub/api/users/alice/servers/My%20Server', { method: 'POST', token: alice });
    expect(bad.status).toBe(400);
    expect(await message(bad)).toBe('Invalid server name "My Server": a server name is 1 to 30 characters of lower-case letters, digits and single hyphens, starting with a letter and not ending with a hyphen');
  });

  it('refuses every named-server call while spawner.allow_named_servers is off', async () => {
    t = createApiApp();
    const alice = t.tokenFor('alice');
    for (const method of ['POST', 'DELETE']) {
      const res = await t.request('/hub/api/users/alice/servers/work', { method, token: alice });
      expect(res.status).toBe(400);
      expect(await message(res)).toMatch(/^Named servers are not enabled/);
    }
  });

  it('honours !server= filters: a token for alice/work cannot start alice/play or the default server (404, as for others\' resources)', async () => {
    t = named();
    const token = t.tokenFor('alice', ['servers!server=alice/work', 'read:servers!server=alice/work']);
    expect((await t.request('/hub/api/users/alice/servers/work', { method: 'POST', token })).status).toBe(201);
    expect((await t.request('/hub/api/users/alice/servers/play', { method: 'POST', token })).status).toBe(404);
    expect((await t.request('/hub/api/users/alice/server', { method: 'POST', token })).status).toBe(404);
    expect(t.hub.servers.named('alice').map((v) => v.name)).toEqual(['work']);
  });

  it('records activity reported for a named server, and refuses activity for a server the user does not have', async () => {
    t = named();
    const alice = t.tokenFor('alice');
    await t.request('/hub/api/users/alice/servers/work', { method: 'POST', token: alice });
    const post = (servers: Record<string, unknown>) => t.request('/hub/api/users/alice/activity', {
      method: 'POST', token: alice, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ servers }),
    });
    const future = new Date(Date.now() + 30 * 60_000).toISOString();
    expect((await post({ work: { last_activity: future } })).status).toBe(200);
    await expect.poll(async () => (await serversOf(t, alice, 'alice')).work!.last_activity, { timeout: 15_000 }).toBe(future);
    const unknown = await post({ nope: { last_activity: future } });
    expect([unknown.status, await message(unknown)]).toEqual([400, 'No such server: alice/nope']);
  });

  it('answers jupyterhub-idle-culler --remove-named-servers as JupyterHub does', async () => {
    // The service and scopes the culler's README documents.
    const culler = 'culler-token-0123456789';
    t = createApiApp({
      spawner: { allow_named_servers: true },
      services: [{ name: 'idle-culler', api_token: culler, scopes: ['list:users', 'read:users:activity', 'read:servers', 'delete:servers'] }],
    });
    const alice = t.tokenFor('alice');
    await t.request('/hub/api/users/alice/servers/work', { method: 'POST', token: alice });
    // The culler lists users with a ready server (any server, named ones too) …
    const listed = await t.request('/hub/api/users?state=ready&offset=0&limit=200', {
      token: culler, headers: { Accept: 'application/jupyterhub-pagination+json' },
    });
    expect(listed.status).toBe(200);
    const page = (await listed.json()) as { items: { name: string; servers: Record<string, ServerModel> }[] };
    expect(page.items.map((u) => u.name)).toEqual(['alice']);
    const server = page.items[0]!.servers.work!;
    expect(server).toMatchObject({ name: 'work', ready: true, pending: null });
    // … then, for an idle named server, DELETE {url}/users/<quote(name)>/servers/<quote(server)> with the body
    // '{"remove": true}' and no Content-Type (tornado's HTTPRequest, allow_nonstandard_methods=True).
    const res = await t.request(`/hub/api/users/${encodeURIComponent('alice')}/servers/${encodeURIComponent(server.name as string)}`, {
      method: 'DELETE', token: culler, body: JSON.stringify({ remove: true }),
    });
    expect(res.status).toBe(204);
    expect(t.hub.servers.get('alice', 'work')).toBeNull();
    expect(t.spawner.containerOf('alice/work')).toBeUndefined();
  });

  it('signs a visitor in to a named server through its own OAuth client, granting access to that server alone', async () => {
    t = named();
    const alice = t.tokenFor('alice');
    await t.request('/hub/api/users/alice/servers/work', { method: 'POST', token: alice });
    const env = t.spawner.containerOf('alice/work')!.env;
    const callback = '/user/alice/work/oauth_callback';
    expect([env.JUPYTERHUB_CLIENT_ID, env.JUPYTERHUB_OAUTH_CALLBACK_URL]).toEqual(['jupyterhub-user-alice-work', callback]);
    const query = new URLSearchParams({ client_id: env.JUPYTERHUB_CLIENT_ID!, redirect_uri: callback, response_type: 'code', state: 's' });
    const authorized = await t.request(`/hub/api/oauth2/authorize?${query}`, { headers: { Cookie: await t.signIn('alice') } });
    expect(authorized.status).toBe(302);
    const location = new URL(authorized.headers.get('location')!, 'http://x');
    expect(location.pathname).toBe(callback);
    const form = new URLSearchParams({
      client_id: env.JUPYTERHUB_CLIENT_ID!, client_secret: env.JUPYTERHUB_API_TOKEN!, grant_type: 'authorization_code',
      code: location.searchParams.get('code')!, redirect_uri: callback,
    });
    const granted = await t.request('/hub/api/oauth2/token', { method: 'POST', body: form.toString(), headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
    expect(granted.status).toBe(200);
    const scopes = ((await granted.json()) as { scope: string }).scope.split(' ');
    expect(scopes).toContain('access:servers!server=alice/work');
    expect(scopes.filter((s) => s.startsWith('access:'))).toEqual(['access:servers!server=alice/work']);
    // bob holds no access to alice's server: no code for him.
    const bob = await t.request(`/hub/api/oauth2/authorize?${query}`, { headers: { Cookie: await t.signIn('bob') } });
    expect(bob.status).toBe(403);
  });
});
