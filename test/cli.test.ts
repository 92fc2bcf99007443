// The `berth` command as a person runs it: `check`, `--help`, and a real hub process that answers
// /hub/health and stops on SIGTERM without touching users' containers.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Docker from 'dockerode';
import { afterAll, describe, expect, it } from 'vitest';
import { compileCheckout } from './helpers/checkout-dist.js';

const ROOT = path.join(import.meta.dirname, '..');
const MAIN = path.join(ROOT, 'dist', 'main.js');
const docker = new Docker();
const network = `berth-test-cli-${randomBytes(4).toString('hex')}`;
const containers: Docker.Container[] = [];
const hubs: ChildProcess[] = [];

function writeConfig(body: string): { dir: string; file: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'berth-cli-'));
  const file = path.join(dir, 'hub.yaml');
  writeFileSync(file, body);
  return { dir, file };
}

const VALID = `hub:
  bind: 127.0.0.1:0
  data_dir: ./data
auth:
  admin_users: [alice]
spawner:
  image: berth/backend:test
  network: ${network}
`;

function berth(args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 30_000 });
}

/** Starts the hub (by default as `node dist/main.js --config FILE`) and resolves with its port once it listens. */
function runHub(
  file: string,
  command: [string, string[]] = [process.execPath, [MAIN, '--config', file]],
): Promise<{ child: ChildProcess; port: number; output: () => string }> {
  const child = spawn(command[0], command[1], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  hubs.push(child);
  let output = '';
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /"port":(\d+).*"msg":"hub listening"/.exec(output);
      if (match) resolve({ child, port: Number(match[1]), output: () => output });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`hub exited with ${code} before listening:\n${output}`)));
  });
}

afterAll(async () => {
  // A failed test must not leave a hub behind (it would hold the internal API port on its network's gateway).
  for (const child of hubs) {
    try {
      if (child.pid) process.kill(-child.pid, 'SIGKILL');
    } catch {
      // The group is gone already: the test stopped it.
    }
  }
  for (const container of containers) await container.remove({ force: true }).catch(() => undefined);
  await docker.getNetwork(network).remove().catch(() => undefined);
});

describe('berth --help', () => {
  it('documents running the hub and check', () => {
    const result = berth(['--help']);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('berth [--config PATH]');
    expect(result.stdout).toContain('berth check [--config PATH]');
    expect(result.stdout).toContain('BERTH_CONFIG');
  });
});

