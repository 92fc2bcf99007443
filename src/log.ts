// Structured logs: one JSON line per event with level, time and (for requests) a request id.
// Tokens in URLs are redacted before a line is written.
import { createRequire } from 'node:module';
import type { DestinationStream, Logger } from 'pino';

export type { Logger };

export function createLogger(level: string = 'info', destination?: DestinationStream): Logger {
  // Loaded here rather than imported: the proxy threads import this file for redactUrl and log through the main
  // thread (proxy/thread-log.ts), and pino would be 1.2 MB of each thread's heap.
  const { pino } = createRequire(import.meta.url)('pino') as typeof import('pino');
  return pino(
    {
      level,
      base: undefined,
      formatters: { level: (label) => ({ level: label }) },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: ['token', 'secret', 'headers.authorization', 'headers.cookie'], censor: '[redacted]' },
    },
    destination ?? pino.destination({ dest: 1, sync: false }),
  );
}

const TOKEN_PARAMS = /([?&](?:token|code|state|_xsrf|access_token|client_secret)=)[^&#]*/gi;

/** JupyterHub's deprecated token lookup puts the token in the path: /hub/api/authorizations/token/<token>. */
const TOKEN_PATH = /(\/api\/authorizations\/token\/)[^/?#]+/gi;

/** A URL fit for a log line: secrets in the query string (and the token-lookup path) are replaced. */
export function redactUrl(url: string): string {
  return url.replace(TOKEN_PARAMS, '$1[redacted]').replace(TOKEN_PATH, '$1[redacted]');
}
