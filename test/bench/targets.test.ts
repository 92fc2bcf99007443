// Issue 16's proxy targets as the benchmark judges them, and the run-wide summary that names every point of the
// issue, measured or not. Pure functions of wrk results: no Docker, no timing.
import { describe, expect, it } from 'vitest';
import { proxyTargets } from '../../bench/proxy.js';
import { threadTargets, type ThreadRun } from '../../bench/proxy-threads.js';
import { ISSUE_13, ISSUE_16, issueSummary } from '../../bench/lib/targets.js';
import { adminPageTarget, type AdminPageComparison } from '../../bench/lib/admin-page.js';
import type { BenchResult } from '../../bench/lib/report.js';
import type { RoundResult } from '../../bench/lib/rounds.js';
import type { WrkResult } from '../../bench/lib/wrk.js';

const cell = (requestsPerSec: number, p99: number, errors = 0): WrkResult => ({
  url: 'http://x/', connections: 1, seconds: 5, requestsPerSec, p50: p99 / 2, p99, requests: requestsPerSec * 5, errors, transferPerSec: '',
});

/** Point 2 as the proxy benchmark runs it here: one proxy thread against nginx's one worker, on 2 CPUs. */
const ONE_CORE = { berthThreads: 1, cpus: 2 };
const SAID = 'Berth 1 proxy thread vs nginx 1 worker, sharing 2 CPUs with wrk and the target';

describe('proxyTargets', () => {
  const cells: Record<string, WrkResult> = {
    'berth 1k 1': cell(1200, 1.0), 'nginx 1k 1': cell(1000, 1.5), // Berth ahead on both
    'berth 1k 10': cell(900, 2.0), 'nginx 1k 10': cell(1000, 1.5), // behind on both
    'berth 1k 100': cell(5000, 10), 'nginx 1k 100': cell(4000, 12, 400), // nginx's cell is 8% errors
    'berth 1m 100': cell(600, 150), 'direct 1m 100': cell(1000, 80),
    'chp 1k 100': cell(900, 30),
  };
  /** One round of each cell, as `npm run bench -- proxy --repeat 1` gives. */
  const once = (r: WrkResult | undefined): RoundResult[] => (r === undefined ? [] : [{ ...r, round: 0 }]);
  const targets = proxyTargets((path, body, c) => once(cells[`${path} ${body} ${c}`]), ONE_CORE);
  const met = (text: string) => targets.find((t) => t.target === text)?.met;

  it('holds Berth to nginx with one worker at 1 KB, req/s and p99, for 1, 10 and 100 connections', () => {
    expect(met(`1 KB, 1 conn: Berth req/s >= nginx req/s (${SAID})`)).toBe(true);
    expect(met(`1 KB, 1 conn: Berth p99 <= nginx p99 (${SAID})`)).toBe(true);
    expect(met(`1 KB, 10 conns: Berth req/s >= nginx req/s (${SAID})`)).toBe(false);
    expect(met(`1 KB, 10 conns: Berth p99 <= nginx p99 (${SAID})`)).toBe(false);
    expect(targets.filter((t) => t.issue === 16 && t.point === 2)).toHaveLength(6);
  });

  it('says in each of point 2\'s lines what it compared: Berth\'s proxy threads, nginx\'s one worker, the CPUs they shared', () => {
    const point2 = (setup: Parameters<typeof proxyTargets>[1]) =>
      proxyTargets((path, body, c) => once(cells[`${path} ${body} ${c}`]), setup).filter((t) => t.point === 2).map((t) => t.target);
    expect(point2(ONE_CORE)).toHaveLength(6);
    for (const line of point2(ONE_CORE)) expect(line).toContain(`(${SAID})`);
    expect(point2({ berthThreads: 2, cpus: 4 })[0]).toBe('1 KB, 1 conn: Berth req/s >= nginx req/s (Berth 2 proxy threads vs nginx 1 worker, sharing 4 CPUs with wrk and the target)');
    expect(point2({ berthThreads: undefined, cpus: 2 })[1]).toBe('1 KB, 1 conn: Berth p99 <= nginx p99 (Berth one proxy thread per core vs nginx 1 worker, sharing 2 CPUs with wrk and the target)');
  });

  it('calls a target n/a, not met, when a cell it compares had more than 1% errors', () => {
    expect(met(`1 KB, 100 conns: Berth req/s >= nginx req/s (${SAID})`)).toBeNull();
    expect(targets.find((t) => t.target === `1 KB, 100 conns: Berth req/s >= nginx req/s (${SAID})`)?.measured).toContain('⚠');
  });

  it('holds 1 MB at 100 connections to half of direct and twice its p99', () => {
    expect(met('1 MB, 100 conns: Berth >= 50% of direct req/s')).toBe(true);
    expect(targets.find((t) => t.target === '1 MB, 100 conns: Berth >= 50% of direct req/s')?.measured).toBe('600 vs 1,000 (60.0%)');
    expect(met('1 MB, 100 conns: Berth p99 <= 2× direct p99')).toBe(true);
    const slow = proxyTargets((path, body, c) => once(path === 'berth' && body === '1m' ? cell(600, 161) : cells[`${path} ${body} ${c}`]), ONE_CORE);
    expect(slow.find((t) => t.target === '1 MB, 100 conns: Berth p99 <= 2× direct p99')?.met).toBe(false);
  });

  it('keeps issue 6\'s comparison with configurable-http-proxy', () => {
    expect(targets.find((t) => t.issue === 6)).toMatchObject({ target: '1 KB, 100 conns: Berth >= 5× configurable-http-proxy req/s', met: true });
  });

  it('is n/a for a path the run could not measure', () => {
    const noNginx = proxyTargets((path, body, c) => once(path === 'nginx' ? undefined : cells[`${path} ${body} ${c}`]), ONE_CORE);
    expect(noNginx.filter((t) => t.point === 2).map((t) => t.met)).toEqual([null, null, null, null, null, null]);
  });
});

