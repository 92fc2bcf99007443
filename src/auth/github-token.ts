// Keeps a user's GitHub token at rest, encrypted with AES-256-GCM under BERTH_CRYPT_KEY, only when
// auth.github.pass_token is on, and hands it to the spawner as GITHUB_TOKEN for the user's container.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { HubConfig } from '../config/load.js';
import type { User } from '../db/schema.js';

export const CRYPT_KEY_ENV = 'BERTH_CRYPT_KEY';

export class CryptKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CryptKeyError';
  }
}

export interface GithubTokenVault {
  readonly enabled: boolean;
  /** The value to store in users.githubTokenEncrypted. */
  seal(token: string): string;
  /** Extra container environment for this user: `{ GITHUB_TOKEN }` when a token is kept and readable, else `{}`. */
  envFor(user: Pick<User, 'githubTokenEncrypted'>): Record<string, string>;
}

/** Throws CryptKeyError when pass_token is on and the key is missing or malformed, so the hub refuses to start. */
export function createGithubTokenVault(config: Pick<HubConfig, 'auth'>, env: Record<string, string | undefined>): GithubTokenVault {
  if (!config.auth.github.pass_token) {
    return {
      enabled: false,
      seal: () => {
        throw new Error('auth.github.pass_token is off: GitHub tokens are not kept');
      },
      envFor: () => ({}),
    };
  }
  const key = parseCryptKey(env[CRYPT_KEY_ENV]);
  return {
    enabled: true,
    seal(token) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const sealed = Buffer.concat([cipher.update(token, 'utf8'), cipher.final()]);
      return ['v1', iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), sealed.toString('base64url')].join('.');
    },
    envFor(user): Record<string, string> {
      const token = user.githubTokenEncrypted ? open(key, user.githubTokenEncrypted) : null;
      return token === null ? {} : { GITHUB_TOKEN: token };
    },
  };
}

/** A token sealed under another key (the key was rotated) reads as null: the user signs in again to refresh it. */
function open(key: Buffer, sealed: string): string | null {
  const [version, iv, tag, data] = sealed.split('.');
  if (version !== 'v1' || !iv || !tag || data === undefined) return null;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]).toString('utf8');
  } catch {
    return null;
  }
}

function parseCryptKey(raw: string | undefined): Buffer {
  const how = `set ${CRYPT_KEY_ENV} to 32 random bytes as 64 hex characters (e.g. \`openssl rand -hex 32\`) or base64`;
  if (!raw || raw.trim() === '') {
    throw new CryptKeyError(`auth.github.pass_token is true but ${CRYPT_KEY_ENV} is not set: ${how}, or turn pass_token off`);
  }
  const text = raw.trim();
  const key = /^[0-9a-f]{64}$/i.test(text) ? Buffer.from(text, 'hex') : Buffer.from(text, 'base64');
  if (key.length !== 32 || (!/^[0-9a-f]{64}$/i.test(text) && !/^[A-Za-z0-9+/_-]+={0,2}$/.test(text))) {
    throw new CryptKeyError(`${CRYPT_KEY_ENV} must be 32 bytes (found ${key.length} after decoding): ${how}`);
  }
  return key;
}
