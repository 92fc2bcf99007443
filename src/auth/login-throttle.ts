// Slows password guessing on the PAM form: failed attempts are counted per user name and per client
// address in memory, over a sliding window; past the limit the form answers 429 until the window moves on.

export interface LoginThrottle {
  /** Seconds to wait before this user or address may try again, or 0. */
  retryAfter(username: string, address: string): number;
  recordFailure(username: string, address: string): void;
  recordSuccess(username: string): void;
}

export function createLoginThrottle(options: { perUser?: number; perAddress?: number; windowMs?: number; now?: () => number } = {}): LoginThrottle {
  const perUser = options.perUser ?? 5;
  const perAddress = options.perAddress ?? 20;
  const windowMs = options.windowMs ?? 5 * 60_000;
  const now = options.now ?? Date.now;
  const failures = new Map<string, number[]>();

  const recent = (key: string): number[] => {
    const cutoff = now() - windowMs;
    const list = (failures.get(key) ?? []).filter((t) => t > cutoff);
    if (list.length === 0) failures.delete(key);
    else failures.set(key, list);
    return list;
  };
  const wait = (list: number[], limit: number) =>
    list.length < limit ? 0 : Math.ceil((list[list.length - limit] + windowMs - now()) / 1000);

  return {
    retryAfter(username, address) {
      return Math.max(wait(recent(`u:${username}`), perUser), wait(recent(`a:${address}`), perAddress));
    },
    recordFailure(username, address) {
      for (const key of [`u:${username}`, `a:${address}`]) failures.set(key, [...recent(key), now()]);
      // Bound memory under a spray of names: forget the oldest keys.
      if (failures.size > 10_000) for (const key of [...failures.keys()].slice(0, 1000)) failures.delete(key);
    },
    recordSuccess(username) {
      failures.delete(`u:${username}`);
    },
  };
}
