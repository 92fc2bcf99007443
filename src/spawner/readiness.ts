// When a server counts as ready — the one rule, used by every spawner and by the check of re-adopted servers:
// an HTTP answer below 500 at <server prefix>api (JupyterHub's wait_up), within spawner.http_timeout. A running
// container or an open port is not enough: the server inside may still be starting, or may have hung.
import net from 'node:net';
import { httpRequest, type HttpAnswer } from '../http-request.js';
import { SpawnError } from './spawner.js';

const PROBE_TIMEOUT_MS = 2000;
const CHECK_EVERY_MS = 1000;

/** The path probed for readiness under a server's public prefix (`<base_url>user/<name>/`). */
export function readyPathFor(serverPrefix: string): string {
  return `${serverPrefix}api`;
}

/** Any answer below 500 means the server is up (a 404 or a redirect to sign in is a server answering). */
export function countsAsReady(status: number): boolean {
  return status < 500;
}

/** What the waiting spawner knows about the server's process, checked beside the HTTP probes. */
export interface ProcessWatch {
  /** Aborts when the process may have ended (e.g. Docker reported an exit): the wait checks at once. */
  readonly exited: AbortSignal | null;
  /** Throws a SpawnError when the process has ended; called at least once a second and whenever `exited` fires. */
  check(): Promise<void>;
  /** The process's last log lines, for the timeout message ('' when there are none). */
  logTail(): Promise<string>;
}

/**
 * Polls `url + readyPath` until it counts as ready, `probeGaps()` apart; throws a SpawnError when `timeoutMs` passes
 * first (naming the last problem) or when `watch.check()` finds the process gone, and the abort reason at `signal`.
 */
export async function waitUntilReady(url: string, readyPath: string, timeoutMs: number, signal: AbortSignal, watch: ProcessWatch): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited: AbortSignal | null = watch.exited;
  const gaps = probeGaps();
  const address = new URL(url);
  let listening = false;
  let lastCheck = Date.now();
  let lastProblem = 'no answer yet';
  for (;;) {
    signal.throwIfAborted();
    const exitReported = exited?.aborted ?? false;
    if (exitReported || Date.now() - lastCheck >= CHECK_EVERY_MS) {
      await watch.check();
      lastCheck = Date.now();
      if (exitReported) exited = null; // restarted meanwhile, or the watch failed: checks only from now on
    }
    const stops = exited ? [signal, exited] : [signal];
    try {
      // Until the port first accepts, a bare connect is the probe: a refused fetch costs several times its CPU,
      // and a burst of starts on a small machine spends most of its wait on closed ports.
      if (!listening) {
        const refused = await connectError(address, stops);
        if (refused) throw refused;
        listening = true;
      }
      const res = await probe(url + readyPath, stops);
      if (countsAsReady(res.status)) return;
      lastProblem = `HTTP ${res.status}`;
    } catch (err) {
      signal.throwIfAborted();
      if (exited?.aborted) continue;
      const failure = err as Error & { code?: string; cause?: { code?: string } };
      lastProblem = failure.cause?.code ?? failure.code ?? failure.message;
    }
    if (Date.now() >= deadline) {
      const tail = await watch.logTail();
      throw new SpawnError(
        `The server did not answer HTTP at ${readyPath} within spawner.http_timeout (${Math.round(timeoutMs / 1000)} s; ` +
          `last: ${lastProblem}).${tail ? ` Last log lines:\n${tail}` : ''}`,
      );
    }
    await pause(Math.min(gaps.next().value, Math.max(0, deadline - Date.now())), stops);
  }
}

/**
 * Whether a server already running answers: polls `url` until it counts as ready (true) or `timeoutMs` has passed
 * (false), as JupyterHub checks a server it re-adopts after a restart. Never throws.
 */
export async function answersHttp(url: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  let delay = 200;
  for (;;) {
    const left = deadline - Date.now();
    try {
      const res = await httpRequest(url, { timeoutMs: Math.max(100, Math.min(PROBE_TIMEOUT_MS, left)), readBody: false });
      if (countsAsReady(res.status)) return true;
    } catch {
      // refused, reset or timed out: not answering yet
    }
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, Math.min(delay, Math.max(0, deadline - Date.now()))));
    delay = Math.min(delay * 2, 1000);
  }
}

/**
 * Pauses between readiness probes: 10 ms, growing by a quarter per probe, at most 50 ms. A server that starts
 * listening between two probes is seen within one gap, so the time a start loses to polling stays under 50 ms even
 * for slow images. While the port is closed a probe is a bare connect (about 0.05 ms of the hub's CPU when refused,
 * a fifth of a refused fetch): 20 servers starting at once cost the hub about 400 of them a second.
 */
export function* probeGaps(): Generator<number, never> {
  for (let gap = 10; ; gap = Math.min(gap * 1.25, 50)) yield gap;
}

/**
 * One readiness GET with its own time limit, cut short when any of `stops` aborts. Plain controllers and listeners:
 * an AbortSignal.any() per probe was the spawner's largest CPU cost in a profile of 60 starts (Node 20).
 */
async function probe(url: string, stops: AbortSignal[]): Promise<HttpAnswer> {
  const controller = new AbortController();
  const abort = () => controller.abort();
  for (const stop of stops) stop.addEventListener('abort', abort, { once: true });
  try {
    if (stops.some((stop) => stop.aborted)) abort();
    return await httpRequest(url, { timeoutMs: PROBE_TIMEOUT_MS, signal: controller.signal, readBody: false });
  } finally {
    for (const stop of stops) stop.removeEventListener('abort', abort);
  }
}

/**
 * Connects to `address` and hangs up: null once the port accepts, else the error (its `code`, e.g. ECONNREFUSED,
 * names the problem). Cut short like a probe.
 */
function connectError(address: URL, stops: AbortSignal[]): Promise<Error | null> {
  return new Promise((resolve) => {
    const socket = net.connect(Number(address.port), address.hostname);
    const finish = (error: Error | null) => {
      clearTimeout(timer);
      for (const stop of stops) stop.removeEventListener('abort', cut);
      socket.destroy();
      resolve(error);
    };
    const cut = () => finish(new Error('cancelled'));
    const timer = setTimeout(() => finish(Object.assign(new Error(`no answer within ${PROBE_TIMEOUT_MS / 1000} s`), { code: 'ETIMEDOUT' })), PROBE_TIMEOUT_MS);
    for (const stop of stops) stop.addEventListener('abort', cut, { once: true });
    socket.once('connect', () => finish(null));
    socket.once('error', (err) => finish(err));
    if (stops.some((stop) => stop.aborted)) cut();
  });
}

/** Resolves after `ms`, or as soon as any of `stops` aborts (the caller looks at which). */
function pause(ms: number, stops: AbortSignal[]): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      for (const stop of stops) stop.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    for (const stop of stops) stop.addEventListener('abort', done, { once: true });
    if (stops.some((stop) => stop.aborted)) done();
  });
}
