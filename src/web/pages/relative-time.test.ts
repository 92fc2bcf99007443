import { describe, expect, it } from 'vitest';
import { describeAge, RelativeTime } from './relative-time.js';

const now = Date.UTC(2026, 11, 2, 22, 0, 0);
const ago = (s: number) => describeAge(now - s * 1000, now);

describe('describeAge', () => {
  it('words ages in the largest unit that fits', () => {
    expect(ago(5)).toBe('just now');
    expect(ago(-5)).toBe('in a few seconds');
    expect(ago(60)).toBe('1 minute ago');
    expect(ago(180)).toBe('3 minutes ago');
    expect(ago(2 * 3600)).toBe('2 hours ago');
    expect(ago(3 * 86400)).toBe('3 days ago');
    expect(ago(400 * 86400)).toBe('1 year ago');
    expect(ago(-7200)).toBe('in 2 hours');
  });

  it('runs alone from its source text, as the browser script does', () => {
    const copy = new Function(`return (${describeAge.toString()})`)() as typeof describeAge;
    expect(copy(now - 180_000, now)).toBe('3 minutes ago');
  });
});

describe('RelativeTime', () => {
  it('renders a <time> with the exact time as its title, or the "none" text', () => {
    const html = String(RelativeTime({ at: new Date(now - 180_000), now }));
    expect(html).toBe('<time datetime="2026-12-02T21:57:00.000Z" title="2026-12-02 21:57:00 UTC" data-relative="">3 minutes ago</time>');
    expect(String(RelativeTime({ at: null, none: "not yet" }))).toContain('not yet');
  });
});
