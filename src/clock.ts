// The hub's clock, a part of the hub (hub.ts) so that tests can pass their own: what "now" is for timestamps the
// hub records (a server's start, its last activity). Timers keep real time.
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
