// The targets of one issue gathered from every benchmark of a run, so that `npm run bench` ends with that issue's
// targets side by side, measured / met, and names each point no benchmark of the run reported.
import type { BenchResult, TargetCheck } from './report.js';

export interface IssuePoint {
  point: number;
  what: string;
  /** The benchmark that measures it (bench/<bench>.ts), tagging its TargetChecks with this issue and point. */
  bench: string;
}

/** Issue 16's measured points (point 1 adds nginx to the proxy benchmark; point 6 is the README's tables). */
export const ISSUE_16: IssuePoint[] = [
  { point: 2, what: '1 KB at 1/10/100 connections: Berth req/s >= nginx (1 worker), p99 <= nginx', bench: 'proxy' },
  { point: 3, what: '1 MB at 100 connections: Berth >= 50% of direct req/s, p99 <= 2× direct', bench: 'proxy' },
  { point: 4, what: 'hub.proxy_threads: 2 threads against 1 (1 KB at 10/100 connections, 1 MB at 100)', bench: 'proxy-threads' },
  { point: 5, what: '10,000 users, probed from outside: hub RSS <= 100 MB, a 50-user page <= 5 ms median', bench: 'scale' },
];

/** Issue 13's measured point: point 7's admin page "fast at 10,000 users" (its "Done when" keeps the bench/scale figure). */
export const ISSUE_13: IssuePoint[] = [
  { point: 7, what: 'GET /hub/admin at 10,000 users: median <= a baseline build\'s in the same run (BERTH_BENCH_BASELINE_BUILD), else <= 3.5 ms', bench: 'scale' },
];

export function issueSummary(issue: number, points: IssuePoint[], results: BenchResult[]): BenchResult {
  const ran = new Set(results.map((r) => r.name));
  const targets: TargetCheck[] = [];
  for (const { point, what, bench } of points) {
    const found = results.flatMap((r) => r.targets.filter((t) => t.issue === issue && t.point === point));
    if (found.length > 0) {
      targets.push(...found.map((t) => ({ ...t, target: `${point}. ${t.target}` })));
      continue;
    }
    const result = results.find((r) => r.name === bench);
    const why = !ran.has(bench)
      ? `not measured: this run did not include it (\`npm run bench -- ${bench}\`)`
      : result?.status === 'unavailable'
        ? `not measured: ${bench} was not available (see its notes)`
        : `not measured: bench/${bench}.ts reports no target for it yet`;
    targets.push({ target: `${point}. ${what}`, measured: why, met: null, issue, point });
  }
  const met = targets.filter((t) => t.met === true).length;
  return {
    name: `issue-${issue}`, status: 'ok', tables: [], targets,
    notes: [`${met} of ${targets.length} targets met in this run.`], data: {}, seconds: 0,
  };
}
