// Issue 14's "done when" for point 1: hub.yaml edited while the hub runs. A real single-user server (JupyterHub
// 5.2.1) keeps a kernel WebSocket open through the proxy while the file gains an allowed user (who then signs in
// through the GitHub stand-in), a catalog label (offered on the spawn page) and a service token (which answers
// /hub/api/user); the socket still runs code afterwards. An invalid edit is refused and logged with line and key
// while the old config serves; a later valid edit applies; a hub.bind edit is reported as taking effect after
// restart. The hub process itself (dist/main.js) does the same on SIGHUP, for a file its watcher cannot see.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { createLogger } from '../src/log.js';
import { startFakeGithub, type FakeGithub } from './fakes/github.js';
import { CookieClient } from './helpers/cookie-client.js';
import { freePort } from './helpers/free-port.js';
import { KernelSocket } from './helpers/kernel-socket.js';
import { startTestHub, type TestHub } from './helpers/test-hub.js';
import { waitFor } from './helpers/wait-for.js';

const SERVICE_TOKEN = `reports-${randomBytes(12).toString('hex')}`;

interface LogLine { level: string; msg: string; key?: string; reason?: string; problems?: string[] }

describe('editing hub.yaml while a kernel WebSocket is open through the proxy', () => {
  let gh: FakeGithub;
  let t: TestHub;
  const log: LogLine[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) log.push(JSON.parse(line) as LogLine);
      done();
    },
  });

  /** Rewrites hub.yaml as `change` edits its parsed content. */
  const edit = (change: (doc: Record<string, any>) => void) => {
    const doc = parse(readFileSync(t.config.file, 'utf8')) as Record<string, any>;
    change(doc);
    writeFileSync(t.config.file, stringify(doc));
  };

  /** Signs `login` in through the GitHub stand-in; the last answer (200 /hub/home, or the refusal). */
  const signIn = async (login: string) => {
    gh.login = login;
    const client = new CookieClient(t.url);
    const res = await client.navigate('/hub/oauth_login?next=%2Fhub%2Fhome');
    return { client, status: res.status, path: new URL(client.hops.at(-1)!.url).pathname };
  };

  beforeAll(async () => {
    gh = await startFakeGithub({ clientId: 'cid', clientSecret: 'csecret', login: 'Alice' });
    t = await startTestHub({
      // A fixed port: GitHub's redirect_uri is derived from it.
      hub: { bind: `127.0.0.1:${await freePort()}` },
      auth: { allowed_users: ['alice'], github: { client_id: 'cid', client_secret: 'csecret', url: gh.url, api_url: gh.apiUrl } },
      spawner: {
        image: 'berth/singleuser:latest', start_timeout: 120, http_timeout: 60,
        images: { py: { image: 'berth/singleuser:latest', description: 'Python' } },
      },
    }, { overrides: { logger: createLogger('info', sink) } });
  }, 180_000);

  afterAll(async () => {
    await t?.cleanup();
    await gh?.close();
  });

  it('applies an allowed user, a catalog label and a service token, refuses a bad edit, reports hub.bind, and the kernel keeps working', async () => {
    // alice's server and a kernel on it, its WebSocket open through the public port.
    const alice = t.hub.stores.tokens.issue({ userId: t.users.ensure('alice').id, scopes: ['inherit'], note: 'reload test' }).token;
    const auth = { Authorization: `token ${alice}` };
    const started = await fetch(`${t.url}/hub/api/users/alice/server`, { method: 'POST', headers: auth });
    expect([201, 202]).toContain(started.status);
    await waitFor(() => expect(t.hub.servers.get('alice')?.status).toBe('running'), { timeoutMs: 120_000, intervalMs: 500 });
    const created = await fetch(`${t.url}/user/alice/api/kernels`, { method: 'POST', headers: { ...auth, 'Content-Type': 'application/json' }, body: '{"name":"python3"}' });
    expect(created.status).toBe(201);
    const kernel = (await created.json()) as { id: string };
    const socket = await KernelSocket.open(`${t.url.replace(/^http/, 'ws')}/user/alice/api/kernels/${kernel.id}`, alice);
    expect(await socket.run('x = 6 * 7\nprint(x)')).toBe('42\n');

    // Before the edit: bob may not sign in, the catalog has no "r", the token is nobody's.
    expect(await signIn('Bob')).toMatchObject({ status: 403 });
    const service = () => fetch(`${t.url}/hub/api/user`, { headers: { Authorization: `token ${SERVICE_TOKEN}` } });
    expect((await service()).status).toBe(403);

    edit((doc) => {
      doc.auth.allowed_users.push('bob');
      doc.spawner.images.r = { image: 'berth/singleuser:test', description: 'R and friends' };
      doc.services = [{ name: 'reports', api_token: SERVICE_TOKEN, scopes: ['list:users'] }];
    });
    await waitFor(async () => expect((await service()).status).toBe(200));
    expect(await (await service()).json()).toMatchObject({ kind: 'service', name: 'reports' });
    const bob = await signIn('Bob');
    expect(bob).toMatchObject({ status: 200, path: '/hub/home' });
    const spawnPage = await (await bob.client.navigate('/hub/spawn')).text();
    expect(spawnPage).toContain('value="r"');
    expect(spawnPage).toContain('R and friends');
    for (const key of ['auth.allowed_users', 'spawner.images.r', 'services']) {
      expect(log).toContainEqual(expect.objectContaining({ level: 'info', key, reason: 'file changed' }));
    }
    // The same kernel, over the same socket: the reload dropped no connection and lost no state.
    expect(socket.open).toBe(true);
    expect(await socket.run('print(x + 1)')).toBe('43\n');

    // An invalid edit: refused with file, line and key; the running config keeps serving.
    const before = log.length;
    edit((doc) => {
      doc.auth.allowed_users.push('carol');
      doc.spawner.cpu_limit = 'many';
    });
    await waitFor(() => expect(log.slice(before)).toContainEqual(expect.objectContaining({ level: 'error' })));
    const refusal = log.slice(before).find((l) => l.level === 'error')!;
    expect(refusal.problems).toEqual([expect.stringMatching(/^hub\.yaml:\d+:\d+ spawner\.cpu_limit: expected number, got string "many"$/)]);
    expect(refusal.msg).toContain('was not applied; the hub keeps running with its config as it was');
    expect(t.hub.configReloadProblem()?.problems).toEqual(refusal.problems);
    expect(await signIn('Carol')).toMatchObject({ status: 403 });
    expect((await service()).status).toBe(200);

    // A later valid edit applies (carol, and the cpu_limit fixed); hub.bind is reported, not applied.
    const port = t.hub.address().port;
    edit((doc) => {
      doc.spawner.cpu_limit = 1;
      doc.hub.bind = '127.0.0.1:1';
    });
    await waitFor(() => expect(t.hub.configReloadProblem()).toBeNull());
    expect(await signIn('Carol')).toMatchObject({ status: 200, path: '/hub/home' });
    expect(t.hub.config.spawner.cpu_limit).toBe(1);
    const bind = log.find((l) => l.key === 'hub.bind')!;
    expect(bind).toMatchObject({ level: 'warn' });
    expect(bind.msg).toContain('takes effect after restart');
    expect(t.hub.config.hub.bind).not.toBe('127.0.0.1:1');
    expect((await fetch(`http://127.0.0.1:${port}/hub/api/`)).status).toBe(200);

    expect(socket.open).toBe(true);
    expect(await socket.run('print(x * 2)')).toBe('84\n');
    socket.close();
  }, 300_000);
});