describe('berth check', () => {
  it('exits 0 for a valid file', () => {
    const { file } = writeConfig(VALID);
    const result = berth(['check', '--config', file]);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('is valid');
  });

  it('runs when compiled to another folder of the checkout, as the benchmarks compile it', () => {
    const results = path.join(ROOT, 'bench', 'results');
    mkdirSync(results, { recursive: true });
    const dir = mkdtempSync(path.join(results, 'cli-test-'));
    try {
      const { file } = writeConfig(VALID);
      const run = spawnSync(process.execPath, [path.join(compileCheckout(dir), 'main.js'), 'check', '--config', file], { encoding: 'utf8', timeout: 30_000 });
      expect(run.stderr).toBe('');
      expect(run.status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('runs as `npx berth check` and `npm run check --`, the commands the README gives', () => {
    const { file } = writeConfig(VALID);
    const npx = spawnSync('npx', ['berth', 'check', '--config', file], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    expect(npx.status).toBe(0);
    expect(npx.stdout).toContain(`${file} is valid`);
    const npm = spawnSync('npm', ['run', '--silent', 'check', '--', '--config', file], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    expect(npm.status).toBe(0);
    expect(npm.stdout).toContain(`${file} is valid`);
  });

  it('finds the file through BERTH_CONFIG', () => {
    const { file } = writeConfig(VALID);
    expect(berth(['check'], { BERTH_CONFIG: file }).status).toBe(0);
  });

  it('refuses a hub.logo_file it cannot read, naming the key and the path, and accepts it once the image is there', () => {
    const { dir, file } = writeConfig(VALID.replace('hub:\n', 'hub:\n  logo_file: site-logo.png\n'));
    const missing = berth(['check', '--config', file]);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain(`hub.yaml:2:14 hub.logo_file: ${path.join(dir, 'site-logo.png')} does not exist`);
    writeFileSync(path.join(dir, 'site-logo.png'), Buffer.from('89504e470d0a1a0a', 'hex'));
    expect(berth(['check', '--config', file]).status).toBe(0);
  });

  it('exits 1 and lists every problem', () => {
    const { file } = writeConfig('auth:\n  admin_users: [alice]\nspawner:\n  mem_limit: 2Q\n  pull_polcy: never\n');
    const result = berth(['check', '--config', file]);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('2 problem(s)');
    expect(result.stderr).toContain('hub.yaml:4:14 spawner.mem_limit: "2Q" is not a size (use 512M, 2G…)');
    expect(result.stderr).toContain('hub.yaml:5:3 spawner.pull_polcy: unknown key (did you mean "pull_policy"?)');
  });

  it('accepts a policy that admits nobody (the hub starts), warning which keys to set', () => {
    const { file } = writeConfig('spawner:\n  image: x\n');
    const result = berth(['check', '--config', file]);
    expect(result.status).toBe(0);
    expect(result.stderr).toContain('berth: warning: No admin is named and the access policy admits nobody: set auth.admin_users');
  });

  it('exits 1 naming unknown service scopes, a shared service token and an absurd duration, never the token', () => {
    const { file } = writeConfig(
      `${VALID.replace('  admin_users: [alice]\n', '  admin_users: [alice]\n  session_max_age: 1e308\n')}services:\n  - name: culler\n    api_token: shared-token-1234\n    scopes: [list:users, read:user]\n` +
        '  - name: reports\n    api_token: shared-token-1234\n',
    );
    const result = berth(['check', '--config', file]);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('3 problem(s)');
    expect(result.stderr).toContain('hub.yaml:6:20 auth.session_max_age: 1e+308 is longer than 100 years');
    expect(result.stderr).toContain('hub.yaml:13:26 services.0.scopes.1: "read:user" is not a known scope (did you mean "read:users"?)');
    expect(result.stderr).toContain('hub.yaml:15:16 services.1.api_token: is the same token as service "culler"\'s');
    expect(result.stderr).not.toContain('shared-token-1234');
  });

  it('exits 1 with the file and line of an alias bomb, not a stack trace', () => {
    const levels = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i'];
    const { file } = writeConfig(`${VALID}  environment:\n    L0: &a "lol"\n` +
      levels.slice(1).map((l, i) => `    L${i + 1}: &${l} [${Array(9).fill(`*${levels[i]}`).join(', ')}]\n`).join(''));
    const result = berth(['check', '--config', file]);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`berth: 1 problem(s) in ${file}:`);
    expect(result.stderr).toMatch(/hub\.yaml:12:\d+ YAML aliases: \*b repeats a node that holds aliases itself/);
    expect(result.stderr).not.toContain('    at ');
  });

  it('exits 1 for a missing file', () => {
    const result = berth(['check', '--config', '/nonexistent/hub.yaml']);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('file not found');
  });
});

describe('the hub process', () => {
  it('refuses to start on an invalid file and creates nothing', () => {
    const { dir, file } = writeConfig(`${VALID}  cpu_limit: many\n`);
    const result = berth(['--config', file]);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('spawner.cpu_limit');
    expect(existsSync(path.join(dir, 'data'))).toBe(false);
  });

  it('answers /hub/health, and on SIGTERM exits 0, flushes the DB and leaves containers running', async () => {
    const { dir, file } = writeConfig(VALID);
    const userContainer = await docker.createContainer({
      Image: 'berth/backend:test',
      Labels: { 'berth.test': 'true', 'berth.user': 'alice' },
      HostConfig: { AutoRemove: false },
    });
    containers.push(userContainer);
    await userContainer.start();

    const { child, port, output } = await runHub(file);
    const health = await fetch(`http://127.0.0.1:${port}/hub/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok', database: { ok: true }, docker: { ok: true } });
    // Everything the running hub keeps in its data directory is the hub user's alone.
    const data = path.join(dir, 'data');
    expect((statSync(data).mode & 0o777).toString(8)).toBe('700');
    const modes = Object.fromEntries(readdirSync(data).map((f) => [f, (statSync(path.join(data, f)).mode & 0o777).toString(8)]));
    expect(modes).toEqual({ 'jupyterhub.sqlite': '600', 'jupyterhub.sqlite-wal': '600', 'jupyterhub.sqlite-shm': '600', jupyterhub_cookie_secret: '600' });

    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(output()).toContain('"msg":"hub stopped; user containers left running"');
    await expect(fetch(`http://127.0.0.1:${port}/hub/health`)).rejects.toThrow();

    const wal = path.join(dir, 'data', 'jupyterhub.sqlite-wal');
    expect(!existsSync(wal) || statSync(wal).size === 0).toBe(true);
    expect((await userContainer.inspect()).State.Running).toBe(true);
  });

  it('started with `npm start -- --config PATH`, stops cleanly on SIGINT', async () => {
    const { file } = writeConfig(VALID);
    // npm would relay the signal through its own process; signal the hub itself, as a terminal's Ctrl-C reaches it.
    const { child, port, output } = await runHub(file, ['npm', ['start', '--silent', '--', '--config', file]]);
    expect((await fetch(`http://127.0.0.1:${port}/hub/health`)).status).toBe(200);
    const hubPid = Number(spawnSync('pgrep', ['-f', `^node (--[^ ]+ )*dist/main.js --config ${file}`], { encoding: 'utf8' }).stdout.trim().split('\n')[0]);
    expect(hubPid).toBeGreaterThan(0);
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    process.kill(hubPid, 'SIGINT');
    expect(await exited).toBe(0);
    expect(output()).toContain('"signal":"SIGINT"');
    expect(output()).toContain('"msg":"hub stopped; user containers left running"');
  });

  it('runs from the bundle with dockerode loaded and its gRPC and ssh2 modules not (src/spawner/lazy-docker-deps.ts)', async () => {
    const { dir, file } = writeConfig(VALID);
    // Lists the CommonJS modules the hub has loaded when asked (SIGUSR2), from its main thread.
    const preload = path.join(dir, 'list-modules.mjs');
    writeFileSync(preload, `import { createRequire } from 'node:module';
import { isMainThread } from 'node:worker_threads';
const loaded = createRequire(import.meta.url).cache;
if (isMainThread) process.on('SIGUSR2', () => process._rawDebug('LOADED ' + JSON.stringify(Object.keys(loaded))));\n`);
    const { child, output } = await runHub(file, [process.execPath, ['--import', preload, MAIN, '--config', file]]);
    process.kill(child.pid!, 'SIGUSR2');
    await expect.poll(() => output().includes('LOADED ')).toBe(true);
    const modules = JSON.parse(/LOADED (\[.*\])/.exec(output())![1]!) as string[];
    expect(modules.filter((m) => m.includes('/node_modules/dockerode/')).length).toBeGreaterThan(0);
    expect(modules.filter((m) => /\/node_modules\/(@grpc|ssh2|protobufjs)\//.test(m))).toEqual([]);
    child.kill('SIGTERM');
  });
});
