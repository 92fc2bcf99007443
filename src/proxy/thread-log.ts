// The proxy thread's logger. Its lines go to the main thread (thread.ts' relayLog), whose pino logger writes them
// with its redaction and format, so the thread needs only the shape of a line: {level, ...bindings, ...fields, msg}.
// Not pino itself: pino is 1.2 MB of each proxy thread's heap (two threads on a 2-core machine), and a thread starts
// sooner without loading it.
import type { Logger } from '../log.js';

const LEVELS = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 } as const;
type Level = keyof typeof LEVELS;

/**
 * A logger with the part of pino's API the proxy modules use: the six level methods with (fields, message) or
 * (message), child(bindings) and level. `err` fields are written as pino writes them (type, message, stack, and the
 * error's own fields such as code), so a thread's error lines read as the main thread's do.
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

/**
 * As pino's standard `err` serializer (pino-std-serializers' err.js): the type; the message and stack with those of
 * the error's causes appended; the errors of an AggregateError; then the error's own enumerable fields, errors among
 * them serialized in turn.
 */
function serializeError(err: Error, seen = new Set<Error>()): Record<string, unknown> {
  seen.add(err);
  const causes: Error[] = [];
  for (let cause = err.cause; isErrorLike(cause) && !causes.includes(cause) && cause !== err; cause = cause.cause) causes.push(cause);
  const out: Record<string, unknown> = {
    type: typeof err.constructor === 'function' ? err.constructor.name : err.name,
    message: [err, ...causes].map((e) => e.message).join(': '),
    stack: [err, ...causes].map((e) => e.stack ?? '').join('\ncaused by: '),
  };
  if (err instanceof AggregateError) out.aggregateErrors = err.errors.map((e: Error) => serializeError(e, new Set()));
  for (const key in err) {
    if (out[key] !== undefined) continue;
    const value = (err as unknown as Record<string, unknown>)[key];
    if (!isErrorLike(value)) out[key] = value;
    else if (key !== 'cause' && !seen.has(value)) out[key] = serializeError(value, seen);
  }
  return out;
}

function isErrorLike(value: unknown): value is Error {
  return typeof value === 'object' && value !== null && typeof (value as { message?: unknown }).message === 'string';
}
