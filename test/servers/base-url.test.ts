// A whole hub under hub.base_url /jh/: the public port, the proxy, the readiness check and the container's
// environment all use the prefix, and nothing answers at the bare paths (issue 3 point 8).
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startTestHub, type TestHub } from '../helpers/test-hub.js';

let t: TestHub;

beforeAll(async () => {
  t = await startTestHub({ hub: { base_url: '/jh/' } });
  t.users.ensure('alice');
  t.users.ensure('bob');
});
afterAll(() => t?.cleanup());

// alice's server, started once by whichever test needs it first and only read after that, so any order works;
// bob's is never started.
let aliceStart: Promise<string> | undefined;
const aliceRunning = () => (aliceStart ??= t.hub.servers.start('alice'));

interface Echo { path: string; env: Record<string, string>; headers: Record<string, string> }

describe('a hub under base_url /jh/', () => {
  it('serves the hub at /jh/hub/ and sends other paths there', async () => {
    expect((await fetch(`${t.url}/jh/hub/health`)).status).toBe(200);
    const root = await fetch(`${t.url}/jh/`, { redirect: 'manual' });
    expect(root.status).toBe(302);
    expect(root.headers.get('location')).toBe('/jh/hub/');
  });

  it('redirects /jh/user/<name>/… of a stopped server to /jh/hub/user/<name>/…', async () => {
    const res = await fetch(`${t.url}/jh/user/bob/echo?x=1`, { redirect: 'manual' });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('/jh/hub/user/bob/echo?x=1');
  });

  it('starts the server with every URL of its environment under /jh/', async () => {
    expect(await aliceRunning()).toBe('started');
    expect(t.hub.servers.get('alice')).toMatchObject({ url: '/jh/user/alice/', progressUrl: '/jh/hub/api/users/alice/server/progress' });
    const { env } = (await (await fetch(`${t.hub.servers.target('alice')}/jh/user/alice/echo`)).json()) as Echo;
    expect(env).toMatchObject({
      JUPYTERHUB_BASE_URL: '/jh/',
      JUPYTERHUB_SERVICE_PREFIX: '/jh/user/alice/',
      JUPYTERHUB_OAUTH_CALLBACK_URL: '/jh/user/alice/oauth_callback',
    });
    expect(env.JUPYTERHUB_API_URL).toMatch(/^http:\/\/[^/]+:\d+\/jh\/hub\/api$/);
    expect(env.JUPYTERHUB_ACTIVITY_URL).toBe(`${env.JUPYTERHUB_API_URL}/users/alice/activity`);
    expect(env.JUPYTERHUB_SERVICE_URL).toBe('http://0.0.0.0:8888/jh/user/alice/');
  });

  it('proxies HTTP and WebSockets under /jh/user/<name>/ with the full path', async () => {
    await aliceRunning();
    const res = await fetch(`${t.url}/jh/user/alice/echo?q=2`);
    expect(res.status).toBe(200);
    expect(((await res.json()) as Echo).path).toBe('/jh/user/alice/echo');

    const ws = new WebSocket(`${t.url.replace('http', 'ws')}/jh/user/alice/ws`);
    await once(ws, 'open');
    const reply = once(ws, 'message');
    ws.send('under a prefix');
    expect(String((await reply)[0])).toBe('under a prefix');
    ws.close();
    await once(ws, 'close');
  });

  it('does not proxy the bare /user/<name>/ path; it is sent into /jh/hub/', async () => {
    const res = await fetch(`${t.url}/user/alice/echo`, { redirect: 'manual' });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('/jh/hub/user/alice/echo');
  });

  it('the server it started answers its API under /jh/ from inside the container', async () => {
    // The container reaches the hub's internal API under the prefix too.
    await aliceRunning();
    const { env } = (await (await fetch(`${t.url}/jh/user/alice/echo`)).json()) as Echo;
    const view = t.hub.servers.get('alice')!;
    const exec = await t.docker.getContainer(view.containerId!).exec({
      Cmd: ['python3', '-c', `import urllib.request; r = urllib.request.urlopen("${env.JUPYTERHUB_API_URL}/health"); print("STATUS %d" % r.status)`],
      AttachStdout: true,
      AttachStderr: true,
    });
    const stream = await exec.start({});
    let out = '';
    stream.on('data', (chunk: Buffer) => (out += chunk.toString('latin1')));
    await once(stream, 'end');
    expect(out).toContain('STATUS 200');
  });
});
