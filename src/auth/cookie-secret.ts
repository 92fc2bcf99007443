// The cookie secret at <data_dir>/jupyterhub_cookie_secret signs every cookie the hub sets. It is created
// 0600 on first start and refused when others can read it, as JupyterHub does; deleting it signs everyone out.
import { randomBytes } from 'node:crypto';
import { openSync, readFileSync, statSync, writeSync, closeSync } from 'node:fs';
import path from 'node:path';

export const COOKIE_SECRET_FILE = 'jupyterhub_cookie_secret';

export class CookieSecretError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CookieSecretError';
  }
}

/** Reads the secret, creating it when missing. Returns the 32 secret bytes. */
export function loadCookieSecret(dataDir: string): Buffer {
  const file = path.join(dataDir, COOKIE_SECRET_FILE);
  let fd: number;
  try {
    fd = openSync(file, 'wx', 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw new CookieSecretError(`${file} cannot be created (${(err as Error).message}): make hub.data_dir writable`);
    }
    return readExisting(file);
  }
  const secret = randomBytes(32);
  writeSync(fd, secret.toString('hex') + '\n');
  closeSync(fd);
  return secret;
}

function readExisting(file: string): Buffer {
  const mode = statSync(file).mode & 0o777;
  if (mode & 0o077) {
    throw new CookieSecretError(
      `${file} has permissions ${mode.toString(8).padStart(3, '0')}, readable by group or others: ` +
        `run chmod 600 ${file} (or delete it to sign everyone out and make a new one)`,
    );
  }
  const text = readFileSync(file, 'utf8').trim();
  if (!/^[0-9a-f]{64}$/i.test(text)) {
    throw new CookieSecretError(
      `${file} must hold 32 bytes as 64 hex characters (found ${text.length} characters): ` +
        'delete it to have a new one made (this signs everyone out)',
    );
  }
  return Buffer.from(text, 'hex');
}
