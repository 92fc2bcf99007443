// Named servers with real containers (berth/backend:test, which echoes its env and the path it got): two servers of
// one user side by side, each in its own container with its own volume, routed apart through the public port; the
// per-user limit; stopping one; and a hub restart that re-adopts and re-routes both.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpError } from '../../src/errors.js';
import { startTestHub, type TestHub } from '../helpers/test-hub.js';

const VOLUME = `berth-test-${randomBytes(3).toString('hex')}`;
let t: TestHub;

beforeAll(async () => {
  t = await startTestHub({
    spawner: { allow_named_servers: true, named_server_limit_per_user: 1, volumes: { [`${VOLUME}-{username}-{servername}`]: '/home/work' } },
  });
  t.users.ensure('alice');
});
afterAll(() => t?.cleanup());

interface Echo { path: string; env: Record<string, string> }

/** What the server behind the public port answers at `path` (the proxy's choice of container). */
async function echo(path: string): Promise<Echo> {
  const res = await fetch(`${t.url}${path}`, { redirect: 'manual' });
  expect(res.status).toBe(200);
  return (await res.json()) as Echo;
}

async function containerOf(server: string) {
  const view = t.hub.servers.get('alice', server);
  expect(view?.status).toBe('running');
  return t.docker.getContainer(view!.containerId!).inspect();
}

describe('named servers with Docker', () => {
  it('runs the default and a named server side by side, each in its own container with its own volume', async () => {
    expect(await t.hub.servers.start('alice')).toBe('started');
    expect(await t.hub.servers.start('alice', {}, { server: 'work' })).toBe('started');
    const main = await containerOf('');
    const work = await containerOf('work');
    expect(work.Id).not.toBe(main.Id);
    expect(main.Name).toBe(`/${t.network}-alice`);
    expect(work.Name).toBe(`/${t.network}-alice--work`);
    expect(main.Config.Labels).toMatchObject({ 'berth.user': 'alice', 'berth.server': '' });
    expect(work.Config.Labels).toMatchObject({ 'berth.user': 'alice', 'berth.server': 'work' });
    expect(main.Mounts.map((m) => m.Name)).toEqual([`${VOLUME}-alice-`]);
    expect(work.Mounts.map((m) => m.Name)).toEqual([`${VOLUME}-alice-work`]);
  });

  it('routes /user/alice/work/ to the named server and every other path of alice to her default server', async () => {
    const work = await echo('/user/alice/work/echo');
    expect(work.path).toBe('/user/alice/work/echo');
    expect(work.env).toMatchObject({
      JUPYTERHUB_SERVER_NAME: 'work',
      JUPYTERHUB_SERVICE_PREFIX: '/user/alice/work/',
      JUPYTERHUB_CLIENT_ID: 'jupyterhub-user-alice-work',
      JUPYTERHUB_OAUTH_CALLBACK_URL: '/user/alice/work/oauth_callback',
    });
    const main = await echo('/user/alice/lab/echo');
    expect(main.env).toMatchObject({ JUPYTERHUB_SERVER_NAME: '', JUPYTERHUB_SERVICE_PREFIX: '/user/alice/' });
    expect(main.env.JUPYTERHUB_API_TOKEN).not.toBe(work.env.JUPYTERHUB_API_TOKEN);
  });

  it('refuses a second named server beyond the limit of 1 and starts no container for it', async () => {
    const err = await t.hub.servers.start('alice', {}, { server: 'play' }).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(HttpError);
    expect((err as HttpError).status).toBe(400);
    expect((err as HttpError).message).toMatch(/already has the maximum of 1 named servers/);
    const names = (await t.docker.listContainers({ all: true, filters: { label: [`berth.hub=${t.hub.hubId}`] } })).map((c) => c.Names[0]);
    expect(names.sort()).toEqual([`/${t.network}-alice`, `/${t.network}-alice--work`]);
  });

  it('stops the named server alone: its container goes, its volume stays, and the default server keeps running', async () => {
    const workId = t.hub.servers.get('alice', 'work')!.containerId!;
    expect(await t.hub.servers.stop('alice', { server: 'work' })).toBe('stopped');
    await expect(t.docker.getContainer(workId).inspect()).rejects.toMatchObject({ statusCode: 404 });
    expect((await t.docker.getVolume(`${VOLUME}-alice-work`).inspect()).Name).toBe(`${VOLUME}-alice-work`);
    expect(t.hub.servers.get('alice')?.status).toBe('running');
    // With the named route gone, its prefix is a path of the default server again (as with JupyterHub's proxy).
    expect((await echo('/user/alice/work/echo')).env.JUPYTERHUB_SERVER_NAME).toBe('');
  });

  it('re-adopts and re-routes both servers after a hub restart, without restarting their containers', async () => {
    expect(await t.hub.servers.start('alice', {}, { server: 'work' })).toBe('started');
    const before = { main: (await containerOf('')).Id, work: (await containerOf('work')).Id };
    await t.restart();
    expect(t.hub.servers.get('alice')?.containerId).toBe(before.main);
    expect(t.hub.servers.get('alice', 'work')?.containerId).toBe(before.work);
    expect((await echo('/user/alice/work/echo')).env.JUPYTERHUB_SERVER_NAME).toBe('work');
    expect((await echo('/user/alice/echo')).env.JUPYTERHUB_SERVER_NAME).toBe('');
  });
});
