// Issue 6 point 1: HTTP throughput and latency to one nginx container, directly, through Berth's in-process proxy
// (/user/bench/ of a running server) and through configurable-http-proxy, with wrk at 1, 10 and 100 connections.
import { startClient } from './lib/clients.js';
import { cpuSecondsOf } from './lib/hub-process.js';
import type { BenchContext } from './lib/context.js';
import { NGINX_USER } from './lib/context.js';
import { formatNumber, formatRatio, ratio, unavailable, type BenchResult, type TargetCheck } from './lib/report.js';
import { runWrk, type WrkResult } from './lib/wrk.js';

type PathName = 'direct' | 'berth' | 'chp' | 'bare';
const PATHS: PathName[] = ['direct', 'berth', 'chp', 'bare'];

export async function proxyBench(ctx: BenchContext): Promise<BenchResult> {
  const began = performance.now();
  const f = await ctx.fixture();
  const notes: string[] = [];
  const urls: Partial<Record<PathName, string>> = { direct: `http://${f.nginxIp}:8888/user/${NGINX_USER}/` };
  if (f.hub && f.berthRoutes) urls.berth = `${f.hub.url}/user/${NGINX_USER}/`;
  else notes.push(`Berth: not available: ${f.hubProblem ?? 'the hub could not start the nginx server'}`);
  if (f.chp) urls.chp = `${f.chp.url}/user/${NGINX_USER}/`;
  else notes.push(`configurable-http-proxy: not available: ${f.chpProblem}`);
  // A path that does not serve the body (e.g. the hub answers a redirect because no proxy is wired) is not measured.
  for (const path of ['berth', 'chp'] as PathName[]) {
    const url = urls[path];
    if (!url) continue;
    const problem = await checkBody(url + '1k', 1024);
    if (problem) {
      notes.push(`${path === 'berth' ? 'Berth' : 'configurable-http-proxy'}: not available: ${problem}`);
      delete urls[path];
    }
  }
  if (!urls.berth && !urls.chp) return { ...unavailable('proxy', notes.join('; ')), notes };

  // What node:http alone gives a proxy (no library, no routing): the floor Berth's fast lane has to beat.
  const bare = startClient<{ port: number }>('bare-proxy.ts', { target: `http://${f.nginxIp}:8888` });
  try {
    urls.bare = `http://127.0.0.1:${(await bare.ready).port}/user/${NGINX_USER}/`;
    return await measure();
  } finally {
    await bare.finish();
  }

  async function measure(): Promise<BenchResult> {
    const seconds = ctx.options.quick ? 2 : 5;
    const bodies = ['1k', '1m'];
    const connections = [1, 10, 100];
    const repeat = ctx.options.repeat;
    const all: (WrkResult & { path: PathName; body: string; round: number; proxyCpuSeconds: number | null })[] = [];
    // CPU used by the proxy process during the run: requests per proxy CPU-second compares the proxies' efficiency
    // even when other work on the machine takes cores away from all of them.
    const pids: Partial<Record<PathName, number>> = { berth: f.hub?.pid, chp: f.chp?.pid, bare: bare.pid };
    for (const body of bodies) {
      for (const c of connections) {
        // Paths alternate within each cell (and rounds within a cell) so drift of the machine hits all three alike.
        for (let round = 0; round < repeat; round++) {
          for (const path of PATHS) {
            const base = urls[path];
            if (!base) continue;
            await runWrk(base + body, c, 1).catch(() => undefined); // warm keep-alive pools and JIT
            try {
              const pid = pids[path];
              const cpu0 = pid ? cpuSecondsOf(pid) : NaN;
              const r = await runWrk(base + body, c, seconds);
              const cpu = pid ? cpuSecondsOf(pid) - cpu0 : NaN;
              all.push({ ...r, path, body, round, proxyCpuSeconds: Number.isFinite(cpu) ? cpu : null });
              if (r.errors > 0) notes.push(`${path} ${body} c=${c}: ${r.errors} errors or non-2xx answers`);
            } catch (err) {
              notes.push(`${path} ${body} c=${c}: wrk failed: ${(err as Error).message.split('\n')[0]}`);
            }
          }
        }
      }
    }
    // With --repeat N, each cell reports the round with the median throughput.
    const runs: (typeof all)[number][] = [];
    for (const body of bodies) {
      for (const c of connections) {
        for (const path of PATHS) {
          const rounds = all.filter((r) => r.path === path && r.body === body && r.connections === c).sort((a, b) => a.requestsPerSec - b.requestsPerSec);
          if (rounds.length) runs.push(rounds[Math.floor((rounds.length - 1) / 2)]);
        }
      }
    }

    const get = (path: PathName, body: string, c: number) => runs.find((r) => r.path === path && r.body === body && r.connections === c);
    const rows = [];
    for (const body of bodies) {
      for (const c of connections) {
        const [d, b, h, n] = PATHS.map((p) => get(p, body, c));
        const pct = (r?: WrkResult) => (r && d ? ` (${Math.round((r.requestsPerSec / d.requestsPerSec) * 100)}%)${flag(r)}` : '');
        // More than 1% failed answers makes a cell meaningless; it is marked rather than hidden.
        const flag = (r?: WrkResult) => (r && r.errors > r.requests * 0.01 ? ' ⚠' : '');
        const lat = (r?: WrkResult) => (r ? `${formatNumber(r.p50, 2)} / ${formatNumber(r.p99, 2)}` : '–');
        rows.push([
          body === '1k' ? '1 KB' : '1 MB', c,
          `${formatNumber(d?.requestsPerSec, 0)}${flag(d)}`,
          b ? `${formatNumber(b.requestsPerSec, 0)}${pct(b)}` : '–',
          h ? `${formatNumber(h.requestsPerSec, 0)}${pct(h)}` : '–',
          formatRatio(ratio(b?.requestsPerSec, h?.requestsPerSec)),
          lat(d), lat(b), lat(h),
          formatRatio(ratio(b?.p99, d?.p99)),
          n ? `${formatNumber(n.requestsPerSec, 0)}${pct(n)}` : '–',
        ]);
      }
    }

    const perCpu = (r?: (typeof all)[number]) => (r && r.proxyCpuSeconds ? r.requests / r.proxyCpuSeconds : null);
    const busy = (r?: (typeof all)[number]) => (r && r.proxyCpuSeconds !== null ? ` (${Math.round((r.proxyCpuSeconds / r.seconds) * 100)}% of a core)` : '');
    const cpuRows = [];
    for (const body of bodies) {
      for (const c of connections) {
        const [b, h, n] = (['berth', 'chp', 'bare'] as PathName[]).map((p) => get(p, body, c));
        cpuRows.push([
          body === '1k' ? '1 KB' : '1 MB', c,
          `${formatNumber(perCpu(b), 0)}${busy(b)}`, `${formatNumber(perCpu(h), 0)}${busy(h)}`, `${formatNumber(perCpu(n), 0)}${busy(n)}`,
          formatRatio(ratio(perCpu(b), perCpu(h))),
        ]);
      }
    }

    const targets: TargetCheck[] = [];
    for (const body of bodies) {
      const [d, b, h] = (['direct', 'berth', 'chp'] as PathName[]).map((p) => get(p, body, 100));
      const size = body === '1k' ? '1 KB' : '1 MB';
      const vsChp = ratio(b?.requestsPerSec, h?.requestsPerSec);
      const vsDirect = ratio(b?.requestsPerSec, d?.requestsPerSec);
      const p99 = ratio(b?.p99, d?.p99);
      targets.push(
        { target: `${size}, 100 conns: Berth >= 5× CHP req/s`, measured: formatRatio(vsChp), met: vsChp === null ? null : vsChp >= 5 },
        { target: `${size}, 100 conns: Berth >= 50% of direct req/s`, measured: vsDirect === null ? '–' : `${Math.round(vsDirect * 100)}%`, met: vsDirect === null ? null : vsDirect >= 0.5 },
        { target: `${size}, 100 conns: Berth p99 <= 2× direct p99`, measured: p99 === null ? '–' : `${formatNumber(b?.p99, 2)} ms = ${formatRatio(p99)}`, met: p99 === null ? null : p99 <= 2 },
      );
    }
    if (runs.some((r) => r.errors > r.requests * 0.01)) notes.push('⚠ = more than 1% of the answers were errors or not 2xx/3xx: that cell is not a valid measurement.');
    notes.push(
      'bare Node proxy = node:http server → keep-alive http.request → pipe (bench/clients/bare-proxy.ts): what a node:http proxy with no library or routing reaches here; not a Berth path.',
      `wrk -t2 --latency, ${seconds} s per cell after a 1 s warm-up${repeat > 1 ? `, median of ${repeat} rounds` : ''}; load generator, proxies and nginx (2 workers) share the same ${'cores'}.`,
      `Proxies: Berth ${f.hub ? `hub pid ${f.hub.pid}` : '—'}; configurable-http-proxy ${f.chp?.version ?? '—'} (node ${process.version}).`,
    );
    const rss = { berthHubBytes: f.hub?.rssBytes() ?? null, chpBytes: f.chp?.rssBytes() ?? null };
    return {
      name: 'proxy',
      status: urls.berth && urls.chp ? 'ok' : 'partial',
      tables: [{
        title: 'HTTP through each path (wrk; req/s with % of direct; latency p50 / p99 in ms)',
        columns: ['body', 'conns', 'direct req/s', 'Berth req/s', 'CHP req/s', 'Berth/CHP', 'direct p50/p99', 'Berth p50/p99', 'CHP p50/p99', 'Berth p99 / direct p99', 'bare Node proxy req/s'],
        rows,
      }, {
        title: 'Requests per CPU-second of the proxy process (and how busy it was); robust to other load on the machine',
        columns: ['body', 'conns', 'Berth hub', 'CHP', 'bare Node proxy', 'Berth/CHP'],
        rows: cpuRows,
      }],
      targets,
      notes,
      data: { runs, rounds: all, rssAfter: rss },
      seconds: (performance.now() - began) / 1000,
    };
  }
}

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
