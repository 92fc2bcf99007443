import { describe, expect, it } from 'vitest';
import { createLogger } from '../log.js';
import { createThreadLogger } from './thread-log.js';

/** The lines a logger writes for `calls`, parsed, without pino's time (the main thread drops it from relayed lines). */
function linesOf(make: (write: (line: string) => void) => ReturnType<typeof createLogger>, calls: (log: ReturnType<typeof createLogger>) => void) {
  const lines: Record<string, unknown>[] = [];
  calls(make((line) => lines.push(JSON.parse(line) as Record<string, unknown>)));
  return lines.map(({ time: _time, ...rest }) => rest);
}

describe('the proxy thread logger', () => {
  const pinoLines = (level: string, calls: (log: ReturnType<typeof createLogger>) => void) =>
    linesOf((write) => createLogger(level, { write }), calls);
  const threadLines = (level: string, calls: (log: ReturnType<typeof createLogger>) => void) =>
    linesOf((write) => createThreadLogger(level, write), calls);

  it('writes the lines pino writes for the calls the proxy modules make, errors included', () => {
    // Made once, so both loggers see the same stacks.
    const refused = Object.assign(new Error('connect ECONNREFUSED', { cause: new TypeError('inner') }), { code: 'ECONNREFUSED', errno: -111 });
    const bare = new RangeError('bare error');
    const many = new AggregateError([new Error('first'), Object.assign(new Error('second'), { code: 'E2' })], 'all failed');
    const nested = Object.assign(new Error('outer'), { inner: new Error('inner field') });
    const calls = (log: ReturnType<typeof createLogger>) => {
      const proxy = log.child({ component: 'proxy' }).child({ thread: 1 });
      proxy.warn({ user: 'alice', code: 'ECONNREFUSED', url: '/user/alice/?token=[redacted]' }, 'user server unreachable');
      proxy.error({ err: refused }, 'recording activity failed');
      proxy.info('plain message');
      proxy.error(bare, 'with a message');
      proxy.debug({ hidden: true }, 'below the level');
      log.fatal({ n: 1 });
      proxy.warn({ err: many }, 'aggregate');
      proxy.warn({ err: nested, error: 'a string field' }, 'nested');
    };
    const expected = pinoLines('info', calls);
    expect(expected).toHaveLength(7);
    expect(threadLines('info', calls)).toEqual(expected);
  });

  it('writes nothing below its level, and nothing at silent', () => {
    expect(threadLines('warn', (log) => { log.info('no'); log.debug('no'); log.warn('yes'); })).toEqual([{ level: 'warn', msg: 'yes' }]);
    expect(threadLines('silent', (log) => log.fatal('no'))).toEqual([]);
    expect(createThreadLogger('debug', () => undefined).level).toBe('debug');
  });

  it('refuses a level pino does not know', () => {
    expect(() => createThreadLogger('loud', () => undefined)).toThrow(/unknown log level "loud"/);
    expect(() => createThreadLogger('toString', () => undefined)).toThrow(/unknown log level/);
  });
});
