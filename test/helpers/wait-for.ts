// Waiting on a condition instead of sleeping for a guessed time: a test is then as fast as the code allows and does
// not break on a loaded machine. Write the check with expect(), so a timeout fails with what was last seen.
import { vi } from 'vitest';

export interface WaitOptions {
  /** Give up after this long (default 15 s: vi.waitFor's own 1 s is too short on a busy 2-core machine). */
  timeoutMs?: number;
  /** Time between tries (default 20 ms). */
  intervalMs?: number;
}

/** Retries `check` until it returns without throwing, and answers what it returned; rethrows its last error on timeout. */
export function waitFor<T>(check: () => T | Promise<T>, { timeoutMs = 15_000, intervalMs = 20 }: WaitOptions = {}): Promise<T> {
  return vi.waitFor(check, { timeout: timeoutMs, interval: intervalMs });
}
