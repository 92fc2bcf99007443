// The benchmarks' hub process (bench/lib/hub-process.ts) cleans up after itself: the temp data dir it made goes when
// the hub stops cleanly, and stays, with hub.log in it, when the hub failed. Runs the `npm run build` output.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createBenchDocker, sleep, type BenchDocker } from '../../bench/lib/docker.js';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { REPO, startHub, stopAllHubs, waitReadyEvent, type HubBuild, type HubOptions } from '../../bench/lib/hub-process.js';

const build: HubBuild = { main: path.join(REPO, 'dist/main.js'), runtime: 'compiled', typeErrors: 0, commit: 'dist' };
let bench: BenchDocker;
const options = (): HubOptions => ({ build, network: bench.network, images: { nginx: 'berth/nginx:test' }, defaultImage: 'berth/nginx:test' });

beforeAll(async () => {
  bench = await createBenchDocker();
}, 60_000);

afterAll(async () => {
  await bench?.cleanup();
});

describe('a bench hub\'s data dir', () => {
  it('is removed when the hub stops cleanly', async () => {
    const hub = await startHub(options());
    expect(existsSync(path.join(hub.dataDir, 'bench-hub.yaml'))).toBe(true);
    await hub.stop();
    expect(existsSync(hub.dataDir)).toBe(false);
  }, 60_000);

  it('stays with hub.log in it, and stderr says where, when the hub died before it was stopped', async () => {
    const hub = await startHub(options());
    const said = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      process.kill(hub.pid, 'SIGKILL');
      for (let waited = 0; existsSync(`/proc/${hub.pid}`) && waited < 5000; waited += 20) await sleep(20);
      await hub.stop();
      expect(readFileSync(hub.logFile, 'utf8')).toBeDefined();
      expect(said.mock.calls.map(([text]) => String(text)).join('')).toContain(`its log: ${hub.logFile}`);
    } finally {
      said.mockRestore();
      rmSync(hub.dataDir, { recursive: true, force: true });
    }
  }, 60_000);

  it('is removed when an interrupted bench stops every hub (its own process group keeps Ctrl-C from the hub), once', async () => {
    const hub = await startHub(options());
    // Field 5 of /proc/<pid>/stat, after the command in parentheses: the process group.
    const group = Number(readFileSync(`/proc/${hub.pid}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ')[2]);
    expect(group).toBe(hub.pid);
    expect(group).not.toBe(Number(readFileSync('/proc/self/stat', 'utf8').replace(/^.*\) /s, '').split(' ')[2]));
    const said = vi.spyOn(process.stderr, 'write');
    try {
      await Promise.all([stopAllHubs(), hub.stop()]);
      await hub.stop();
      expect(existsSync(hub.dataDir)).toBe(false);
      expect(existsSync(`/proc/${hub.pid}`)).toBe(false);
      expect(said.mock.calls.map(([text]) => String(text)).join('')).not.toContain('the bench hub');
    } finally {
      said.mockRestore();
    }
  }, 60_000);

  it('is left in place when the caller gave it, unless handed over with removeDataDir', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'berth-bench-given-'));
    try {
      const first = await startHub({ ...options(), dataDir });
      await first.stop();
      expect(existsSync(path.join(dataDir, 'bench-hub.yaml'))).toBe(true);
      const second = await startHub({ ...options(), dataDir, removeDataDir: true });
      await second.stop();
      expect(existsSync(dataDir)).toBe(false);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe("the spawn bench's wait for a server", () => {
  it('returns at the ready event of the progress stream and closes it, the stream still open', async () => {
    let closed!: () => void;
    const streamClosed = new Promise<void>((resolve) => { closed = resolve; });
    const asked: (string | undefined)[] = [];
    const hub = http.createServer((req, res) => {
      asked.push(req.url, req.headers.authorization);
      res.writeHead(200, { 'Content-Type': 'text/event-stream' });
      res.write('data: {"progress": 50, "message": "pulling"}\n\n');
      setTimeout(() => res.write('data: {"progress": 100, "ready": true}\n\n'), 50);
      res.on('close', closed); // never ended by the server: only the client's leaving closes it
    });
    await new Promise<void>((resolve) => hub.listen(0, '127.0.0.1', resolve));
    try {
      await waitReadyEvent({ url: `http://127.0.0.1:${(hub.address() as AddressInfo).port}`, token: 'tok' }, 'ada', 5000);
      await streamClosed;
      expect(asked).toEqual(['/hub/api/users/ada/server/progress', 'token tok']);
    } finally {
      hub.closeAllConnections();
      hub.close();
    }
  });
});
