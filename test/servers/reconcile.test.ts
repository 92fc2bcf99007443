// The hub and Docker disagreeing: a hub restart with a running server, containers that die or vanish behind
// the hub's back (periodic check, proxy hint), and containers the hub did not create, which it never touches.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startTestHub, type TestHub } from '../helpers/test-hub.js';

let t: TestHub;
/** How far the hub's clock runs ahead of real time (moved forward instead of sleeping). */
let ahead = 0;

beforeAll(async () => {
  // The periodic check keeps its 30 s period here, so what this hub notices comes from reconcile or noteUnreachable.
  t = await startTestHub({}, { overrides: { serverTiming: { activityFlushMs: 200 }, clock: { now: () => Date.now() + ahead } } });
  // One user per test that starts a server, so the tests run in any order.
  for (const name of ['alice', 'bob', 'carol', 'dora', 'erin', 'gus', 'hana']) t.users.ensure(name);
});
afterAll(() => t?.cleanup());

const waitFor = <T>(check: () => T | Promise<T>) => vi.waitFor(check, { timeout: 15_000, interval: 100 });

describe('a hub restart', () => {
  it('re-adopts a running server without restarting its container, and keeps routing it', async () => {
    const foreign = await t.docker.createContainer({ Image: 'berth/backend:test', Labels: { ...t.labels }, HostConfig: { NetworkMode: t.network } });
    await foreign.start();
    const otherHub = await t.docker.createContainer({
      Image: 'berth/backend:test', Labels: { ...t.labels, 'berth.hub': 'another-hub', 'berth.user': 'alice' }, HostConfig: { NetworkMode: t.network },
    });
    await otherHub.start();

    expect(await t.hub.servers.start('alice')).toBe('started');
    const before = t.hub.servers.get('alice')!;
    const target = t.hub.servers.target('alice')!;
    const startedAt = (await t.docker.getContainer(before.containerId!).inspect()).State.StartedAt;

    await t.restart();

    const after = t.hub.servers.get('alice')!;
    expect(after).toMatchObject({ status: 'running', containerId: before.containerId });
    expect(t.hub.servers.target('alice')).toBe(target);
    const info = await t.docker.getContainer(before.containerId!).inspect();
    expect(info.State.StartedAt).toBe(startedAt);
    expect(info.State.Running).toBe(true);
    expect((await fetch(`${target}/user/alice/echo`)).status).toBe(200);
    // …and the new hub's public port routes to it.
    const proxied = await fetch(`${t.url}/user/alice/echo`);
    expect(proxied.status).toBe(200);
    expect(((await proxied.json()) as { path: string }).path).toBe('/user/alice/echo');
    // Containers without this hub's id are untouched by the reconcile.
    expect((await foreign.inspect()).State.Running).toBe(true);
    expect((await otherHub.inspect()).State.Running).toBe(true);
    await foreign.remove({ force: true });
    await otherHub.remove({ force: true });
  });

  it('marks stopped a server whose container vanished while the hub was down', async () => {
    expect(await t.hub.servers.start('dora')).toBe('started');
    const { containerId } = t.hub.servers.get('dora')!;
    await t.hub.stop();
    await t.docker.getContainer(containerId!).remove({ force: true });
    await t.restart();
    expect(t.hub.servers.get('dora')).toMatchObject({ status: 'stopped', containerId: null, lastError: 'The container was removed outside the hub' });
    expect(t.hub.servers.target('dora')).toBeNull();
  });

  it("removes a container carrying this hub's id that no server claims", async () => {
    const orphan = await t.docker.createContainer({
      Image: 'berth/backend:test', Labels: { ...t.labels, 'berth.hub': t.hub.hubId, 'berth.user': 'carol' }, HostConfig: { NetworkMode: t.network },
    });
    await t.hub.servers.reconcile();
    await expect(orphan.inspect()).rejects.toMatchObject({ statusCode: 404 });
  });
});

describe('a server that stopped answering while the hub was down', () => {
  it('is stopped on restart when it does not answer HTTP within http_timeout; one that answers is kept', async () => {
    // sh keeps the container running after the server process dies; the trap lets `docker stop` end it at once.
    const cmd = ['sh', '-c', 'trap "exit 0" TERM; python3 -u /srv/backend/backend.py & echo $! > /tmp/backend.pid; wait; while :; do sleep 1; done'];
    const h = await startTestHub({ spawner: { http_timeout: 2, cmd } });
    try {
      h.users.ensure('alice');
      h.users.ensure('bob');
      expect(await h.hub.servers.start('alice')).toBe('started');
      expect(await h.hub.servers.start('bob')).toBe('started');
      const alice = h.hub.servers.get('alice')!.containerId!;
      const bob = h.hub.servers.get('bob')!.containerId!;
      await h.hub.stop();

      const exec = await h.docker.getContainer(alice).exec({ Cmd: ['sh', '-c', 'kill -9 $(cat /tmp/backend.pid)'], AttachStdout: true, AttachStderr: true });
      const stream = await exec.start({});
      stream.resume();
      await new Promise((resolve) => stream.on('end', resolve));
      expect((await h.docker.getContainer(alice).inspect()).State.Running).toBe(true);

      await h.restart();
      expect(h.hub.servers.get('alice')).toMatchObject({
        status: 'stopped',
        containerId: null,
        lastError: 'The server did not answer HTTP at /user/alice/api within spawner.http_timeout (2 s) after the hub restarted',
      });
      expect(h.hub.servers.target('alice')).toBeNull();
      await expect(h.docker.getContainer(alice).inspect()).rejects.toMatchObject({ statusCode: 404 });
      expect(h.hub.servers.get('bob')).toMatchObject({ status: 'running', containerId: bob });
      expect((await fetch(`${h.url}/user/bob/echo`)).status).toBe(200);
    } finally {
      await h.cleanup();
    }
  });
});

