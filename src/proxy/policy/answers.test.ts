import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { unavailableHead, unavailableResponse } from './answers.js';

describe("the proxy's own answers", () => {
  it('are a page of its own for browsers, escaping what a name or reason carries', () => {
    const { headers, body } = unavailableResponse(503, { kind: 'user', name: 'a<b', server: '' }, '/', 'is not answering (ECONNREFUSED)', { url: '/user/a<b/lab', accept: 'text/html' });
    expect(headers['Content-Type']).toBe('text/html; charset=utf-8');
    expect(body).toContain('<h1>503: server not answering</h1>');
    expect(body).toContain('The server of a&#60;b at /user/a%3Cb/ is not answering (ECONNREFUSED).');
    expect(body).not.toContain('a<b');
    expect(headers['Content-Length']).toBe(Buffer.byteLength(body));
  });

  it('are JSON for API clients, and a head alone to HEAD', () => {
    expect(unavailableResponse(502, null, '/', 'did not answer', { url: '/hub/api/users', accept: undefined }).body).toBe(
      JSON.stringify({ status: 502, message: 'The hub did not answer. Reload in a few seconds; if this persists, the hub log says why.' }),
    );
    const head = unavailableHead(503, { kind: 'user', name: 'alice', server: '' }, '/', 'is not answering', { url: '/user/alice/api/x', accept: undefined, method: 'HEAD' }, true);
    expect(head.endsWith('Connection: close\r\n\r\n')).toBe(true);
  });

  it('do not load the web app: nothing under src/proxy/ imports src/web/', () => {
    for (const file of ['answers.ts', 'headers.ts', 'limits.ts', '../fast-lane.ts', '../forwarder.ts', '../public-listener.ts', '../http1.ts']) {
      expect(readFileSync(new URL(file, import.meta.url), 'utf8')).not.toMatch(/from '[./]*\/web\//);
    }
  });
});
