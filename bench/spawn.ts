// Issue 6 point 4: POST /hub/api/users/<name>/server → ready, for one user and for 20 at once, next to a raw
// Docker create + start + HTTP-ready of the same image measured in the same run (alternating, same network).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { BenchContext } from './lib/context.js';
import { NGINX_IMAGE } from './lib/context.js';
import { BENCH_LABELS, sleep } from './lib/docker.js';
import { startHub, startServer, stopServer, type HubProcess } from './lib/hub-process.js';
import { formatNumber, unavailable, type BenchResult } from './lib/report.js';

const run = promisify(execFile);

export async function spawnBench(ctx: BenchContext): Promise<BenchResult> {
  const began = performance.now();
  const { docker } = ctx;
  const notes: string[] = [];
  let hub: HubProcess;
  const network = await docker.createNetwork();
  try {
    hub = await startHub({ build: ctx.build, network, images: { nginx: NGINX_IMAGE }, defaultImage: NGINX_IMAGE });
  } catch (err) {
    return unavailable('spawn', (err as Error).message.split('\n')[0]);
  }
  try {
    const singles = ctx.options.quick ? 3 : 10;
    const raw: number[] = [];
    const cli: number[] = [];
    const berth: number[] = [];
    let berthProblem: string | null = null;
    // One untimed start of each kind first: the first container on a fresh network pays for set-up.
    await rawStart(ctx, network, 'warm').then((r) => docker.remove(r.id));
    await startServer(hub, 'spawnwarm').catch((err) => (berthProblem = (err as Error).message.split('\n')[0]));
    // The three kinds take turns in a rotating order, with a pause after each removal so Docker's clean-up of
    // the previous container never lands inside the next measurement.
    const kinds = ['raw', 'cli', 'berth'] as const;
    for (let i = 0; i < singles; i++) {
      for (let k = 0; k < kinds.length; k++) {
        const kind = kinds[(i + k) % kinds.length];
        if (kind === 'raw') {
          const r = await rawStart(ctx, network, `single${i}`);
          raw.push(r.ms);
          await docker.remove(r.id);
        } else if (kind === 'cli') {
          const c = await cliStart(ctx, network, `cli${i}`);
          cli.push(c.ms);
          await docker.remove(c.id);
        } else if (berthProblem === null) {
          try {
            berth.push(await startServer(hub, `spawn${i}`));
            await hub.api('DELETE', `/users/spawn${i}/server`);
          } catch (err) {
            berthProblem = (err as Error).message.split('\n')[0];
          }
        }
        await sleep(500);
      }
    }

    // Bursts alternate over rounds (raw first, then Berth first, …) with pauses after clean-up, and each figure is the
    // median over rounds: one burst alone swings by hundreds of ms with whatever else the machine does.
    const burst = 20;
    const rounds = ctx.options.quick ? 1 : 3;
    const rawSlowest: number[] = [];
    const rawMedians: number[] = [];
    const berthSlowest: number[] = [];
    const berthMedians: number[] = [];
    const rawBursts: number[][] = [];
    const berthBursts: number[][] = [];
    if (berthProblem === null) await Promise.all(Array.from({ length: burst }, (_, i) => hub.api('POST', `/users/burst${i}`)));
    for (let round = 0; round < rounds; round++) {
      for (const kind of round % 2 === 0 ? (['raw', 'berth'] as const) : (['berth', 'raw'] as const)) {
        if (kind === 'raw') {
          const t0 = performance.now();
          const started = await Promise.all(Array.from({ length: burst }, (_, i) => rawStart(ctx, network, `burst${round}x${i}`)));
          rawSlowest.push(performance.now() - t0);
          rawMedians.push(median(started.map((r) => r.ms)));
          rawBursts.push(started.map((r) => r.ms));
          await Promise.all(started.map((r) => docker.remove(r.id)));
        } else if (berthProblem === null) {
          const t1 = performance.now();
          try {
            const times = await Promise.all(Array.from({ length: burst }, (_, i) => startServer(hub, `burst${i}`, 120_000, false)));
            berthSlowest.push(performance.now() - t1);
            berthMedians.push(median(times));
            berthBursts.push(times);
            await Promise.all(Array.from({ length: burst }, (_, i) => stopServer(hub, `burst${i}`)));
          } catch (err) {
            berthProblem = `20 at once: ${(err as Error).message.split('\n')[0]}`;
          }
        }
        await sleep(2000);
      }
    }
    const rawBurstAll = median(rawSlowest);
    const berthBurstAll = berthSlowest.length ? median(berthSlowest) : null;
    if (berthProblem) notes.push(`Berth: not available: ${berthProblem}`);

    const med = median;
    const overhead = berth.length ? med(berth) - med(raw) : null;
    const rows = [
      [`1 user: min of ${singles}`, formatNumber(Math.min(...raw), 0), formatNumber(Math.min(...cli), 0), berth.length ? formatNumber(Math.min(...berth), 0) : '–',
        berth.length ? formatNumber(Math.min(...berth) - Math.min(...raw), 0) : '–'],
      ['1 user: median of ' + singles, formatNumber(med(raw), 0), formatNumber(med(cli), 0), berth.length ? formatNumber(med(berth), 0) : '–', overhead === null ? '–' : formatNumber(overhead, 0)],
      [`${burst} at once: slowest (median of ${rounds} rounds)`, formatNumber(rawBurstAll, 0), '–', berthBurstAll === null ? '–' : formatNumber(berthBurstAll, 0),
        berthBurstAll === null ? '–' : formatNumber(berthBurstAll - rawBurstAll, 0)],
      [`${burst} at once: median start (median of ${rounds} rounds)`, formatNumber(med(rawMedians), 0), '–', berthMedians.length ? formatNumber(med(berthMedians), 0) : '–',
        berthMedians.length ? formatNumber(med(berthMedians) - med(rawMedians), 0) : '–'],
    ];
    notes.push(
      `Image ${NGINX_IMAGE}. Raw Docker = create + start + inspect via the Engine API, then GET every 5 ms until HTTP answers; ` +
        '`docker run -d` = the CLI plus the same HTTP wait. Berth = POST /hub/api/users/<name>/server until it answers 201 (ready) ' +
        'or, on 202, until the ready event on GET /hub/api/users/<name>/server/progress (as the spawn page waits). Bursts alternate raw/Berth over rounds with 2 s pauses.',
    );
    return {
      name: 'spawn',
      status: berthProblem ? (berth.length ? 'partial' : 'unavailable') : 'ok',
      tables: [{
        title: 'Start to HTTP-ready (ms)',
        columns: ['case', 'raw Docker API', '`docker run` CLI', 'Berth', 'Berth overhead'],
        rows,
      }],
      targets: [
        { target: "Berth's overhead over raw Docker <= 20 ms for one user", measured: overhead === null ? '–' : `${formatNumber(overhead, 0)} ms`, met: overhead === null ? null : overhead <= 20 },
        {
          target: '20 at once limited only by the containers (Berth slowest <= raw slowest + 20 ms)',
          measured: berthBurstAll === null ? '–' : `${formatNumber(berthBurstAll - rawBurstAll, 0)} ms over raw`,
          met: berthBurstAll === null ? null : berthBurstAll - rawBurstAll <= 20,
        },
      ],
      notes,
      data: { raw, cli, berth, rawBursts, rawSlowest, berthBursts, berthSlowest },
      seconds: (performance.now() - began) / 1000,
    };
  } finally {
    await hub.stop();
    await docker.removeUsers((name) => /^(spawn|burst)/.test(name));
  }
}

