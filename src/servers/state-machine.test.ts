// The state machine's races, without Docker: the fake spawner's servers answer HTTP when the test says so.
import { afterEach, describe, expect, it } from 'vitest';
import { createTestServers, type TestServers } from '../../test/helpers/test-servers.js';
import { HttpError } from '../errors.js';

let t: TestServers;
afterEach(() => t?.close());

const statusOf = (name: string) => t.servers.get(name)?.status;

async function events(name: string): Promise<{ ready?: boolean; failed?: boolean; message: string }[]> {
  const seen = [];
  for await (const event of t.servers.progress(name)) seen.push(event);
  return seen;
}

describe('the server state machine', () => {
  it('answers "started" once the server answers HTTP, and routes it', async () => {
    t = createTestServers();
    t.users.ensure('alice');
    expect(await t.servers.start('alice')).toBe('started');
    expect(statusOf('alice')).toBe('running');
    expect(t.servers.target('alice')).toBe(t.spawner.containerOf('alice')!.url);
  });

  it('joins a start while one is under way: "pending", and one container', async () => {
    t = createTestServers();
    t.users.ensure('alice');
    t.spawner.behave('alice', 'slow');
    expect(await t.servers.start('alice', {}, { waitMs: 0 })).toBe('pending');
    expect(await t.servers.start('alice', {}, { waitMs: 0 })).toBe('pending');
    await t.spawner.starting('alice');
    t.spawner.release('alice');
    expect((await events('alice')).at(-1)).toMatchObject({ ready: true });
    expect(t.spawner.starts).toEqual(['alice']);
    expect(statusOf('alice')).toBe('running');
  });

  it('cancels a start when stopped meanwhile: the container is removed and the progress says cancelled', async () => {
    t = createTestServers();
    t.users.ensure('alice');
    t.spawner.behave('alice', 'slow');
    await t.servers.start('alice', {}, { waitMs: 0 });
    await t.spawner.starting('alice');
    expect(await t.servers.stop('alice')).toBe('stopped');
    expect(statusOf('alice')).toBe('stopped');
    expect(t.spawner.containerOf('alice')).toBeUndefined();
    expect(t.servers.target('alice')).toBeNull();
    expect(t.servers.get('alice')?.lastError).toBeNull();
    // A cancelled start leaves no progress to follow: the next start begins afresh.
    expect(() => t.servers.progress('alice')).toThrow(/not starting/);
  });

  it('refuses a start while a stop is under way with 400 "pending stop", then starts once it has stopped', async () => {
    t = createTestServers({}, { slowStopMs: 0 });
    t.users.ensure('alice');
    await t.servers.start('alice');
    const release = t.spawner.holdStops();
    expect(await t.servers.stop('alice')).toBe('pending');
    expect(statusOf('alice')).toBe('stopping');
    await expect(t.servers.start('alice')).rejects.toMatchObject({ status: 400, message: "alice's server is pending stop; start it again once it has stopped" });
    release();
    await expect.poll(() => statusOf('alice')).toBe('stopped');
    expect(await t.servers.start('alice')).toBe('started');
  });

  it('answers 429 with Retry-After to a start beyond spawner.concurrent_spawn_limit, and takes it once one finishes', async () => {
    t = createTestServers({ concurrent_spawn_limit: 2 });
    for (const name of ['a', 'b', 'c']) {
      t.users.ensure(name);
      t.spawner.behave(name, 'slow');
    }
    await t.servers.start('a', {}, { waitMs: 0 });
    await t.servers.start('b', {}, { waitMs: 0 });
    const refused = await t.servers.start('c', {}, { waitMs: 0 }).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(HttpError);
    expect(refused).toMatchObject({ status: 429, headers: { 'Retry-After': '10' } });
    expect(refused).toMatchObject({ limit: 2, message: 'Too many users trying to log in right now. Try again in 10 seconds.' });
    expect(statusOf('c')).toBe('stopped');
    await t.spawner.starting('a');
    t.spawner.release('a');
    await events('a');
    expect(await t.servers.start('c', {}, { waitMs: 0 })).toBe('pending');
  });

  it('reports a failed start as a 500 naming the reason, in the progress and in the view', async () => {
    t = createTestServers();
    t.users.ensure('alice');
    t.spawner.behave('alice', { fail: 'The image has no jupyterhub-singleuser' });
    await expect(t.servers.start('alice')).rejects.toMatchObject({ status: 500, message: 'Spawn failed: The image has no jupyterhub-singleuser' });
    expect(t.servers.get('alice')).toMatchObject({ status: 'stopped', lastError: 'The image has no jupyterhub-singleuser' });
    expect(await events('alice')).toEqual([expect.objectContaining({ failed: true, message: 'Spawn failed: The image has no jupyterhub-singleuser' })]);
  });

  it('fails a start whose server exits before it answers, with the exit code', async () => {
    t = createTestServers();
    t.users.ensure('alice');
    t.spawner.behave('alice', 'slow');
    await t.servers.start('alice', {}, { waitMs: 0 });
    await t.spawner.starting('alice');
    await t.spawner.exit('alice', 3);
    expect((await events('alice')).at(-1)).toMatchObject({ failed: true, message: expect.stringContaining('exited with code 3') });
    expect(statusOf('alice')).toBe('stopped');
  });

  it('marks a running server stopped when the proxy finds it unreachable and its container is gone', async () => {
    t = createTestServers();
    t.users.ensure('alice');
    await t.servers.start('alice');
    await t.spawner.die('alice');
    t.servers.noteUnreachable('alice');
    await expect.poll(() => statusOf('alice')).toBe('stopped');
    expect(t.servers.get('alice')?.lastError).toBe('The container was removed outside the hub');
    expect(t.servers.target('alice')).toBeNull();
  });

  it('checks a server said to be running before refusing a start: a dead one is started again', async () => {
    t = createTestServers();
    t.users.ensure('alice');
    await t.servers.start('alice');
    await t.spawner.exit('alice', 1);
    expect(await t.servers.start('alice')).toBe('started');
    expect(t.spawner.starts).toEqual(['alice', 'alice']);
    await expect(t.servers.start('alice')).rejects.toMatchObject({ status: 400, message: "alice's server is already running" });
  });

  it('pushes route changes to watchers in the order they happen', async () => {
    t = createTestServers();
    t.users.ensure('alice');
    t.users.ensure('bob');
    const seen: [string, string | null][] = [];
    expect(t.servers.watchRoutes((name, target) => seen.push([name, target]))).toEqual([]);
    await t.servers.start('alice');
    const alice = t.spawner.containerOf('alice')!.url;
    await t.servers.start('bob');
    await t.servers.stop('alice');
    expect(seen).toEqual([
      ['alice', alice],
      ['bob', t.spawner.containerOf('bob')!.url],
      ['alice', null],
    ]);
  });

  it('answers 404 for an unknown user', async () => {
    t = createTestServers();
    await expect(t.servers.start('nobody')).rejects.toMatchObject({ status: 404, message: 'No such user: nobody' });
    await expect(t.servers.stop('nobody')).rejects.toMatchObject({ status: 404 });
  });
});
