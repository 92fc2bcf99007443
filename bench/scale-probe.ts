// Issue 6 point 5, focused: a database of 10,000 users (50 with running server rows) and the hub's own code timed on
// it, without containers or load generators. In-process (default): the Hono app through app.request(). With
// --process: src/ compiled to a temp dir and run as a child hub on that database (Docker is needed for its network;
// reconcile marks the container-less servers stopped), timed over loopback, with its RSS after a forced GC.
// Usage: node --import tsx bench/scale-probe.ts [--process] [--users N] [--only LABEL] [--repeat K]
// With --process, environment: PROBE_PAGING_ONLY=1 stops after paging through every user on new connections (issue 16
// point 5: median, hub CPU per page, RSS); PROBE_BULK=1 first makes 10,000 more users through the API as bench/scale
// does; PROBE_NODE_ARGS adds node options to the hub (e.g. --cpu-prof); PROBE_SPACES=1 prints V8's heap spaces.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { stringify } from 'yaml';
import { parseConfig } from '../src/config/load.js';
import { loadSecrets } from '../src/config/secrets.js';
import { openDatabase } from '../src/db/open.js';
import { servers as serversTable } from '../src/db/schema.js';
import { createHub } from '../src/hub.js';
import { createLogger } from '../src/log.js';
import { HUB_ENV, HUB_NODE_ARGS } from '../src/process-options.js';
import { createUserStore } from '../src/users/store.js';
import { startSession } from '../src/web/session-cookies.js';
import { createFakeSpawner } from '../test/fakes/fake-spawner.js';
import { cpuSecondsOf, freePort, REPO, rssOf } from './lib/hub-process.js';

const { values: args } = parseArgs({ options: {
  process: { type: 'boolean' },
  /** In-process, but served by @hono/node-server on loopback and timed with fetch (HTTP without the public listener). */
  serve: { type: 'boolean' },
  users: { type: 'string', default: '10000' },
  /** Only the measures whose label contains this (e.g. under --cpu-prof). */
  only: { type: 'string', default: '' },
  /** Multiplies every measure's sample count. */
  repeat: { type: 'string', default: '1' },
} });
const USERS = Number(args.users);
const RUNNING = 50;
const TOKEN = randomBytes(24).toString('hex');
const ADMIN = 'probeadmin';

type Fetch = (url: string, init?: RequestInit) => Promise<Response>;

const dataDir = mkdtempSync(path.join(tmpdir(), 'berth-scale-probe-'));
try {
  if (args.process) await viaProcess();
  else await inProcess();
} finally {
  rmSync(dataDir, { recursive: true, force: true });
}

function hubYaml(port: number, network: string) {
  return {
    hub: { bind: `127.0.0.1:${port}`, data_dir: dataDir, log_level: 'warn' },
    auth: { admin_users: [ADMIN], allow_all: true },
    spawner: { image: 'img/base:1', network, images: { base: { image: 'img/base:1', description: 'Base' }, gpu: { image: 'img/gpu:1', description: 'CUDA' } } },
    services: [{ name: 'bench', api_token: TOKEN, admin: true }],
  };
}

/**
 * Users and running server rows written through the stores, then a real hub (createHub, with the fake spawner: no
 * containers) on that database and a signed-in admin; returns the admin's cookie and the hub app.
 */
async function seed(yaml: object): Promise<{ cookie: string; app: Fetch; close(): Promise<void> }> {
  const config = parseConfig(stringify(yaml), path.join(dataDir, 'hub.yaml'), {});
  const opened = openDatabase(dataDir);
  const db = opened.db;
  const users = createUserStore(db);
  const t = performance.now();
  db.$client.transaction(() => {
    for (let i = 0; i < USERS; i++) users.create(`user${String(i).padStart(5, '0')}`, { addedByAdmin: true });
  })();
  const now = new Date();
  for (let i = 0; i < RUNNING; i++) {
    const user = users.get(`user${String(i * 97).padStart(5, '0')}`)!;
    db.insert(serversTable).values({ userId: user.id, name: '', status: 'running', url: 'http://10.0.0.2:8888', started: now, lastActivity: now }).run();
  }
  opened.close();
  console.log(`seeded ${USERS} users, ${RUNNING} running server rows: ${(performance.now() - t).toFixed(0)} ms`);
  // The data_dir's own secret file, so a child hub accepts the seeded session.
  const spawner = createFakeSpawner();
  const hub = createHub(config, loadSecrets(config, {}), { spawner, logger: createLogger('silent') });
  const { sessions } = hub.stores;
  const signer = new Hono().get('/in/:name', (c) => {
    startSession(c, sessions, hub.stores.users.ensure(c.req.param('name'), { admin: true }).id, 'github');
    return c.text('ok');
  });
  const cookie = (await signer.request(`/in/${ADMIN}`)).headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  return {
    cookie,
    app: async (url, init) => hub.app.request(url, init),
    async close() {
      await hub.stop();
      await spawner.close();
    },
  };
}

