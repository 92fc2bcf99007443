// The hub's log: one JSON line per event with its level and, for requests, the request id the client sees.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../src/log.js';
import { startTestHub, type TestHub } from './helpers/test-hub.js';
import { waitFor } from './helpers/wait-for.js';

const lines: string[] = [];
const sink = { write: (chunk: string) => void lines.push(...chunk.split('\n').filter(Boolean)) };
let t: TestHub;

beforeAll(async () => {
  t = await startTestHub({}, { overrides: { logger: createLogger('info', sink) } });
});
afterAll(() => t?.cleanup());

const entries = () => lines.map((line) => JSON.parse(line) as Record<string, unknown>);

describe('the hub log', () => {
  it('writes every line as one JSON object with a level and a time', () => {
    expect(lines.length).toBeGreaterThan(0);
    for (const entry of entries()) {
      expect(['debug', 'info', 'warn', 'error', 'fatal']).toContain(entry.level);
      expect(typeof entry.time).toBe('string');
      expect(typeof entry.msg).toBe('string');
    }
    expect(entries().some((e) => e.msg === 'hub listening')).toBe(true);
  });

  it('logs each request once with the request id returned in X-Request-Id', async () => {
    const response = await fetch(`${t.url}/hub/health`);
    const id = response.headers.get('x-request-id');
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    await waitFor(() => expect(entries().some((e) => e.requestId === id)).toBe(true));
    const logged = entries().filter((e) => e.requestId === id);
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({ level: 'info', msg: 'request', method: 'GET', url: '/hub/health', status: 200 });
  });

  it('keeps a request id the client sent', async () => {
    const response = await fetch(`${t.url}/hub/api/`, { headers: { 'X-Request-Id': 'trace-1234' } });
    expect(response.headers.get('x-request-id')).toBe('trace-1234');
    await waitFor(() => expect(entries().some((e) => e.requestId === 'trace-1234')).toBe(true));
    expect(entries().filter((e) => e.requestId === 'trace-1234')).toHaveLength(1);
  });
});
