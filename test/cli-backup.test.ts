// `berth health`, `berth backup DEST` and `berth restore SRC` against a real hub process: a backup taken while the
// hub runs and writes holds its users and tokens, is private, and a restore refuses a running hub, keeps what it
// replaces, and brings the users back on the next start.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Docker from 'dockerode';
import { afterAll, expect, it } from 'vitest';
import { freePort } from './helpers/free-port.js';

const ROOT = path.join(import.meta.dirname, '..');
const MAIN = path.join(ROOT, 'dist', 'main.js');
const network = `berth-test-backup-${randomBytes(4).toString('hex')}`;
const TOKEN = randomBytes(16).toString('hex');
const hubs: ChildProcess[] = [];

afterAll(async () => {
  for (const child of hubs) {
    try {
      if (child.pid) process.kill(-child.pid, 'SIGKILL');
    } catch {
      // already stopped by the test
    }
  }
  await new Docker().getNetwork(network).remove().catch(() => undefined);
});

function berth(args: string[]) {
  return spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', timeout: 30_000 });
}

function startHub(file: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, [MAIN, '--config', file], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  hubs.push(child);
  let output = '';
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('"msg":"hub listening"')) resolve(child);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`hub exited with ${code} before listening:\n${output}`)));
  });
}

async function stopHub(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

const modeOf = (file: string) => (statSync(file).mode & 0o777).toString(8);

it('backs up a running hub, refuses to restore under it, and restores once it is stopped', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'berth-backup-'));
  const port = await freePort();
  const file = path.join(dir, 'hub.yaml');
  writeFileSync(file, `hub:\n  bind: 127.0.0.1:${port}\n  data_dir: ./data\nauth:\n  admin_users: [alice]\n` +
    `spawner:\n  image: berth/backend:test\n  network: ${network}\nservices:\n  - name: ops\n    api_token: ${TOKEN}\n    admin: true\n`);
  const api = (p: string, init: RequestInit = {}) =>
    fetch(`http://127.0.0.1:${port}/hub/api${p}`, { ...init, headers: { Authorization: `token ${TOKEN}`, ...init.headers } });

  expect(berth(['health', '--config', file]).status).toBe(1);
  let hub = await startHub(file);
  expect(berth(['health', '--config', file]).status).toBe(0);

  expect((await api('/users', { method: 'POST', body: JSON.stringify({ usernames: ['bob', 'carol'] }) })).status).toBe(201);
  // The hub keeps writing while the backup runs: the copy is a consistent snapshot either way.
  const writes = Promise.all(['dave', 'erin', 'frank'].map((name) => api(`/users/${name}`, { method: 'POST' })));
  const dest = path.join(dir, 'backup-1');
  const backup = berth(['backup', dest, '--config', file]);
  await writes;
  expect(backup.stderr).toBe('');
  expect(backup.status).toBe(0);
  expect(readdirSync(dest).sort()).toEqual(['jupyterhub.sqlite', 'jupyterhub_cookie_secret']);
  expect(modeOf(dest)).toBe('700');
  for (const name of readdirSync(dest)) expect(modeOf(path.join(dest, name))).toBe('600');
  // An existing backup is never overwritten.
  const again = berth(['backup', dest, '--config', file]);
  expect(again.status).toBe(1);
  expect(again.stderr).toContain('already exists');

  const refused = berth(['restore', dest, '--config', file]);
  expect(refused.status).toBe(1);
  expect(refused.stderr).toContain('the hub is running');
  expect((await api('/users/bob')).status).toBe(200);

  // After the backup: a user the restore must take away again.
  expect((await api('/users/zoe', { method: 'POST' })).status).toBe(201);
  await stopHub(hub);
  expect(berth(['health', '--config', file]).status).toBe(1);

  const restore = berth(['restore', dest, '--config', file]);
  expect(restore.stderr).toBe('');
  expect(restore.status).toBe(0);
  const data = path.join(dir, 'data');
  expect(modeOf(path.join(data, 'jupyterhub.sqlite'))).toBe('600');
  expect(readdirSync(data).some((name) => name.startsWith('jupyterhub.sqlite.before-restore-'))).toBe(true);

  hub = await startHub(file);
  const names = ((await (await api('/users')).json()) as { name: string }[]).map((u) => u.name);
  expect(names).toContain('bob');
  expect(names).toContain('carol');
  expect(names).not.toContain('zoe');
  await stopHub(hub);
  expect(existsSync(path.join(data, 'jupyterhub.sqlite'))).toBe(true);
});

it('says what is wrong with a backup directory that holds no backup, and a missing DEST', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'berth-backup-'));
  const file = path.join(dir, 'hub.yaml');
  writeFileSync(file, `hub:\n  bind: 127.0.0.1:1\n  data_dir: ./data\nauth:\n  admin_users: [alice]\nspawner:\n  image: berth/backend:test\n`);
  const empty = berth(['restore', dir, '--config', file]);
  expect(empty.status).toBe(1);
  expect(empty.stderr).toContain(`${path.join(dir, 'jupyterhub.sqlite')} does not exist`);
  const noDest = berth(['backup', '--config', file]);
  expect(noDest.status).toBe(2);
  expect(noDest.stderr).toContain('`berth backup` takes one directory');
  const noData = berth(['backup', path.join(dir, 'out'), '--config', file]);
  expect(noData.status).toBe(1);
  expect(noData.stderr).toContain('does not exist: check hub.data_dir');
});
