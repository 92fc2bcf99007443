import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { countsAsReady, probeGaps, readyPathFor, waitUntilReady } from './readiness.js';
import { SpawnError } from './spawner.js';

function firstGaps(n: number): number[] {
  const gaps = probeGaps();
  return Array.from({ length: n }, () => gaps.next().value);
}

describe('readiness probes', () => {
  it('probe a starting server 10 ms after the first try, then at gaps that grow slowly', () => {
    const gaps = firstGaps(12);
    expect(gaps[0]).toBe(10);
    for (let i = 1; i < gaps.length; i++) expect(gaps[i]).toBeGreaterThanOrEqual(gaps[i - 1]);
    // No early jump to long pauses: the sixth gap (about 110 ms into the wait) is still under 40 ms.
    expect(gaps[5]).toBeLessThan(40);
  });

  it('never leave more than 50 ms between probes, however long the server takes', () => {
    expect(Math.max(...firstGaps(10_000))).toBeLessThanOrEqual(50);
  });
});

describe('when a server counts as ready', () => {
  const never = { exited: null, check: async () => {}, logTail: async () => 'last line' };

  async function serve(status: () => number): Promise<{ url: string; close(): Promise<void> }> {
    const server = http.createServer((_req, res) => res.writeHead(status()).end());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return {
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      close: () => new Promise((resolve) => server.close(() => resolve())),
    };
  }

  it('is any answer below 500 at <prefix>api, a 404 or a redirect included', () => {
    expect(readyPathFor('/user/alice/')).toBe('/user/alice/api');
    expect([200, 302, 404, 499].every(countsAsReady)).toBe(true);
    expect([500, 502, 503].some(countsAsReady)).toBe(false);
  });

  it('waits through 503s until the server answers', async () => {
    let answers = 0;
    const server = await serve(() => (++answers < 3 ? 503 : 404));
    try {
      await waitUntilReady(server.url, '/user/alice/api', 5000, new AbortController().signal, never);
      expect(answers).toBe(3);
    } finally {
      await server.close();
    }
  });

  it('gives up after http_timeout naming the last answer and the last log lines', async () => {
    const server = await serve(() => 503);
    try {
      await expect(waitUntilReady(server.url, '/user/alice/api', 300, new AbortController().signal, never)).rejects.toThrow(
        /did not answer HTTP at \/user\/alice\/api within spawner\.http_timeout \(0 s; last: HTTP 503\)\. Last log lines:\nlast line/,
      );
    } finally {
      await server.close();
    }
  });

  it('stops at once when the process is reported gone', async () => {
    const server = await serve(() => 503);
    const exited = new AbortController();
    const gone = { ...never, exited: exited.signal, check: async () => { if (exited.signal.aborted) throw new SpawnError('exited with code 3'); } };
    try {
      const waiting = waitUntilReady(server.url, '/user/alice/api', 30_000, new AbortController().signal, gone);
      exited.abort();
      await expect(waiting).rejects.toThrow('exited with code 3');
    } finally {
      await server.close();
    }
  });
});
