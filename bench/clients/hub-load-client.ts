// Hub load, run as its own process: API workers loop on GET /hub/api/users (service token) and login workers loop
// on the GitHub sign-in flow, until stdin says "close"; then one JSON line of counts and latencies.
// `node --import tsx bench/clients/hub-load-client.ts '{"hubUrl":…,"token":…,"apiWorkers":10,"loginWorkers":2}'`
import { signInWithGithub } from '../lib/github.js';

interface Args {
  hubUrl: string;
  token: string;
  apiWorkers: number;
  loginWorkers: number;
  apiPath?: string;
  /** Stop after this many seconds even without "close" (used for a fixed-rate login run). */
  seconds?: number;
  /** Logins per second across all login workers (0 = as fast as they go). */
  loginRate?: number;
  /** API calls per second across all API workers (0 = as fast as they go). */
  apiRate?: number;
}

const args = JSON.parse(process.argv[2] ?? '{}') as Args;
let running = true;
const api = { ok: 0, failed: 0, samples: [] as number[], lastError: '' };
const logins = { ok: 0, failed: 0, samples: [] as number[], lastError: '' };

async function apiWorker(index: number): Promise<void> {
  const interval = args.apiRate ? (1000 * args.apiWorkers) / args.apiRate : 0;
  let next = performance.now() + (interval * index) / args.apiWorkers;
  while (running) {
    if (interval > 0) {
      const wait = next - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      next += interval;
      if (!running) break;
    }
    const t0 = performance.now();
    try {
      const res = await fetch(`${args.hubUrl}/hub/api${args.apiPath ?? '/users'}`, { headers: { Authorization: `token ${args.token}` } });
      await res.arrayBuffer();
      if (res.ok) api.ok++;
      else {
        api.failed++;
        api.lastError = `HTTP ${res.status}`;
      }
    } catch (err) {
      api.failed++;
      api.lastError = (err as Error).message;
    }
    api.samples.push(performance.now() - t0);
  }
}

async function loginWorker(index: number): Promise<void> {
  const interval = args.loginRate ? (1000 * args.loginWorkers) / args.loginRate : 0;
  let next = performance.now() + (interval * index) / args.loginWorkers;
  while (running) {
    if (interval > 0) {
      const wait = next - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      next += interval;
      if (!running) break;
    }
    const t0 = performance.now();
    try {
      await signInWithGithub(args.hubUrl);
      logins.ok++;
    } catch (err) {
      logins.failed++;
      logins.lastError = (err as Error).message;
      if (interval === 0) await new Promise((r) => setTimeout(r, 50));
    }
    logins.samples.push(performance.now() - t0);
  }
}

function summary(s: typeof api, seconds: number) {
  const sorted = [...s.samples].sort((a, b) => a - b);
  const pct = (p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : null);
  return { ok: s.ok, failed: s.failed, perSec: s.ok / seconds, p50: pct(50), p95: pct(95), p99: pct(99), lastError: s.lastError || null };
}

const began = performance.now();
const workers = [
  ...Array.from({ length: args.apiWorkers }, (_, i) => apiWorker(i)),
  ...Array.from({ length: args.loginWorkers }, (_, i) => loginWorker(i)),
];
process.stdout.write(`${JSON.stringify({ started: true })}\n`);
const stopSignal = new Promise<void>((resolve) => {
  process.stdin.on('data', (d) => String(d).includes('close') && resolve());
  process.stdin.on('end', () => resolve());
  if (args.seconds) setTimeout(resolve, args.seconds * 1000);
});
await stopSignal;
running = false;
const seconds = (performance.now() - began) / 1000;
await Promise.race([Promise.all(workers), new Promise((r) => setTimeout(r, 10_000))]);
process.stdout.write(`${JSON.stringify({ seconds, api: summary(api, seconds), logins: summary(logins, seconds) })}\n`);
process.exit(0);
