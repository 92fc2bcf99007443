// The hub's outgoing HTTP client on node:http: bodies, limits, timeouts and aborts, against local servers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpRequest } from '../src/http-request.js';
import { startBackend } from './helpers/proxy-harness.js';

let server: Awaited<ReturnType<typeof startBackend>>;

beforeAll(async () => {
  server = await startBackend((req, res) => {
    if (req.url === '/big') res.end('x'.repeat(2 * 1024 * 1024));
    else if (req.url === '/never') res.writeHead(200).write('started'); // and never ends
    else if (req.url === '/silent') return; // never answers
    else req.on('data', () => undefined).on('end', () => res.end(JSON.stringify({ method: req.method, length: req.headers['content-length'] ?? null })));
  });
});
afterAll(() => server.close());

describe('httpRequest', () => {
  it('sends a body with its length and reads the answer', async () => {
    const res = await httpRequest(`${server.url}/echo`, { method: 'POST', body: 'a=1&b=2', timeoutMs: 5000 });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ method: 'POST', length: '7' });
  });

  it('refuses an answer larger than maxBytes', async () => {
    await expect(httpRequest(`${server.url}/big`, { timeoutMs: 5000, maxBytes: 1024 * 1024 })).rejects.toThrow(/larger than 1048576 bytes/);
  });

  it('gives the status without waiting for a body that never ends when readBody is false', async () => {
    const res = await httpRequest(`${server.url}/never`, { timeoutMs: 5000, readBody: false });
    expect(res.status).toBe(200);
  });

  it('fails with ETIMEDOUT when the server never answers', async () => {
    await expect(httpRequest(`${server.url}/silent`, { timeoutMs: 200 })).rejects.toMatchObject({ code: 'ETIMEDOUT' });
  });

  it('stops when its signal aborts', async () => {
    const controller = new AbortController();
    const pending = httpRequest(`${server.url}/silent`, { timeoutMs: 10_000, signal: controller.signal });
    controller.abort(new Error('spawn cancelled'));
    await expect(pending).rejects.toThrow('spawn cancelled');
  });

  it('rejects with the connection error code when nothing listens', async () => {
    await expect(httpRequest('http://127.0.0.1:1/', { timeoutMs: 5000 })).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });
});
