import { describe, expect, it } from 'vitest';
import { clearClientTableColumn, createClientTableBuffer, encodeClient, openClientTable } from './client-table.js';

describe('the client table the proxy threads share', () => {
  it('caps a client across threads: what one thread counted, the other sees', () => {
    const buffer = createClientTableBuffer(2);
    const [a, b] = [openClientTable(buffer, 0), openClientTable(buffer, 1)];
    expect(a.tryAdd('10.0.0.1', 3)).toBe('added');
    expect(b.tryAdd('10.0.0.1', 3)).toBe('added');
    expect(b.tryAdd('10.0.0.1', 3)).toBe('added');
    expect(a.tryAdd('10.0.0.1', 3)).toBe('over');
    expect(b.tryAdd('10.0.0.1', 3)).toBe('over');
    expect(a.tryAdd('10.0.0.2', 3)).toBe('added'); // another client has its own allowance
    a.remove('10.0.0.1');
    expect(b.tryAdd('10.0.0.1', 3)).toBe('added');
    expect(a.total('10.0.0.1')).toBe(3);
  });

  it('counts without a cap (0), so a cap set later knows what each client holds', () => {
    const table = openClientTable(createClientTableBuffer(1), 0);
    for (let i = 0; i < 5; i++) expect(table.tryAdd('fd00:1:2:3::/64', 0)).toBe('added');
    expect(table.tryAdd('fd00:1:2:3::/64', 5)).toBe('over');
    expect(table.total('fd00:1:2:4::/64')).toBe(0);
  });

  it('ignores a remove of a connection the thread never counted', () => {
    const buffer = createClientTableBuffer(2);
    const [a, b] = [openClientTable(buffer, 0), openClientTable(buffer, 1)];
    a.tryAdd('10.0.0.1', 0);
    b.remove('10.0.0.1');
    expect(a.total('10.0.0.1')).toBe(1);
  });

  it('forgets what a dead thread counted, and only that', () => {
    const buffer = createClientTableBuffer(2);
    const [a, b] = [openClientTable(buffer, 0), openClientTable(buffer, 1)];
    a.tryAdd('10.0.0.1', 0);
    b.tryAdd('10.0.0.1', 0);
    b.tryAdd('10.0.0.2', 0);
    clearClientTableColumn(buffer, 1);
    expect(a.total('10.0.0.1')).toBe(1);
    expect(a.total('10.0.0.2')).toBe(0);
  });

  it('finds every client again after many come and go (removal keeps probe runs whole)', () => {
    const buffer = createClientTableBuffer(2);
    const [a, b] = [openClientTable(buffer, 0), openClientTable(buffer, 1)];
    const clients = Array.from({ length: 20_000 }, (_, i) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
    clients.forEach((client, i) => (i % 2 === 0 ? a : b).tryAdd(client, 0));
    clients.forEach((client, i) => i % 3 === 0 && (i % 2 === 0 ? a : b).remove(client));
    clearClientTableColumn(buffer, 1);
    clients.forEach((client, i) => expect(a.total(client)).toBe(i % 2 === 0 && i % 3 !== 0 ? 1 : 0));
    clients.forEach((client, i) => i % 2 === 0 && a.remove(client));
    expect(new Int32Array(buffer)[1]).toBe(0); // no slot left in use
  });

  it('lets new clients in uncounted once the table is full, instead of refusing them all', () => {
    const table = openClientTable(createClientTableBuffer(1), 0);
    let last: string = 'added';
    for (let i = 0; i < 40_000 && last === 'added'; i++) last = table.tryAdd(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, 1);
    expect(last).toBe('full');
  });

  it('keys IPv4 and IPv6 /64 clients apart', () => {
    expect(encodeClient('10.0.0.1')).not.toEqual(encodeClient('0:0:a00:1::/64'));
    expect(encodeClient('fd00::/64')).toEqual([1, 0, 0]); // not clientKey's form: the shared "unknown" key
    expect(encodeClient('fd00:0:0:0::/64')).toEqual([6, 0xfd000000 | 0, 0]);
  });
});
