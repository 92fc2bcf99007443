import { describe, expect, it } from 'vitest';
import { parseConfig } from '../config/load.js';
import { serverSlug } from './server-names.js';
import { containerNameFor, spawnSpecFor } from './spawn-spec.js';

const config = parseConfig(
  'auth: {admin_users: [admin]}\nhub: {base_url: /j/}\nspawner: {allow_named_servers: true, volumes: {"berth-{username}-{servername}": /home/jovyan/work, "/srv/shared": /shared}}',
  '/tmp/hub.yaml',
  {},
);
const user = { name: 'alice', slug: 'alice' };
const image = { label: null, image: 'img:1' };
const credentials = { apiToken: 'tok', clientId: 'jupyterhub-user-alice-work', hubApiUrl: 'http://172.18.0.1:8081/j/hub/api' };

describe('spawnSpecFor a named server', () => {
  it('gives it its own prefix, callback, access scope and JUPYTERHUB_SERVER_NAME, as JupyterHub 5 does', () => {
    const spec = spawnSpecFor(config, user, 'work', image, credentials);
    expect(spec.env).toMatchObject({
      JUPYTERHUB_SERVER_NAME: 'work',
      JUPYTERHUB_SERVICE_PREFIX: '/j/user/alice/work/',
      JUPYTERHUB_SERVICE_URL: 'http://0.0.0.0:8888/j/user/alice/work/',
      JUPYTERHUB_OAUTH_CALLBACK_URL: '/j/user/alice/work/oauth_callback',
      JUPYTERHUB_OAUTH_ACCESS_SCOPES: JSON.stringify(['access:servers!server=alice/work', 'access:servers!user=alice']),
      JUPYTERHUB_CLIENT_ID: 'jupyterhub-user-alice-work',
      // Activity is reported per user, with the server named in the body.
      JUPYTERHUB_ACTIVITY_URL: 'http://172.18.0.1:8081/j/hub/api/users/alice/activity',
    });
    expect(spec.readyPath).toBe('/j/user/alice/work/api');
  });

  it('names its container <network>-<slug>--<server> and labels it with the server name', () => {
    const spec = spawnSpecFor(config, user, 'work', image, credentials);
    expect(spec.containerName).toBe('berth-alice--work');
    expect(spec.labels).toMatchObject({ 'berth.user': 'alice', 'berth.server': 'work' });
  });

  it("fills {servername} in volume names as DockerSpawner does, empty for the default server; host paths are kept", () => {
    expect(spawnSpecFor(config, user, 'work', image, credentials).volumes).toEqual([
      { source: 'berth-alice-work', target: '/home/jovyan/work' },
      { source: '/srv/shared', target: '/shared' },
    ]);
    const main = spawnSpecFor(config, user, '', image, credentials);
    expect(main.volumes[0]).toEqual({ source: 'berth-alice-', target: '/home/jovyan/work' });
    expect(main.containerName).toBe('berth-alice');
    expect(main.env.JUPYTERHUB_SERVER_NAME).toBe('');
    expect(main.labels['berth.server']).toBe('');
  });

  it('makes older names (accepted by JupyterHub 5) DNS-safe without letting two names collide', () => {
    expect(serverSlug('my-work')).toBe('my-work');
    expect(serverSlug('My Work!')).toMatch(/^mywork-[0-9a-f]{8}$/);
    expect(serverSlug('My Work!')).not.toBe(serverSlug('my work'));
    expect(containerNameFor('berth', 'alice', 'My Work!')).toMatch(/^berth-alice--mywork-[0-9a-f]{8}$/);
  });
});

describe('the volume of the old shipped hub.yaml (berth-user-{username} at /home/jovyan/work)', () => {
  const shipped = parseConfig('auth: {admin_users: [admin]}\nspawner: {allow_named_servers: true, volumes: {"{network}-home_{username}": /home/jovyan}}', '/tmp/hub.yaml', {});

  it("is mounted again at /home/jovyan/work under the new home volume, only if it is this hub's, for the default server", () => {
    expect(spawnSpecFor(shipped, user, '', image, credentials).volumes).toEqual([
      { source: 'berth-home_alice', target: '/home/jovyan' },
      { source: 'berth-user-alice', target: '/home/jovyan/work', onlyIfOurs: true },
    ]);
    expect(spawnSpecFor(shipped, user, 'work', image, credentials).volumes).toEqual([{ source: 'berth-home_alice', target: '/home/jovyan' }]);
  });

  it('is left alone by a config that names it, or mounts something else at the home directory', () => {
    const own = parseConfig('auth: {admin_users: [admin]}\nspawner: {volumes: {"berth-user-{username}": /home/jovyan/work}}', '/tmp/hub.yaml', {});
    expect(spawnSpecFor(own, user, '', image, credentials).volumes).toEqual([{ source: 'berth-user-alice', target: '/home/jovyan/work' }]);
    expect(spawnSpecFor(config, user, '', image, credentials).volumes.map((v) => v.source)).toEqual(['berth-alice-', '/srv/shared']);
  });
});