describe('a silent re-adopted server and a long http_timeout', () => {
  it('does not hold up start-up beyond the adopt wait: the hub serves, and stops the server once its check fails', async () => {
    const cmd = ['sh', '-c', 'trap "exit 0" TERM; python3 -u /srv/backend/backend.py & echo $! > /tmp/backend.pid; wait; while :; do sleep 1; done'];
    const h = await startTestHub({ spawner: { http_timeout: 6, cmd } }, { overrides: { serverTiming: { adoptWaitMs: 500 } } });
    try {
      h.users.ensure('alice');
      expect(await h.hub.servers.start('alice')).toBe('started');
      const alice = h.hub.servers.get('alice')!.containerId!;
      await h.hub.stop();
      const exec = await h.docker.getContainer(alice).exec({ Cmd: ['sh', '-c', 'kill -9 $(cat /tmp/backend.pid)'], AttachStdout: true, AttachStderr: true });
      const stream = await exec.start({});
      stream.resume();
      await new Promise((resolve) => stream.on('end', resolve));

      await h.restart();
      // Serving already, while alice's 6 s check is still under way.
      expect((await fetch(`${h.url}/hub/health`)).status).toBe(200);
      expect(h.hub.servers.get('alice')).toMatchObject({ status: 'running', containerId: alice });
      await vi.waitFor(() => expect(h.hub.servers.get('alice')!.status).not.toBe('running'), { timeout: 20_000, interval: 200 });
      expect(h.hub.servers.get('alice')).toMatchObject({
        status: 'stopped',
        lastError: 'The server did not answer HTTP at /user/alice/api within spawner.http_timeout (6 s) after the hub restarted',
      });
    } finally {
      await h.cleanup();
    }
  });
});

describe('containers changing behind the hub', () => {
  it('notices a removed container when the proxy reports it unreachable', async () => {
    expect(await t.hub.servers.start('erin')).toBe('started');
    await t.docker.getContainer(t.hub.servers.get('erin')!.containerId!).remove({ force: true });
    t.hub.servers.noteUnreachable('erin');
    await waitFor(() => expect(t.hub.servers.get('erin')!.status).toBe('stopped'));
    expect(t.hub.servers.get('erin')!.lastError).toBe('The container was removed outside the hub');
    expect(t.hub.servers.target('erin')).toBeNull();
  });

  it('notices a container that exited, on the periodic check, and removes it', async () => {
    const fast = await startTestHub({}, { overrides: { serverTiming: { pollIntervalMs: 500 } } });
    try {
      fast.users.ensure('bob');
      expect(await fast.hub.servers.start('bob')).toBe('started');
      const { containerId } = fast.hub.servers.get('bob')!;
      await fast.docker.getContainer(containerId!).kill();
      await waitFor(() => expect(fast.hub.servers.get('bob')!.status).toBe('stopped'));
      expect(fast.hub.servers.get('bob')!.lastError).toBe('The server stopped: the container exited with code 137');
      await waitFor(() => expect(fast.docker.getContainer(containerId!).inspect()).rejects.toMatchObject({ statusCode: 404 }));
    } finally {
      await fast.cleanup();
    }
  });

  it('restarts a server whose container died, when started again', async () => {
    expect(await t.hub.servers.start('bob')).toBe('started');
    await t.docker.getContainer(t.hub.servers.get('bob')!.containerId!).kill();
    expect(await t.hub.servers.start('bob')).toBe('started');
    expect(t.hub.servers.get('bob')).toMatchObject({ status: 'running', lastError: null });
  });
});

describe('activity', () => {
  it('records noted traffic as the last activity of the server and the user', async () => {
    expect(await t.hub.servers.start('gus')).toBe('started');
    const before = t.hub.servers.get('gus')!.lastActivity!;
    ahead += 1000;
    t.hub.servers.noteActivity('gus');
    await waitFor(() => expect(t.hub.servers.get('gus')!.lastActivity!.getTime()).toBeGreaterThan(before.getTime()));
    expect(t.users.get('gus')!.lastActivity!.getTime()).toBeGreaterThanOrEqual(t.hub.servers.get('gus')!.lastActivity!.getTime());
  });

  it('only moves reported activity forward', async () => {
    expect(await t.hub.servers.start('hana')).toBe('started');
    const now = t.hub.servers.get('hana')!.lastActivity!;
    t.hub.servers.recordActivity('hana', new Date(now.getTime() - 60_000));
    t.hub.servers.recordActivity('hana', new Date(now.getTime() + 5_000));
    await waitFor(() => expect(t.hub.servers.get('hana')!.lastActivity!.getTime()).toBe(now.getTime() + 5_000));
  });
});
