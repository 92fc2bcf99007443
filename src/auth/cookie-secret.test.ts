import { chmodSync, mkdtempSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { COOKIE_SECRET_FILE, loadCookieSecret } from './cookie-secret.js';

const tempDir = () => mkdtempSync(path.join(tmpdir(), 'berth-secret-'));

describe('the cookie secret file', () => {
  it('is created with mode 0600 and 32 random bytes on first start', () => {
    const dir = tempDir();
    const secret = loadCookieSecret(dir);
    const file = path.join(dir, COOKIE_SECRET_FILE);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(secret).toHaveLength(32);
    expect(readFileSync(file, 'utf8').trim()).toBe(secret.toString('hex'));
  });

  it('is reused on the next start', () => {
    const dir = tempDir();
    expect(loadCookieSecret(dir).equals(loadCookieSecret(dir))).toBe(true);
  });

  it('is replaced by a new secret after it is deleted', () => {
    const dir = tempDir();
    const first = loadCookieSecret(dir);
    unlinkSync(path.join(dir, COOKIE_SECRET_FILE));
    expect(loadCookieSecret(dir).equals(first)).toBe(false);
  });

  it('is refused when group or others can read it', () => {
    const dir = tempDir();
    loadCookieSecret(dir);
    const file = path.join(dir, COOKIE_SECRET_FILE);
    chmodSync(file, 0o644);
    expect(() => loadCookieSecret(dir)).toThrow(/has permissions 644, readable by group or others: run chmod 600/);
    chmodSync(file, 0o640);
    expect(() => loadCookieSecret(dir)).toThrow(/has permissions 640/);
  });

  it('is refused when it does not hold 32 bytes of hex', () => {
    const dir = tempDir();
    const file = path.join(dir, COOKIE_SECRET_FILE);
    writeFileSync(file, 'abcd\n', { mode: 0o600 });
    expect(() => loadCookieSecret(dir)).toThrow(/must hold 32 bytes as 64 hex characters \(found 4 characters\)/);
  });
});
