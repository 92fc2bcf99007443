import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, parseConfig } from './load.js';
import { adminNotice } from './policy.js';
import { ADMIN, problems } from '../../test/helpers/config-problems.js';


describe('hub.yaml loading', () => {
  it('accepts the issue contract and applies units, defaults and env substitution', () => {
    const config = parseConfig(
      `hub:
  bind: 127.0.0.1:8000
  base_url: /jupyter/
  data_dir: ./state
auth:
  admin_users: [Alice]
  allowed_users: [bob]
  github: { client_id: abc, client_secret: "\${GH_SECRET}", allowed_organizations: [acme, "acme:data"] }
spawner:
  image: base
  images: { py: { image: "jupyter/base:1", description: Python } }
  mem_limit: 2G
  cpu_limit: 1.5
  start_timeout: 2m
  volumes: { "berth-user-{username}": /home/jovyan/work }
users:
  alice: { image: py }
services:
  - { name: culler, api_token: "\${CULLER_TOKEN:-fallback-token}", scopes: [list:users] }
`,
      '/srv/berth/hub.yaml',
      { GH_SECRET: 's3cret' },
    );
    expect(config.auth.admin_users).toEqual(['alice']);
    expect(config.auth.github.client_secret).toBe('s3cret');
    expect(config.services[0].api_token).toBe('fallback-token');
    expect(config.spawner.mem_limit).toBe(2 * 1024 ** 3);
    expect(config.spawner.start_timeout).toBe(120);
    expect(config.spawner.http_timeout).toBe(30);
    expect(config.spawner.pull_policy).toBe('ifnotpresent');
    expect(config.dataDir).toBe('/srv/berth/state');
    expect(config.urls.public).toBe('http://127.0.0.1:8000');
    expect(Object.isFrozen(config.spawner)).toBe(true);
  });

  it('names the key path and line of a bad size', () => {
    expect(problems(`${ADMIN}spawner:\n  mem_limit: 2Q\n`)).toEqual([
      'hub.yaml:4:14 spawner.mem_limit: "2Q" is not a size (use 512M, 2G…)',
    ]);
  });

  it('names the key path and line of a bad duration and a bad enum value', () => {
    expect(problems(`${ADMIN}spawner:\n  http_timeout: soon\n  pull_policy: sometimes\n`)).toEqual([
      'hub.yaml:4:17 spawner.http_timeout: "soon" is not a duration (use seconds, or 30s, 5m, 2h, 14d)',
      'hub.yaml:5:16 spawner.pull_policy: must be one of "always", "ifnotpresent", "never"',
    ]);
  });

  it('suggests the nearest key for an unknown one', () => {
    const [problem] = problems(`${ADMIN}spawner:\n  mem_limt: 2G\n`);
    expect(problem).toMatch(/^hub\.yaml:4:3 spawner\.mem_limt: unknown key \(did you mean "mem_limit"\?\)/);
  });

  it('reports wrong types with what was found', () => {
    expect(problems(`hub:\n  bind: 8000\nauth:\n  admin_users: alice\n  allow_all: "yes"\n`)).toEqual([
      'hub.yaml:2:9 hub.bind: expected string, got number 8000',
      'hub.yaml:4:16 auth.admin_users: expected array, got string "alice"',
      'hub.yaml:5:14 auth.allow_all: expected boolean, got string "yes"',
    ]);
  });

  it('refuses an unset ${VAR} without a default, naming the key', () => {
    expect(problems(`${ADMIN}  github:\n    client_secret: \${GITHUB_SECRET}\n`)).toEqual([
      'hub.yaml:4:20 auth.github.client_secret: ${GITHUB_SECRET} is not set in the environment (set it, or write ${GITHUB_SECRET:-default})',
    ]);
  });

  it('reports YAML syntax errors with their line', () => {
    const [problem] = problems('hub:\n  bind: [\nauth: x\n');
    expect(problem).toMatch(/^hub\.yaml:3:1 YAML syntax error: /);
  });

  it('lists every problem at once', () => {
    expect(problems(`${ADMIN}spawner:\n  mem_limit: lots\n  cpu_limit: none\nhubb: {}\n`)).toHaveLength(3);
  });

  it('refuses a per-user pin to a label outside the catalog', () => {
    expect(problems(`${ADMIN}users:\n  bob: { image: gpu }\n`)).toEqual([
      'hub.yaml:4:17 users.bob.image: "gpu" is not a label in spawner.images (labels: none)',
    ]);
  });

  it('accepts a policy that admits nobody (the hub starts) and its notice says which key to set', () => {
    const problem = adminNotice(parseConfig('hub: {}\n', '/srv/berth/hub.yaml', {}));
    expect(problem).toContain('admits nobody');
    expect(problem).toContain('auth.admin_users');
    expect(problem).toContain('auth.allow_all');
  });

  it('names no admin in the shipped hub.yaml unless BERTH_ADMIN is set, and says how to name one', () => {
    const file = path.join(import.meta.dirname, '../../hub.yaml');
    const unset = loadConfig(file, {});
    expect(unset.auth.admin_users).toEqual([]);
    expect(adminNotice(unset)).toMatch(/No admin is named.*BERTH_ADMIN=<your login>/);
    const named = loadConfig(file, { BERTH_ADMIN: 'alice' });
    expect(named.auth.admin_users).toEqual(['alice']);
    expect(adminNotice(named)).toBeNull();
  });

  it('takes an empty public_url (an unset ${BERTH_PUBLIC_URL:-}) as unset, so the URL is derived from bind', () => {
    const file = path.join(import.meta.dirname, '../../hub.yaml');
    expect(loadConfig(file, { BERTH_BIND: '0.0.0.0:18431' }).urls.public).toBe('http://localhost:18431');
    expect(loadConfig(file, { BERTH_PUBLIC_URL: 'https://hub.example.org' }).urls.public).toBe('https://hub.example.org');
    expect(problems(`${ADMIN}hub:\n  public_url: "hub.example.org"\n`)[0]).toMatch(/hub\.public_url: is not an http\(s\) URL/);
  });

  it('takes spawner.extra_labels as text, and refuses a key Docker would not take or Berth sets itself, naming it', () => {
    expect(parseConfig('spawner:\n  extra_labels: { berth.test: true, org.example/team: 7 }\n', '/srv/berth/hub.yaml', {}).spawner.extra_labels)
      .toEqual({ 'berth.test': 'true', 'org.example/team': '7' });
    expect(problems('spawner:\n  extra_labels:\n    berth.user: mallory\n')).toEqual([
      'hub.yaml:3:17 spawner.extra_labels.berth.user: "berth.user" is a label Berth sets itself (berth.hub, berth.user, berth.server, berth.image-label, berth.image-job, berth.network); choose another key',
    ]);
    expect(problems('spawner:\n  extra_labels: { "a b": x }\n')[0]).toMatch(/spawner\.extra_labels\.a b: "a b" is not a Docker label key/);
  });

  it('refuses invalid user names', () => {
    expect(problems('auth:\n  admin_users: ["../root"]\n')[0]).toMatch(/^hub\.yaml:2:17 auth\.admin_users\.0: "\.\.\/root" is not a valid user name/);
  });

  it('says when the file is missing or a directory', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'berth-config-'));
    expect(() => loadConfig(path.join(dir, 'nope.yaml'))).toThrow(/file not found \(pass --config PATH or set BERTH_CONFIG\)/);
    expect(() => loadConfig(dir)).toThrow(/is a directory/);
  });

  it('reads a file from disk and resolves data_dir next to it', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'berth-config-'));
    const file = path.join(dir, 'hub.yaml');
    writeFileSync(file, `${ADMIN}hub:\n  data_dir: data\n`);
    chmodSync(file, 0o644);
    expect(loadConfig(file, {}).dataDir).toBe(path.join(dir, 'data'));
  });

  it('resolves hub.logo_file next to the file, and refuses one that is missing or not an image, with key, line and path', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'berth-config-'));
    const file = path.join(dir, 'hub.yaml');
    writeFileSync(path.join(dir, 'site.png'), 'png');
    writeFileSync(file, `${ADMIN}hub:\n  logo_file: site.png\n`);
    expect(loadConfig(file, {}).logoFile).toBe(path.join(dir, 'site.png'));
    expect(loadConfig(path.join(dir, 'hub.yaml'), {}).hub.logo_file).toBe('site.png');
    writeFileSync(file, `${ADMIN}hub:\n  logo_file: logos/missing.svg\n`);
    expect(() => loadConfig(file, {})).toThrow(ConfigError);
    try {
      loadConfig(file, {});
    } catch (err) {
      expect((err as ConfigError).problems).toEqual([
        `hub.yaml:4:14 hub.logo_file: ${path.join(dir, 'logos/missing.svg')} does not exist (the path is relative to hub.yaml; put the image there, or remove the key to serve Berth's logo)`,
      ]);
    }
    expect(problems(`${ADMIN}hub:\n  logo_file: logo.txt\n`)).toEqual([
      'hub.yaml:4:14 hub.logo_file: must name an image file ending in .png, .svg, .jpg, .jpeg, .gif, .webp, .ico',
    ]);
    expect(parseConfig(ADMIN, file, {}).logoFile).toBeNull();
  });

  it('accepts the hub.yaml shipped in the repository, which starts users on the JupyterLab image', () => {
    const config = loadConfig(path.join(import.meta.dirname, '../../hub.yaml'), {});
    expect(config.spawner.network).toBe('berth');
    // The whole home directory persists, in a volume named after the hub's network (issue 14, point 6).
    expect(config.spawner.volumes).toEqual({ '{network}-home_{username}': '/home/jovyan' });
    expect(config.spawner.image).toBe('berth/singleuser:latest');
    expect(config.spawner.images.default?.image).toBe('berth/singleuser:latest');
  });
});

