// Issues 6 and 16: HTTP throughput and latency to one nginx container, directly, through Berth's proxy
// (/user/bench/ of a running server), through nginx as a one-worker reverse proxy, through configurable-http-proxy
// and through a bare node:http proxy, with the same wrk settings for every path at 1, 10 and 100 connections.
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { startClient } from './lib/clients.js';
import { cpuSecondsOf } from './lib/hub-process.js';
import type { BenchContext } from './lib/context.js';
import { NGINX_USER } from './lib/context.js';
import { startNginxProxy, type NginxProxy } from './lib/nginx-proxy.js';
import { formatNumber, formatRatio, ratio, unavailable, type BenchResult, type TargetCheck } from './lib/report.js';
import { busyShares, readCpuTimes } from './lib/cpu-busy.js';
import { median, medianOfRounds, pairedRatio, sumOrNull, type RoundResult } from './lib/rounds.js';
import { runWrk, type WrkResult } from './lib/wrk.js';

type PathName = 'direct' | 'berth' | 'nginx' | 'chp' | 'bare';
const PATHS: PathName[] = ['direct', 'berth', 'nginx', 'chp', 'bare'];
const NAMES: Record<PathName, string> = {
  direct: 'direct', berth: 'Berth', nginx: 'nginx (1 worker)', chp: 'configurable-http-proxy', bare: 'bare Node proxy',
};

/**
 * wrk's settings, the same for every path. One thread: wrk competes with the proxy and the target for the same
 * cores, and a second wrk thread takes CPU from whichever proxy is measured (issue 16's figures were taken so).
 */
export const WRK = { threads: 1, seconds: 5, quickSeconds: 2, warmupSeconds: 1, timeoutSeconds: 10 };

type Run = WrkResult & { path: PathName; body: string; round: number; proxyCpuSeconds: number | null; cpuBusy: number[] };

