// Starting and stopping a user's server against the real Docker engine with the berth/backend:test image:
// readiness over the container's address, the container's env and labels, volumes, progress, the internal hub URL.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGithubTokenVault } from '../../src/auth/github-token.js';
import { startTestHub, type TestHub } from '../helpers/test-hub.js';

let t: TestHub;

beforeAll(async () => {
  t = await startTestHub({
    spawner: {
      images: { base: { image: 'berth/backend:test', description: 'the test backend' }, other: { image: 'berth/backend:test' } },
      volumes: { 'berth-test-{username}-work': '/home/work' },
      mem_limit: '256M',
      cpu_limit: 0.5,
      environment: { BERTH_EXTRA: 'from-config', JUPYTERHUB_DEFAULT_URL: '/overridden' },
      cmd: ['sh', '-c', 'BERTH_FROM_CMD=yes exec python3 -u /srv/backend/backend.py'],
    },
  });
  for (const name of ['alice', 'bob', 'dave', 'frank', 'gail', 'pat', 'quinn']) t.users.ensure(name);
});
afterAll(() => t?.cleanup());

async function echo(target: string, user = 'alice'): Promise<{ env: Record<string, string>; path: string }> {
  const res = await fetch(`${target}/user/${user}/echo`);
  expect(res.status).toBe(200);
  return (await res.json()) as { env: Record<string, string>; path: string };
}

// alice's server, started once by whichever test needs it first: those tests only read it, so any order works.
// A test that stops or restarts a server uses a user of its own.
let aliceStart: Promise<string> | undefined;
const aliceRunning = () => (aliceStart ??= t.hub.servers.start('alice'));

describe('starting a server', () => {
  it('starts the container and answers HTTP at its address on the user network', async () => {
    expect(await aliceRunning()).toBe('started');
    const view = t.hub.servers.get('alice')!;
    expect(view).toMatchObject({ status: 'running', ready: true, pending: null, url: '/user/alice/', lastError: null });
    const target = t.hub.servers.target('alice');
    expect(target).toMatch(/^http:\/\/\d+\.\d+\.\d+\.\d+:8888$/);
    const body = await echo(target!);
    expect(body.path).toBe('/user/alice/echo');
  });

  it('runs spawner.cmd instead of the image CMD', async () => {
    await aliceRunning();
    const { env } = await echo(t.hub.servers.target('alice')!);
    expect(env.BERTH_FROM_CMD).toBe('yes');
  });

  it('passes the single-user environment, with spawner.environment overriding the hub', async () => {
    await aliceRunning();
    const { env } = await echo(t.hub.servers.target('alice')!);
    expect(env.JUPYTERHUB_API_TOKEN).toMatch(/^[0-9a-f]{32}$/);
    expect(env.JPY_API_TOKEN).toBe(env.JUPYTERHUB_API_TOKEN);
    expect(env).toMatchObject({
      JUPYTERHUB_CLIENT_ID: 'jupyterhub-user-alice',
      JUPYTERHUB_USER: 'alice',
      JUPYTERHUB_SERVER_NAME: '',
      JUPYTERHUB_BASE_URL: '/',
      JUPYTERHUB_SERVICE_PREFIX: '/user/alice/',
      JUPYTERHUB_SERVICE_URL: 'http://0.0.0.0:8888/user/alice/',
      JUPYTERHUB_OAUTH_CALLBACK_URL: '/user/alice/oauth_callback',
      JUPYTERHUB_OAUTH_ACCESS_SCOPES: '["access:servers!server=alice/","access:servers!user=alice"]',
      JUPYTERHUB_OAUTH_SCOPES: '["access:servers!server=alice/","access:servers!user=alice"]',
      JUPYTERHUB_OAUTH_CLIENT_ALLOWED_SCOPES: '[]',
      JUPYTERHUB_HOST: '',
      JUPYTER_IMAGE_SPEC: 'berth/backend:test',
      MEM_LIMIT: String(256 * 1024 * 1024),
      CPU_LIMIT: '0.5',
      BERTH_EXTRA: 'from-config',
      JUPYTERHUB_DEFAULT_URL: '/overridden',
    });
    expect(env.JUPYTERHUB_API_URL).toMatch(/^http:\/\/[^/]+:\d+\/hub\/api$/);
    expect(env.JUPYTERHUB_ACTIVITY_URL).toBe(`${env.JUPYTERHUB_API_URL}/users/alice/activity`);
  });

  it("labels the container with the hub's id, the user and the image label, and applies the limits", async () => {
    await aliceRunning();
    const view = t.hub.servers.get('alice')!;
    const info = await t.docker.getContainer(view.containerId!).inspect();
    expect(info.Name).toBe(`/${t.network}-alice`);
    expect(info.Config.Labels).toMatchObject({
      'berth.hub': t.hub.hubId, 'berth.user': 'alice', 'berth.server': '', 'berth.image-label': '', 'berth.test': 'true',
    });
    expect(info.HostConfig.Memory).toBe(256 * 1024 * 1024);
    expect(info.HostConfig.NanoCpus).toBe(0.5e9);
    expect(info.HostConfig.PortBindings ?? {}).toEqual({});
    const volume = await t.docker.getVolume('berth-test-alice-work').inspect();
    expect(volume.Labels).toMatchObject({ 'berth.hub': t.hub.hubId, 'berth.test': 'true' });
  });

  it('reaches the hub from inside the container although the public listener is on 127.0.0.1', async () => {
    await aliceRunning();
    expect(t.hub.address().address).toBe('127.0.0.1');
    const view = t.hub.servers.get('alice')!;
    const exec = await t.docker.getContainer(view.containerId!).exec({
      Cmd: ['python3', '-c', 'import os, urllib.request; r = urllib.request.urlopen(os.environ["JUPYTERHUB_API_URL"] + "/health"); print("STATUS %d %s" % (r.status, r.read().decode()))'],
      AttachStdout: true,
      AttachStderr: true,
    });
    const stream = await exec.start({});
    const output = await new Promise<string>((resolve) => {
      let out = '';
      stream.on('data', (chunk: Buffer) => (out += chunk.toString('latin1')));
      stream.on('end', () => resolve(out));
    });
    expect(output).toContain('STATUS 200');
    expect(output).toContain('"status":"ok"');
    expect((await exec.inspect()).ExitCode).toBe(0);
  });

  it('answers a start of a running server with 400 "already running"', async () => {
    await aliceRunning();
    await expect(t.hub.servers.start('alice')).rejects.toMatchObject({ status: 400, message: "alice's server is already running" });
  });

  it('keeps the named volume when the server stops, and answers a second stop without error', async () => {
    expect(await t.hub.servers.start('dave')).toBe('started');
    const containerId = t.hub.servers.get('dave')!.containerId!;
    expect(await t.hub.servers.stop('dave')).toBe('stopped');
    expect(t.hub.servers.get('dave')).toMatchObject({ status: 'stopped', containerId: null });
    expect(t.hub.servers.target('dave')).toBeNull();
    await expect(t.docker.getContainer(containerId).inspect()).rejects.toMatchObject({ statusCode: 404 });
    expect((await t.docker.getVolume('berth-test-dave-work').inspect()).Name).toBe('berth-test-dave-work');
    expect(await t.hub.servers.stop('dave')).toBe('stopped');
  });
});