describe('proxyTargets over several rounds', () => {
  const round = (round: number, requestsPerSec: number, p99: number, errors = 0): RoundResult => ({ ...cell(requestsPerSec, p99, errors), round });
  // Direct swings with the machine; Berth follows it within each round. Round 1 is a busy moment for both.
  const rounds: Record<string, RoundResult[]> = {
    'direct 1m 100': [round(0, 1000, 80), round(1, 400, 300), round(2, 900, 90)],
    'berth 1m 100': [round(0, 600, 150), round(1, 180, 700), round(2, 540, 170)],
  };
  const targets = proxyTargets((path, body, c) => rounds[`${path} ${body} ${c}`] ?? [], ONE_CORE);
  const target = (text: string) => targets.find((t) => t.target === text);

  it('judges each target on the median of the per-round ratios, not on a ratio of two medians', () => {
    // Per round: 60%, 45%, 60% of direct → median 60%; p99 1.88×, 2.33×, 1.89× → 1.89×. The spread is printed beside each.
    expect(target('1 MB, 100 conns: Berth >= 50% of direct req/s')).toMatchObject({
      met: true, measured: '540 vs 900 (60.0%; median of 3 rounds, 45.0%–60.0%)',
    });
    expect(target('1 MB, 100 conns: Berth p99 <= 2× direct p99')).toMatchObject({
      met: true, measured: '170.00 vs 90.00 ms (1.89×; median of 3 rounds, 1.88×–2.33×)',
    });
  });

  it('misses a target when most rounds miss it, whatever the one good round says', () => {
    const worse: Record<string, RoundResult[]> = { ...rounds, 'berth 1m 100': [round(0, 600, 150), round(1, 180, 700), round(2, 540, 200)] };
    const missed = proxyTargets((path, body, c) => worse[`${path} ${body} ${c}`] ?? [], ONE_CORE);
    expect(missed.find((t) => t.target === '1 MB, 100 conns: Berth p99 <= 2× direct p99')?.met).toBe(false);
  });

  it('pairs rounds by their number, so a round that failed on one path does not shift the others', () => {
    const gap: Record<string, RoundResult[]> = { ...rounds, 'berth 1m 100': [round(0, 600, 150), round(2, 540, 170)] };
    const paired = proxyTargets((path, body, c) => gap[`${path} ${body} ${c}`] ?? [], ONE_CORE);
    expect(paired.find((t) => t.target === '1 MB, 100 conns: Berth >= 50% of direct req/s')?.measured).toContain('median of 2 rounds, 60.0%–60.0%');
  });

  it('is n/a when the rounds of a cell together have more than 1% errors', () => {
    const failing: Record<string, RoundResult[]> = { ...rounds, 'berth 1m 100': [round(0, 600, 150), round(1, 180, 700, 200), round(2, 540, 170)] };
    expect(proxyTargets((path, body, c) => failing[`${path} ${body} ${c}`] ?? [], ONE_CORE).find((t) => t.point === 3)?.met).toBeNull();
  });
});

describe('threadTargets', () => {
  const run = (threads: number, body: string, connections: number, requestsPerSec: number, cpuSeconds: number | null, errors = 0): ThreadRun =>
    ({ ...cell(requestsPerSec, 10, errors), connections, threads, body, round: 0, cpuSeconds });
  const runs = [
    run(1, '1k', 10, 1000, 0.5), run(2, '1k', 10, 1200, 0.5), // more req/s, and more requests per CPU-second
    run(1, '1k', 100, 1000, 0.5), run(2, '1k', 100, 900, 0.6), // fewer req/s, and 75% of the requests per CPU-second
    run(1, '1m', 100, 100, 0.5), run(2, '1m', 100, 150, 0.5, 100), // 2 threads' cell is 13% errors
  ];
  const targets = threadTargets((threads, body, c) => runs.find((r) => r.threads === threads && r.body === body && r.connections === c));
  const met = (text: string) => targets.find((t) => t.target === text)?.met;

  it('holds 2 proxy threads to at least 1 thread\'s req/s and 90% of its requests per CPU-second, in each of issue 16\'s cells', () => {
    expect(met('1 KB, 10 conns: 2 proxy threads serve >= 1 thread\'s req/s')).toBe(true);
    expect(met('1 KB, 10 conns: 2 proxy threads\' requests per CPU-second >= 90% of 1 thread\'s')).toBe(true);
    expect(met('1 KB, 100 conns: 2 proxy threads serve >= 1 thread\'s req/s')).toBe(false);
    expect(targets.find((t) => t.target === '1 KB, 100 conns: 2 proxy threads serve >= 1 thread\'s req/s')?.measured).toBe('900 vs 1,000 (0.90×)');
    expect(met('1 KB, 100 conns: 2 proxy threads\' requests per CPU-second >= 90% of 1 thread\'s')).toBe(false);
    expect(targets.every((t) => t.issue === 16 && t.point === 4)).toBe(true);
  });

  it('is n/a for a cell with more than 1% errors or without a CPU reading', () => {
    expect(met('1 MB, 100 conns: 2 proxy threads serve >= 1 thread\'s req/s')).toBeNull();
    const noCpu = threadTargets((threads, body, c) => ({ ...runs.find((r) => r.threads === threads && r.body === body && r.connections === c)!, cpuSeconds: null }));
    expect(noCpu.find((t) => t.target.startsWith('1 KB, 10 conns: 2 proxy threads\' requests per CPU'))?.met).toBeNull();
  });
});

