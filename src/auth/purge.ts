// Deletes expired API tokens, OAuth access tokens and OAuth codes (JupyterHub's purge_expired_tokens): once when
// the hub starts, then hourly, so rows nobody lists again do not pile up. Lookups already refuse expired rows.
import type { Logger } from '../log.js';
import type { OAuthCodeStore } from './oauth-codes.js';
import type { TokenStore } from './tokens.js';

/** JupyterHub's purge_expired_tokens_interval. */
export const PURGE_INTERVAL_MS = 3600_000;

export interface PurgeDeps {
  tokens: Pick<TokenStore, 'purgeExpired'>;
  oauthCodes: Pick<OAuthCodeStore, 'purgeExpired'>;
}

export function purgeExpired(deps: PurgeDeps, now = new Date()): { tokens: number; codes: number } {
  return { tokens: deps.tokens.purgeExpired(now), codes: deps.oauthCodes.purgeExpired(now) };
}

/** Purges now and every `intervalMs`; the returned function stops the timer. */
export function startPurging(deps: PurgeDeps, logger: Logger, intervalMs = PURGE_INTERVAL_MS): () => void {
  const run = () => {
    try {
      const purged = purgeExpired(deps);
      if (purged.tokens + purged.codes > 0) logger.info(purged, 'purged expired tokens and OAuth codes');
    } catch (err) {
      logger.error({ err }, 'purging expired tokens failed; retrying at the next interval');
    }
  };
  run();
  const timer = setInterval(run, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
