// `npm run bench [-- NAME… --quick --profile]`: runs the benchmarks of issues 6 and 16 against containers it starts on
// a private network, prints markdown tables with ratios and each issue-16 target as measured / met, and writes
// bench/results/<name>-<date>.json and latest.json.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { parseArgs } from 'node:util';
import path from 'node:path';
import { createBenchDocker } from './lib/docker.js';
import { createContext, type BenchContext } from './lib/context.js';
import { buildHub, REPO, stopAllHubs } from './lib/hub-process.js';
import { describeMachine } from './lib/machine.js';
import { profileTables, summarizeProfile } from './lib/profile.js';
import { machineLine, renderResult, unavailable, writeResults, type BenchResult } from './lib/report.js';
import { ISSUE_13, ISSUE_16, issueSummary } from './lib/targets.js';
import { proxyBench } from './proxy.js';
import { proxyThreadsBench } from './proxy-threads.js';
import { websocketBench } from './websocket.js';
import { hubLoadBench } from './hub-load.js';
import { spawnBench } from './spawn.js';
import { scaleBench } from './scale.js';
import { memoryBench } from './memory.js';
import { swarmScaleBench } from './swarm-scale.js';

const BENCHMARKS: Record<string, (ctx: BenchContext) => Promise<BenchResult>> = {
  proxy: proxyBench,
  'proxy-threads': proxyThreadsBench,
  websocket: websocketBench,
  'hub-load': hubLoadBench,
  spawn: spawnBench,
  scale: scaleBench,
  memory: memoryBench,
  'swarm-scale': swarmScaleBench,
};

/** Rounds of each proxy cell when --repeat is not given. */
const DEFAULT_ROUNDS = 3;

const HELP = `Usage: npm run bench [-- [NAME...] [--quick] [--profile] [--repeat N] [--body 1k|1m]]
  NAME       one or more of: ${Object.keys(BENCHMARKS).join(', ')} (default: all)
  --quick    short runs, to check that everything works
  --repeat N rounds of each proxy cell, the paths in turn (default 3, 1 with --quick); the median is reported,
             and targets are judged on the median of the per-round ratios
  --body B   only these bodies in the proxy benchmark (1k or 1m; repeatable; default both)
  --profile  write V8 CPU profiles of the hub processes to bench/results/profiles/ (and a summary in the results);
             profiling slows the hub, so use it to find hot spots, not for the published numbers
`;

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      quick: { type: 'boolean' }, profile: { type: 'boolean' }, repeat: { type: 'string' }, help: { type: 'boolean', short: 'h' },
      body: { type: 'string', multiple: true },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const unknown = positionals.filter((n) => !(n in BENCHMARKS));
  if (unknown.length > 0) {
    process.stderr.write(`bench: unknown benchmark ${unknown.join(', ')}\n\n${HELP}`);
    return 2;
  }
  const names = positionals.length > 0 ? positionals : Object.keys(BENCHMARKS);
  const bodies = values.body ?? ['1k', '1m'];
  if (bodies.some((b) => b !== '1k' && b !== '1m')) {
    process.stderr.write(`bench: --body takes 1k or 1m\n\n${HELP}`);
    return 2;
  }
  const resultsDir = path.join(REPO, 'bench/results');
  const startedAt = new Date();

  const releaseLock = await acquireLock(path.join(resultsDir, '.lock'));
  process.once('exit', releaseLock);
  const docker = await createBenchDocker();
  const machine = await describeMachine(docker.docker);
  process.stdout.write(`Berth benchmarks: ${names.join(', ')}\nMachine: ${machineLine(machine)}\n`);
  const build = buildHub();
  process.stdout.write(`Hub build: ${build.runtime} at ${build.commit}${build.typeErrors ? ` (${build.typeErrors} type errors in src/ at build time)` : ''}\n\n`);

  // Three rounds by default: on a shared machine one 5 s round of a cell can be off by a third, and the median of
  // three interleaved rounds is what issue 16's targets are judged on (bench/lib/rounds.ts).
  const repeat = Math.max(1, Math.min(9, Number(values.repeat ?? (values.quick ? 1 : DEFAULT_ROUNDS)) || 1));
  const ctx = createContext(docker, build, {
    quick: values.quick ?? false, profile: values.profile ?? false, repeat, bodies, resultsDir,
  });
  const results: BenchResult[] = [];
  let profileFile: string | null = null;
  const stop = async () => {
    profileFile = await ctx.close().catch(() => null);
    await stopAllHubs();
    await docker.cleanup();
  };
  const onSignal = () => void stop().finally(() => process.exit(130));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    for (const name of names) {
      process.stdout.write(`… ${name}\n`);
      const t0 = performance.now();
      const loadBefore = os.loadavg()[0];
      let result: BenchResult;
      try {
        result = await BENCHMARKS[name](ctx);
      } catch (err) {
        result = {
          name, status: 'unavailable', tables: [], targets: [], data: { error: (err as Error).stack },
          notes: [`not available: ${(err as Error).message.split('\n')[0]}`], seconds: (performance.now() - t0) / 1000,
        };
      }
      result.data.loadavgBefore = loadBefore;
      // Other work on the machine (tests, builds) takes CPU from what is measured: say so next to the numbers.
      if (loadBefore > 0.7) result.notes.push(`The machine was busy before this benchmark (1-minute load average ${loadBefore.toFixed(2)} on ${os.cpus().length} cores).`);
      results.push(result);
      process.stdout.write(`${renderResult(result)}\n`);
    }
  } finally {
    await stop();
  }
  const fixtureUsed = names.some((n) => ['proxy', 'websocket', 'hub-load'].includes(n));
  if (values.profile && fixtureUsed) results.push(profileResult(profileFile));
  // Issues 13's and 16's targets side by side, whenever a benchmark that measures some of them ran.
  for (const [issue, points] of [[13, ISSUE_13], [16, ISSUE_16]] as const) {
    if (!names.some((n) => points.some((p) => p.bench === n))) continue;
    const summary = issueSummary(issue, points, results);
    process.stdout.write(`${renderResult(summary)}\n`);
    results.push(summary);
  }
  const files = writeResults(resultsDir, machine, results.map((r) => ({ ...r, data: { ...r.data, build } })), startedAt);
  process.stdout.write(`Wrote ${files.map((f) => path.relative(REPO, f)).join(', ')}\n`);
  return 0;
}

