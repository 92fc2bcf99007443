// POST /hub/api/shutdown against a whole hub with real containers (berth/backend:test), and against the `berth`
// process: 202 {"message": "Shutting down Hub"}, the hub stops, users' servers keep running unless {"servers": true}.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Docker from 'dockerode';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startTestHub, type TestHub } from '../helpers/test-hub.js';

const ADMIN_TOKEN = 'ops-shutdown-token-0123456789';
const READER_TOKEN = 'reader-token-0123456789';
const services = [
  { name: 'ops', api_token: ADMIN_TOKEN, scopes: ['shutdown'] },
  { name: 'reader', api_token: READER_TOKEN, scopes: ['read:hub'] },
];

function shutdown(url: string, token: string, body?: unknown): Promise<Response> {
  return fetch(`${url}/hub/api/shutdown`, {
    method: 'POST',
    headers: { Authorization: `token ${token}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

describe('POST /hub/api/shutdown on a hub', () => {
  // A hub per test: a test that shuts its hub down must not take the next test's with it.
  let t: TestHub;
  beforeEach(async () => {
    t = await startTestHub({ services });
    t.users.ensure('alice');
  });
  afterEach(() => t?.cleanup());

  it('refuses a token without the shutdown scope (403 naming it) and non-boolean options (400)', async () => {
    const refused = await shutdown(t.url, READER_TOKEN, {});
    expect(refused.status).toBe(403);
    expect((await refused.json()).message).toContain('shutdown');
    const bad = await shutdown(t.url, ADMIN_TOKEN, { servers: 'yes' });
    expect(bad.status).toBe(400);
    expect((await bad.json()).message).toContain('servers must be true or false');
    expect((await shutdown(t.url, ADMIN_TOKEN, { proxy: 1 })).status).toBe(400);
    expect((await fetch(`${t.url}/hub/health`)).status).toBe(200);
  });

  it('answers 202, stops the hub, and leaves users\' servers running', async () => {
    expect(await t.hub.servers.start('alice')).toBe('started');
    const containerId = t.hub.servers.get('alice')!.containerId!;
    const res = await shutdown(t.url, ADMIN_TOKEN);
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ message: 'Shutting down Hub' });
    await t.hub.closed;
    await expect(fetch(`${t.url}/hub/health`)).rejects.toThrow();
    expect((await t.docker.getContainer(containerId).inspect()).State.Running).toBe(true);
  });

  it('with {"servers": true} stops users\' servers before the hub', async () => {
    // A new hub on the same data_dir adopts the server the previous one left running.
    expect(await t.hub.servers.start('alice')).toBe('started');
    await t.restart();
    expect(t.hub.servers.get('alice')!.status).toBe('running');
    const containerId = t.hub.servers.get('alice')!.containerId!;
    const res = await shutdown(t.url, ADMIN_TOKEN, { servers: true, proxy: true });
    expect(res.status).toBe(202);
    await t.hub.closed;
    const state = await t.docker.getContainer(containerId).inspect().then((info) => info.State.Running, () => 'gone');
    expect([false, 'gone']).toContain(state);
    await expect(fetch(`${t.url}/hub/health`)).rejects.toThrow();
  });
});

describe('POST /hub/api/shutdown on the berth process', () => {
  const docker = new Docker();
  const network = `berth-test-shutdown-${randomBytes(4).toString('hex')}`;
  const dir = mkdtempSync(path.join(tmpdir(), 'berth-shutdown-'));
  afterAll(async () => {
    await docker.getNetwork(network).remove().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });

  it('exits 0 once the hub has stopped', async () => {
    const file = path.join(dir, 'hub.yaml');
    writeFileSync(file, [
      'hub: {bind: "127.0.0.1:0", data_dir: ./data}',
      'auth: {admin_users: [alice]}',
      `spawner: {image: "berth/backend:test", network: ${network}}`,
      `services: [{name: ops, api_token: ${ADMIN_TOKEN}, scopes: [shutdown]}]`,
    ].join('\n'));
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(import.meta.dirname, '../../src/main.ts'), '--config', file], {
      cwd: path.join(import.meta.dirname, '../..'), stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const port = await new Promise<number>((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        const match = /"port":(\d+).*"msg":"hub listening"/.exec(output);
        if (match) resolve(Number(match[1]));
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      void exited.then((code) => reject(new Error(`hub exited with ${code} before listening:\n${output}`)));
    });
    const res = await shutdown(`http://127.0.0.1:${port}`, ADMIN_TOKEN);
    expect(res.status).toBe(202);
    expect(await exited).toBe(0);
    expect(output).toContain('shutdown requested through the API');
    expect(output).toContain('"msg":"hub stopped; user containers left running"');
  }, 60_000);
});
