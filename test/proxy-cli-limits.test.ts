// The `berth` process against one client that holds thousands of connections with unfinished request heads (issue
// 10 finding 6): the hub's file descriptors are not used up, and another address is still served. The hub runs with
// a low hard limit on open files (4,096, under `prlimit`) so that a few thousand sockets would exhaust it.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = path.join(import.meta.dirname, '..');
const MAIN = path.join(ROOT, 'dist', 'main.js');
const network = `berth-test-cli-limits-${randomBytes(4).toString('hex')}`;
const HARD_LIMIT = 4096;
const ATTACK_CONNECTIONS = 6000;

let hub: ChildProcess;
let port: number;
const attackers: net.Socket[] = [];

beforeAll(async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'berth-cli-limits-'));
  const file = path.join(dir, 'hub.yaml');
  writeFileSync(
    file,
    `hub:\n  bind: 127.0.0.1:0\n  data_dir: ./data\nauth:\n  admin_users: [alice]\nspawner:\n  image: berth/backend:test\n  network: ${network}\n`,
  );
  // prlimit execs the hub: the child's pid is the hub's. Soft 1024 (a common default), hard 4096.
  hub = spawn('prlimit', [`--nofile=1024:${HARD_LIMIT}`, process.execPath, MAIN, '--config', file], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  port = await new Promise<number>((resolve, reject) => {
    let output = '';
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /"port":(\d+).*"msg":"hub listening"/.exec(output);
      if (match) resolve(Number(match[1]));
    };
    hub.stdout!.on('data', onData);
    hub.stderr!.on('data', onData);
    hub.once('exit', (code) => reject(new Error(`hub exited with ${code} before listening:\n${output}`)));
  });
});

afterAll(async () => {
  for (const socket of attackers) socket.destroy();
  if (hub?.pid) {
    const exited = new Promise((resolve) => hub.once('exit', resolve));
    try {
      process.kill(-hub.pid, 'SIGTERM');
      await exited;
    } catch {
      // already gone
    }
  }
  await new Docker().getNetwork(network).remove().catch(() => undefined);
});

function openFilesLimits(pid: number): { soft: number; hard: number } {
  const line = readFileSync(`/proc/${pid}/limits`, 'utf8').split('\n').find((l) => l.startsWith('Max open files'))!;
  const [soft, hard] = line.replace('Max open files', '').trim().split(/\s+/).map(Number);
  return { soft: soft!, hard: hard! };
}

function health(localAddress: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/hub/health', localAddress, agent: false, timeout: 20_000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('timeout', () => req.destroy(new Error('no answer from /hub/health within 20 s')));
    req.on('error', reject);
  });
}

/** Opens one connection from 127.0.0.1 that sends half a request head; resolves once it is connected or refused. */
function attack(): Promise<void> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    attackers.push(socket);
    socket.on('error', () => undefined);
    socket.once('connect', () => {
      socket.write('GET /hub/health HTTP/1.1\r\nHost: hub.test\r\n');
      resolve();
    });
    socket.once('close', () => resolve());
  });
}

describe('the berth process under a connection flood from one address', () => {
  it('raises its file-descriptor soft limit to the hard limit at start (Node does it on Linux)', () => {
    expect(openFilesLimits(hub.pid!)).toEqual({ soft: HARD_LIMIT, hard: HARD_LIMIT });
  });

  it('still answers /hub/health to another address while one address holds thousands of connections', async () => {
    expect(await health('127.0.0.2')).toBe(200);
    for (let opened = 0; opened < ATTACK_CONNECTIONS; opened += 200) {
      await Promise.all(Array.from({ length: 200 }, attack));
    }
    expect(await health('127.0.0.2')).toBe(200);
    // The hub kept at most its cap (500 by default) of them: the rest were refused as they came.
    let open = attackers.filter((s) => !s.destroyed).length;
    for (let i = 0; i < 100 && open > 500; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      open = attackers.filter((s) => !s.destroyed).length;
    }
    expect(open).toBeLessThanOrEqual(500);
    expect(open).toBeGreaterThan(0);
  });
});
