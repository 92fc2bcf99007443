// Request bodies are bounded before anything reads them, on every route of the hub app: forms (sign-in, spawn,
// consent, the OAuth token endpoint) at 64 KiB, anything else (the JSON API) at 1 MiB; over it, a 413 naming the
// limit. Sent over a real socket, with and without Content-Length, as a client would.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiApp, type ApiApp } from '../helpers/api-app.js';

let t: ApiApp;
let server: ServerType;
let port: number;

beforeAll(async () => {
  t = createApiApp({ spawner: { images: { default: { image: 'berth/singleuser:test' } } } });
  server = serve({ fetch: t.app.fetch, hostname: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  await t?.close();
});

/** Sends `size` bytes of body in 16 KiB writes; chunked (no Content-Length) unless `declare` is set. */
function send(path: string, headers: Record<string, string>, size: number, declare = false): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    // One connection per request: the hub answers before the upload ends, and a client must not reuse that socket.
    const options = { host: '127.0.0.1', port, path, method: 'POST', agent: false, headers: declare ? { ...headers, 'Content-Length': String(size) } : headers };
    let answered = false;
    const req = http.request(options, (res) => {
      answered = true;
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    });
    // The hub may answer and stop reading before the whole body is sent: that is the point.
    req.on('error', (err: NodeJS.ErrnoException) => (answered && (err.code === 'EPIPE' || err.code === 'ECONNRESET') ? undefined : reject(err)));
    const chunk = Buffer.alloc(16 * 1024, 'a');
    let sent = 0;
    const pump = () => {
      while (sent < size) {
        const n = Math.min(chunk.length, size - sent);
        sent += n;
        if (!req.write(chunk.subarray(0, n))) return void req.once('drain', pump);
      }
      req.end();
    };
    pump();
  });
}

const FORM = { 'Content-Type': 'application/x-www-form-urlencoded' };

describe('request body limits', () => {
  it('answers 413 naming the 64 KiB limit to a larger form at the OAuth token endpoint, chunked or declared', async () => {
    for (const declare of [false, true]) {
      const res = await send('/hub/api/oauth2/token', FORM, 100 * 1024, declare);
      expect(res.status).toBe(413);
      expect(JSON.parse(res.body)).toEqual({ status: 413, message: 'The form sent to /hub/api/oauth2/token is too large: 64 KiB at most.' });
    }
  });

  it('answers 413 to a signed-in user\'s spawn form over 64 KiB, before the server is started', async () => {
    const cookie = await t.signIn('alice');
    const res = await send('/hub/spawn', { ...FORM, Cookie: cookie, 'Sec-Fetch-Site': 'same-origin' }, 2 * 1024 * 1024);
    expect(res.status).toBe(413);
    expect(res.body).toContain('The form sent to /hub/spawn is too large: 64 KiB at most.');
    expect(t.spawner.starts).not.toContain('alice');
  });

  it('answers 413 naming the 1 MiB limit to a larger JSON body anywhere in the API', async () => {
    const token = t.tokenFor('bob');
    for (const path of ['/hub/api/users/bob/tokens', '/hub/api/users', '/hub/api/groups/g/users', '/hub/api/users/bob/server']) {
      const res = await send(path, { 'Content-Type': 'application/json', Authorization: `token ${token}` }, 1024 * 1024 + 1);
      expect(res.status, path).toBe(413);
      expect(JSON.parse(res.body).message).toBe(`The body sent to ${path} is too large: 1024 KiB at most.`);
    }
  });

  it('still accepts a form and a JSON body within the limits', async () => {
    const form = await send('/hub/api/oauth2/token', FORM, 1000);
    expect(form.status).toBe(401);
    const token = t.tokenFor('bob');
    const body = JSON.stringify({ note: 'n'.repeat(1000) });
    const res = await new Promise<number>((resolve) => {
      const req = http.request({ host: '127.0.0.1', port, path: '/hub/api/users/bob/tokens', method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `token ${token}` } }, (r) => { r.resume(); resolve(r.statusCode!); });
      req.end(body);
    });
    expect(res).toBe(201);
  });
});
