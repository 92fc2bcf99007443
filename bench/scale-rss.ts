// Issue 16 point 5, alone: the hub's RSS after creating 10,000 users through the API (1,000 a request) and paging
// through them 50 at a time on new connections, exactly as bench/scale measures it, plus where the resident pages
// are (/proc/<pid>/smaps, grouped by file) and the cold start; in a minute instead of bench/scale's ten (bench/README).
// Usage: node --import tsx bench/scale-rss.ts [--build DIR] [--runs N] [--threads N] [--after-gc] [--against DIR]
// Environment: BERTH_BENCH_HUB_NODE_ARGS adds node flags to the hub (as for bench/scale); SCALE_RSS_SMAPS=1 prints
// the resident pages by file; SCALE_RSS_INSPECT=CMD runs CMD <pid> before the hub stops; SCALE_RSS_LOG=FILE keeps its log.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import http from 'node:http';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { buildHub, residentPartsOf, startHub, type HubBuild } from './lib/hub-process.js';

const { values: args } = parseArgs({ options: {
  build: { type: 'string' }, runs: { type: 'string', default: '1' }, threads: { type: 'string' }, 'after-gc': { type: 'boolean', default: false },
  // Cold starts only (spawn → first API answer, empty database), BUILD and --against BUILD in turns.
  against: { type: 'string' },
} });
const USERS = 10_000;
const CHUNK = 1_000;
const mb = (bytes: number) => (bytes / 2 ** 20).toFixed(1);

const build: HubBuild = args.build
  ? { main: path.join(args.build, 'main.js'), runtime: 'compiled', typeErrors: 0, commit: args.build }
  : buildHub();
// --after-gc: also the RSS after a full collection of the main thread's heap, the steadier figure when comparing
// changes (the bench's figure lands anywhere between two major collections: ±4 MB from run to run).
const marks = mkdtempSync(path.join(tmpdir(), 'berth-scale-rss-'));
if (args['after-gc']) {
  const preload = path.join(marks, 'gc-on-signal.mjs');
  writeFileSync(preload, `import { writeFileSync } from 'node:fs';
import { isMainThread } from 'node:worker_threads';
if (isMainThread) process.on('SIGUSR2', () => { globalThis.gc(); globalThis.gc(); writeFileSync(${JSON.stringify(marks)} + '/collected-' + process.pid, ''); });\n`);
  process.env.BERTH_BENCH_HUB_NODE_ARGS = `${process.env.BERTH_BENCH_HUB_NODE_ARGS ?? ''} --expose-gc --import ${preload}`;
}
const network = `berth-scale-rss-${process.pid}`;
const made = spawnSync('docker', ['network', 'create', '--label', 'berth.test=true', '-o', 'com.docker.network.bridge.enable_icc=false', network], { encoding: 'utf8' });
if (made.status !== 0) {
  rmSync(marks, { recursive: true, force: true });
  throw new Error(`docker network create: ${made.stderr}`);
}
try {
  if (args.against) await coldStarts({ main: path.join(args.against, 'main.js'), runtime: 'compiled', typeErrors: 0, commit: args.against });
  else for (let run = 0; run < Number(args.runs); run++) await once();
} finally {
  spawnSync('docker', ['network', 'rm', network], { stdio: 'ignore' });
  rmSync(marks, { recursive: true, force: true });
}

