import { describe, expect, it } from 'vitest';
import { dnsLabel, parseSubdomainHost, userHostname, userOrigin } from './user-origin.js';

describe('dnsLabel', () => {
  // Each expected value was computed by JupyterHub 5's utils._strict_dns_safe_encode (the 'idna' subdomain_hook).
  it.each([
    ['alice', 'alice'],
    ['alice-smith', 'alice-smith'],
    ['9lives', '9lives'],
    ['a'.repeat(63), 'a'.repeat(63)],
    ['a@b.org', 'u-aborg--5b26064'],
    ['first.last', 'u-firstlas--23e1b5a'],
    ['_x', 'u-x--a01e47c'],
    ['a--b', 'u-ab--90827a2'],
    ['a_b', 'u-ab--648fa9b'],
    ['1234', 'u-1234--03ac674'],
    ['x-', 'u-x--c8b60ef'],
    ['a'.repeat(64), 'u-aaaaaaaa--ffe054f'],
    ['@@', 'u-x--3330e5b'],
    ['bob_', 'u-bob--56a928f'],
    ['a.b@c-d.e', 'u-abcde--d1f11cc'],
  ])('encodes %s as JupyterHub 5 does (%s)', (name, label) => {
    expect(dnsLabel(name)).toBe(label);
  });

  it('never gives an encoded-looking name the label of another user', () => {
    // "u-ab--648fa9b" is what a_b encodes to; as a name it contains "--", so it is hashed in turn.
    expect(dnsLabel('u-ab--648fa9b')).not.toBe('u-ab--648fa9b');
  });
});

describe('user hosts', () => {
  it('puts a user on a subdomain of the hub host, keeping scheme and port', () => {
    const sub = parseSubdomainHost('http://Hub.Test:8000');
    expect(sub.origin).toBe('http://hub.test:8000');
    expect(userHostname(sub, 'alice')).toBe('alice.hub.test');
    expect(userOrigin(sub, 'alice')).toBe('http://alice.hub.test:8000');
    expect(userOrigin(parseSubdomainHost('https://hub.example.org/'), 'a@b.org')).toBe('https://u-aborg--5b26064.hub.example.org');
  });
});
