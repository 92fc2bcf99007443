// Issue 6 point 6: hub RSS idle, per running server (20 started, scaled to 100), and per 1,000 open proxied
// WebSockets, with configurable-http-proxy's RSS for the same 1,000 WebSockets next to it.
import { startClient } from './lib/clients.js';
import type { BenchContext } from './lib/context.js';
import { BACKEND_IMAGE } from './lib/context.js';
import { startChp, type ChpProcess } from './lib/chp.js';
import { sleep } from './lib/docker.js';
import { startHub, startServer, type HubProcess } from './lib/hub-process.js';
import { formatNumber, unavailable, type BenchResult, type TargetCheck } from './lib/report.js';
import { containerIpOf } from './lib/context.js';

const MB = 2 ** 20;

export async function memoryBench(ctx: BenchContext): Promise<BenchResult> {
  const began = performance.now();
  const servers = ctx.options.quick ? 5 : 20;
  const sockets = 1000;
  const notes: string[] = [];
  const rows: (string | number)[][] = [];
  const targets: TargetCheck[] = [];
  const data: Record<string, unknown> = {};
  let hub: HubProcess | null = null;
  const network = await ctx.docker.createNetwork();
  let chp: ChpProcess | null = null;
  try {
    hub = await startHub({ build: ctx.build, network, images: { backend: BACKEND_IMAGE }, defaultImage: BACKEND_IMAGE });
    // Start-up garbage is collected some seconds after the first requests: idle is the lowest reading of the
    // first 20 s, and the reading 2 s after start is shown beside it.
    await sleep(2000);
    const early = hub.rssBytes();
    let idle = early;
    for (let i = 0; i < 9; i++) {
      await sleep(2000);
      idle = Math.min(idle, hub.rssBytes());
    }
    rows.push(['hub RSS 2 s after start', `${formatNumber(early / MB, 1)} MB`]);
    rows.push(['hub RSS, idle (no users; lowest of the first 20 s)', `${formatNumber(idle / MB, 1)} MB`]);
    targets.push({ target: 'hub RSS idle < 100 MB', measured: `${formatNumber(idle / MB, 0)} MB`, met: idle < 100 * MB });
    data.idleBytes = idle;

    // The first starts load code and fill caches once; the per-server cost is measured over the starts after them.
    const warm = ctx.options.quick ? 2 : 5;
    let started = 0;
    let afterWarm = idle;
    try {
      for (let i = 0, n = 0; i < warm + servers; i += n) {
        n = Math.min(5, warm + servers - i, i < warm ? warm - i : 5);
        await Promise.all(Array.from({ length: n }, (_, j) => startServer(hub!, `mem${i + j}`, 120_000).then(() => started++)));
        if (i + n === warm) {
          await sleep(2000);
          afterWarm = hub.rssBytes();
          rows.push([`hub RSS with ${warm} running servers (warm-up)`, `${formatNumber(afterWarm / MB, 1)} MB`]);
        }
      }
    } catch (err) {
      notes.push(`running servers: not available: ${(err as Error).message.split('\n')[0]}`);
    }
    await sleep(2000);
    const withServers = hub.rssBytes();
    data.withServersBytes = withServers;
    if (started > warm) {
      const per100 = ((withServers - afterWarm) / (started - warm)) * 100;
      rows.push([`hub RSS with ${started} running servers`, `${formatNumber(withServers / MB, 1)} MB`]);
      // Without a forced GC in the hub, a small per-server cost can vanish in garbage collected meanwhile.
      rows.push([`hub RSS per 100 running servers (from the last ${started - warm}, extrapolated)`,
        per100 > 0 ? `${formatNumber(per100 / MB, 1)} MB` : `none measurable (RSS changed ${formatNumber((withServers - afterWarm) / MB, 1)} MB: GC noise)`]);
      data.per100ServersBytes = per100;
    }

    if (started === 0) return done('partial');
    const backendIp = await containerIpOf(ctx.docker, 'mem0', network);
    chp = await startChp().catch((err) => {
      notes.push(`configurable-http-proxy: not available: ${(err as Error).message.split('\n')[0]}`);
      return null;
    });
    await chp?.addRoute('/user/mem0', `http://${backendIp}:8888`);
    const paths: [string, string, () => number][] = [[`Berth hub`, `${hub.url.replace(/^http/, 'ws')}/user/mem0/ws`, () => hub!.rssBytes()]];
    if (chp) paths.push(['configurable-http-proxy', `${chp.url.replace(/^http/, 'ws')}/user/mem0/ws`, () => chp!.rssBytes()]);
    for (const [label, url, rss] of paths) {
      const before = rss();
      const holder = startClient<{ open: number; failed: number }>('ws-client.ts', { mode: 'hold', url, connections: sockets, bytes: 0, seconds: 0 });
      try {
        const opened = await holder.ready;
        if (opened.open === 0) throw new Error(`none of ${sockets} WebSockets opened through ${url}`);
        await sleep(2000);
        const after = rss();
        rows.push([`${label} RSS per ${opened.open} open proxied WebSockets${opened.failed ? ` (${opened.failed} failed to open)` : ''}`,
          `${formatNumber((after - before) / MB, 1)} MB (${formatNumber(before / MB, 0)} → ${formatNumber(after / MB, 0)} MB)`]);
        data[`${label} websockets`] = { before, after, ...opened };
      } catch (err) {
        notes.push(`${label} WebSockets: not available: ${(err as Error).message.split('\n')[0]}`);
      } finally {
        await holder.finish();
      }
    }
    return done('ok');
  } catch (err) {
    notes.push(`not available: ${(err as Error).message.split('\n')[0]}`);
    return rows.length ? done('partial') : { ...unavailable('memory', (err as Error).message.split('\n')[0]), notes };
  } finally {
    await chp?.stop();
    await hub?.stop();
    await ctx.docker.removeUsers((name) => /^mem\d+$/.test(name));
  }

  function done(status: BenchResult['status']): BenchResult {
    notes.push('RSS from /proc/<pid>/status (VmRSS), read 2 s after each later step; no forced GC, so it includes garbage not yet collected. The hub process has two V8 isolates (main and proxy thread).');
    return {
      name: 'memory', status, targets, notes, data,
      tables: [{ title: 'Memory', columns: ['measure', 'result'], rows }],
      seconds: (performance.now() - began) / 1000,
    };
  }
}
