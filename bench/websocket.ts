// Issue 6 point 2: WebSocket echo round trips (messages/s, p50/p99) to berth/backend:test directly, through Berth's
// proxy and through configurable-http-proxy, for small and 1 MB messages; the client is a separate process.
import { runClient } from './lib/clients.js';
import { cpuSecondsOf } from './lib/hub-process.js';
import type { BenchContext } from './lib/context.js';
import { WS_USER } from './lib/context.js';
import { formatNumber, formatRatio, ratio, unavailable, type BenchResult, type TargetCheck } from './lib/report.js';

type PathName = 'direct' | 'berth' | 'chp';
interface EchoResult { messages: number; seconds: number; messagesPerSec: number; p50: number; p99: number; errors: number }

export async function websocketBench(ctx: BenchContext): Promise<BenchResult> {
  const began = performance.now();
  const f = await ctx.fixture();
  const notes: string[] = [];
  const urls: Partial<Record<PathName, string>> = { direct: `ws://${f.backendIp}:8888/user/${WS_USER}/ws` };
  if (f.hub && f.berthRoutes) urls.berth = `${f.hub.url.replace(/^http/, 'ws')}/user/${WS_USER}/ws`;
  else notes.push(`Berth: not available: ${f.hubProblem ?? 'no server'}`);
  if (f.chp) urls.chp = `${f.chp.url.replace(/^http/, 'ws')}/user/${WS_USER}/ws`;
  else notes.push(`configurable-http-proxy: not available: ${f.chpProblem}`);
  if (!urls.berth && !urls.chp) return { ...unavailable('websocket', notes.join('; ')), notes };

  const seconds = ctx.options.quick ? 2 : 5;
  const cells: { label: string; bytes: number; connections: number }[] = [
    { label: '32 B', bytes: 32, connections: 1 },
    { label: '32 B', bytes: 32, connections: 10 },
    { label: '32 B', bytes: 32, connections: 100 },
    { label: '1 MB', bytes: 1 << 20, connections: 1 },
    { label: '1 MB', bytes: 1 << 20, connections: 10 },
  ];
  const runs: (EchoResult & { path: PathName; bytes: number; connections: number; proxyCpuSeconds: number | null })[] = [];
  for (const cell of cells) {
    for (const path of ['direct', 'berth', 'chp'] as PathName[]) {
      const url = urls[path];
      if (!url) continue;
      try {
        const pid = path === 'berth' ? f.hub?.pid : path === 'chp' ? f.chp?.pid : undefined;
        const cpu0 = pid ? cpuSecondsOf(pid) : NaN;
        const r = await runClient<EchoResult>('ws-client.ts', { mode: 'echo', url, connections: cell.connections, bytes: cell.bytes, seconds });
        const cpu = pid ? cpuSecondsOf(pid) - cpu0 : NaN;
        runs.push({ ...r, path, bytes: cell.bytes, connections: cell.connections, proxyCpuSeconds: Number.isFinite(cpu) ? cpu : null });
        if (r.errors > 0) notes.push(`${path} ${cell.label} c=${cell.connections}: ${r.errors} errors`);
      } catch (err) {
        notes.push(`${path} ${cell.label} c=${cell.connections}: ${(err as Error).message.split('\n')[0]}`);
      }
    }
  }
  const get = (p: PathName, bytes: number, c: number) => runs.find((r) => r.path === p && r.bytes === bytes && r.connections === c);
  // Messages per CPU-second of the proxy process: the proxies' efficiency, robust to other load on the machine.
  const perCpu = (r?: (typeof runs)[number]) => (r && r.proxyCpuSeconds ? r.messages / r.proxyCpuSeconds : null);
  const rows = cells.map((cell) => {
    const [d, b, h] = (['direct', 'berth', 'chp'] as PathName[]).map((p) => get(p, cell.bytes, cell.connections));
    const pct = (r?: EchoResult) => (r && d ? ` (${Math.round((r.messagesPerSec / d.messagesPerSec) * 100)}%)` : '');
    const lat = (r?: EchoResult) => (r ? `${formatNumber(r.p50, 2)} / ${formatNumber(r.p99, 2)}` : '–');
    return [
      cell.label, cell.connections, formatNumber(d?.messagesPerSec, 0),
      b ? `${formatNumber(b.messagesPerSec, 0)}${pct(b)}` : '–',
      h ? `${formatNumber(h.messagesPerSec, 0)}${pct(h)}` : '–',
      formatRatio(ratio(b?.messagesPerSec, h?.messagesPerSec)),
      lat(d), lat(b), lat(h),
      formatRatio(ratio(perCpu(b), perCpu(h))),
    ];
  });
  const targets: TargetCheck[] = [];
  for (const [bytes, c, label] of [[32, 100, '32 B, 100 conns'], [1 << 20, 10, '1 MB, 10 conns']] as const) {
    const [d, b, h] = (['direct', 'berth', 'chp'] as PathName[]).map((p) => get(p, bytes, c));
    const vsChp = ratio(b?.messagesPerSec, h?.messagesPerSec);
    const vsDirect = ratio(b?.messagesPerSec, d?.messagesPerSec);
    const p99 = ratio(b?.p99, d?.p99);
    targets.push(
      { target: `WS ${label}: Berth >= 5× CHP msg/s`, measured: formatRatio(vsChp), met: vsChp === null ? null : vsChp >= 5 },
      { target: `WS ${label}: Berth >= 50% of direct msg/s`, measured: vsDirect === null ? '–' : `${Math.round(vsDirect * 100)}%`, met: vsDirect === null ? null : vsDirect >= 0.5 },
      { target: `WS ${label}: Berth p99 <= 2× direct`, measured: formatRatio(p99), met: p99 === null ? null : p99 <= 2 },
    );
  }
  notes.push(
    `Each connection sends one binary message and waits for its echo before the next (${seconds} s per cell). ` +
      'The echo server is tornado (one Python thread), which bounds every path alike.',
  );
  return {
    name: 'websocket',
    status: urls.berth && urls.chp ? 'ok' : 'partial',
    tables: [{
      title: 'WebSocket echo through each path (messages/s with % of direct; round trip p50 / p99 in ms)',
      columns: ['message', 'conns', 'direct msg/s', 'Berth msg/s', 'CHP msg/s', 'Berth/CHP', 'direct p50/p99', 'Berth p50/p99', 'CHP p50/p99', 'Berth/CHP msgs per proxy CPU-s'],
      rows,
    }],
    targets,
    notes,
    data: { runs },
    seconds: (performance.now() - began) / 1000,
  };
}
