// The proxy inside a whole hub: routes come from the server state (hub.servers), so a started server is reached
// on the public port, a stopped or vanished one is not, and proxied traffic becomes the server's last_activity.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createTokenStore } from '../src/auth/tokens.js';
import { startTestHub, type TestHub } from './helpers/test-hub.js';

let t: TestHub;

beforeAll(async () => {
  t = await startTestHub({}, { overrides: { serverTiming: { activityFlushMs: 200 } } });
  t.users.ensure('alice');
});
afterAll(() => t?.cleanup());

async function until<T>(what: string, probe: () => T | Promise<T>, ok: (value: T) => boolean): Promise<T> {
  for (let i = 0; i < 150; i++) {
    const value = await probe();
    if (ok(value)) return value;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`gave up waiting for ${what}`);
}

describe('the public port of a whole hub', () => {
  it('redirects /user/<name>/… to /hub/user/<name>/… while the server is not running', async () => {
    const res = await fetch(`${t.url}/user/alice/echo?x=1`, { redirect: 'manual' });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('/hub/user/alice/echo?x=1');
  });

  it('proxies HTTP and WebSockets to a server started through hub.servers, without the hub cookie', async () => {
    expect(await t.hub.servers.start('alice')).toBe('started');
    const res = await fetch(`${t.url}/user/alice/echo`, { headers: { cookie: 'jupyterhub-hub-login=hub-secret; jupyterhub-session-id=s1' } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { path: string; headers: Record<string, string>; env: Record<string, string> };
    expect(body.path).toBe('/user/alice/echo');
    expect(body.env.JUPYTERHUB_USER).toBe('alice');
    expect(body.headers.cookie).toBe('jupyterhub-session-id=s1');
    expect(body.headers['x-forwarded-for']).toBe('127.0.0.1');

    const ws = new WebSocket(`${t.url.replace('http', 'ws')}/user/alice/api/kernels/k/channels`);
    await once(ws, 'open');
    const reply = once(ws, 'message');
    ws.send('ping through the hub');
    expect(String((await reply)[0])).toBe('ping through the hub');
    ws.close();
    await once(ws, 'close');
  });

  it("serves proxied requests while the hub's main thread is busy (the proxy has its own thread)", async () => {
    expect(t.hub.servers.get('alice')?.ready).toBe(true); // started by the test above
    const dir = mkdtempSync(join(tmpdir(), 'berth-busy-'));
    const out = join(dir, 'body');
    try {
      // curl is its own process; the test then blocks this thread, which is also the hub's main thread.
      const curl = spawn('curl', ['-s', '-o', out, `${t.url}/user/alice/bytes/4096`], { stdio: 'ignore' });
      const gotAll = () => existsSync(out) && statSync(out).size === 4096;
      const deadline = Date.now() + 20_000;
      while (!gotAll() && Date.now() < deadline) {
        // Busy on purpose: nothing else runs on this thread until the proxied answer is on disk.
      }
      expect(gotAll()).toBe(true);
      await once(curl, 'exit');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("records proxied traffic as the server's last activity", async () => {
    // The proxy reports a user at most once a second: let the earlier tests' traffic fall out of that window.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const sent = Date.now();
    await (await fetch(`${t.url}/user/alice/echo`)).text();
    const after = await until('last activity to move', () => t.hub.servers.get('alice')!.lastActivity?.getTime() ?? 0, (at) => at >= sent);
    expect(after).toBeGreaterThanOrEqual(sent);
    // …and the REST API shows it as last_activity, which is what jupyterhub-idle-culler reads.
    const token = createTokenStore(t.hub.db).issue({ userId: t.users.get('alice')!.id, scopes: ['inherit'], note: 'test' }).token;
    const model = (await (await fetch(`${t.url}/hub/api/users/alice`, { headers: { Authorization: `token ${token}` } })).json()) as {
      servers: Record<string, { last_activity: string }>;
    };
    expect(Date.parse(model.servers[''].last_activity)).toBeGreaterThanOrEqual(sent);
  });

  it('answers 503 (not a redirect) when the container vanished, then routes to the hub once the state check ran', async () => {
    const { containerId } = t.hub.servers.get('alice')!;
    await t.docker.getContainer(containerId!).remove({ force: true });
    const res = await fetch(`${t.url}/user/alice/api/status`, { redirect: 'manual' });
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ status: 503, message: expect.stringContaining('/user/alice/') });
    await until('the server to be marked stopped', () => t.hub.servers.get('alice')!.status, (status) => status !== 'running');
    const after = await fetch(`${t.url}/user/alice/api/status`, { redirect: 'manual' });
    expect(after.status).toBe(302);
    expect(after.headers.get('location')).toBe('/hub/user/alice/api/status');
  });
});