async function once(): Promise<void> {
  const hub = await startHub({ build, network, images: { base: 'berth/nginx:test' }, defaultImage: 'berth/nginx:test',
    ...(args.threads ? { proxyThreads: Number(args.threads) } : {}) });
  try {
    for (let i = 0; i < USERS; i += CHUNK) {
      const usernames = Array.from({ length: CHUNK }, (_, j) => `user${String(i + j).padStart(5, '0')}`);
      const res = await hub.api('POST', '/users', { usernames });
      if (res.status !== 201) throw new Error(`POST /users answered ${res.status}`);
    }
    const pages: number[] = [];
    for (let offset = 0; ; offset += 50) {
      const t0 = performance.now();
      const items = JSON.parse(await freshGet(`${hub.url}/hub/api/users?limit=50&offset=${offset}`, hub.token)) as unknown[];
      pages.push(performance.now() - t0);
      if (items.length < 50) break;
    }
    pages.sort((a, b) => a - b);
    const parts = residentPartsOf(hub.pid)!;
    console.log(`cold start ${hub.coldStartMs.toFixed(0)} ms; RSS ${mb(parts.rss)} MB (anonymous ${mb(parts.anonymous)}, file-backed ${mb(parts.fileBacked)}); page median ${pages[pages.length >> 1]!.toFixed(2)} ms`);
    if (args['after-gc']) {
      process.kill(hub.pid, 'SIGUSR2');
      while (!existsSync(path.join(marks, `collected-${hub.pid}`))) await new Promise((r) => setTimeout(r, 10));
      const collected = residentPartsOf(hub.pid)!;
      console.log(`  after a full GC of the main thread: RSS ${mb(collected.rss)} MB (anonymous ${mb(collected.anonymous)})`);
    }
    if (process.env.SCALE_RSS_SMAPS) console.log(smapsByFile(hub.pid));
    // A command to run on the hub before it stops, e.g. a pagemap or heap look (its pid appended).
    if (process.env.SCALE_RSS_INSPECT) console.log(spawnSync('sh', ['-c', `${process.env.SCALE_RSS_INSPECT} ${hub.pid}`], { encoding: 'utf8' }).stdout);
  } finally {
    // stop() removes the hub's temp dir, hub.log with it, unless told to keep it.
    await hub.stop({ keepDataDir: Boolean(process.env.SCALE_RSS_LOG) });
    if (process.env.SCALE_RSS_LOG) {
      copyFileSync(hub.logFile, process.env.SCALE_RSS_LOG);
      rmSync(hub.dataDir, { recursive: true, force: true });
    }
  }
}

async function coldStarts(other: HubBuild): Promise<void> {
  const times = new Map<HubBuild, number[]>([[build, []], [other, []]]);
  for (let run = 0; run < Number(args.runs); run++) {
    for (const [which, ms] of times) {
      const hub = await startHub({ build: which, network, images: { base: 'berth/nginx:test' }, defaultImage: 'berth/nginx:test' });
      ms.push(hub.coldStartMs);
      await hub.stop();
    }
  }
  for (const [which, ms] of times) {
    ms.sort((a, b) => a - b);
    console.log(`${which.commit}: cold start median ${ms[ms.length >> 1]!.toFixed(0)} ms (${ms.map((m) => m.toFixed(0)).join(', ')})`);
  }
}

/** Resident kB per mapped file (anonymous mappings by kind), largest first. */
function smapsByFile(pid: number): string {
  const totals = new Map<string, { rss: number; anon: number }>();
  let name = '';
  for (const line of readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const head = /^[0-9a-f]+-[0-9a-f]+ (\S+) (\S+) \S+ \S+\s*(.*)$/.exec(line);
    if (head) {
      // The node binary by segment (text, read-only data with ICU's, relocations), the rest by file.
      name = head[3] === process.execPath ? `${head[3]} ${head[1]} at 0x${head[2]}` : head[3] || '[anon]';
      continue;
    }
    const field = /^(Rss|Anonymous):\s+(\d+) kB/.exec(line);
    if (!field) continue;
    const t = totals.get(name) ?? { rss: 0, anon: 0 };
    if (field[1] === 'Rss') t.rss += Number(field[2]);
    else t.anon += Number(field[2]);
    totals.set(name, t);
  }
  return [...totals].filter(([, t]) => t.rss >= 256).sort((a, b) => b[1].rss - a[1].rss)
    .map(([n, t]) => `  ${String(t.rss).padStart(7)} kB (anon ${String(t.anon).padStart(6)})  ${n}`).join('\n');
}

function freshGet(url: string, token: string): Promise<string> {
  return new Promise((resolve, reject) => {
    http.get(url, { agent: false, headers: { Authorization: `token ${token}` } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => (res.statusCode === 200 ? resolve(Buffer.concat(chunks).toString('utf8')) : reject(new Error(`${url}: ${res.statusCode}`))));
    }).on('error', reject);
  });
}
