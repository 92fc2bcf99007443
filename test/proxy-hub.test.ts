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
  for (const name of ['alice', 'bob', 'erin']) t.users.ensure(name);
});
afterAll(() => t?.cleanup());

// alice's server, started once by whichever test needs it first and only used after that, so any order works.
// A test that needs a server nobody else touched starts one of its own.
let aliceStart: Promise<string> | undefined;
const aliceRunning = () => (aliceStart ??= t.hub.servers.start('alice'));

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
    const res = await fetch(`${t.url}/user/bob/echo?x=1`, { redirect: 'manual' });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('/hub/user/bob/echo?x=1');
  });

  it('proxies HTTP and WebSockets to a server started through hub.servers, without the hub cookie', async () => {
    expect(await aliceRunning()).toBe('started');
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
    await aliceRunning();
    expect(t.hub.servers.get('alice')?.ready).toBe(true);
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
    // A server no other test sends traffic to: the proxy reports a user at most once a second, so earlier traffic
    // would hide this request's.
    expect(await t.hub.servers.start('erin')).toBe('started');
    const sent = Date.now();
    await (await fetch(`${t.url}/user/erin/echo`)).text();
    const after = await until('last activity to move', () => t.hub.servers.get('erin')!.lastActivity?.getTime() ?? 0, (at) => at >= sent);
    expect(after).toBeGreaterThanOrEqual(sent);
    // …and the REST API shows it as last_activity, which is what jupyterhub-idle-culler reads.
    const token = createTokenStore(t.hub.db).issue({ userId: t.users.get('erin')!.id, scopes: ['inherit'], note: 'test' }).token;
    const model = (await (await fetch(`${t.url}/hub/api/users/erin`, { headers: { Authorization: `token ${token}` } })).json()) as {
      servers: Record<string, { last_activity: string }>;
    };
    expect(Date.parse(model.servers[''].last_activity)).toBeGreaterThanOrEqual(sent);
  });

  it('answers 503 (not a redirect) when the container vanished, then routes to the hub once the state check ran', async () => {
    // A hub and network of its own, holding only this container. With other containers on the network, a connection
    // to the removed one's address is not refused: the request hangs (over a minute here), since the proxy sets no
    // connect deadline of its own.
    const h = await startTestHub();
    try {
      h.users.ensure('carol');
      expect(await h.hub.servers.start('carol')).toBe('started');
      expect((await fetch(`${h.url}/user/carol/echo`)).status).toBe(200);
      const { containerId } = h.hub.servers.get('carol')!;
      await h.docker.getContainer(containerId!).remove({ force: true });
      const res = await fetch(`${h.url}/user/carol/api/status`, { redirect: 'manual' });
      expect(res.status).toBe(503);
      expect(await res.json()).toMatchObject({ status: 503, message: expect.stringContaining('/user/carol/') });
      await until('the server to be marked stopped', () => h.hub.servers.get('carol')!.status, (status) => status !== 'running');
      const after = await fetch(`${h.url}/user/carol/api/status`, { redirect: 'manual' });
      expect(after.status).toBe(302);
      expect(after.headers.get('location')).toBe('/hub/user/carol/api/status');
    } finally {
      await h.cleanup();
    }
  });
});
