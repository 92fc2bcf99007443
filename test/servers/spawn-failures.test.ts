// Starts that cannot succeed, against the real engine: a container that exits, a server that never answers,
// the start deadline, too many starts at once, a cancelled start, a missing image and an unreachable registry.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ProgressEvent } from '../../src/servers/servers.js';
import { startTestHub, type TestHub } from '../helpers/test-hub.js';

async function collect(events: AsyncIterable<ProgressEvent>): Promise<ProgressEvent[]> {
  const out: ProgressEvent[] = [];
  for await (const event of events) out.push(event);
  return out;
}

async function containersOf(t: TestHub, user: string) {
  return t.docker.listContainers({ all: true, filters: { label: [`berth.test-run=${t.labels['berth.test-run']}`, `berth.user=${user}`] } });
}

describe('a container that exits during the start', () => {
  let t: TestHub;
  beforeAll(async () => {
    t = await startTestHub({
      spawner: {
        environment: { BACKEND_EXIT_CODE: 3 },
        images: { missing: { image: 'berth/not-built-anywhere:test' } },
      },
    });
    // One user per test: a start with an image label keeps it as that user's choice for the next start.
    for (const name of ['alice', 'bob', 'erin']) t.users.ensure(name);
  });
  afterAll(() => t?.cleanup());

  it('fails the start with the exit code and the last log lines, removes the container and stops the server', async () => {
    const error = await t.hub.servers.start('alice').catch((err: unknown) => err);
    expect(error).toMatchObject({ status: 500 });
    expect((error as Error).message).toContain('The container exited with code 3');
    expect((error as Error).message).toContain('backend failing on purpose');
    expect(t.hub.servers.get('alice')).toMatchObject({ status: 'stopped', containerId: null });
    expect(t.hub.servers.get('alice')!.lastError).toContain('exited with code 3');
    expect(await containersOf(t, 'alice')).toEqual([]);
  });

  it('reports the failure on the progress stream afterwards', async () => {
    await expect(t.hub.servers.start('bob')).rejects.toMatchObject({ status: 500 });
    const events = await collect(t.hub.servers.progress('bob'));
    expect(events).toEqual([expect.objectContaining({ failed: true, progress: 100, message: expect.stringContaining('Spawn failed: The container exited with code 3') })]);
  });

  it('fails clearly when the image is missing and pull_policy is never', async () => {
    await expect(t.hub.servers.start('erin', { image: 'missing' })).rejects.toMatchObject({
      status: 500,
      message: expect.stringContaining('Image berth/not-built-anywhere:test is not on the Docker host and spawner.pull_policy is "never"'),
    });
  });
});

describe('a server that is slow to answer', () => {
  let t: TestHub;
  beforeAll(async () => {
    t = await startTestHub(
      { spawner: { environment: { BACKEND_DELAY_S: 60 }, http_timeout: 4, concurrent_spawn_limit: 1 } },
      { overrides: { serverTiming: { slowSpawnMs: 300, slowStopMs: 10_000 } } },
    );
    for (const name of ['alice', 'bob', 'carol', 'dave']) t.users.ensure(name);
  });
  // One user per test, and no start left pending: the next test needs the one spawn slot.
  afterEach(async () => {
    for (const name of ['alice', 'bob', 'carol', 'dave']) await t.hub.servers.stop(name);
  });
  afterAll(() => t?.cleanup());

  it('answers 429 with Retry-After beyond concurrent_spawn_limit, and "pending" to a repeated start', async () => {
    expect(await t.hub.servers.start('alice')).toBe('pending');
    const error = await t.hub.servers.start('bob').catch((err: unknown) => err);
    expect(error).toMatchObject({ status: 429, headers: { 'Retry-After': expect.stringMatching(/^\d+$/) } });
    expect(t.hub.servers.get('bob')!.status).toBe('stopped');
    expect(await t.hub.servers.start('alice')).toBe('pending');
    expect(await containersOf(t, 'alice')).toHaveLength(1);
  });

  it('cancels a pending start on stop: container removed, server stopped, no error recorded', async () => {
    expect(await t.hub.servers.start('carol')).toBe('pending');
    expect(t.hub.servers.get('carol')).toMatchObject({ status: 'spawning', pending: 'spawn' });
    const progress = collect(t.hub.servers.progress('carol'));
    expect(await t.hub.servers.stop('carol')).toBe('stopped');
    expect(t.hub.servers.get('carol')).toMatchObject({ status: 'stopped', lastError: null });
    expect(await containersOf(t, 'carol')).toEqual([]);
    expect((await progress).at(-1)).toEqual({ progress: 100, failed: true, message: 'Spawn cancelled' });
  });

  it('fails after http_timeout with the reason, and removes the container', async () => {
    expect(await t.hub.servers.start('dave')).toBe('pending');
    const events = await collect(t.hub.servers.progress('dave'));
    expect(events.at(-1)).toMatchObject({ failed: true, message: expect.stringContaining('did not answer HTTP at /user/dave/api within spawner.http_timeout (4 s; last: ECONNREFUSED)') });
    expect(t.hub.servers.get('dave')!.lastError).toContain('spawner.http_timeout');
    expect(await containersOf(t, 'dave')).toEqual([]);
  });
});

