// Issue 13's admin-page figure (point 7, "fast at 10,000 users"): GET /hub/admin for a signed-in admin, 50 users a
// page, through the hub process's public port. With BERTH_BENCH_BASELINE_BUILD (the directory of another compiled
// build's main.js, e.g. the pre-seams commit's) a hub of that build gets the same 10,000 users and the two pages are
// timed in turns, so both see the same machine; the target is then "no slower than that build in this run".
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { BenchGithub } from './github.js';
import { signInWithGithub } from './github.js';
import { startHub, type HubProcess } from './hub-process.js';
import { formatNumber, type TargetCheck } from './report.js';
import { median } from '../spawn.js';

/**
 * Without a baseline in the run: the pre-seams build's own figure on the bench machine (3.3 ms, `npm run bench --
 * scale` at 6cd94dd, 2026-12-03) and 0.2 ms for the run-to-run spread seen between identical runs there.
 */
export const ADMIN_PAGE_FIXED_TARGET_MS = 3.5;
const ADMIN = 'benchadmin';
const WARM_UP = 10;
const SAMPLES = 100;

export interface AdminPageComparison {
  /** Medians in ms, this build first. */
  medians: { now: number; baseline: number };
  baselineName: string;
  samples: { now: number[]; baseline: number[] };
}

/** The baseline build named by BERTH_BENCH_BASELINE_BUILD, or null when unset; throws when it names no build. */
export function baselineBuild(): { main: string; name: string } | null {
  const dir = process.env.BERTH_BENCH_BASELINE_BUILD;
  if (!dir) return null;
  const main = path.join(path.resolve(dir), 'main.js');
  if (!existsSync(main)) throw new Error(`BERTH_BENCH_BASELINE_BUILD=${dir} holds no main.js: point it at a compiled build (tsc -p tsconfig.build.json --outDir DIR, with src/db/migrations copied to DIR/db/)`);
  const commit = spawnSync('git', ['-C', path.dirname(main), 'describe', '--always', '--dirty'], { encoding: 'utf8' }).stdout.trim();
  return { main, name: commit || path.basename(path.resolve(dir)) };
}

/**
 * Starts the baseline build on its own network with `users` created as bench/scale creates them, signs the admin in
 * on both hubs, and times their admin pages in turns (the first of each round alternating), after a warm-up.
 */
export async function compareAdminPages(options: {
  hub: HubProcess;
  baseline: { main: string; name: string };
  network: string;
  github: BenchGithub;
  image: string;
  users: string[][];
}): Promise<AdminPageComparison> {
  const other = await startHub({
    build: { main: options.baseline.main, runtime: 'compiled', typeErrors: 0, commit: options.baseline.name },
    network: options.network, images: { nginx: options.image }, defaultImage: options.image, github: options.github.config,
  });
  const login = options.github.fake.login;
  try {
    for (const usernames of options.users) {
      const res = await other.api('POST', '/users', { usernames });
      if (res.status !== 201) throw new Error(`the ${options.baseline.name} hub answered ${res.status} to POST /hub/api/users`);
    }
    options.github.fake.login = ADMIN;
    const pages = [
      { url: `${options.hub.url}/hub/admin`, cookie: await signInWithGithub(options.hub.url), samples: [] as number[] },
      { url: `${other.url}/hub/admin`, cookie: await signInWithGithub(other.url), samples: [] as number[] },
    ];
    for (let round = 0; round < WARM_UP + SAMPLES; round++) {
      for (const page of round % 2 === 0 ? pages : [...pages].reverse()) {
        const t0 = performance.now();
        const res = await fetch(page.url, { headers: { cookie: page.cookie }, redirect: 'manual' });
        await res.arrayBuffer();
        if (res.status !== 200) throw new Error(`GET ${page.url} answered ${res.status} for a signed-in admin`);
        if (round >= WARM_UP) page.samples.push(performance.now() - t0);
      }
    }
    const [now, baseline] = pages.map((p) => p.samples);
    return { medians: { now: median(now!), baseline: median(baseline!) }, baselineName: options.baseline.name, samples: { now: now!, baseline: baseline! } };
  } finally {
    options.github.fake.login = login;
    await other.stop();
  }
}

/** Issue 13 point 7's target: against the baseline measured in the same run, else against the fixed figure. */
export function adminPageTarget(figure: { comparison: AdminPageComparison } | { medianMs: number }): TargetCheck {
  if ('comparison' in figure) {
    const { medians, baselineName } = figure.comparison;
    return {
      target: `GET /hub/admin, 10,000 users: median <= the ${baselineName} build's, timed in turns in this run`,
      measured: `${formatNumber(medians.now, 2)} ms against ${formatNumber(medians.baseline, 2)} ms`,
      met: medians.now <= medians.baseline, issue: 13, point: 7,
    };
  }
  return {
    target: `GET /hub/admin, 10,000 users: median <= ${ADMIN_PAGE_FIXED_TARGET_MS} ms (no baseline build in this run: BERTH_BENCH_BASELINE_BUILD)`,
    measured: `${formatNumber(figure.medianMs, 1)} ms`,
    met: figure.medianMs <= ADMIN_PAGE_FIXED_TARGET_MS, issue: 13, point: 7,
  };
}
