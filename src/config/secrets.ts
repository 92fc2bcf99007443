// The hub's secrets, read once at the edge beside the config and kept apart from it (never in hub.yaml, never
// logged): the cookie secret (<data_dir>/jupyterhub_cookie_secret) and BERTH_CRYPT_KEY. main.ts loads them; tests
// pass their own to createHub.
import { mkdirSync } from 'node:fs';
import { loadCookieSecret } from '../auth/cookie-secret.js';
import { CRYPT_KEY_ENV, createGithubTokenVault } from '../auth/github-token.js';
import type { HubConfig } from './load.js';

export interface HubSecrets {
  /** 32 bytes that sign every cookie the hub sets. */
  readonly cookieSecret: Buffer;
  /** BERTH_CRYPT_KEY as given (64 hex characters), or undefined; needed when auth.github.pass_token is on. */
  readonly cryptKey: string | undefined;
}

/**
 * Reads BERTH_CRYPT_KEY from `env` and the cookie secret from the data directory (created 0600 on first start).
 * Throws before creating anything when pass_token is on and the key is missing or malformed.
 */
export function loadSecrets(config: Pick<HubConfig, 'auth' | 'dataDir'>, env: Record<string, string | undefined>): HubSecrets {
  const cryptKey = env[CRYPT_KEY_ENV] || undefined;
  createGithubTokenVault(config, { [CRYPT_KEY_ENV]: cryptKey });
  try {
    // A new data directory is private; openDatabase checks it is writable and says so when it is not.
    mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  } catch {
    // loadCookieSecret names the problem and what to do
  }
  return { cookieSecret: loadCookieSecret(config.dataDir), cryptKey };
}
