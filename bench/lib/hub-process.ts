// A Berth hub run as a child process (`node <build>/main.js --config bench-hub.yaml`) on loopback, so load
// generators never share its event loop; plus the small REST client the benchmarks drive it with.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { HUB_ENV, HUB_NODE_ARGS } from '../../src/process-options.js';
import { sleep } from './docker.js';

export const REPO = fileURLToPath(new URL('../..', import.meta.url));
/** A private build of src/, so a run never races other people's `npm run build` into dist/. */
const BUILD_DIR = path.join(REPO, 'bench/results/hub-build');

export interface HubBuild {
  main: string;
  /** How the hub runs: compiled JS, or tsx when the build emitted nothing usable. */
  runtime: 'compiled' | 'tsx';
  typeErrors: number;
  commit: string;
}

/** Builds src/ once per run as `npm run build` does (scripts/build.mjs); tsc's type errors are counted and reported. */
export function buildHub(): HubBuild {
  const tsc = spawnSync(process.execPath, [path.join(REPO, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--noEmit'], {
    cwd: REPO, encoding: 'utf8',
  });
  const typeErrors = (tsc.stdout.match(/error TS\d+/g) ?? []).length;
  const commit = spawnSync('git', ['describe', '--always', '--dirty'], { cwd: REPO, encoding: 'utf8' }).stdout.trim();
  const built = spawnSync(process.execPath, [path.join(REPO, 'scripts/build.mjs'), BUILD_DIR], { cwd: REPO, encoding: 'utf8' });
  const main = path.join(BUILD_DIR, 'main.js');
  if (built.status === 0 && existsSync(main)) return { main, runtime: 'compiled', typeErrors, commit };
  return { main: path.join(REPO, 'src/main.ts'), runtime: 'tsx', typeErrors, commit };
}

export interface HubOptions {
  build: HubBuild;
  network: string;
  /** Catalog label → image; users are pinned to labels with `pins`. */
  images: Record<string, string>;
  defaultImage: string;
  pins?: Record<string, string>;
  github?: { url: string; apiUrl: string; clientId: string; clientSecret: string };
  allowAll?: boolean;
  /**
   * An existing data_dir (a prepared database), left in place when the hub stops; default a fresh temp dir, removed
   * when the hub stops cleanly (kept, with hub.log in it, when the hub failed).
   */
  dataDir?: string;
  /** Remove `dataDir` too when this hub stops cleanly (it was handed over by a hub stopped with keepDataDir). */
  removeDataDir?: boolean;
  /** Write a V8 CPU profile of the hub into this directory when it exits. */
  cpuProfDir?: string;
  concurrentSpawnLimit?: number;
  /** hub.proxy_threads; default BERTH_BENCH_PROXY_THREADS, else the hub's own default (one per core). */
  proxyThreads?: number;
  /** Services with a url, proxied at /services/<name>/ (e.g. a target shared by several hubs). */
  services?: { name: string; url: string }[];
}

export interface HubProcess {
  readonly url: string;
  readonly token: string;
  readonly pid: number;
  readonly dataDir: string;
  readonly logFile: string;
  /** hub.proxy_threads as configured; undefined = the hub's default (one per core). */
  readonly proxyThreads: number | undefined;
  /** Milliseconds from spawning the process to the first answer of GET /hub/api/. */
  readonly coldStartMs: number;
  api(method: string, apiPath: string, body?: unknown, headers?: Record<string, string>): Promise<ApiAnswer>;
  rssBytes(): number;
  /**
   * Stops the hub (SIGTERM, SIGKILL after 15 s) and removes its data dir when it made it and the hub stopped cleanly;
   * when the hub failed (exited before stop, or not with 0), the dir and its hub.log stay, and stderr says where.
   */
  stop(options?: { keepDataDir?: boolean }): Promise<void>;
  /** After stop(): the CPU profile the main thread (default) or the proxy thread wrote, when started with cpuProfDir. */
  profileFile(thread?: 'main' | 'proxy'): string | null;
}

export interface ApiAnswer {
  status: number;
  body: unknown;
  ms: number;
}

/** Bench hubs started and not stopped yet. */
const running = new Set<HubProcess>();

export async function startHub(options: HubOptions): Promise<HubProcess> {
  const dataDir = options.dataDir ?? mkdtempSync(path.join(os.tmpdir(), 'berth-bench-hub-'));
  const removeDataDir = options.removeDataDir ?? options.dataDir === undefined;
  const proxyThreads = options.proxyThreads ?? benchProxyThreads();
  mkdirSync(dataDir, { recursive: true });
  const port = await freePort();
  const token = randomBytes(24).toString('hex');
  const catalog = Object.fromEntries(Object.entries(options.images).map(([label, image]) => [label, { image, description: label }]));
  const config = {
    // One load generator stands for many clients (the memory bench holds 1,000 WebSockets): no per-client cap.
    hub: { bind: `127.0.0.1:${port}`, base_url: '/', data_dir: dataDir, log_level: 'warn', max_connections_per_client: 0,
      ...(proxyThreads !== undefined ? { proxy_threads: proxyThreads } : {}) },
    auth: {
      admin_users: ['benchadmin'],
      allow_all: options.allowAll ?? true,
      ...(options.github
        ? { github: { client_id: options.github.clientId, client_secret: options.github.clientSecret, url: options.github.url, api_url: options.github.apiUrl } }
        : {}),
    },
    spawner: {
      image: options.defaultImage,
      images: catalog,
      network: options.network,
      start_timeout: 60,
      http_timeout: 30,
      pull_policy: 'never',
      concurrent_spawn_limit: options.concurrentSpawnLimit ?? 100,
    },
    users: Object.fromEntries(Object.entries(options.pins ?? {}).map(([user, label]) => [user, { image: label }])),
    services: [{ name: 'bench', api_token: token, admin: true }, ...(options.services ?? [])],
  };
  const configFile = path.join(dataDir, 'bench-hub.yaml');
  writeFileSync(configFile, stringify(config));
  const logFile = path.join(dataDir, 'hub.log');
  const nodeArgs = [
    // As the `berth` command starts it (src/process-options.ts), so the memory measured is the shipped hub's.
    ...HUB_NODE_ARGS,
    ...(options.build.runtime === 'tsx' ? ['--import', 'tsx'] : []),
    ...(options.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfDir}`] : []),
    // For investigations, e.g. BERTH_BENCH_HUB_NODE_ARGS=--trace-gc (the output lands in <data_dir>/hub.log).
    ...(process.env.BERTH_BENCH_HUB_NODE_ARGS ?? '').split(' ').filter(Boolean),
    options.build.main, '--config', configFile,
  ];
  const began = performance.now();
  // A process group of its own: Ctrl-C reaches the bench alone, which stops its hubs cleanly (stopAllHubs), where a
  // hub interrupted with it would have left its data dir behind as a failed one.
  const child = spawn(process.execPath, nodeArgs, {
    cwd: REPO, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...HUB_ENV, NODE_ENV: 'production' },
  });
  const kill = () => child.kill('SIGKILL');
  process.once('exit', kill); // the bench died without stopping it: no hub outlives it
  let output = '';
  const collect = (d: Buffer) => {
    output += d;
    if (output.length > 2_000_000) output = output.slice(-1_000_000);
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  const url = `http://127.0.0.1:${port}`;
  let exited: number | null = null;
  child.on('close', (code) => (exited = code ?? -1));

  const deadline = Date.now() + 60_000;
  let coldStartMs = NaN;
  while (Date.now() < deadline) {
    if (exited !== null) {
      writeFileSync(logFile, output);
      throw new Error(`the bench hub exited with ${exited} before serving: ${tail(output)} (log: ${logFile})`);
    }
    try {
      const res = await fetch(`${url}/hub/api/`, { signal: AbortSignal.timeout(1000) });
      await res.arrayBuffer();
      coldStartMs = performance.now() - began;
      break;
    } catch {
      await sleep(2);
    }
  }
  if (!Number.isFinite(coldStartMs)) {
    child.kill('SIGKILL');
    writeFileSync(logFile, output);
    throw new Error(`the bench hub did not answer on ${url} within 60 s: ${tail(output)} (log: ${logFile})`);
  }

  const api = async (method: string, apiPath: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiAnswer> => {
    const t0 = performance.now();
    const res = await fetch(`${url}/hub/api${apiPath}`, {
      method,
      headers: { Authorization: `token ${token}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    const ms = performance.now() - t0;
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON (an HTML error page, or empty)
    }
    return { status: res.status, body: parsed, ms };
  };

  const hub: HubProcess = {
    url,
    token,
    pid: child.pid!,
    dataDir,
    logFile,
    proxyThreads,
    coldStartMs,
    api,
    rssBytes: () => rssOf(child.pid!),
    profileFile(thread = 'main') {
      const dir = options.cpuProfDir;
      if (!dir || !existsSync(dir)) return null;
      // node --cpu-prof writes one file per thread: CPU.<date>.<time>.<pid>.<thread id>.<seq>.cpuprofile, main = 0.
      const name = readdirSync(dir).find((f) => f.includes(`.${child.pid}.${thread === 'main' ? '0.' : ''}`) && f.endsWith('.cpuprofile') && (thread === 'main' || !f.includes(`.${child.pid}.0.`)));
      return name ? path.join(dir, name) : null;
    },
    stop({ keepDataDir = false } = {}) {
      // Once: a benchmark's own stop after stopAllHubs (or the other way round) waits for the same end.
      return (stopping ??= stopOnce(keepDataDir));
    },
  };
  let stopping: Promise<void> | null = null;
  async function stopOnce(keepDataDir: boolean): Promise<void> {
    const failedBefore = exited !== null;
    if (!failedBefore) {
      const done = new Promise<void>((resolve) => child.once('close', () => resolve()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await done;
      clearTimeout(timer);
    }
    writeFileSync(logFile, output);
    if (failedBefore || exited !== 0) {
      process.stderr.write(`the bench hub (pid ${child.pid}) ${failedBefore ? `exited with ${exited} before it was stopped` : `stopped with ${exited}`}; its log: ${logFile}\n`);
    } else if (removeDataDir && !keepDataDir) {
      rmSync(dataDir, { recursive: true, force: true });
    }
    process.off('exit', kill);
    running.delete(hub);
  }
  running.add(hub);
  return hub;
}

/** Stops every bench hub still running (the bench interrupted): each as its stop() does. */
export async function stopAllHubs(): Promise<void> {
  await Promise.all([...running].map((hub) => hub.stop()));
}

/** BERTH_BENCH_PROXY_THREADS (hub.proxy_threads for the bench hubs that do not set it themselves), or undefined. */
export function benchProxyThreads(): number | undefined {
  const value = Number(process.env.BERTH_BENCH_PROXY_THREADS);
  return Number.isInteger(value) && value > 0 ? value : undefined;
}

/** The last few lines a process printed, on one line (error messages keep only their first line). */
function tail(output: string): string {
  return output.trim().split('\n').slice(-3).join(' | ').slice(-600) || '(no output)';
}

/** Resident set size of a process, from /proc (0 when it is gone). */
export function rssOf(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
    return kb ? Number(kb) * 1024 : 0;
  } catch {
    return 0;
  }
}

/**
 * Where a process's resident memory is (/proc/<pid>/smaps_rollup, bytes): anonymous (V8 heaps, malloc, stacks) and
 * file-backed (the node binary and libraries, mostly shared with any other node process); null when it is gone.
 */
export function residentPartsOf(pid: number): { rss: number; anonymous: number; fileBacked: number } | null {
  try {
    const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(rollup)?.[1] ?? NaN) * 1024;
    const rss = kb('Rss');
    const anonymous = kb('Anonymous');
    return Number.isFinite(rss) && Number.isFinite(anonymous) ? { rss, anonymous, fileBacked: rss - anonymous } : null;
  } catch {
    return null;
  }
}

/** CPU seconds (user + system) a process has used so far, from /proc (NaN when it is gone). */
export function cpuSecondsOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const CLOCK_TICKS = 100; // USER_HZ on Linux
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return NaN;
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export function newestFile(dir: string, suffix: string): string | null {
  if (!existsSync(dir)) return null;
  const files = readdirSync(dir).filter((f) => f.endsWith(suffix)).sort();
  return files.length > 0 ? path.join(dir, files[files.length - 1]) : null;
}

/**
 * Starts the user's default server (creating the user first) and waits until the hub reports it ready.
 * Returns the milliseconds from the POST to ready, or throws with the hub's answer.
 */
export async function startServer(hub: HubProcess, user: string, timeoutMs = 60_000, create = true): Promise<number> {
  if (create) {
    const created = await hub.api('POST', `/users/${user}`);
    if (created.status !== 201 && created.status !== 409) {
      throw new Error(`POST /hub/api/users/${user} answered ${created.status}: ${JSON.stringify(created.body)}`);
    }
  }
  const t0 = performance.now();
  const started = await hub.api('POST', `/users/${user}/server`, {});
  if (started.status === 201) return performance.now() - t0;
  if (started.status !== 202) throw new Error(`POST /hub/api/users/${user}/server answered ${started.status}: ${JSON.stringify(started.body)}`);
  await waitReadyEvent(hub, user, timeoutMs);
  return performance.now() - t0;
}

/**
 * Waits for the `ready` event on the server's progress stream, as JupyterHub's spawn page does: the hub pushes it
 * the moment the server answers, and no client polling loads the hub while it spawns.
 */
export async function waitReadyEvent(hub: Pick<HubProcess, 'url' | 'token'>, user: string, timeoutMs = 60_000): Promise<void> {
  const res = await fetch(`${hub.url}/hub/api/users/${user}/server/progress`, {
    headers: { Authorization: `token ${hub.token}`, Accept: 'text/event-stream' },
    signal: AbortSignal.timeout(timeoutMs),
  });
  if (res.status !== 200 || !res.body) throw new Error(`GET /hub/api/users/${user}/server/progress answered ${res.status}`);
  const decoder = new TextDecoder();
  let text = '';
  for await (const chunk of res.body) {
    text += decoder.decode(chunk as Uint8Array, { stream: true });
    for (let end = text.indexOf('\n\n'); end !== -1; end = text.indexOf('\n\n')) {
      const event = text.slice(0, end);
      text = text.slice(end + 2);
      const data = event.split('\n').find((line) => line.startsWith('data:'));
      if (!data) continue;
      const parsed = JSON.parse(data.slice(5)) as { ready?: boolean; failed?: boolean; message?: string };
      // Leaving the loop cancels the stream (the iterator holds its reader, so res.body.cancel() would throw).
      if (parsed.ready) return;
      if (parsed.failed) throw new Error(`${user}'s server failed to start: ${parsed.message ?? ''}`);
    }
  }
  throw new Error(`${user}'s progress stream ended before the server was ready`);
}

/** DELETE /hub/api/users/<user>/server and wait until the user has no server (stopped, container gone). */
export async function stopServer(hub: HubProcess, user: string, timeoutMs = 60_000): Promise<void> {
  const res = await hub.api('DELETE', `/users/${user}/server`);
  if (res.status !== 202 && res.status !== 204) throw new Error(`DELETE /hub/api/users/${user}/server answered ${res.status}: ${JSON.stringify(res.body)}`);
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const model = await hub.api('GET', `/users/${user}`);
    const servers = (model.body as { servers?: Record<string, unknown> }).servers ?? {};
    if (!('' in servers)) return;
    await sleep(20);
  }
  throw new Error(`${user}'s server did not stop within ${timeoutMs} ms`);
}
