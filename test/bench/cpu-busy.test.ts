// The proxy benchmark's per-CPU busy shares (bench/lib/cpu-busy.ts), from two readings of /proc/stat.
import { describe, expect, it } from 'vitest';
import { busyShares, readCpuTimes } from '../../bench/lib/cpu-busy.js';

// user nice system idle iowait irq softirq steal guest guest_nice, as /proc/stat lists them.
const before = `cpu  300 0 100 1000 0 0 0 0 0 0
cpu0 100 0 50 500 0 0 0 0 0 0
cpu1 200 0 50 500 0 0 0 0 0 0
intr 12345 0 0`;
const after = `cpu  700 0 200 1400 100 0 0 0 0 0
cpu0 190 0 55 500 0 0 5 0 0 0
cpu1 250 0 50 800 100 0 0 0 0 0
intr 23456 0 0`;

describe('busyShares', () => {
  it('gives each CPU (not the total line) its busy share between two readings; idle and iowait are not busy', () => {
    const shares = busyShares(readCpuTimes(before), readCpuTimes(after));
    expect(shares).toHaveLength(2);
    expect(shares[0]).toBeCloseTo(1, 5); // 100 busy jiffies of 100
    expect(shares[1]).toBeCloseTo(50 / 450, 5); // 50 busy of 50 + 300 idle + 100 iowait
  });
});