export async function proxyBench(ctx: BenchContext): Promise<BenchResult> {
  const began = performance.now();
  const f = await ctx.fixture();
  const notes: string[] = [];
  const urls: Partial<Record<PathName, string>> = { direct: `http://${f.nginxIp}:8888/user/${NGINX_USER}/` };
  if (f.hub && f.berthRoutes) urls.berth = `${f.hub.url}/user/${NGINX_USER}/`;
  else notes.push(`Berth: not available: ${f.hubProblem ?? 'the hub could not start the nginx server'}`);
  if (f.chp) urls.chp = `${f.chp.url}/user/${NGINX_USER}/`;
  else notes.push(`configurable-http-proxy: not available: ${f.chpProblem}`);

  let nginx: NginxProxy | null = null;
  try {
    nginx = await startNginxProxy(ctx.docker, `${f.nginxIp}:8888`, `/user/${NGINX_USER}/1k`);
    urls.nginx = `${nginx.url}/user/${NGINX_USER}/`;
  } catch (err) {
    notes.push(`nginx (1 worker): not available: ${(err as Error).message.split('\n')[0]}`);
  }
  try {
    // A path that does not serve the body (e.g. the hub answers a redirect because no proxy is wired) is not measured.
    for (const path of ['berth', 'nginx', 'chp'] as PathName[]) {
      const url = urls[path];
      if (!url) continue;
      const problem = await checkBody(url + '1k', 1024);
      if (problem) {
        notes.push(`${NAMES[path]}: not available: ${problem}`);
        delete urls[path];
      }
    }
    if (!urls.berth && !urls.chp && !urls.nginx) return { ...unavailable('proxy', notes.join('; ')), notes };

    // What node:http alone gives a proxy (no library, no routing): the floor Berth's fast lane has to beat.
    const bare = startClient<{ port: number }>('bare-proxy.ts', { target: `http://${f.nginxIp}:8888` });
    try {
      urls.bare = `http://127.0.0.1:${(await bare.ready).port}/user/${NGINX_USER}/`;
      // CPU used by each proxy during a cell: requests per proxy CPU-second compares the proxies' efficiency even
      // when other work on the machine takes cores away from all of them.
      const cpu: Partial<Record<PathName, () => Promise<number>>> = {};
      if (f.hub) cpu.berth = async () => cpuSecondsOf(f.hub!.pid);
      if (f.chp) cpu.chp = async () => cpuSecondsOf(f.chp!.pid);
      if (nginx) cpu.nginx = nginx.cpuSeconds;
      cpu.bare = async () => cpuSecondsOf(bare.pid);
      return await measure(cpu, nginx);
    } finally {
      await bare.finish();
    }
  } finally {
    await nginx?.stop();
  }

  async function measure(cpu: Partial<Record<PathName, () => Promise<number>>>, nginx: NginxProxy | null): Promise<BenchResult> {
    const seconds = ctx.options.quick ? WRK.quickSeconds : WRK.seconds;
    const bodies = ctx.options.bodies;
    const connections = [1, 10, 100];
    const repeat = ctx.options.repeat;
    const wrk = (url: string, c: number, s: number) => runWrk(url, c, s, WRK.threads, WRK.timeoutSeconds);
    const all: Run[] = [];
    for (const body of bodies) {
      for (const c of connections) {
        // Paths alternate within each cell (and rounds within a cell) so drift of the machine hits all of them alike.
        for (let round = 0; round < repeat; round++) {
          for (const path of PATHS) {
            const base = urls[path];
            if (!base) continue;
            await wrk(base + body, c, WRK.warmupSeconds).catch(() => undefined); // warm keep-alive pools and JIT
            try {
              const used = cpu[path];
              const cpu0 = used ? await used().catch(() => NaN) : NaN;
              const times = readCpuTimes(readFileSync('/proc/stat', 'utf8'));
              const r = await wrk(base + body, c, seconds);
              const cpuBusy = busyShares(times, readCpuTimes(readFileSync('/proc/stat', 'utf8')));
              const spent = used ? (await used().catch(() => NaN)) - cpu0 : NaN;
              all.push({ ...r, path, body, round, proxyCpuSeconds: Number.isFinite(spent) ? spent : null, cpuBusy });
              if (r.errors > 0) notes.push(`${path} ${body} c=${c}: ${r.errors} errors or non-2xx answers`);
            } catch (err) {
              notes.push(`${path} ${body} c=${c}: wrk failed: ${(err as Error).message.split('\n')[0]}`);
            }
          }
        }
      }
    }
    // Each cell is shown as the median of its rounds (req/s, p50 and p99 each their own median); the targets compare
    // paths round by round (bench/lib/rounds.ts), since paths in one round saw the same moment of the machine.
    const roundsOf: Rounds = (path, body, c) => all.filter((r) => r.path === path && r.body === body && r.connections === c);
    const runs: Run[] = [];
    for (const body of bodies) {
      for (const c of connections) {
        for (const path of PATHS) {
          const rounds = roundsOf(path, body, c) as Run[];
          if (rounds.length) {
            runs.push({
              ...medianOfRounds(rounds), path, body, round: -1, proxyCpuSeconds: sumOrNull(rounds.map((r) => r.proxyCpuSeconds)),
              cpuBusy: rounds[0]!.cpuBusy.map((_, i) => median(rounds.map((r) => r.cpuBusy[i] ?? NaN))),
            });
          }
        }
      }
    }
    const get = (path: PathName, body: string, c: number) => runs.find((r) => r.path === path && r.body === body && r.connections === c);

    const size = (body: string) => (body === '1k' ? '1 KB' : '1 MB');
    const throughput = [];
    const latency = [];
    const perCpuRows = [];
    const busyRows = [];
    const busyOf = (r?: Run) => (r ? r.cpuBusy.map((share) => `${Math.round(share * 100)}%`).join(' / ') : '–');
    const perCpu = (r?: Run) => (r && r.proxyCpuSeconds ? r.requests / r.proxyCpuSeconds : null);
    const busy = (r?: Run) => (r && r.proxyCpuSeconds !== null ? ` (${Math.round((r.proxyCpuSeconds / r.seconds) * 100)}% of a core)` : '');
    const lat = (r?: WrkResult) => (r ? `${formatNumber(r.p50, 2)} / ${formatNumber(r.p99, 2)}${flag(r)}` : '–');
    for (const body of bodies) {
      for (const c of connections) {
        const [d, b, n, h, bare] = PATHS.map((p) => get(p, body, c));
        const pct = (r?: WrkResult) => (r ? `${formatNumber(r.requestsPerSec, 0)}${d ? ` (${Math.round((r.requestsPerSec / d.requestsPerSec) * 100)}%)` : ''}${flag(r)}` : '–');
        throughput.push([
          size(body), c, d ? `${formatNumber(d.requestsPerSec, 0)}${flag(d)}` : '–', pct(b), pct(n), pct(h), pct(bare),
          formatRatio(ratio(b?.requestsPerSec, n?.requestsPerSec)), formatRatio(ratio(b?.requestsPerSec, h?.requestsPerSec)),
          formatRatio(ratio(b?.requestsPerSec, d?.requestsPerSec)),
        ]);
        latency.push([
          size(body), c, lat(d), lat(b), lat(n), lat(h), lat(bare),
          formatRatio(ratio(b?.p99, n?.p99)), formatRatio(ratio(b?.p99, d?.p99)),
        ]);
        perCpuRows.push([
          size(body), c, ...[b, n, h, bare].map((r) => `${formatNumber(perCpu(r), 0)}${busy(r)}`),
          formatRatio(ratio(perCpu(b), perCpu(n))), formatRatio(ratio(perCpu(b), perCpu(h))),
        ]);
        busyRows.push([size(body), c, ...[d, b, n, h, bare].map(busyOf)]);
      }
    }

    // The spread between rounds, beside the medians above: how far one round could be from the figure reported.
    const range = (values: number[], digits: number) =>
      values.length < 2 ? '–' : `${formatNumber(Math.min(...values), digits)}–${formatNumber(Math.max(...values), digits)}`;
    const spreadRows = [];
    for (const body of bodies) {
      for (const c of connections) {
        const spread = (path: PathName) => {
          const rounds = roundsOf(path, body, c);
          return rounds.length < 2 ? '–' : `${range(rounds.map((r) => r.requestsPerSec), 0)} / ${range(rounds.map((r) => r.p99), 1)}`;
        };
        const ratios = (other: PathName, pick: (r: WrkResult) => number) => {
          const paired = pairedRatio(roundsOf('berth', body, c), roundsOf(other, body, c), pick);
          return paired.rounds < 2 ? '–' : `${formatRatio(paired.min)}–${formatRatio(paired.max)}`;
        };
        spreadRows.push([
          size(body), c, ...PATHS.map(spread),
          ratios('nginx', (r) => r.requestsPerSec), ratios('direct', (r) => r.requestsPerSec), ratios('nginx', (r) => r.p99), ratios('direct', (r) => r.p99),
        ]);
      }
    }
    if (runs.some(invalid)) notes.push('⚠ = more than 1% of the answers were errors or not 2xx/3xx: that cell is not a valid measurement, and a target that uses it says n/a.');
    notes.push(
      'nginx (1 worker) = nginx-light as a reverse proxy, worker_processes 1, upstream keepalive, HTTP/1.1, proxy_buffering off (images/nginx-proxy/nginx.conf; why each setting: bench/README.md).',
      'bare Node proxy = node:http server → keep-alive http.request → pipe (bench/clients/bare-proxy.ts): what a node:http proxy with no library or routing reaches here; not a Berth path.',
      `wrk -t${WRK.threads} --latency --timeout ${WRK.timeoutSeconds}s for every path, ${seconds} s per cell after a ${WRK.warmupSeconds} s warm-up${repeat > 1 ? `, ${repeat} rounds with the paths in turn: each figure is the median of its rounds, and targets take the median of the per-round ratios` : ''}; the target is nginx with 2 workers.`,
      `CPUs: ${sharing(os.cpus().length)}; not pinned (pinning each proxy to a CPU of its own was measured and was not steadier: bench/README.md).`,
      `Proxies: Berth ${f.hub ? `hub pid ${f.hub.pid}, ${threadsOf(f.hub.proxyThreads)} (CPU: the whole process)` : '—'}; ${nginx?.version ?? 'nginx —'}, 1 worker (CPU: its container's cgroup); configurable-http-proxy ${f.chp?.version ?? '—'} (node ${process.version}).`,
    );
    const rss = { berthHubBytes: f.hub?.rssBytes() ?? null, chpBytes: f.chp?.rssBytes() ?? null };
    return {
      name: 'proxy',
      status: urls.berth && urls.chp && urls.nginx ? 'ok' : 'partial',
      tables: [{
        title: 'Throughput through each path (wrk; req/s, with % of direct)',
        columns: ['body', 'conns', 'direct', 'Berth', 'nginx (1 worker)', 'CHP', 'bare Node proxy', 'Berth/nginx', 'Berth/CHP', 'Berth/direct'],
        rows: throughput,
      }, {
        title: 'Latency through each path (wrk; p50 / p99 in ms)',
        columns: ['body', 'conns', 'direct', 'Berth', 'nginx (1 worker)', 'CHP', 'bare Node proxy', 'Berth p99 / nginx p99', 'Berth p99 / direct p99'],
        rows: latency,
      }, {
        title: 'Requests per CPU-second of the proxy (and how busy it was); robust to other load on the machine',
        columns: ['body', 'conns', 'Berth hub', 'nginx (1 worker)', 'CHP', 'bare Node proxy', 'Berth/nginx', 'Berth/CHP'],
        rows: perCpuRows,
      }, {
        title: `How busy each CPU was during each path's cell (CPU 0 / CPU 1…, median of rounds): a CPU near 100% is the limit`,
        columns: ['body', 'conns', ...PATHS.map((p) => NAMES[p])],
        rows: busyRows,
      }, ...(repeat > 1 ? [{
        title: `Spread over the ${repeat} rounds (lowest–highest): req/s / p99 ms of each path, and Berth's per-round ratios`,
        columns: ['body', 'conns', ...PATHS.map((p) => NAMES[p]), 'Berth/nginx req/s', 'Berth/direct req/s', 'Berth/nginx p99', 'Berth/direct p99'],
        rows: spreadRows,
      }] : [])],
      targets: proxyTargets(roundsOf, { berthThreads: f.hub?.proxyThreads, cpus: os.cpus().length }),
      notes,
      data: { runs, rounds: all, rssAfter: rss, wrk: WRK },
      seconds: (performance.now() - began) / 1000,
    };
  }
}