async function rawStart(ctx: BenchContext, network: string, tag: string): Promise<{ id: string; ms: number }> {
  const t0 = performance.now();
  const { id, ip } = await ctx.docker.run(NGINX_IMAGE, { name: `berth-bench-${ctx.docker.runId}-raw-${tag}`, network });
  await pollHttp(`http://${ip}:8888/`);
  return { id, ms: performance.now() - t0 };
}

async function cliStart(ctx: BenchContext, network: string, tag: string): Promise<{ id: string; ms: number }> {
  const t0 = performance.now();
  const labels = Object.entries({ ...BENCH_LABELS, 'berth.bench.run': ctx.docker.runId }).flatMap(([k, v]) => ['--label', `${k}=${v}`]);
  const name = `berth-bench-${ctx.docker.runId}-cli-${tag}`;
  const { stdout } = await run('docker', ['run', '-d', '--name', name, '--network', network, ...labels, NGINX_IMAGE]);
  const id = stdout.trim();
  const info = await ctx.docker.docker.getContainer(id).inspect();
  const ip = info.NetworkSettings.Networks?.[network]?.IPAddress;
  await pollHttp(`http://${ip}:8888/`);
  return { id, ms: performance.now() - t0 };
}

async function pollHttp(url: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const ok = await fetch(url, { signal: AbortSignal.timeout(2000) }).then(async (r) => (await r.arrayBuffer(), true), () => false);
    if (ok) return;
    await sleep(5);
  }
  throw new Error(`${url} never answered`);
}

export function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