/** The fixture hub's CPU profile (it served the proxy, WebSocket and hub-load runs), ranked. */
function profileResult(file: string | null): BenchResult {
  if (!file) return unavailable('profile', 'the fixture hub wrote no CPU profile (did it start, and exit cleanly on SIGTERM?)');
  const summary = summarizeProfile(file);
  const result: BenchResult = {
    name: 'profile', status: 'ok', tables: profileTables(summary, 'Bench hub proxy thread (node --cpu-prof)'), targets: [],
    notes: [`Profile: ${path.relative(REPO, file)} (open it in Chrome DevTools → Performance, or speedscope).`],
    data: { summary }, seconds: 0,
  };
  process.stdout.write(`${renderResult(result)}\n`);
  return result;
}

/** One benchmark run at a time: a second run waits, since two would disturb each other's numbers. */
async function acquireLock(file: string): Promise<() => void> {
  mkdirSync(path.dirname(file), { recursive: true });
  let told = false;
  for (let waited = 0; ; waited += 2) {
    try {
      writeFileSync(file, String(process.pid), { flag: 'wx' });
      return () => rmSync(file, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = Number(readFileSync(file, 'utf8'));
    let alive = false;
    try {
      process.kill(holder, 0);
      alive = true;
    } catch (err) {
      alive = (err as NodeJS.ErrnoException).code === 'EPERM';
    }
    if (!alive) {
      rmSync(file, { force: true });
      continue;
    }
    if (waited > 1800) throw new Error(`another benchmark run (pid ${holder}) has held ${file} for 30 minutes`);
    if (!told) process.stdout.write(`Waiting for another benchmark run (pid ${holder}) to finish…\n`);
    told = true;
    await new Promise((r) => setTimeout(r, 2000));
  }
}

main().then(
  (code) => (process.exitCode = code),
  (err) => {
    process.stderr.write(`bench: ${(err as Error).stack ?? err}\n`);
    process.exitCode = 1;
  },
);
