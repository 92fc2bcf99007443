// The proxy thread's logger. Its lines go to the main thread (thread.ts' relayLog), whose pino logger writes them
// with its redaction and format, so the thread needs only the shape of a line: {level, ...bindings, ...fields, msg}.
// Not pino itself: pino is 1.2 MB of each proxy thread's heap (two threads on a 2-core machine), and a thread starts
// sooner without loading it. Errors go through pino's own `err` serializer (pino-std-serializers, a few KB).
import { err as serializeError } from 'pino-std-serializers';
import type { Logger } from '../log.js';

const LEVELS = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 } as const;
type Level = keyof typeof LEVELS;

/**
 * A logger with the part of pino's API the proxy modules use: the six level methods with (fields, message) or
 * (message), child(bindings) and level. `err` fields go through pino's standard serializer (type, message and stack
 * with their causes, the error's own fields such as code), so a thread's error lines read as the main thread's do.
 */
export function createThreadLogger(level: string, write: (line: string) => void): Logger {
  if (!Object.hasOwn(LEVELS, level) && level !== 'silent') throw new Error(`proxy thread: unknown log level ${JSON.stringify(level)}`);
  const threshold = level === 'silent' ? Infinity : LEVELS[level as Level];
  const make = (bindings: Record<string, unknown>): Logger => {
    const logger: Record<string, unknown> = { level, child: (more: Record<string, unknown>) => make({ ...bindings, ...more }) };
    for (const name of Object.keys(LEVELS) as Level[]) {
      logger[name] = LEVELS[name] < threshold
        ? () => undefined
        : (fields: unknown, message?: string) => {
            const own = typeof fields === 'string' ? { msg: fields } : fields instanceof Error ? { err: fields } : (fields as Record<string, unknown> | undefined);
            const record: Record<string, unknown> = { level: name, ...bindings, ...own };
            if (record.err instanceof Error) record.err = serializeError(record.err);
            if (typeof fields !== 'string' && message !== undefined) record.msg = message;
            write(JSON.stringify(record));
          };
    }
    // The proxy modules call only what is built above (a test sends every kind of line through a thread).
    return logger as unknown as Logger;
  };
  return make({});
}
