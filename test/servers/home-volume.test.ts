// The shipped hub.yaml's volume (issue 14, point 6): the whole home directory persists, a fresh volume is writable by
// the image's user (Docker copies the image's /home/jovyan, ownership included, into an empty named volume), and the
// volume's name carries the hub's network, so two hubs on one engine never share a user's files.
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { startTestHub, type TestHub } from '../helpers/test-hub.js';

const shipped = loadConfig(path.join(import.meta.dirname, '../../hub.yaml'), {}).spawner.volumes;
const GENERATIONS = [
  { user: 'alice', label: 'lab', image: 'berth/singleuser:latest', version: '5.2.1' },
  { user: 'bob', label: 'classic', image: 'berth/singleuser:test', version: '3.0' },
];

let a: TestHub;
let b: TestHub;
beforeAll(async () => {
  [a, b] = await Promise.all([
    startTestHub({
      spawner: {
        volumes: { ...shipped }, http_timeout: 60, start_timeout: 90,
        images: Object.fromEntries(GENERATIONS.map((g) => [g.label, { image: g.image }])),
      },
      users: Object.fromEntries(GENERATIONS.map((g) => [g.user, { image: g.label }])),
    }),
    startTestHub({ spawner: { volumes: { ...shipped } } }),
  ]);
  for (const g of GENERATIONS) a.users.ensure(g.user);
}, 60_000);
afterAll(() => Promise.all([a?.cleanup(), b?.cleanup()]));

/** A Jupyter contents API call to `user`'s server, with a token of theirs that may open it. */
async function contents(t: TestHub, user: string, file: string, init: RequestInit = {}): Promise<Response> {
  const owner = t.users.get(user)!;
  const { token } = t.hub.stores.tokens.issue({ userId: owner.id, scopes: [`access:servers!user=${user}`], note: 'test' });
  return fetch(`${t.hub.servers.target(user)}/user/${user}/api/contents/${file}`, {
    ...init,
    headers: { Authorization: `token ${token}`, 'Content-Type': 'application/json' },
  });
}

async function homeMount(t: TestHub, user: string) {
  const info = await t.docker.getContainer(t.hub.servers.get(user)!.containerId!).inspect();
  return info.Mounts.find((m) => m.Destination === '/home/jovyan');
}

describe.each(GENERATIONS)('the home directory with jupyterhub-singleuser $version ($image)', (g) => {
  it('keeps a file saved at its top across Stop and Start', async () => {
    expect(await a.hub.servers.start(g.user)).toBe('started');
    const mount = await homeMount(a, g.user);
    expect(mount).toMatchObject({ Type: 'volume', Name: `${a.network}-home_${g.user}` });
    const body = JSON.stringify({ type: 'file', format: 'text', content: `kept by ${g.user}` });
    // The server's own user writes it, at the top of the file browser (the server's root is the home directory).
    expect((await contents(a, g.user, 'saved-at-top.txt', { method: 'PUT', body })).status).toBe(201);
    expect(await a.hub.servers.stop(g.user)).toBe('stopped');

    expect(await a.hub.servers.start(g.user)).toBe('started');
    const read = await contents(a, g.user, 'saved-at-top.txt');
    expect(read.status).toBe(200);
    expect(await read.json()).toMatchObject({ name: 'saved-at-top.txt', content: `kept by ${g.user}` });
    // The image's home came along into the fresh volume: its dotfiles and work/ are there beside the file.
    const listing = (await (await contents(a, g.user, '')).json()) as { content: { name: string }[] };
    expect(listing.content.map((entry) => entry.name)).toEqual(expect.arrayContaining(['saved-at-top.txt', 'work']));
  }, 240_000);
});

it('gives the same user a different volume on each of two hubs on one engine', async () => {
  await Promise.all([a, b].map(async (t) => {
    t.users.ensure('dora');
    expect(await t.hub.servers.start('dora')).toBe('started');
  }));
  const [onA, onB] = await Promise.all([homeMount(a, 'dora'), homeMount(b, 'dora')]);
  expect(onA?.Name).toBe(`${a.network}-home_dora`);
  expect(onB?.Name).toBe(`${b.network}-home_dora`);
  expect(onA?.Name).not.toBe(onB?.Name);
}, 240_000);

it("mounts a user's volume from the old shipped hub.yaml (berth-user-<name>, made by this hub) at ~/work again, and no other hub's", async () => {
  const [ours, theirs] = ['old', 'other'].map((prefix) => `${prefix}${randomBytes(3).toString('hex')}`) as [string, string];
  for (const [user, hub] of [[ours, a.hub.hubId], [theirs, 'feedfacefeedface']] as const) {
    const volume = `berth-user-${user}`;
    await a.docker.createVolume({ Name: volume, Labels: { ...a.labels, 'berth.hub': hub, 'berth.user': user } });
    // What the old layout left: a file the image's user saved in ~/work.
    const writer = await a.docker.createContainer({
      Image: 'berth/singleuser:latest', Entrypoint: ['sh', '-c', 'echo kept > /home/jovyan/work/old-notes.txt'], Cmd: [], Labels: a.labels,
      HostConfig: { Mounts: [{ Type: 'volume', Source: volume, Target: '/home/jovyan/work' }] },
    });
    await writer.start();
    expect((await writer.wait()).StatusCode).toBe(0);
    await writer.remove();
    a.users.ensure(user);
    a.hub.stores.users.update(user, { adminImage: 'lab' });
  }
  for (const user of [ours, theirs]) expect(await a.hub.servers.start(user)).toBe('started');
  const read = await contents(a, ours, 'work/old-notes.txt');
  expect(read.status).toBe(200);
  expect(await read.json()).toMatchObject({ content: 'kept\n' });
  expect((await contents(a, theirs, 'work/old-notes.txt')).status).toBe(404);
  expect(await homeMount(a, ours)).toMatchObject({ Name: `${a.network}-home_${ours}` });
}, 240_000);
