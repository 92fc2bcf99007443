import { describe, expect, it } from 'vitest';
import { createTrustedProxies, parseAddressRange, resolveForwarding } from './trusted-proxies.js';

describe('parseAddressRange', () => {
  it.each(['127.0.0.1', '10.0.0.0/8', '::1', 'fd00::/8', '0.0.0.0/0'])('accepts %s', (value) => expect(parseAddressRange(value)).not.toBeNull());
  it.each(['', 'localhost', '10.0.0.0/33', '::1/129', '10.0.0.1/8/8', '10.0.0.0/x', '300.1.1.1'])('refuses %j', (value) => expect(parseAddressRange(value)).toBeNull());
});

describe('createTrustedProxies', () => {
  const trust = createTrustedProxies(['10.0.0.0/8', '::1']);
  it('trusts addresses in the ranges, IPv4-mapped ones too', () => {
    expect(trust.trusts('10.2.3.4')).toBe(true);
    expect(trust.trusts('::ffff:10.2.3.4')).toBe(true);
    expect(trust.trusts('::1')).toBe(true);
  });
  it('trusts nothing else, nor anything when the list is empty', () => {
    expect(trust.trusts('11.0.0.1')).toBe(false);
    expect(trust.trusts('not an address')).toBe(false);
    expect(createTrustedProxies([]).trusts('127.0.0.1')).toBe(false);
  });
});

describe('resolveForwarding', () => {
  const trust = createTrustedProxies(['10.0.0.0/8']);
  it('skips trusted proxies from the right to find the client', () => {
    const out = resolveForwarding({ for: '6.6.6.6, 203.0.113.5, 10.0.0.7' }, '10.0.0.1', false, 'h', trust);
    expect(out.for).toBe('6.6.6.6, 203.0.113.5');
  });
  it('takes only http or https as the scheme, else the connection\'s', () => {
    expect(resolveForwarding({ proto: 'javascript' }, '10.0.0.1', true, 'h', trust).proto).toBe('https');
    expect(resolveForwarding({ proto: 'http, https' }, '10.0.0.1', false, 'h', trust).proto).toBe('https');
  });
  it('refuses a host with characters no Host may hold', () => {
    expect(resolveForwarding({ host: 'evil.example/<script>' }, '10.0.0.1', false, 'hub.example', trust).host).toBe('hub.example');
  });
});
