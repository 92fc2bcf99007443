import { describe, expect, it } from 'vitest';
import { hubAddressOn, inSubnet } from './overlay-network.js';

const network = { id: 'x', name: 'berth', subnets: ['10.0.1.0/24'] };
const iface = (address: string) => ({ address, netmask: '255.255.255.0', family: 'IPv4' as const, mac: '', internal: false, cidr: null });

describe('the hub on the overlay', () => {
  it('matches addresses to subnets', () => {
    expect(inSubnet('10.0.1.7', '10.0.1.0/24')).toBe(true);
    expect(inSubnet('10.0.2.7', '10.0.1.0/24')).toBe(false);
    expect(inSubnet('192.168.3.4', '0.0.0.0/0')).toBe(true);
  });

  it('listens and is reached at its own address on the overlay', () => {
    expect(hubAddressOn(network, { lo: [iface('127.0.0.1')], eth1: [iface('10.0.1.9')] })).toEqual({ listenHost: '10.0.1.9', connectHost: '10.0.1.9', mode: 'container' });
  });

  it('refuses to start off the overlay, saying how to attach', () => {
    expect(() => hubAddressOn(network, { eth0: [iface('172.17.0.2')] })).toThrow(/stack\.yaml.*--network berth/);
  });
});
