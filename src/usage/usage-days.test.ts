import { describe, expect, it } from 'vitest';
import { addDays, daysBetween, parseDay, splitByDay } from './usage-days.js';

describe('usage days', () => {
  it('cuts an interval at UTC midnight', () => {
    const from = Date.parse('2026-03-01T23:30:00Z');
    expect(splitByDay(from, Date.parse('2026-03-03T00:15:00Z'))).toEqual([
      { day: '2026-03-01', seconds: 1800 }, { day: '2026-03-02', seconds: 86_400 }, { day: '2026-03-03', seconds: 900 },
    ]);
    expect(splitByDay(from, from)).toEqual([]);
  });

  it('takes only real calendar days', () => {
    expect(parseDay('2026-02-28')).toBe('2026-02-28');
    for (const bad of ['2026-02-30', '2026-2-1', '20260201', '2026-02-01T00:00', '']) expect(parseDay(bad)).toBeNull();
  });

  it('counts and moves days', () => {
    expect(addDays('2026-03-01', -1)).toBe('2026-02-28');
    expect(daysBetween('2026-02-27', '2026-03-01')).toBe(3);
  });
});
