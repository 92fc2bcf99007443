// Named servers in the state machine, without Docker: two servers of one user side by side, stop one, the per-user
// limit, the name rule, remove, and re-adoption by a restarted hub. The fake spawner knows them as `<user>/<server>`.
import { afterEach, describe, expect, it } from 'vitest';
import { createOAuthClientStore } from '../auth/oauth-clients.js';
import { createTestServers, type TestServers } from '../../test/helpers/test-servers.js';
import { HttpError } from '../errors.js';

let t: TestServers;
afterEach(() => t?.close());

const named = (limit = 0) => createTestServers({ allow_named_servers: true, named_server_limit_per_user: limit });

async function refusal(promise: Promise<unknown>): Promise<HttpError> {
  const err = await promise.then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(HttpError);
  return err as HttpError;
}

describe('named servers', () => {
  it('runs two servers of one user side by side, each in its own container and routed apart', async () => {
    t = named();
    t.users.ensure('alice');
    expect(await t.servers.start('alice')).toBe('started');
    expect(await t.servers.start('alice', {}, { server: 'work' })).toBe('started');
    const main = t.spawner.containerOf('alice')!;
    const work = t.spawner.containerOf('alice/work')!;
    expect(work.id).not.toBe(main.id);
    expect(main.name).toBe('berth-alice');
    expect(work.name).toBe('berth-alice--work');
    expect(work.labels).toMatchObject({ 'berth.user': 'alice', 'berth.server': 'work' });
    expect(t.servers.target('alice')).toBe(main.url);
    expect(t.servers.target('alice', 'work')).toBe(work.url);
    expect(t.servers.get('alice', 'work')).toMatchObject({
      name: 'work', status: 'running', url: '/user/alice/work/', progressUrl: '/hub/api/users/alice/servers/work/progress',
    });
    expect(t.servers.named('alice').map((v) => v.name)).toEqual(['work']);
    // Its own OAuth client, as JupyterHub names it, granting access to that server only.
    const client = createOAuthClientStore(t.db).get('jupyterhub-user-alice-work');
    expect(client).toMatchObject({ redirectUri: '/user/alice/work/oauth_callback', allowedScopes: ['access:servers!server=alice/work'] });
  });

  it('stops one named server and leaves the other servers running and routed', async () => {
    t = named();
    t.users.ensure('alice');
    await t.servers.start('alice');
    await t.servers.start('alice', {}, { server: 'work' });
    expect(await t.servers.stop('alice', { server: 'work' })).toBe('stopped');
    expect(t.servers.get('alice', 'work')?.status).toBe('stopped');
    expect(t.servers.target('alice', 'work')).toBeNull();
    expect(t.spawner.containerOf('alice/work')).toBeUndefined();
    expect(createOAuthClientStore(t.db).get('jupyterhub-user-alice-work')).toBeNull();
    expect(t.servers.get('alice')?.status).toBe('running');
    expect(t.servers.target('alice')).toBe(t.spawner.containerOf('alice')!.url);
  });

  it('refuses a named server beyond named_server_limit_per_user with JupyterHub\'s 400, counting stopped ones but not the default', async () => {
    t = named(2);
    t.users.ensure('alice');
    await t.servers.start('alice');
    await t.servers.start('alice', {}, { server: 'one' });
    await t.servers.start('alice', {}, { server: 'two' });
    await t.servers.stop('alice', { server: 'two' });
    const err = await refusal(t.servers.start('alice', {}, { server: 'three' }));
    expect(err.status).toBe(400);
    expect(err.message).toBe('User alice already has the maximum of 2 named servers.  One must be deleted before a new server can be created');
    expect(t.servers.get('alice', 'three')).toBeNull();
    // A server the user already has starts again; another user has a limit of their own.
    expect(await t.servers.start('alice', {}, { server: 'two' })).toBe('started');
    t.users.ensure('bob');
    expect(await t.servers.start('bob', {}, { server: 'one' })).toBe('started');
  });

  it('refuses new names outside JupyterHub 6\'s rule with the rule, and accepts names within it', async () => {
    t = named();
    t.users.ensure('alice');
    for (const bad of ['Work', '1st', '-a', 'a-', 'a--b', 'a_b', 'a.b', 'x'.repeat(31)]) {
      const err = await refusal(t.servers.start('alice', {}, { server: bad }));
      expect(err.status).toBe(400);
      expect(err.message).toContain('1 to 30 characters of lower-case letters, digits and single hyphens');
    }
    expect(t.servers.named('alice')).toEqual([]);
    for (const good of ['a', 'w-1', 'x'.repeat(30)]) expect(await t.servers.start('alice', {}, { server: good })).toBe('started');
  });

  it('removes a named server\'s record with remove, which frees its place under the limit; the default server cannot be removed', async () => {
    t = named(1);
    t.users.ensure('alice');
    await t.servers.start('alice', {}, { server: 'work' });
    expect(await t.servers.stop('alice', { server: 'work', remove: true })).toBe('stopped');
    expect(t.servers.get('alice', 'work')).toBeNull();
    expect(t.servers.named('alice')).toEqual([]);
    expect(await t.servers.start('alice', {}, { server: 'play' })).toBe('started');
    expect((await refusal(t.servers.stop('alice', { server: 'work' }))).status).toBe(404);
    const err = await refusal(t.servers.stop('alice', { remove: true }));
    expect([err.status, err.message]).toEqual([400, 'Cannot delete the default server']);
  });

  it('removes a named server that is still starting once its start is cancelled', async () => {
    t = named();
    t.users.ensure('alice');
    t.spawner.behave('alice/work', 'slow');
    await t.servers.start('alice', {}, { server: 'work', waitMs: 0 });
    await t.spawner.starting('alice/work');
    expect(await t.servers.stop('alice', { server: 'work', remove: true })).toBe('stopped');
    expect(t.servers.get('alice', 'work')).toBeNull();
    expect(t.spawner.containerOf('alice/work')).toBeUndefined();
  });

  it('refuses named servers while spawner.allow_named_servers is off', async () => {
    t = createTestServers();
    t.users.ensure('alice');
    const err = await refusal(t.servers.start('alice', {}, { server: 'work' }));
    expect(err.status).toBe(400);
    expect(err.message).toMatch(/Named servers are not enabled/);
  });

  it('re-adopts and re-routes running named servers after a restart', async () => {
    t = named();
    t.users.ensure('alice');
    await t.servers.start('alice');
    await t.servers.start('alice', {}, { server: 'work' });
    const work = t.spawner.containerOf('alice/work')!;
    const servers = await t.restart();
    await servers.reconcile();
    expect(servers.target('alice', 'work')).toBe(work.url);
    expect(servers.target('alice')).toBe(t.spawner.containerOf('alice')!.url);
    expect(servers.watchRoutes(() => undefined).map(([key]) => key).sort()).toEqual(['alice', 'alice/work']);
    expect(t.spawner.stops).toEqual([]);
  });

  it('reports progress per server', async () => {
    t = named();
    t.users.ensure('alice');
    t.spawner.behave('alice/work', 'slow');
    await t.servers.start('alice', {}, { server: 'work', waitMs: 0 });
    expect(() => t.servers.progress('alice')).toThrow(/not starting/);
    await t.spawner.starting('alice/work');
    t.spawner.release('alice/work');
    const seen = [];
    for await (const event of t.servers.progress('alice', undefined, 'work')) seen.push(event);
    expect(seen.at(-1)).toMatchObject({ ready: true, url: '/user/alice/work/' });
  });

  it('checks a user\'s named servers too when the proxy finds one unreachable, and marks the gone one stopped', async () => {
    t = named();
    t.users.ensure('alice');
    await t.servers.start('alice');
    await t.servers.start('alice', {}, { server: 'work' });
    await t.spawner.die('alice/work');
    t.servers.noteUnreachable('alice');
    await expect.poll(() => t.servers.get('alice', 'work')?.status).toBe('stopped');
    expect(t.servers.get('alice', 'work')?.lastError).toBe('The container was removed outside the hub');
    expect(t.servers.target('alice', 'work')).toBeNull();
    expect(t.servers.get('alice')?.status).toBe('running');
  });

  it('stops named servers with the default ones when the hub shuts down with its servers', async () => {
    t = named();
    t.users.ensure('alice');
    t.users.ensure('bob');
    await t.servers.start('alice');
    await t.servers.start('alice', {}, { server: 'work' });
    await t.servers.start('bob', {}, { server: 'play' });
    await t.servers.stopAll();
    expect([t.servers.get('alice')?.status, t.servers.get('alice', 'work')?.status, t.servers.get('bob', 'play')?.status])
      .toEqual(['stopped', 'stopped', 'stopped']);
    expect(await t.spawner.list()).toEqual([]);
  });
});
