import { afterEach, describe, expect, it, vi } from 'vitest';
import { createActivityMeter } from './activity.js';

describe('createActivityMeter', () => {
  afterEach(() => vi.useRealTimers());

  it('reports a user at most once per interval, and again once it has passed', () => {
    vi.useFakeTimers({ now: 1_000_000 });
    const noted: string[] = [];
    const touch = createActivityMeter((name) => noted.push(name), () => {}, 1000);
    touch('alice', '');
    touch('alice', '');
    touch('bob', '');
    vi.setSystemTime(1_000_999);
    touch('alice', '');
    expect(noted).toEqual(['alice', 'bob']);
    vi.setSystemTime(1_001_000);
    touch('alice', '');
    expect(noted).toEqual(['alice', 'bob', 'alice']);
  });

  it('hands a throwing note to onError instead of throwing into a socket handler', () => {
    const errors: unknown[] = [];
    const touch = createActivityMeter(() => { throw new Error('db closed'); }, (err) => errors.push(err));
    expect(() => touch('alice', '')).not.toThrow();
    expect(errors).toHaveLength(1);
  });

  it("throttles each of a user's servers on its own, so a named server's traffic is never lost to the default's", () => {
    vi.useFakeTimers({ now: 1_000_000 });
    const noted: string[] = [];
    const touch = createActivityMeter((name, server) => noted.push(`${name}:${server}`), () => {}, 1000);
    touch('alice', '');
    touch('alice', 'work');
    touch('alice', 'work');
    expect(noted).toEqual(['alice:', 'alice:work']);
  });
});