/** Every round of a cell, in any order (each tagged with its round). */
type Rounds = (path: PathName, body: string, connections: number) => RoundResult[];

/** More than 1% failed answers makes a cell meaningless; it is marked rather than hidden. */
const invalid = (r: WrkResult) => r.errors > r.requests * 0.01;
const flag = (r: WrkResult) => (invalid(r) ? ' ⚠' : '');

/**
 * Issue 16's proxy targets (points 2 and 3), and issue 6's one that still says something (Berth against
 * JupyterHub's default proxy). Issue 6's "1 KB ≥ 50% of direct, p99 ≤ 2× direct" gave way to nginx parity: a proxy
 * is measured against the best proxy on the same core, not against no proxy at all. Each is judged on the median of
 * its per-round ratios (bench/lib/rounds.ts), with their spread beside it. A target whose cells are missing or
 * invalid (more than 1% errors over the rounds) is n/a, never met.
 */
export function proxyTargets(roundsOf: Rounds, setup: PointTwoSetup): TargetCheck[] {
  const compared = comparedOn(setup);
  const targets: TargetCheck[] = [];
  const ms = (r?: WrkResult) => `${formatNumber(r?.p99, 2)}${r && invalid(r) ? ' ⚠' : ''}`;
  const rps = (r?: WrkResult) => `${formatNumber(r?.requestsPerSec, 0)}${r && invalid(r) ? ' ⚠' : ''}`;
  /** `a` against `b` in one cell: the median rounds of each, and the per-round ratio of `pick`. */
  const compare = (a: PathName, b: PathName, body: string, c: number, pick: (r: WrkResult) => number) => {
    const [ra, rb] = [roundsOf(a, body, c), roundsOf(b, body, c)];
    const [x, y] = [ra, rb].map((rounds) => (rounds.length ? medianOfRounds(rounds) : undefined));
    const paired = pairedRatio(ra, rb, pick);
    const valid = x !== undefined && y !== undefined && !invalid(x) && !invalid(y) && paired.median !== null;
    const judge = (met: (ratio: number) => boolean) => (valid ? met(paired.median!) : null);
    const spread = (format: (ratio: number) => string) =>
      paired.rounds > 1 ? `; median of ${paired.rounds} rounds, ${format(paired.min!)}–${format(paired.max!)}` : '';
    return { x, y, ratio: paired.median, judge, spread };
  };
  const times = (ratio: number) => formatRatio(ratio);
  const percent = (ratio: number) => `${(ratio * 100).toFixed(1)}%`;
  for (const c of [1, 10, 100]) {
    const conns = `${c} conn${c === 1 ? '' : 's'}`;
    const rate = compare('berth', 'nginx', '1k', c, (r) => r.requestsPerSec);
    const tail = compare('berth', 'nginx', '1k', c, (r) => r.p99);
    targets.push(
      {
        target: `1 KB, ${conns}: Berth req/s >= nginx req/s (${compared})`, issue: 16, point: 2,
        measured: `${rps(rate.x)} vs ${rps(rate.y)} (${formatRatio(rate.ratio)}${rate.spread(times)})`,
        met: rate.judge((ratio) => ratio >= 1),
      },
      {
        target: `1 KB, ${conns}: Berth p99 <= nginx p99 (${compared})`, issue: 16, point: 2,
        measured: `${ms(tail.x)} vs ${ms(tail.y)} ms (${formatRatio(tail.ratio)}${tail.spread(times)})`,
        met: tail.judge((ratio) => ratio <= 1),
      },
    );
  }
  const share = compare('berth', 'direct', '1m', 100, (r) => r.requestsPerSec);
  const tail = compare('berth', 'direct', '1m', 100, (r) => r.p99);
  targets.push(
    {
      target: '1 MB, 100 conns: Berth >= 50% of direct req/s', issue: 16, point: 3,
      // One decimal: a rounded "50%" next to "no" would read as a contradiction.
      measured: `${rps(share.x)} vs ${rps(share.y)} (${share.ratio === null ? '–' : percent(share.ratio)}${share.spread(percent)})`,
      met: share.judge((ratio) => ratio >= 0.5),
    },
    {
      target: '1 MB, 100 conns: Berth p99 <= 2× direct p99', issue: 16, point: 3,
      measured: `${ms(tail.x)} vs ${ms(tail.y)} ms (${formatRatio(tail.ratio)}${tail.spread(times)})`,
      met: tail.judge((ratio) => ratio <= 2),
    },
  );
  const chp = compare('berth', 'chp', '1k', 100, (r) => r.requestsPerSec);
  targets.push({
    target: '1 KB, 100 conns: Berth >= 5× configurable-http-proxy req/s', issue: 6, point: 1,
    measured: `${rps(chp.x)} vs ${rps(chp.y)} (${formatRatio(chp.ratio)}${chp.spread(times)})`,
    met: chp.judge((ratio) => ratio >= 5),
  });
  return targets;
}