describe('the hub process on SIGHUP', () => {
  const ROOT = path.join(import.meta.dirname, '..');
  const docker = new Docker();
  const network = `berth-test-reload-${randomBytes(4).toString('hex')}`;
  let child: ChildProcess | undefined;

  afterAll(async () => {
    try {
      if (child?.pid) process.kill(-child.pid, 'SIGKILL');
    } catch {
      // stopped by the test
    }
    await docker.getNetwork(network).remove().catch(() => undefined);
  });

  it('reads hub.yaml again, applies it, refuses an invalid one and reports restart-only keys', async () => {
    // hub.yaml is a symlink into a directory the hub does not watch, so only SIGHUP can tell it of the edit.
    const dir = mkdtempSync(path.join(tmpdir(), 'berth-reload-'));
    const elsewhere = path.join(dir, 'elsewhere');
    const here = path.join(dir, 'here');
    mkdirSync(elsewhere);
    mkdirSync(here);
    const config = {
      hub: { bind: '127.0.0.1:0', data_dir: path.join(dir, 'data') },
      auth: { admin_users: ['alice'] },
      spawner: { image: 'berth/backend:test', network },
    };
    const write = (doc: object | string) => writeFileSync(path.join(elsewhere, 'hub.yaml'), typeof doc === 'string' ? doc : stringify(doc));
    write(config);
    symlinkSync(path.join(elsewhere, 'hub.yaml'), path.join(here, 'hub.yaml'));

    child = spawn(process.execPath, [path.join(ROOT, 'dist', 'main.js'), '--config', path.join(here, 'hub.yaml')], {
      cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], detached: true,
    });
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const lines = () => output.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as LogLine & { port?: number });
    const port = await waitFor(() => {
      const listening = lines().find((l) => l.msg === 'hub listening');
      expect(listening, output).toBeDefined();
      return listening!.port!;
    }, { timeoutMs: 60_000 });
    const service = () => fetch(`http://127.0.0.1:${port}/hub/api/user`, { headers: { Authorization: `token ${SERVICE_TOKEN}` } });
    expect((await service()).status).toBe(403);

    write({ ...config, hub: { ...config.hub, bind: '127.0.0.1:1' }, services: [{ name: 'reports', api_token: SERVICE_TOKEN }] });
    process.kill(child.pid!, 'SIGHUP');
    await waitFor(() => expect(lines()).toContainEqual(expect.objectContaining({ key: 'services', reason: 'SIGHUP', msg: expect.stringContaining('applied') })));
    expect((await service()).status).toBe(200);
    expect(lines().find((l) => l.key === 'hub.bind')?.msg).toContain('takes effect after restart');

    write('auth:\n  admin_users: [alice]\n  allowed_usres: [bob]\n');
    process.kill(child.pid!, 'SIGHUP');
    await waitFor(() => expect(lines()).toContainEqual(expect.objectContaining({ level: 'error' })));
    expect(lines().find((l) => l.level === 'error')!.msg).toContain('hub.yaml:3:3 auth.allowed_usres: unknown key (did you mean "allowed_users"?)');
    expect((await service()).status).toBe(200);

    const exited = new Promise<number | null>((resolve) => child!.once('exit', resolve));
    process.kill(child.pid!, 'SIGTERM');
    expect(await exited).toBe(0);
  }, 120_000);
});