describe('the image catalog', () => {
  it('refuses an image label outside the catalog, naming the allowed labels', async () => {
    await expect(t.hub.servers.start('bob', { image: 'nope' })).rejects.toMatchObject({
      status: 400,
      message: expect.stringContaining('"base", "other"'),
    });
    expect(t.hub.servers.get('bob')!.status).toBe('stopped');
  });

  it('refuses a raw image name even when it is the image behind a label', async () => {
    await expect(t.hub.servers.start('bob', { image: 'berth/backend:test' })).rejects.toMatchObject({ status: 400 });
  });

  it("starts a catalog label the user picked and records it as the user's choice", async () => {
    expect(await t.hub.servers.start('bob', { image: 'other' })).toBe('started');
    expect(t.hub.servers.get('bob')).toMatchObject({ imageLabel: 'other', userOptions: { image: 'other' } });
    expect(t.users.get('bob')!.userImage).toBe('other');
    const info = await t.docker.getContainer(t.hub.servers.get('bob')!.containerId!).inspect();
    expect(info.Config.Labels['berth.image-label']).toBe('other');
    await t.hub.servers.stop('bob');
  });
});

describe('a stale container', () => {
  it('is removed and recreated from the current config', async () => {
    const name = `${t.network}-frank`;
    const stale = await t.docker.createContainer({
      name,
      Image: 'berth/backend:test',
      Labels: { ...t.labels, 'berth.hub': t.hub.hubId, 'berth.user': 'frank' },
      Env: ['STALE=1'],
      HostConfig: { NetworkMode: t.network },
    });
    expect(await t.hub.servers.start('frank')).toBe('started');
    const view = t.hub.servers.get('frank')!;
    expect(view.containerId).not.toBe(stale.id);
    await expect(stale.inspect()).rejects.toMatchObject({ statusCode: 404 });
    const { env } = await echo(t.hub.servers.target('frank')!, 'frank');
    expect(env.STALE).toBeUndefined();
    await t.hub.servers.stop('frank');
  });

  it('is refused, and left alone, when this hub did not create it', async () => {
    const name = `${t.network}-gail`;
    const foreign = await t.docker.createContainer({ name, Image: 'berth/backend:test', Labels: { ...t.labels } });
    await expect(t.hub.servers.start('gail')).rejects.toMatchObject({ status: 500, message: expect.stringContaining('was not created by this hub') });
    expect((await foreign.inspect()).Id).toBe(foreign.id);
    expect(t.hub.servers.get('gail')!.lastError).toContain(`docker rm -f ${name}`);
    await foreign.remove({ force: true });
  });
});

