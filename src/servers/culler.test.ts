// The built-in idle culler without Docker: the fake spawner's servers, a clock the test moves, and one pass of the
// culler per `t.servers.cull()`. Idle servers stop with their reason recorded, traffic and busy kernels keep them,
// max_age stops even busy ones, named servers are culled (and removed when asked), users with cull_users.
import { afterEach, describe, expect, it } from 'vitest';
import { createTokenStore } from '../auth/tokens.js';
import type { ConfigInput } from '../config/schema.js';
import { createTestServers, type TestServers } from '../../test/helpers/test-servers.js';
import { waitFor } from '../../test/helpers/wait-for.js';

const HOUR = 3600_000;
let t: TestServers;
afterEach(() => t?.close());

/** A hub whose "now" is `clock.at`, which the test moves forward. */
function culling(culler: ConfigInput['culler'], spawner: Partial<NonNullable<ConfigInput['spawner']>> = {}) {
  const clock = { at: Date.now(), now: () => clock.at };
  t = createTestServers(spawner, {}, { config: { culler }, clock });
  return clock;
}

describe('the built-in culler', () => {
  it('stops a server idle longer than culler.timeout and records why', async () => {
    const clock = culling({ timeout: '1h' });
    t.users.ensure('alice');
    await t.servers.start('alice');
    clock.at += 2 * HOUR;
    await t.servers.cull();
    expect(t.servers.get('alice')).toMatchObject({ status: 'stopped', cullReason: 'idle 2h', culledAt: new Date(clock.at) });
    expect(t.spawner.containerOf('alice')).toBeUndefined();
  });

  it('keeps a server with recent traffic through the proxy, and stops it once that traffic is older than the timeout', async () => {
    const clock = culling({ timeout: '1h' });
    t.users.ensure('bob');
    await t.servers.start('bob');
    clock.at += 50 * 60_000;
    t.servers.noteActivity('bob');
    clock.at += 40 * 60_000;
    await t.servers.cull();
    expect(t.servers.get('bob')).toMatchObject({ status: 'running', cullReason: null });
    clock.at += 30 * 60_000;
    await t.servers.cull();
    expect(t.servers.get('bob')).toMatchObject({ status: 'stopped', cullReason: 'idle 1h 10m' });
  });

  it("credits a named server's traffic to that server: it stays while the idle default server is stopped", async () => {
    const clock = culling({ timeout: '1h' }, { allow_named_servers: true });
    t.users.ensure('bob');
    await t.servers.start('bob');
    await t.servers.start('bob', {}, { server: 'work' });
    clock.at += 50 * 60_000;
    t.servers.noteActivity('bob', 'work');
    clock.at += 40 * 60_000;
    await t.servers.cull();
    expect(t.servers.get('bob', 'work')).toMatchObject({ status: 'running', cullReason: null });
    expect(t.servers.get('bob')).toMatchObject({ status: 'stopped', cullReason: 'idle 1h 30m' });
  });

  it('does nothing while culler.timeout is unset', async () => {
    const clock = culling({});
    t.users.ensure('carol');
    await t.servers.start('carol');
    clock.at += 100 * HOUR;
    await t.servers.cull();
    expect(t.servers.get('carol')).toMatchObject({ status: 'running' });
  });

  it('stops a server older than culler.max_age however active it is', async () => {
    const clock = culling({ timeout: '1h', max_age: '8h' });
    t.users.ensure('dora');
    await t.servers.start('dora');
    t.spawner.containerOf('dora')!.kernels = [{ id: 'k1', execution_state: 'busy', last_activity: new Date(clock.at).toISOString() }];
    clock.at += 8 * HOUR;
    t.servers.noteActivity('dora');
    await t.servers.cull();
    expect(t.servers.get('dora')).toMatchObject({ status: 'stopped', cullReason: 'max_age 8h' });
  });

  it('keeps an idle server whose kernel is busy, asking the server with a token for that server only', async () => {
    const clock = culling({ timeout: '1h' });
    t.users.ensure('erin');
    await t.servers.start('erin');
    const container = t.spawner.containerOf('erin')!;
    container.kernels = [
      { id: 'k1', execution_state: 'busy', last_activity: new Date(clock.at).toISOString(), connections: 0 },
      { id: 'k2', execution_state: 'idle', last_activity: new Date(clock.at).toISOString(), connections: 0 },
    ];
    clock.at += 3 * HOUR;
    await t.servers.cull();
    expect(t.servers.get('erin')).toMatchObject({ status: 'running', cullReason: null });
    // The check was made with a token scoped to erin's server, revoked once it had answered.
    expect(container.kernelQueries).toHaveLength(1);
    const token = container.kernelQueries[0].replace(/^token /, '');
    expect(createTokenStore(t.db).find(token)).toBeNull();

    // The computation ends: the kernel's last activity is then what counts.
    container.kernels = [{ id: 'k1', execution_state: 'idle', last_activity: new Date(clock.at - 10 * 60_000).toISOString() }];
    clock.at += 30 * 60_000;
    await t.servers.cull();
    expect(t.servers.get('erin')).toMatchObject({ status: 'running' });
    clock.at += 45 * 60_000;
    await t.servers.cull();
    expect(t.servers.get('erin')).toMatchObject({ status: 'stopped', cullReason: expect.stringMatching(/^idle /) });
  });

  it('keeps a server whose kernel is still starting, which takes long on a loaded server', async () => {
    const clock = culling({ timeout: '1h' });
    t.users.ensure('erin');
    await t.servers.start('erin');
    const container = t.spawner.containerOf('erin')!;
    container.kernels = [{ id: 'k1', execution_state: 'starting', last_activity: new Date(clock.at).toISOString(), connections: 0 }];
    clock.at += 2 * HOUR;
    await t.servers.cull();
    expect(container.kernelQueries).toHaveLength(1);
    expect(t.servers.get('erin')).toMatchObject({ status: 'running', cullReason: null });
  });

  it('keeps a server whose traffic arrives while it is being asked about its kernels', async () => {
    const clock = culling({ timeout: '1h' });
    t.users.ensure('ivy');
    await t.servers.start('ivy');
    const container = t.spawner.containerOf('ivy')!;
    const idleKernels = [{ id: 'k1', execution_state: 'idle', last_activity: new Date(clock.at).toISOString(), connections: 0 }];
    // The answer to a request that was in flight reaches the proxy while the culler waits for the server's reply.
    Object.defineProperty(container, 'kernels', { get: () => {
      t.servers.noteActivity('ivy');
      return idleKernels;
    } });
    clock.at += 2 * HOUR;
    await t.servers.cull();
    expect(container.kernelQueries).toHaveLength(1);
    expect(t.servers.get('ivy')).toMatchObject({ status: 'running', cullReason: null });
  });

  it('ignores busy kernels with culler.busy_kernels_count_as_activity off', async () => {
    const clock = culling({ timeout: '1h', busy_kernels_count_as_activity: false });
    t.users.ensure('fay');
    await t.servers.start('fay');
    const container = t.spawner.containerOf('fay')!;
    container.kernels = [{ id: 'k1', execution_state: 'busy', last_activity: new Date(clock.at).toISOString() }];
    clock.at += 2 * HOUR;
    await t.servers.cull();
    expect(t.servers.get('fay')).toMatchObject({ status: 'stopped', cullReason: 'idle 2h' });
    expect(container.kernelQueries).toEqual([]);
  });

  it('culls named servers one by one, and removes them with culler.remove_named_servers', async () => {
    const clock = culling({ timeout: '1h', remove_named_servers: true }, { allow_named_servers: true });
    t.users.ensure('gus');
    await t.servers.start('gus');
    await t.servers.start('gus', {}, { server: 'work' });
    await t.servers.start('gus', {}, { server: 'busy' });
    clock.at += 2 * HOUR;
    // The default server and "busy" had traffic (activity the servers themselves report); "work" had none.
    t.servers.recordActivity('gus', new Date(clock.at), '');
    t.servers.recordActivity('gus', new Date(clock.at), 'busy');
    await t.servers.cull();
    expect(t.servers.get('gus')).toMatchObject({ status: 'running' });
    expect(t.servers.get('gus', 'busy')).toMatchObject({ status: 'running' });
    expect(t.servers.get('gus', 'work')).toBeNull();
    expect(t.spawner.containerOf('gus/work')).toBeUndefined();
  });

  it('keeps a culled named server\'s record without remove_named_servers', async () => {
    const clock = culling({ timeout: '1h' }, { allow_named_servers: true });
    t.users.ensure('hal');
    await t.servers.start('hal', {}, { server: 'work' });
    clock.at += 2 * HOUR;
    await t.servers.cull();
    expect(t.servers.get('hal', 'work')).toMatchObject({ status: 'stopped', cullReason: 'idle 2h' });
  });

  it('deletes idle users who are not admins and have nothing running, with culler.cull_users', async () => {
    const clock = culling({ timeout: '1h', cull_users: true });
    t.users.ensure('ivy');
    t.users.ensure('admin', { admin: true });
    t.users.ensure('jo');
    await t.servers.start('jo');
    t.servers.noteActivity('jo');
    clock.at += 2 * HOUR;
    t.servers.noteActivity('jo');
    await t.servers.cull();
    expect(t.users.get('ivy')).toBeNull();
    expect(t.users.get('admin')).not.toBeNull();
    expect(t.users.get('jo')).not.toBeNull();
    expect(t.servers.get('jo')).toMatchObject({ status: 'running' });
  });
});

describe('the culler and slow starts', () => {
  it('counts idle time from when the server became ready, not from when its start was asked', async () => {
    const clock = culling({ timeout: '1h' });
    t.users.ensure('kim');
    t.spawner.behave('kim', 'slow');
    expect(await t.servers.start('kim', {}, { waitMs: 0 })).toBe('pending');
    await t.spawner.starting('kim');
    clock.at += 2 * HOUR;
    t.spawner.release('kim');
    await waitFor(() => expect(t.servers.get('kim')).toMatchObject({ status: 'running' }));
    await t.servers.cull();
    expect(t.servers.get('kim')).toMatchObject({ status: 'running' });
  });
});