/** What point 2's cells compared: Berth's proxy threads (undefined: the hub's default) on a machine of `cpus` CPUs. */
export interface PointTwoSetup {
  berthThreads: number | undefined;
  cpus: number;
}

/** "Berth 1 proxy thread vs nginx 1 worker, sharing 2 CPUs with wrk and the target", as point 2's target lines say it. */
export function comparedOn({ berthThreads, cpus }: PointTwoSetup): string {
  return `Berth ${threadsOf(berthThreads)} vs nginx 1 worker, ${sharing(cpus)}`;
}

const sharing = (cpus: number) => `sharing ${cpus} CPU${cpus === 1 ? '' : 's'} with wrk and the target`;

const threadsOf = (threads: number | undefined) =>
  threads === undefined ? 'one proxy thread per core' : `${threads} proxy thread${threads === 1 ? '' : 's'}`;

/** Null when `url` answers 200 with `bytes` bytes; otherwise what it did instead. */
export async function checkBody(url: string, bytes: number): Promise<string | null> {
  try {
    const res = await fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(5000) });
    const body = await res.arrayBuffer();
    if (res.status !== 200) return `GET ${url} answered ${res.status}${res.headers.get('location') ? ` → ${res.headers.get('location')}` : ''}`;
    if (body.byteLength !== bytes) return `GET ${url} answered ${body.byteLength} bytes, not ${bytes}`;
    return null;
  } catch (err) {
    return `GET ${url} failed: ${(err as Error).message}`;
  }
}
