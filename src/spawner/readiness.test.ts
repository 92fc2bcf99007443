import { describe, expect, it } from 'vitest';
import { probeGaps } from './readiness.js';

function firstGaps(n: number): number[] {
  const gaps = probeGaps();
  return Array.from({ length: n }, () => gaps.next().value);
}

describe('readiness probes', () => {
  it('probe a starting server 10 ms after the first try, then at gaps that grow slowly', () => {
    const gaps = firstGaps(12);
    expect(gaps[0]).toBe(10);
    for (let i = 1; i < gaps.length; i++) expect(gaps[i]).toBeGreaterThanOrEqual(gaps[i - 1]);
    // No early jump to long pauses: the sixth gap (about 110 ms into the wait) is still under 40 ms.
    expect(gaps[5]).toBeLessThan(40);
  });

  it('never leave more than 50 ms between probes, however long the server takes', () => {
    expect(Math.max(...firstGaps(10_000))).toBeLessThanOrEqual(50);
  });
});
