import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../db/open.js';
import { createUserStore } from '../users/store.js';
import { compareToken, createTokenStore, generateOAuthToken, hashToken } from './tokens.js';

const dir = mkdtempSync(path.join(tmpdir(), 'berth-tokens-'));
const opened = openDatabase(dir);
const tokens = createTokenStore(opened.db);
const alice = createUserStore(opened.db).ensure('alice');
afterAll(() => {
  opened.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('token formats and hashing', () => {
  it('issues uuid4-hex API tokens and 30-character alphanumeric OAuth tokens', () => {
    expect(tokens.issue({ userId: alice.id, scopes: [] }).token).toMatch(/^[0-9a-f]{32}$/);
    expect(tokens.issue({ userId: alice.id, scopes: [], format: 'oauth' }).token).toMatch(/^[A-Za-z0-9]{30}$/);
    expect(new Set(Array.from({ length: 50 }, () => generateOAuthToken())).size).toBe(50);
  });

  it('hashes as sha512:rounds:salt:digest with a fresh salt, and compares only the right token', () => {
    const a = hashToken('secret-token');
    const b = hashToken('secret-token');
    expect(a).toMatch(/^sha512:1:[0-9a-f]{16}:[0-9a-f]{128}$/);
    expect(a).not.toBe(b);
    expect(compareToken(a, 'secret-token')).toBe(true);
    expect(compareToken(a, 'secret-tokeN')).toBe(false);
    expect(compareToken('md5:1:00:abc', 'secret-token')).toBe(false);
    expect(compareToken(hashToken('chosen-by-admin', 16384), 'chosen-by-admin')).toBe(true);
  });

  it('finds a token by prefix and hash, never by the prefix alone', () => {
    const { token, row } = tokens.issue({ userId: alice.id, scopes: ['read:users'] });
    expect(tokens.find(token)?.id).toBe(row.id);
    expect(tokens.find(`${token.slice(0, 4)}${'0'.repeat(28)}`)).toBeNull();
    expect(tokens.find(token.slice(0, 7))).toBeNull();
  });

  it('finds an admin-chosen token again after its first check, never a wrong one with its prefix, and not once revoked', () => {
    const chosen = 'culler-token-from-hub-yaml';
    const { row } = tokens.issue({ serviceName: 'culler', scopes: ['list:users'], supplied: chosen });
    expect(row.hash).toMatch(/^sha512:16384:/);
    expect(tokens.find(chosen)?.id).toBe(row.id);
    expect(tokens.find(chosen)?.id).toBe(row.id);
    expect(tokens.find('culler-token-from-hub-yamL')).toBeNull();
    expect(tokens.find(chosen)?.id).toBe(row.id);

    expect(tokens.revoke(row.id)).toBe(true);
    expect(tokens.find(chosen)).toBeNull();
    const again = tokens.issue({ serviceName: 'culler', scopes: ['list:users'], supplied: chosen });
    expect(tokens.find(chosen)?.id).toBe(again.row.id);
    const expiring = tokens.issue({ serviceName: 'ops', scopes: [], supplied: 'ops-token-chosen', expiresIn: -1 });
    expect(expiring.row.expiresAt!.getTime()).toBeLessThan(Date.now());
    expect(tokens.find('ops-token-chosen')).toBeNull();
  });

  it('refuses to revoke every token at once', () => {
    expect(() => tokens.revokeWhere({})).toThrow(/at least one condition/);
  });
});
