import { describe, expect, it } from 'vitest';
import { parseConfig } from '../config/load.js';
import { buildServerEnv, escapePath } from './server-env.js';
import { containerNameFor } from './spawn-spec.js';

const configOf = (yaml: string) => parseConfig(`auth: {admin_users: [admin]}\n${yaml}`, '/tmp/hub.yaml', {});
const input = { userName: 'a@b.c', apiToken: 'tok', clientId: 'jupyterhub-user-a%40b.c', hubApiUrl: 'http://172.18.0.1:8081/j/hub/api', image: 'img:1' };

describe('buildServerEnv', () => {
  it('derives every path from base_url and the escaped user name', () => {
    const env = buildServerEnv(configOf('hub: {base_url: /j/}'), input);
    expect(env).toMatchObject({
      JUPYTERHUB_BASE_URL: '/j/',
      JUPYTERHUB_SERVICE_PREFIX: '/j/user/a@b.c/',
      JUPYTERHUB_SERVICE_URL: 'http://0.0.0.0:8888/j/user/a@b.c/',
      JUPYTERHUB_OAUTH_CALLBACK_URL: '/j/user/a@b.c/oauth_callback',
      JUPYTERHUB_ACTIVITY_URL: 'http://172.18.0.1:8081/j/hub/api/users/a@b.c/activity',
      JUPYTERHUB_HOST: '',
      JUPYTERHUB_PUBLIC_URL: '',
    });
    expect(env.JUPYTERHUB_ADMIN_ACCESS).toBeUndefined();
    expect(env.JUPYTERHUB_DEFAULT_URL).toBeUndefined();
  });

  it('sets the public origin, admin access, default url and root dir only when configured', () => {
    const env = buildServerEnv(configOf('hub: {public_url: "https://hub.example.org/", admin_access: true}\nspawner: {default_url: /lab, notebook_dir: /home/work}'), input);
    expect(env).toMatchObject({
      JUPYTERHUB_HOST: 'https://hub.example.org',
      JUPYTERHUB_PUBLIC_URL: 'https://hub.example.org/user/a@b.c/',
      JUPYTERHUB_PUBLIC_HUB_URL: 'https://hub.example.org/hub/',
      JUPYTERHUB_ADMIN_ACCESS: '1',
      JUPYTERHUB_DEFAULT_URL: '/lab',
      JUPYTERHUB_ROOT_DIR: '/home/work',
    });
  });

  it("gives a server on its own host (hub.subdomain_host) full URLs for its OAuth callback and the hub, as JupyterHub's get_env does", () => {
    const env = buildServerEnv(configOf('hub: {subdomain_host: "https://hub.example.org", base_url: /j/}'), input);
    expect(env).toMatchObject({
      JUPYTERHUB_HOST: 'https://hub.example.org',
      JUPYTERHUB_OAUTH_CALLBACK_URL: 'https://u-abc--d648b24.hub.example.org/j/user/a@b.c/oauth_callback',
      JUPYTERHUB_PUBLIC_URL: 'https://u-abc--d648b24.hub.example.org/j/user/a@b.c/',
      JUPYTERHUB_PUBLIC_HUB_URL: 'https://hub.example.org/j/hub/',
      JUPYTERHUB_SERVICE_PREFIX: '/j/user/a@b.c/',
      JUPYTERHUB_SERVICE_URL: 'http://0.0.0.0:8888/j/user/a@b.c/',
    });
  });

  it("sets every variable JupyterHub 5.2.1's Spawner.get_env() always sets, and the image DockerSpawner names", () => {
    const env = buildServerEnv(configOf(''), input);
    expect(Object.keys(env).sort()).toEqual([
      'JPY_API_TOKEN', 'JUPYTERHUB_ACTIVITY_URL', 'JUPYTERHUB_API_TOKEN', 'JUPYTERHUB_API_URL', 'JUPYTERHUB_BASE_URL',
      'JUPYTERHUB_CLIENT_ID', 'JUPYTERHUB_COOKIE_HOST_PREFIX_ENABLED', 'JUPYTERHUB_HOST', 'JUPYTERHUB_OAUTH_ACCESS_SCOPES',
      'JUPYTERHUB_OAUTH_CALLBACK_URL', 'JUPYTERHUB_OAUTH_CLIENT_ALLOWED_SCOPES', 'JUPYTERHUB_OAUTH_SCOPES', 'JUPYTERHUB_PUBLIC_HUB_URL',
      'JUPYTERHUB_PUBLIC_URL', 'JUPYTERHUB_SERVER_NAME', 'JUPYTERHUB_SERVICE_PREFIX', 'JUPYTERHUB_SERVICE_URL', 'JUPYTERHUB_USER',
      'JUPYTER_IMAGE', 'JUPYTER_IMAGE_SPEC',
    ]);
    expect(env).toMatchObject({ JUPYTERHUB_PUBLIC_URL: '', JUPYTERHUB_PUBLIC_HUB_URL: '', JUPYTERHUB_COOKIE_HOST_PREFIX_ENABLED: '0' });
  });

  it('lets spawner.environment override what the hub sets, per-user variables included', () => {
    const env = buildServerEnv(configOf('spawner: {environment: {JUPYTERHUB_HOST: "x", EXTRA: 1}}'), { ...input, extra: { EXTRA: 'user', GITHUB_TOKEN: 'g' } });
    expect(env.JUPYTERHUB_HOST).toBe('x');
    expect(env.EXTRA).toBe('1');
    expect(env.GITHUB_TOKEN).toBe('g');
  });
});

describe('names', () => {
  it("escapes user names as JupyterHub's url_escape_path (keeps @)", () => {
    expect(escapePath('a@b.c')).toBe('a@b.c');
    expect(escapePath('a b')).toBe('a%20b');
  });

  it('makes DNS-safe container names from the network name and the slug', () => {
    expect(containerNameFor('berth', 'alice')).toBe('berth-alice');
    expect(containerNameFor('My_Net.1', 'a-40b')).toBe('my-net-1-a-40b');
  });
});
