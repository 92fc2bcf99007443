import { describe, expect, it } from 'vitest';
import { createLoginThrottle } from './login-throttle.js';

describe('login throttle', () => {
  it('blocks a user name after the per-user limit, until the window moves on', () => {
    let now = 1_000_000;
    const throttle = createLoginThrottle({ perUser: 3, perAddress: 100, windowMs: 60_000, now: () => now });
    for (let i = 0; i < 3; i++) throttle.recordFailure('alice', `10.0.0.${i}`);
    expect(throttle.retryAfter('alice', '10.0.0.9')).toBe(60);
    expect(throttle.retryAfter('bob', '10.0.0.9')).toBe(0);
    now += 60_001;
    expect(throttle.retryAfter('alice', '10.0.0.9')).toBe(0);
  });

  it('blocks an address that sprays many user names', () => {
    const throttle = createLoginThrottle({ perUser: 100, perAddress: 5, windowMs: 60_000 });
    for (let i = 0; i < 5; i++) throttle.recordFailure(`user${i}`, '192.0.2.1');
    expect(throttle.retryAfter('someone-else', '192.0.2.1')).toBeGreaterThan(0);
    expect(throttle.retryAfter('someone-else', '192.0.2.2')).toBe(0);
  });

  it('forgets a user\'s failures after a successful sign-in', () => {
    const throttle = createLoginThrottle({ perUser: 2, perAddress: 100 });
    throttle.recordFailure('alice', 'a');
    throttle.recordSuccess('alice');
    throttle.recordFailure('alice', 'a');
    expect(throttle.retryAfter('alice', 'a')).toBe(0);
  });
});