async function measure(origin: string, fetcher: Fetch, cookie: string, after: (label: string) => Promise<void> = async () => {}): Promise<void> {
  const time = async (label: string, n: number, request: () => Promise<Response>) => {
    if (!label.includes(args.only)) return;
    n *= Number(args.repeat);
    const samples: number[] = [];
    let status = 0;
    let bytes = 0;
    for (let i = 0; i < n + 5; i++) {
      const t0 = performance.now();
      const res = await request();
      bytes = (await res.arrayBuffer()).byteLength;
      status = res.status;
      if (i >= 5) samples.push(performance.now() - t0);
    }
    samples.sort((a, b) => a - b);
    const at = (q: number) => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))]!.toFixed(2);
    console.log(`${label}: HTTP ${status}, ${bytes} bytes, median ${at(0.5)} / p95 ${at(0.95)} ms (n=${n})`);
    await after(label);
  };
  const api = (p: string, init: RequestInit = {}) => fetcher(`${origin}/hub/api${p}`, {
    ...init, headers: { Authorization: `token ${TOKEN}`, 'Content-Type': 'application/json', ...init.headers },
  });
  const page = (p: string) => fetcher(`${origin}/hub${p}`, { headers: { Cookie: cookie } });
  await time('GET /hub/api/users?state=ready&limit=50', 200, () => api('/users?state=ready&limit=50'));
  await time('GET /hub/api/users?limit=50', 200, () => api('/users?limit=50'));
  await time('GET /hub/api/users?limit=50&offset=5000', 200, () => api('/users?limit=50&offset=5000'));
  await time('GET /hub/api/users?state=ready&limit=50 (envelope)', 200, () => api('/users?state=ready&limit=50', { headers: { Accept: 'application/jupyterhub-pagination+json' } }));
  await time('GET /hub/api/ (smallest answer)', 200, () => fetcher(`${origin}/hub/api/`));
  await time('GET /hub/admin', 20, () => page('/admin'));
  await time('GET /hub/admin?offset=5000', 20, () => page('/admin?offset=5000'));
  let batch = 0;
  await time('POST /hub/api/users (1,000 new names)', 5, () => {
    const usernames = Array.from({ length: 1000 }, (_, j) => `bulk${batch}x${j}`);
    batch++;
    return api('/users', { method: 'POST', body: JSON.stringify({ usernames }) });
  });
}

async function inProcess(): Promise<void> {
  const seeded = await seed(hubYaml(8000, 'berth-probe'));
  if (args.serve) {
    const server = serve({ fetch: (req) => seeded.app(req.url, req), hostname: '127.0.0.1', port: 0 });
    await new Promise<void>((resolve) => server.once('listening', () => resolve()));
    await measure(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, (url, init) => fetch(url, init), seeded.cookie);
    await new Promise((resolve) => server.close(resolve));
  } else await measure('http://127.0.0.1:8000', seeded.app, seeded.cookie);
  await seeded.close();
}