describe('a server that answers only 5xx', () => {
  let t: TestHub;
  beforeAll(async () => {
    // Any answer below 500 means "up"; a server that answers 503 to everything is not, however fast it answers.
    const server = 'import http.server as h\nclass H(h.BaseHTTPRequestHandler):\n  def do_GET(self):\n    self.send_response(503); self.end_headers()\nh.HTTPServer(("", 8888), H).serve_forever()';
    t = await startTestHub({ spawner: { http_timeout: 3, cmd: ['python3', '-c', server] } });
    t.users.ensure('alice');
  });
  afterAll(() => t?.cleanup());

  it('is not ready: the start fails after http_timeout naming the last answer, and the container is removed', async () => {
    const error = await t.hub.servers.start('alice').catch((err: unknown) => err);
    expect(error).toMatchObject({ status: 500, message: expect.stringContaining('within spawner.http_timeout (3 s; last: HTTP 503)') });
    expect(t.hub.servers.get('alice')).toMatchObject({ status: 'stopped', containerId: null });
    expect(await containersOf(t, 'alice')).toEqual([]);
  });
});

describe('the start deadline', () => {
  let t: TestHub;
  beforeAll(async () => {
    t = await startTestHub(
      { spawner: { environment: { BACKEND_DELAY_S: 60 }, start_timeout: 3, http_timeout: 30 } },
      { overrides: { serverTiming: { slowSpawnMs: 300 } } },
    );
    t.users.ensure('alice');
  });
  afterAll(() => t?.cleanup());

  it('fails a start that takes longer than start_timeout and removes the container', async () => {
    expect(await t.hub.servers.start('alice')).toBe('pending');
    const events = await collect(t.hub.servers.progress('alice'));
    expect(events.at(-1)).toMatchObject({ failed: true, message: 'Spawn failed: The server did not start within spawner.start_timeout (3 s)' });
    expect(await containersOf(t, 'alice')).toEqual([]);
  });
});

describe('an unreachable registry', () => {
  let t: TestHub;
  beforeAll(async () => {
    // localhost:1 refuses at once: the pull fails without any traffic leaving this machine.
    t = await startTestHub({ spawner: { image: 'localhost:1/berth-unreachable:test', pull_policy: 'always' } });
    t.users.ensure('alice');
  });
  afterAll(() => t?.cleanup());

  it('fails the start with the pull error instead of hanging', async () => {
    await expect(t.hub.servers.start('alice')).rejects.toMatchObject({
      status: 500,
      message: expect.stringContaining('Pulling image localhost:1/berth-unreachable:test failed'),
    });
    expect(t.hub.servers.get('alice')!.status).toBe('stopped');
  });
});