describe('issueSummary', () => {
  const result = (name: string, targets: BenchResult['targets'], status: BenchResult['status'] = 'ok'): BenchResult =>
    ({ name, status, tables: [], targets, notes: [], data: {}, seconds: 1 });

  it('lists what each benchmark reported for the issue, and says why each other point has no measurement', () => {
    const proxy = result('proxy', [
      { target: '1 KB, 1 conn: Berth req/s >= nginx (1 worker) req/s', measured: '2 vs 1', met: true, issue: 16, point: 2 },
      { target: '1 MB, 100 conns: Berth >= 50% of direct req/s', measured: '1 vs 3', met: false, issue: 16, point: 3 },
      { target: 'something of issue 6', measured: '1', met: true, issue: 6, point: 1 },
    ]);
    const summary = issueSummary(16, ISSUE_16, [proxy]);
    expect(summary.targets.map((t) => [t.target, t.met])).toEqual([
      ['2. 1 KB, 1 conn: Berth req/s >= nginx (1 worker) req/s', true],
      ['3. 1 MB, 100 conns: Berth >= 50% of direct req/s', false],
      [`4. ${ISSUE_16[2].what}`, null],
      [`5. ${ISSUE_16[3].what}`, null],
    ]);
    expect(summary.targets[2].measured).toBe('not measured: this run did not include it (`npm run bench -- proxy-threads`)');
    expect(summary.targets[3].measured).toBe('not measured: this run did not include it (`npm run bench -- scale`)');
    expect(summary.notes).toEqual(['1 of 4 targets met in this run.']);
  });

  it('picks up a target another benchmark tags with the issue and point', () => {
    const scale = result('scale', [{ target: 'hub RSS <= 100 MB', measured: '90 MB', met: true, issue: 16, point: 5 }]);
    expect(issueSummary(16, ISSUE_16, [scale]).targets.find((t) => t.point === 5)).toMatchObject({ target: '5. hub RSS <= 100 MB', met: true });
    expect(issueSummary(16, ISSUE_16, [result('scale', [], 'unavailable')]).targets.find((t) => t.point === 5)?.measured)
      .toBe('not measured: scale was not available (see its notes)');
  });
});

describe('adminPageTarget (issue 13 point 7)', () => {
  const comparison = (now: number, baseline: number): AdminPageComparison =>
    ({ medians: { now, baseline }, baselineName: '6cd94dd', samples: { now: [now], baseline: [baseline] } });

  it('holds the admin page to the baseline build measured in the same run, when there is one', () => {
    expect(adminPageTarget({ comparison: comparison(3.1, 3.3) })).toMatchObject({ met: true, measured: '3.10 ms against 3.30 ms', issue: 13, point: 7 });
    expect(adminPageTarget({ comparison: comparison(3.4, 3.3) }).met).toBe(false);
    expect(adminPageTarget({ comparison: comparison(3.4, 3.3) }).target).toContain("the 6cd94dd build's");
  });

  it('falls back to 3.5 ms without a baseline, and says how to give one', () => {
    expect(adminPageTarget({ medianMs: 3.5 }).met).toBe(true);
    expect(adminPageTarget({ medianMs: 3.6 })).toMatchObject({ met: false, measured: '3.6 ms' });
    expect(adminPageTarget({ medianMs: 3.6 }).target).toContain('BERTH_BENCH_BASELINE_BUILD');
  });

  it('reaches the summary of issue 13, and is named as not measured when scale did not run', () => {
    const scale: BenchResult = { name: 'scale', status: 'ok', tables: [], targets: [adminPageTarget({ medianMs: 3 })], notes: [], data: {}, seconds: 1 };
    expect(issueSummary(13, ISSUE_13, [scale]).targets).toEqual([expect.objectContaining({ met: true, point: 7 })]);
    expect(issueSummary(13, ISSUE_13, []).targets[0]?.measured).toBe('not measured: this run did not include it (`npm run bench -- scale`)');
  });
});
