// The REST endpoints that start, stop and watch a server, over HTTP against a whole hub with real tokens:
// status codes (201/202, 204/202), empty text/plain bodies, scope checks, the catalog, and the progress stream.
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createOAuthClientStore } from '../../src/auth/oauth-clients.js';
import { createTokenStore } from '../../src/auth/tokens.js';
import { createLogger } from '../../src/log.js';
import { startTestHub, type TestHub } from '../helpers/test-hub.js';

function tokenFor(t: TestHub, name: string, scopes = ['inherit']): string {
  const user = t.users.ensure(name);
  return createTokenStore(t.hub.db).issue({ userId: user.id, scopes, note: 'test' }).token;
}

function api(t: TestHub, token: string | null, method: string, path: string, body?: string) {
  return fetch(`${t.url}/hub/api${path}`, {
    method,
    headers: token ? { Authorization: `token ${token}` } : {},
    body,
  });
}

/** Reads a text/event-stream response to its end; answers the parsed data lines and the raw text. */
async function readStream(res: Response): Promise<{ events: Record<string, unknown>[]; raw: string }> {
  const raw = await res.text();
  const events = raw.split('\n').filter((line) => line.startsWith('data: ')).map((line) => JSON.parse(line.slice(6)) as Record<string, unknown>);
  return { events, raw };
}

describe('start and stop over the API', () => {
  // Each test has a user of its own (and starts what it needs), so the tests run in any order.
  let t: TestHub;
  beforeAll(async () => {
    t = await startTestHub({ spawner: { images: { base: { image: 'berth/backend:test' } } } });
  });
  afterAll(() => t?.cleanup());

  it('refuses a start without credentials (403) and on another user\'s server (404)', async () => {
    tokenFor(t, 'alice');
    const bob = tokenFor(t, 'bob');
    expect((await api(t, null, 'POST', '/users/alice/server')).status).toBe(403);
    const res = await api(t, bob, 'POST', '/users/alice/server');
    expect(res.status).toBe(404);
    expect(t.hub.servers.get('alice')!.status).toBe('stopped');
  });

  it('answers 400 with the allowed labels for an image outside the catalog', async () => {
    const amy = tokenFor(t, 'amy');
    const res = await api(t, amy, 'POST', '/users/amy/server', JSON.stringify({ image: 'evil/miner:latest' }));
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ status: 400, message: expect.stringContaining('must be one of the labels "base"') });
  });

  it('starts with 201 and an empty text/plain body, then answers 400 "already running"', async () => {
    const cara = tokenFor(t, 'cara');
    const res = await api(t, cara, 'POST', '/users/cara/server');
    expect(res.status).toBe(201);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await res.text()).toBe('');
    expect(t.hub.servers.get('cara')!.ready).toBe(true);
    const again = await api(t, cara, 'POST', '/users/cara/server', JSON.stringify({}));
    expect(again.status).toBe(400);
    expect(await again.json()).toEqual({ status: 400, message: "cara's server is already running" });
  });

  it('sends only the ready event on the progress stream of a running server', async () => {
    const dan = tokenFor(t, 'dan');
    expect((await api(t, dan, 'POST', '/users/dan/server')).status).toBe(201);
    const res = await api(t, dan, 'GET', '/users/dan/server/progress');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(res.headers.get('cache-control')).toBe('no-cache');
    const { events } = await readStream(res);
    expect(events).toEqual([{
      progress: 100, ready: true, url: '/user/dan/', message: 'Server ready at /user/dan/',
      html_message: 'Server ready at <a href="/user/dan/">/user/dan/</a>',
    }]);
  });

  it('stops with 204, and answers 204 again for a stopped server', async () => {
    const eve = tokenFor(t, 'eve');
    expect((await api(t, eve, 'POST', '/users/eve/server')).status).toBe(201);
    const res = await api(t, eve, 'DELETE', '/users/eve/server');
    expect(res.status).toBe(204);
    expect(t.hub.servers.get('eve')!.status).toBe('stopped');
    expect((await api(t, eve, 'DELETE', '/users/eve/server')).status).toBe(204);
  });

  it('answers 400 on the progress stream when nothing is starting', async () => {
    const finn = tokenFor(t, 'finn');
    expect((await api(t, finn, 'POST', '/users/finn/server')).status).toBe(201);
    expect((await api(t, finn, 'DELETE', '/users/finn/server')).status).toBe(204);
    const res = await api(t, finn, 'GET', '/users/finn/server/progress');
    expect(res.status).toBe(400);
  });

  it('treats /servers/ with an empty name as the default server and refuses named servers', async () => {
    const gus = tokenFor(t, 'gus');
    expect((await api(t, gus, 'POST', '/users/gus/servers/', JSON.stringify({ image: 'base' }))).status).toBe(201);
    expect(t.hub.servers.get('gus')!.imageLabel).toBe('base');
    expect((await api(t, gus, 'DELETE', '/users/gus/servers/')).status).toBe(204);
    const named = await api(t, gus, 'POST', '/users/gus/servers/lab');
    expect(named.status).toBe(400);
    expect((await named.json()).message).toContain('Named servers are not enabled');
  });

  it("gives each start a fresh server token and OAuth client, and revokes both on stop", async () => {
    const tokenOfServer = async () => {
      const env = (await t.docker.getContainer(t.hub.servers.get('hal')!.containerId!).inspect()).Config.Env;
      return env.find((e) => e.startsWith('JUPYTERHUB_API_TOKEN='))!.split('=')[1];
    };
    const hal = tokenFor(t, 'hal');
    const clients = createOAuthClientStore(t.hub.db);
    expect((await api(t, hal, 'POST', '/users/hal/server')).status).toBe(201);
    const first = await tokenOfServer();
    const who = await api(t, first, 'GET', '/user');
    expect(who.status).toBe(200);
    const model = (await who.json()) as { name: string; scopes: string[] };
    expect(model.name).toBe('hal');
    // Scoped to that one server (JupyterHub's `server` role), nothing of hal's own beyond it.
    expect(model.scopes).toEqual(['access:servers!server=hal/', 'read:users:activity!user=hal', 'users:activity!user=hal']);
    expect(clients.authenticate('jupyterhub-user-hal', first)).toMatchObject({ redirectUri: '/user/hal/oauth_callback' });

    expect((await api(t, hal, 'DELETE', '/users/hal/server')).status).toBe(204);
    expect((await api(t, first, 'GET', '/user')).status).toBe(403);
    expect(clients.get('jupyterhub-user-hal')).toBeNull();

    expect((await api(t, hal, 'POST', '/users/hal/server')).status).toBe(201);
    const second = await tokenOfServer();
    expect(second).not.toBe(first);
    expect(clients.authenticate('jupyterhub-user-hal', second)).not.toBeNull();
    expect((await api(t, hal, 'DELETE', '/users/hal/server')).status).toBe(204);
  });

  it('refuses start and stop to a token that may only read the server (403)', async () => {
    const reader = tokenFor(t, 'ida', ['read:servers!user=ida']);
    expect((await api(t, reader, 'POST', '/users/ida/server')).status).toBe(403);
    expect((await api(t, reader, 'DELETE', '/users/ida/server')).status).toBe(403);
  });
});

