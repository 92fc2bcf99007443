// Rounds of one wrk cell, and how they are summed up: a cell shows the median of its rounds, and a comparison of two
// paths is the median of their per-round ratios with its spread. Paths take turns within a round, so a round's ratio
// compares them at the same moment of a shared machine; a ratio of two medians could pair a quiet round of one path
// with a busy round of the other.
import type { WrkResult } from './wrk.js';

/** One wrk run of a cell; `round` pairs it with the other paths' runs of the same round. */
export type RoundResult = WrkResult & { round: number };

export function median(values: number[]): number {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * A cell's rounds as one result: req/s, p50 and p99 each the median of the rounds; requests, errors and seconds
 * summed (so the error share and requests per CPU-second cover every round).
 */
export function medianOfRounds(rounds: WrkResult[]): WrkResult {
  if (rounds.length === 0) throw new Error('medianOfRounds: no rounds');
  const sum = (pick: (r: WrkResult) => number) => rounds.reduce((total, r) => total + pick(r), 0);
  return {
    ...rounds[0]!,
    requestsPerSec: median(rounds.map((r) => r.requestsPerSec)),
    p50: median(rounds.map((r) => r.p50)),
    p99: median(rounds.map((r) => r.p99)),
    requests: sum((r) => r.requests),
    errors: sum((r) => r.errors),
    seconds: sum((r) => r.seconds),
  };
}

export function sumOrNull(values: (number | null)[]): number | null {
  return values.some((v) => v === null) ? null : values.reduce<number>((total, v) => total + v!, 0);
}

export interface PairedRatio {
  /** The median of the per-round ratios; null when no round has both. */
  median: number | null;
  min: number | null;
  max: number | null;
  /** Rounds in which both sides were measured. */
  rounds: number;
}

/** `pick(a) / pick(b)` round by round, for the rounds both have. */
export function pairedRatio(a: RoundResult[], b: RoundResult[], pick: (r: WrkResult) => number): PairedRatio {
  const ratios: number[] = [];
  for (const x of a) {
    const y = b.find((r) => r.round === x.round);
    if (y === undefined) continue;
    const ratio = pick(x) / pick(y);
    if (Number.isFinite(ratio)) ratios.push(ratio);
  }
  if (ratios.length === 0) return { median: null, min: null, max: null, rounds: 0 };
  return { median: median(ratios), min: Math.min(...ratios), max: Math.max(...ratios), rounds: ratios.length };
}