describe('the stored slug', () => {
  it('names the container and volumes after a rename too, so the data stays with the user', async () => {
    t.users.ensure('carol');
    t.users.update('carol', { name: 'carla' });
    // A new user with the old name gets a slug of its own, not carol's volumes.
    expect(t.users.ensure('carol').slug).toBe('carol-2');
    expect(await t.hub.servers.start('carla')).toBe('started');
    const info = await t.docker.getContainer(t.hub.servers.get('carla')!.containerId!).inspect();
    expect(info.Name).toBe(`/${t.network}-carol`);
    expect(info.Mounts.map((m) => m.Name)).toContain('berth-test-carol-work');
    await t.hub.servers.stop('carla');
  });
});

describe('progress', () => {
  it('streams requested → creating → starting → waiting → ready, in order', async () => {
    const starting = t.hub.servers.start('pat');
    const events = [];
    for await (const event of t.hub.servers.progress('pat')) events.push(event);
    expect(await starting).toBe('started');
    expect(events[0]).toEqual({ progress: 0, message: 'Server requested' });
    expect(events.map((e) => e.message)).toEqual([
      'Server requested',
      `Creating container ${t.network}-pat`,
      'Starting container',
      'Waiting for the server to answer HTTP at /user/pat/api',
      'Server ready at /user/pat/',
    ]);
    const progress = events.map((e) => e.progress);
    expect([...progress].sort((a, b) => a - b)).toEqual(progress);
    expect(events.at(-1)).toMatchObject({ ready: true, url: '/user/pat/', progress: 100 });
  });

  it('sends only the ready event once the server runs', async () => {
    await aliceRunning();
    const events = [];
    for await (const event of t.hub.servers.progress('alice')) events.push(event);
    expect(events).toEqual([expect.objectContaining({ ready: true, url: '/user/alice/' })]);
  });

  it('answers 400 when the server is neither starting nor failed', async () => {
    expect(await t.hub.servers.start('quinn')).toBe('started');
    await t.hub.servers.stop('quinn');
    expect(() => t.hub.servers.progress('quinn')).toThrow(expect.objectContaining({ status: 400 }));
  });
});

describe('pull_policy ifnotpresent', () => {
  it('starts from the local image without pulling (no registry is reachable here)', async () => {
    const hub = await startTestHub({ spawner: { pull_policy: 'ifnotpresent' } });
    try {
      hub.users.ensure('erin');
      const starting = hub.hub.servers.start('erin');
      const messages: string[] = [];
      for await (const event of hub.hub.servers.progress('erin')) messages.push(event.message);
      expect(await starting).toBe('started');
      expect(messages.some((m) => m.startsWith('Pulling'))).toBe(false);
      expect(messages.at(-1)).toBe('Server ready at /user/erin/');
    } finally {
      await hub.cleanup();
    }
  });
});

describe('auth.github.pass_token', () => {
  it("passes the user's kept GitHub token to the container as GITHUB_TOKEN", async () => {
    const env = { BERTH_CRYPT_KEY: randomBytes(32).toString('hex') };
    const config = { auth: { admin_users: ['admin'], github: { pass_token: true } } };
    const hub = await startTestHub(config, { overrides: { env } });
    try {
      const vault = createGithubTokenVault(hub.config, env);
      hub.users.ensure('dana');
      hub.users.update('dana', { githubTokenEncrypted: vault.seal('gho_kept_for_dana') });
      expect(await hub.hub.servers.start('dana')).toBe('started');
      const res = await fetch(`${hub.hub.servers.target('dana')}/user/dana/echo`);
      expect(((await res.json()) as { env: Record<string, string> }).env.GITHUB_TOKEN).toBe('gho_kept_for_dana');
    } finally {
      await hub.cleanup();
    }
  });
});