async function viaProcess(): Promise<void> {
  const port = await freePort();
  const network = `berth-probe-${randomBytes(4).toString('hex')}`;
  const yaml = hubYaml(port, network);
  const seeded = await seed(yaml);
  await seeded.close();
  writeFileSync(path.join(dataDir, 'hub.yaml'), stringify(yaml));

  // Inside the repository, so the build resolves node_modules; bench/results/ is git-ignored.
  const build = path.join(REPO, 'bench/results', `probe-build-${process.pid}`);
  const built = spawnSync(process.execPath, [path.join(REPO, 'scripts/build.mjs'), build], { cwd: REPO, encoding: 'utf8' });
  if (built.status !== 0) throw new Error(`scripts/build.mjs failed: ${built.stderr.slice(0, 2000)}`);
  // A preload that answers SIGUSR2 with memoryUsage() after a full GC, on stderr.
  const preload = path.join(dataDir, 'mem-report.mjs');
  // --import also runs in worker threads (the proxy thread): only the main thread listens.
  writeFileSync(preload, `import { isMainThread } from 'node:worker_threads';
if (isMainThread) process.on('SIGUSR2', async () => { globalThis.gc?.(); globalThis.gc?.();
  const m = process.memoryUsage(); const mb = (n) => (n / 2 ** 20).toFixed(1);
  const spaces = Object.fromEntries((await import('node:v8')).getHeapSpaceStatistics().map((s) => [s.space_name, mb(s.space_used_size) + '/' + mb(s.physical_space_size)]));
  process.stderr.write('MEM ' + JSON.stringify({ rss: mb(m.rss), heapTotal: mb(m.heapTotal), heapUsed: mb(m.heapUsed), external: mb(m.external), arrayBuffers: mb(m.arrayBuffers) }) + (process.env.PROBE_SPACES ? ' ' + JSON.stringify(spaces) : '') + '\\n'); });\n`);
  const extra = (process.env.PROBE_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const began = performance.now();
  const child = spawn(process.execPath, [...HUB_NODE_ARGS, '--expose-gc', '--import', preload, ...extra, path.join(build, 'main.js'), '--config', path.join(dataDir, 'hub.yaml')], {
    cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...HUB_ENV, NODE_ENV: 'production' },
  });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const origin = `http://127.0.0.1:${port}`;
  try {
    for (const deadline = Date.now() + 60_000; ;) {
      if (child.exitCode !== null) throw new Error(`hub exited: ${output.slice(-2000)}`);
      if (Date.now() > deadline) throw new Error(`hub did not answer within 60 s: ${output.slice(-2000)}`);
      try {
        await (await fetch(`${origin}/hub/api/`, { signal: AbortSignal.timeout(1000) })).arrayBuffer();
        break;
      } catch {
        await new Promise((r) => setTimeout(r, 5));
      }
    }
    console.log(`cold start: ${(performance.now() - began).toFixed(0)} ms; RSS ${(rssOf(child.pid!) / 2 ** 20).toFixed(1)} MB`);
    const memory = async (label: string) => {
      const before = output.length;
      child.kill('SIGUSR2');
      await new Promise((r) => setTimeout(r, 500));
      const line = output.slice(before).match(/MEM (.*)/)?.[1] ?? '?';
      console.log(`${label}: RSS ${(rssOf(child.pid!) / 2 ** 20).toFixed(1)} MB (after GC: ${line})`);
    };
    await memory('idle after start');
    // The benchmark makes its users through the API, 1,000 a request; PROBE_BULK=1 does the same (10,000 more).
    if (process.env.PROBE_BULK) {
      for (let i = 0; i < 10; i++) {
        const usernames = Array.from({ length: 1000 }, (_, j) => `bulk${i}x${j}`);
        await (await fetch(`${origin}/hub/api/users`, { method: 'POST', headers: { Authorization: `token ${TOKEN}`, 'Content-Type': 'application/json' }, body: JSON.stringify({ usernames }) })).arrayBuffer();
      }
      console.log(`after creating 10,000 users through the API: RSS ${(rssOf(child.pid!) / 2 ** 20).toFixed(1)} MB`);
    }
    // Issue 16 point 5 as an outside probe sees it: every user, 50 a page, a new connection per request.
    const samples: number[] = [];
    const cpuBefore = cpuSecondsOf(child.pid!);
    for (let offset = 0; offset < USERS + 1; offset += 50) {
      const t0 = performance.now();
      await new Promise<void>((resolve, reject) => http.get(`${origin}/hub/api/users?limit=50&offset=${offset}`, { agent: false, headers: { Authorization: `token ${TOKEN}` } },
        (res) => res.resume().on('end', resolve).on('error', reject)).on('error', reject));
      samples.push(performance.now() - t0);
    }
    samples.sort((a, b) => a - b);
    // CPU per page is the steadier figure on a shared machine, where the wall-clock median moves with the neighbours.
    const cpuMs = ((cpuSecondsOf(child.pid!) - cpuBefore) * 1000) / samples.length;
    console.log(`paged through ${USERS} users, new connection each: median ${samples[samples.length >> 1]!.toFixed(2)} ms, hub CPU ${cpuMs.toFixed(2)} ms a page; RSS ${(rssOf(child.pid!) / 2 ** 20).toFixed(1)} MB`);
    // The floor: the smallest answer, also on a new connection each time.
    const floor: number[] = [];
    for (let i = 0; i < 200; i++) {
      const t0 = performance.now();
      await new Promise<void>((resolve, reject) => http.get(`${origin}/hub/api/`, { agent: false }, (res) => res.resume().on('end', resolve).on('error', reject)).on('error', reject));
      floor.push(performance.now() - t0);
    }
    floor.sort((a, b) => a - b);
    console.log(`GET /hub/api/ on a new connection each: median ${floor[100]!.toFixed(2)} ms`);
    await memory('after paging through');
    if (process.env.PROBE_HOLD) await new Promise((r) => setTimeout(r, Number(process.env.PROBE_HOLD)));
    if (process.env.PROBE_PAGING_ONLY) return;
    await measure(origin, (url, init) => fetch(url, init), seeded.cookie, (label) => memory(`  after ${label}`));
    console.log(`after the requests: RSS ${(rssOf(child.pid!) / 2 ** 20).toFixed(1)} MB`);
    await memory('after the requests');
    if (process.env.PROBE_HOLD) await new Promise((r) => setTimeout(r, Number(process.env.PROBE_HOLD)));
  } finally {
    if (child.exitCode === null) {
      const closed = new Promise((r) => child.once('close', r));
      child.kill('SIGTERM');
      await closed;
    }
    spawnSync('docker', ['network', 'rm', network], { stdio: 'ignore' });
    rmSync(build, { recursive: true, force: true });
    if (process.env.PROBE_LOG) console.log(output.slice(-3000));
  }
}
