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
  t.users.ensure('alice');
  t.users.ensure('bob');
});
afterAll(() => t?.cleanup());

// Each test brings the servers it uses to the state it needs, so any one of them can run alone or in any order.
async function running(name: string): Promise<{ target: string; containerId: string }> {
  if (t.hub.servers.get(name)?.status !== 'running') expect(await t.hub.servers.start(name)).toBe('started');
  return { target: t.hub.servers.target(name)!, containerId: t.hub.servers.get(name)!.containerId! };
}

async function stopped(name: string): Promise<void> {
  expect(await t.hub.servers.stop(name)).toBe('stopped');
}

async function echo(target: string, path = 'echo'): Promise<{ env: Record<string, string>; path: string }> {
  const res = await fetch(`${target}/user/alice/${path}`);
  expect(res.status).toBe(200);
  return (await res.json()) as { env: Record<string, string>; path: string };
}

describe('starting a server', () => {
  it('starts the container and answers HTTP at its address on the user network', async () => {
    await stopped('alice');
    expect(await t.hub.servers.start('alice')).toBe('started');
    const view = t.hub.servers.get('alice')!;
    expect(view).toMatchObject({ status: 'running', ready: true, pending: null, url: '/user/alice/', lastError: null });
    const target = t.hub.servers.target('alice');
    expect(target).toMatch(/^http:\/\/\d+\.\d+\.\d+\.\d+:8888$/);
    const body = await echo(target!);
    expect(body.path).toBe('/user/alice/echo');
  });

  it('runs spawner.cmd instead of the image CMD', async () => {
    const { env } = await echo((await running('alice')).target);
    expect(env.BERTH_FROM_CMD).toBe('yes');
  });

  it('passes the single-user environment, with spawner.environment overriding the hub', async () => {
    const { env } = await echo((await running('alice')).target);
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
    const info = await t.docker.getContainer((await running('alice')).containerId).inspect();
    expect(info.Name).toBe(`/${t.network}-alice`);
    expect(info.Config.Labels).toMatchObject({
      // spawner.image is the catalog's "base" (its first entry with that image), so that is the label.
      'berth.hub': t.hub.hubId, 'berth.user': 'alice', 'berth.server': '', 'berth.image-label': 'base', 'berth.test': 'true',
    });
    expect(info.HostConfig.Memory).toBe(256 * 1024 * 1024);
    expect(info.HostConfig.NanoCpus).toBe(0.5e9);
    expect(info.HostConfig.PortBindings ?? {}).toEqual({});
    const volume = await t.docker.getVolume('berth-test-alice-work').inspect();
    expect(volume.Labels).toMatchObject({ 'berth.hub': t.hub.hubId, 'berth.test': 'true' });
  });

  it('reaches the hub from inside the container although the public listener is on 127.0.0.1', async () => {
    expect(t.hub.address().address).toBe('127.0.0.1');
    const exec = await t.docker.getContainer((await running('alice')).containerId).exec({
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
    await running('alice');
    await expect(t.hub.servers.start('alice')).rejects.toMatchObject({ status: 400, message: "alice's server is already running" });
  });

  it('keeps the named volume when the server stops, and answers a second stop without error', async () => {
    const { containerId } = await running('alice');
    expect(await t.hub.servers.stop('alice')).toBe('stopped');
    expect(t.hub.servers.get('alice')).toMatchObject({ status: 'stopped', containerId: null });
    expect(t.hub.servers.target('alice')).toBeNull();
    await expect(t.docker.getContainer(containerId).inspect()).rejects.toMatchObject({ statusCode: 404 });
    expect((await t.docker.getVolume('berth-test-alice-work').inspect()).Name).toBe('berth-test-alice-work');
    expect(await t.hub.servers.stop('alice')).toBe('stopped');
  });
});

describe('the image catalog', () => {
  it('refuses an image label outside the catalog, naming the allowed labels', async () => {
    await stopped('bob');
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
    await stopped('bob');
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
    await stopped('alice');
    const name = `${t.network}-alice`;
    const stale = await t.docker.createContainer({
      name,
      Image: 'berth/backend:test',
      Labels: { ...t.labels, 'berth.hub': t.hub.hubId, 'berth.user': 'alice' },
      Env: ['STALE=1'],
      HostConfig: { NetworkMode: t.network },
    });
    expect(await t.hub.servers.start('alice')).toBe('started');
    const view = t.hub.servers.get('alice')!;
    expect(view.containerId).not.toBe(stale.id);
    await expect(stale.inspect()).rejects.toMatchObject({ statusCode: 404 });
    const { env } = await echo(t.hub.servers.target('alice')!);
    expect(env.STALE).toBeUndefined();
    await t.hub.servers.stop('alice');
  });

  it('is refused, and left alone, when this hub did not create it', async () => {
    await stopped('bob');
    const name = `${t.network}-bob`;
    const foreign = await t.docker.createContainer({ name, Image: 'berth/backend:test', Labels: { ...t.labels } });
    await expect(t.hub.servers.start('bob')).rejects.toMatchObject({ status: 500, message: expect.stringContaining('was not created by this hub') });
    expect((await foreign.inspect()).Id).toBe(foreign.id);
    expect(t.hub.servers.get('bob')!.lastError).toContain(`docker rm -f ${name}`);
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
    await stopped('alice');
    const starting = t.hub.servers.start('alice');
    const events = [];
    for await (const event of t.hub.servers.progress('alice')) events.push(event);
    expect(await starting).toBe('started');
    expect(events[0]).toEqual({ progress: 0, message: 'Server requested' });
    expect(events.map((e) => e.message)).toEqual([
      'Server requested',
      `Creating container ${t.network}-alice`,
      'Starting container',
      'Waiting for the server to answer HTTP at /user/alice/api',
      'Server ready at /user/alice/',
    ]);
    const progress = events.map((e) => e.progress);
    expect([...progress].sort((a, b) => a - b)).toEqual(progress);
    expect(events.at(-1)).toMatchObject({ ready: true, url: '/user/alice/', progress: 100 });
  });

  it('sends only the ready event once the server runs', async () => {
    await running('alice');
    const events = [];
    for await (const event of t.hub.servers.progress('alice')) events.push(event);
    expect(events).toEqual([expect.objectContaining({ ready: true, url: '/user/alice/' })]);
  });

  it('answers 400 when the server is neither starting nor failed', async () => {
    await t.hub.servers.stop('alice');
    expect(() => t.hub.servers.progress('alice')).toThrow(expect.objectContaining({ status: 400 }));
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