describe('hub.yaml values that would weaken the hub unnoticed', () => {
  const services = (body: string) => `${ADMIN}services:\n${body}`;

  it('refuses unknown service scopes, naming each with the nearest known one', () => {
    expect(problems(services('  - name: culler\n    api_token: culler-token-123\n    scopes: [read:user, "servers!user=alice", admin:everything, "list:users!colour=red"]\n'))).toEqual([
      'hub.yaml:6:14 services.0.scopes.0: "read:user" is not a known scope (did you mean "read:users"?); names come from JupyterHub\'s scope table, or custom:NAME',
      'hub.yaml:6:47 services.0.scopes.2: "admin:everything" is not a known scope; names come from JupyterHub\'s scope table, or custom:NAME',
      'hub.yaml:6:65 services.0.scopes.3: "list:users!colour=red" has an invalid filter "!colour=red" (use !user=NAME, !server=USER/SERVER, !group=NAME or !service=NAME)',
    ]);
  });

  it('accepts known scopes, with filters, and custom scopes', () => {
    const text = services('  - name: culler\n    api_token: culler-token-123\n    scopes: [list:users, "read:users:activity!group=staff", "access:servers!server=alice/", "servers!user=bob", custom:reports, self, inherit]\n');
    expect(parseConfig(text, '/srv/berth/hub.yaml', {}).services[0].scopes).toHaveLength(7);
  });

  it('refuses two services sharing one api_token, without showing the token', () => {
    const found = problems(services('  - name: a\n    api_token: shared-secret-123\n  - name: b\n    api_token: shared-secret-123\n'));
    expect(found).toEqual([
      'hub.yaml:7:16 services.1.api_token: is the same token as service "a"\'s; give each service its own random token (e.g. openssl rand -hex 32)',
    ]);
    expect(found.join('\n')).not.toContain('shared-secret-123');
  });

  it('refuses durations longer than 100 years instead of reading them as "never"', () => {
    expect(problems(`${ADMIN}  session_max_age: 1e308\nspawner:\n  http_timeout: 3200000000\n  start_timeout: 40000d\n`)).toEqual([
      'hub.yaml:3:20 auth.session_max_age: 1e+308 is longer than 100 years, the longest duration hub.yaml accepts (give a real limit, e.g. 14d)',
      'hub.yaml:6:18 spawner.start_timeout: "40000d" is longer than 100 years, the longest duration hub.yaml accepts (give a real limit, e.g. 14d)',
      'hub.yaml:5:17 spawner.http_timeout: 3200000000 is longer than 100 years, the longest duration hub.yaml accepts (give a real limit, e.g. 14d)',
    ]);
    expect(parseConfig(`${ADMIN}  session_max_age: 36500d\n`, '/srv/berth/hub.yaml', {}).auth.session_max_age).toBe(36500 * 86400);
  });

  it('reports an alias bomb as a config error with its line, and still reads ordinary aliases', () => {
    const levels = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i'];
    const bomb = `${ADMIN}spawner:\n  environment:\n    L0: &a "lol"\n` +
      levels.slice(1).map((l, i) => `    L${i + 1}: &${l} [${Array(9).fill(`*${levels[i]}`).join(', ')}]\n`).join('');
    const found = problems(bomb);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/^hub\.yaml:7:\d+ YAML aliases: \*b repeats a node that holds aliases itself, and together they expand past 100 copies \(an alias bomb\?\)/);
    const config = parseConfig('auth:\n  admin_users: &admins [alice, bob]\n  allowed_users: *admins\n', '/srv/berth/hub.yaml', {});
    expect(config.auth.allowed_users).toEqual(['alice', 'bob']);
  });
});
