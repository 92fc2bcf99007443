// Issue 6 point 3: proxied throughput while the hub answers a burst of API calls and sign-ins (a separate process),
// as a ratio to the idle case; the direct path under the same burst shows how much is just the shared CPUs.
import { startClient } from './lib/clients.js';
import type { BenchContext } from './lib/context.js';
import { NGINX_USER } from './lib/context.js';
import { signInWithGithub } from './lib/github.js';
import type { HubProcess } from './lib/hub-process.js';
import { checkBody } from './proxy.js';
import { formatNumber, unavailable, type BenchResult } from './lib/report.js';
import { runWrk, type WrkResult } from './lib/wrk.js';

interface LoadSummary { ok: number; failed: number; perSec: number; p50: number | null; p95: number | null; p99: number | null; lastError: string | null }

export async function hubLoadBench(ctx: BenchContext): Promise<BenchResult> {
  const began = performance.now();
  const f = await ctx.fixture();
  if (!f.hub || !f.berthRoutes) return unavailable('hub-load', f.hubProblem ?? 'the hub could not start the nginx server');
  const hub = f.hub;
  const notes: string[] = [];
  const probe = await hub.api('GET', '/users');
  if (probe.status !== 200) return unavailable('hub-load', `GET /hub/api/users with the service token answered ${probe.status}`);
  let loginWorkers = 0;
  if (f.github) {
    try {
      await signInWithGithub(hub.url);
      loginWorkers = 2;
    } catch (err) {
      notes.push(`sign-ins not in the load: not available: ${(err as Error).message}`);
    }
  } else notes.push('sign-ins not in the load: not available: the GitHub stand-in did not start');

  const seconds = ctx.options.quick ? 3 : 5;
  const connections = 10;
  const berthUrl = `${hub.url}/user/${NGINX_USER}/1k`;
  const directUrl = `http://${f.nginxIp}:8888/user/${NGINX_USER}/1k`;
  const problem = await checkBody(berthUrl, 1024);
  if (problem) return { ...unavailable('hub-load', `Berth's proxy: ${problem}`), notes: [...notes, `not available: Berth's proxy: ${problem}`] };

  // hub.yaml service tokens are hashed with 16,384 sha512 rounds (JupyterHub's rule for supplied tokens), generated
  // ones with one: both are measured, since the hashing runs on the hub's event loop on every API call.
  // "paced" is a burst at a fixed rate (what a culler plus people signing in produce); "flat out" is 10 API workers
  // sending as fast as the hub answers, which saturates one event loop by construction.
  const paced = { apiWorkers: 10, apiRate: 50, loginRate: loginWorkers ? 2 : 0 };
  const flatOut = { apiWorkers: 10, apiRate: 0, loginRate: 0 };
  const scenarios: { label: string; url: string; token: string; key: string; load: typeof paced }[] = [
    { label: `Berth, paced: 50 API calls/s (service token)${loginWorkers ? ' + 2 sign-ins/s' : ''}`, url: berthUrl, token: hub.token, key: 'berthPaced', load: paced },
    { label: 'Berth, flat out: 10 API workers (service token, 16,384-round hash)', url: berthUrl, token: hub.token, key: 'berthService', load: flatOut },
  ];
  const generated = await generatedToken(hub);
  if (typeof generated === 'string') {
    scenarios.push({ label: 'Berth, flat out: 10 API workers (generated token)', url: berthUrl, token: generated, key: 'berthGenerated', load: flatOut });
  } else notes.push(`generated-token scenario: not available: ${generated.problem}`);
  scenarios.push({ label: 'direct (nginx), flat out (service token)', url: directUrl, token: hub.token, key: 'direct', load: flatOut });

  const rows = [];
  const data: Record<string, unknown> = {};
  const ratios: Record<string, number> = {};
  for (const s of scenarios) {
    await runWrk(s.url, connections, 1);
    const idle = await runWrk(s.url, connections, seconds);
    const load = startClient<{ started: boolean }>('hub-load-client.ts', { hubUrl: hub.url, token: s.token, loginWorkers, ...s.load });
    await load.ready;
    await new Promise((r) => setTimeout(r, 300));
    let busy: WrkResult;
    try {
      busy = await runWrk(s.url, connections, seconds);
    } finally {
      data[`${s.key}Load`] = await load.finish();
    }
    const summary = data[`${s.key}Load`] as { api: LoadSummary; logins: LoadSummary } | null;
    ratios[s.key] = busy.requestsPerSec / idle.requestsPerSec;
    if (summary && summary.api.failed > 0) notes.push(`${s.label}: ${summary.api.failed} API calls failed (last: ${summary.api.lastError})`);
    rows.push([
      s.label,
      formatNumber(idle.requestsPerSec, 0), formatNumber(busy.requestsPerSec, 0), `${Math.round(ratios[s.key] * 100)}%`,
      `${formatNumber(idle.p99, 2)} → ${formatNumber(busy.p99, 2)}`,
      summary ? `${formatNumber(summary.api.perSec, 0)} (p95 ${formatNumber(summary.api.p95, 1)} ms)` : '–',
      summary && loginWorkers ? `${formatNumber(summary.logins.perSec, 1)} (p95 ${formatNumber(summary.logins.p95, 1)} ms)` : '–',
    ]);
    data[s.key] = { idle, busy };
  }
  const berthRatio = ratios.berthPaced ?? null;
  notes.push(
    `wrk -c${connections} for ${seconds} s; the load process (GET /hub/api/users` +
      `${loginWorkers ? ', sign-ins through the GitHub stand-in' : ''}) runs on the same 2 cores, so part of any drop is CPU taken by the load ` +
      `process itself: the direct path (which never touches the hub) kept ${Math.round((ratios.direct ?? 0) * 100)}% under the same load.`,
  );
  return {
    name: 'hub-load',
    status: loginWorkers ? 'ok' : 'partial',
    tables: [{
      title: 'Proxied throughput while the hub serves API calls and sign-ins',
      columns: ['path', 'idle req/s', 'under hub load req/s', 'ratio', 'p99 ms idle → load', 'API calls/s during', 'sign-ins/s during'],
      rows,
    }],
    targets: [
      { target: 'Berth proxied throughput under a paced burst >= 80% of idle', measured: berthRatio === null ? '–' : `${Math.round(berthRatio * 100)}%`, met: berthRatio === null ? null : berthRatio >= 0.8 },
      { target: 'the same, API flat out (service token)', measured: `${Math.round((ratios.berthService ?? 0) * 100)}%`, met: (ratios.berthService ?? 0) >= 0.8 },
      ...(ratios.berthGenerated === undefined ? [] : [{
        target: 'the same, API flat out (generated token)', measured: `${Math.round(ratios.berthGenerated * 100)}%`, met: ratios.berthGenerated >= 0.8,
      }]),
    ],
    notes,
    data,
    seconds: (performance.now() - began) / 1000,
  };
}

/** A generated (one-round) API token of an admin user, made with the service token. */
async function generatedToken(hub: HubProcess): Promise<string | { problem: string }> {
  const user = await hub.api('POST', '/users/benchadmin', { admin: true });
  if (user.status !== 201 && user.status !== 409) return { problem: `POST /hub/api/users/benchadmin answered ${user.status}` };
  const res = await hub.api('POST', '/users/benchadmin/tokens', { note: 'bench hub-load', scopes: ['list:users', 'read:users', 'read:servers'] });
  const token = (res.body as { token?: string }).token;
  return res.status === 201 && token ? token : { problem: `POST /hub/api/users/benchadmin/tokens answered ${res.status}: ${JSON.stringify(res.body).slice(0, 200)}` };
}