describe('repeated starts and stops', () => {
  it('answers clearly (400 "already running", 204 again) and logs no warning or error for them', async () => {
    const lines: { level: string; msg: string }[] = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        for (const line of String(chunk).split('\n')) if (line.trim()) lines.push(JSON.parse(line));
        done();
      },
    });
    const t = await startTestHub({}, { overrides: { logger: createLogger('info', sink) } });
    try {
      const alice = tokenFor(t, 'alice');
      expect((await api(t, alice, 'POST', '/users/alice/server')).status).toBe(201);
      const again = await api(t, alice, 'POST', '/users/alice/server');
      expect(again.status).toBe(400);
      expect(await again.json()).toEqual({ status: 400, message: "alice's server is already running" });
      expect((await api(t, alice, 'DELETE', '/users/alice/server')).status).toBe(204);
      expect((await api(t, alice, 'DELETE', '/users/alice/server')).status).toBe(204);
      expect(lines.map((l) => l.msg)).toContain('server stopped'); // the hub's log did reach this sink
      expect(lines.filter((l) => l.level === 'warn' || l.level === 'error' || l.level === 'fatal')).toEqual([]);
    } finally {
      await t.cleanup();
    }
  });
});

describe('the progress stream of a slow start', () => {
  let t: TestHub;
  let alice: string;
  beforeAll(async () => {
    // The server listens after 9 s, so the stream stays open past one 8 s keep-alive.
    t = await startTestHub({ spawner: { environment: { BACKEND_DELAY_S: 9 } } }, { overrides: { serverTiming: { slowSpawnMs: 200 } } });
    alice = tokenFor(t, 'alice');
  });
  afterAll(() => t?.cleanup());

  it('answers 202 to a start that is still pending, streams the steps in order, and keeps the stream alive', async () => {
    const res = await api(t, alice, 'POST', '/users/alice/server');
    expect(res.status).toBe(202);
    expect(await res.text()).toBe('');
    expect(t.hub.servers.get('alice')!.pending).toBe('spawn');
    const { events, raw } = await readStream(await api(t, alice, 'GET', '/users/alice/server/progress'));
    expect(events.map((e) => e.message)).toEqual([
      'Server requested',
      `Creating container ${t.network}-alice`,
      'Starting container',
      'Waiting for the server to answer HTTP at /user/alice/api',
      'Server ready at /user/alice/',
    ]);
    expect(events.at(-1)).toMatchObject({ ready: true, progress: 100, url: '/user/alice/' });
    // A keep-alive is a bare blank line between events: four newlines in a row.
    expect(raw).toContain('\n\n\n\n');
  }, 60_000);
});

describe('a stop slower than the stop window', () => {
  let t: TestHub;
  let alice: string;
  beforeAll(async () => {
    // The container's PID 1 ignores SIGTERM, so Docker takes its 5 s grace before killing it: the stopping state
    // lasts that long, and a zero stop window makes the API answer 202 at once.
    t = await startTestHub(
      { spawner: { cmd: ['sh', '-c', 'trap "" TERM; python3 -u /srv/backend/backend.py'] } },
      { overrides: { serverTiming: { slowStopMs: 0 } } },
    );
    alice = tokenFor(t, 'alice');
  });
  afterAll(() => t?.cleanup());

  it('answers 202 while stopping, 400 "pending stop" to a start, and 202 to a repeated stop', async () => {
    expect((await api(t, alice, 'POST', '/users/alice/server')).status).toBe(201);
    const res = await api(t, alice, 'DELETE', '/users/alice/server');
    expect(res.status).toBe(202);
    expect(await res.text()).toBe('');
    expect(t.hub.servers.get('alice')!.pending).toBe('stop');
    const start = await api(t, alice, 'POST', '/users/alice/server');
    expect(start.status).toBe(400);
    expect((await start.json()).message).toContain('pending stop');
    expect((await api(t, alice, 'DELETE', '/users/alice/server')).status).toBe(202);
    await vi.waitFor(() => expect(t.hub.servers.get('alice')!.status).toBe('stopped'), { timeout: 15_000 });
    expect((await api(t, alice, 'DELETE', '/users/alice/server')).status).toBe(204);
  });
});
