import { describe, expect, it } from 'vitest';
import { addressKey, createLoginThrottle, type LoginThrottle } from './login-throttle.js';

/** A failed attempt: reserved, then left counted. */
const fail = (throttle: LoginThrottle, user: string, address: string) => {
  const r = throttle.reserve(user, address);
  if (r.slot === null) throw new Error(`${user} from ${address} was throttled`);
};

describe('login throttle', () => {
  it('blocks a user name after the per-user limit, until the window moves on', () => {
    let now = 1_000_000;
    const throttle = createLoginThrottle({ perUser: 3, perAddress: 100, windowMs: 60_000, now: () => now });
    for (let i = 0; i < 3; i++) fail(throttle, 'alice', `10.0.0.${i}`);
    expect(throttle.reserve('alice', '10.0.0.9')).toEqual({ slot: null, retryAfter: 60 });
    expect(throttle.reserve('bob', '10.0.0.9').retryAfter).toBe(0);
    now += 60_001;
    expect(throttle.reserve('alice', '10.0.0.9').retryAfter).toBe(0);
  });

  it('blocks an address that sprays many user names', () => {
    const throttle = createLoginThrottle({ perUser: 100, perAddress: 5, windowMs: 60_000 });
    for (let i = 0; i < 5; i++) fail(throttle, `user${i}`, '192.0.2.1');
    expect(throttle.reserve('someone-else', '192.0.2.1').retryAfter).toBeGreaterThan(0);
    expect(throttle.reserve('someone-else', '192.0.2.2').retryAfter).toBe(0);
  });

  it('counts an attempt when it is reserved, so concurrent guesses get only the limit\'s number of password checks', () => {
    const throttle = createLoginThrottle({ perUser: 5, perAddress: 20 });
    // 100 guesses arrive before any answer: each reserves before its (slow) password check starts.
    const sameUser = Array.from({ length: 100 }, () => throttle.reserve('alice', `198.51.100.${Math.floor(Math.random() * 250)}`));
    expect(sameUser.filter((r) => r.slot !== null)).toHaveLength(5);
    const sameAddress = Array.from({ length: 100 }, (_, i) => throttle.reserve(`user${i}`, '192.0.2.1'));
    expect(sameAddress.filter((r) => r.slot !== null)).toHaveLength(20);
  });

  it('forgets a user\'s failures after a successful sign-in, and the success does not count against the address', () => {
    const throttle = createLoginThrottle({ perUser: 2, perAddress: 3 });
    fail(throttle, 'alice', 'a');
    const right = throttle.reserve('alice', 'a');
    right.slot!.succeeded();
    fail(throttle, 'alice', 'a');
    expect(throttle.reserve('alice', 'a').retryAfter).toBe(0);
    // Three attempts from "a" still count (two failures, the reservation just made); the success does not.
    expect(throttle.reserve('bob', 'a').retryAfter).toBeGreaterThan(0);
  });

  it('takes back an attempt whose password could not be checked', () => {
    const throttle = createLoginThrottle({ perUser: 1, perAddress: 1 });
    throttle.reserve('alice', 'a').slot!.release();
    expect(throttle.reserve('alice', 'a').retryAfter).toBe(0);
  });

  it('keeps an address\'s record however many user names are sprayed from elsewhere', () => {
    let now = 1_000_000;
    const throttle = createLoginThrottle({ perUser: 5, perAddress: 20, maxKeys: 1000, now: () => now });
    for (let i = 0; i < 20; i++) fail(throttle, `guess${i}`, '192.0.2.1');
    for (let i = 0; i < 12_000; i++) throttle.reserve(`spray${i}`, `10.${(i >> 8) & 255}.${i & 255}.1`);
    expect(throttle.reserve('x', '192.0.2.1').retryAfter).toBeGreaterThan(0);
    // A full table refuses new names until its oldest records expire, instead of forgetting live ones.
    expect(throttle.reserve('newcomer', '203.0.113.1').slot).toBeNull();
    now += 5 * 60_000 + 1;
    expect(throttle.reserve('newcomer', '203.0.113.1').slot).not.toBeNull();
  });

  it('counts IPv6 clients by their /64, and IPv4-mapped addresses as IPv4', () => {
    expect(addressKey('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:db8:1:2:ffff:1:2:3')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:0db8::7')).toBe('2001:db8:0:0::/64');
    expect(addressKey('::1')).toBe('0:0:0:0::/64');
    expect(addressKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    expect(addressKey('::ffff:192.0.2.1')).toBe('192.0.2.1');
    expect(addressKey('192.0.2.1')).toBe('192.0.2.1');
    const throttle = createLoginThrottle({ perUser: 100, perAddress: 2 });
    fail(throttle, 'a', '2001:db8:1:2::1');
    fail(throttle, 'b', '2001:db8:1:2::2');
    expect(throttle.reserve('c', '2001:db8:1:2::3').retryAfter).toBeGreaterThan(0);
    expect(throttle.reserve('c', '2001:db8:1:3::3').retryAfter).toBe(0);
  });
});
