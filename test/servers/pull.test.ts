// Real pulls by the engine from a local stand-in registry on loopback: spawner.pull_policy decides whether a start
// pulls, a pull shows up on the progress stream with its layers before the container is created, and a failing registry fails the start.
import { randomBytes } from 'node:crypto';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { createTokenStore } from '../../src/auth/tokens.js';
import type { ProgressEvent } from '../../src/servers/servers.js';
import { STALL_BYTES, startFakeRegistry, type FakeRegistry } from '../fakes/registry.js';
import { startTestHub, type TestHub } from '../helpers/test-hub.js';

const docker = new Docker();
const openRegistry = () => startFakeRegistry(docker, { source: 'berth/backend:test', repository: 'berth/pulltest' });

async function closeRegistry(registry: FakeRegistry | undefined) {
  if (!registry) return;
  // Every pulled tag is the served image, which carries this registry's own label: remove it by that label.
  const label = `berth.test.registry=${registry.imageLabels['berth.test.registry']}`;
  for (const image of await docker.listImages({ filters: { label: [label] } })) {
    await docker.getImage(image.Id).remove({ force: true }).catch(() => undefined);
  }
  await registry.close();
}

let registry: FakeRegistry;
beforeAll(async () => {
  registry = await openRegistry();
});
afterAll(() => closeRegistry(registry));

/** A tag no earlier test or run has pulled, so the image starts out absent from the engine. */
const freshImage = (from = registry) => `${from.host}/berth/pulltest:${randomBytes(4).toString('hex')}`;

async function withHub(
  image: string,
  pullPolicy: 'always' | 'ifnotpresent' | 'never',
  body: (t: TestHub) => Promise<void>,
  options: { startTimeout?: number; slowSpawnMs?: number } = {},
) {
  const t = await startTestHub(
    { spawner: { image, pull_policy: pullPolicy, ...(options.startTimeout && { start_timeout: options.startTimeout }) } },
    { overrides: { serverTiming: options.slowSpawnMs ? { slowSpawnMs: options.slowSpawnMs } : {} } },
  );
  try {
    t.users.ensure('alice');
    await body(t);
  } finally {
    await t.cleanup();
  }
}

/** Starts alice's server and reads its whole progress stream. */
async function startWatching(t: TestHub): Promise<{ result: unknown; events: ProgressEvent[] }> {
  const starting = t.hub.servers.start('alice').catch((err: unknown) => err);
  const events: ProgressEvent[] = [];
  for await (const event of t.hub.servers.progress('alice')) events.push(event);
  return { result: await starting, events };
}

const isPresent = (image: string) => docker.getImage(image).inspect().then(() => true, () => false);
const mb = (bytes: number) => (bytes / 1e6).toFixed(1);

describe('pull_policy ifnotpresent with the image absent', () => {
  it('pulls the image, reports the layers on the progress stream before creating the container, and starts it', async () => {
    // A registry of its own: its layers are new to the engine only until some test pulls from that registry.
    const registry = await openRegistry();
    onTestFinished(() => closeRegistry(registry));
    const image = freshImage(registry);
    expect(await isPresent(image)).toBe(false);
    await withHub(image, 'ifnotpresent', async (t) => {
      const token = createTokenStore(t.hub.db).issue({ userId: t.users.ensure('alice').id, scopes: ['inherit'], note: 'test' }).token;
      const headers = { Authorization: `token ${token}` };
      expect((await fetch(`${t.url}/hub/api/users/alice/server`, { method: 'POST', headers })).status).toBe(202);
      const stream = await fetch(`${t.url}/hub/api/users/alice/server/progress`, { headers });
      expect(stream.headers.get('content-type')).toMatch(/^text\/event-stream/);
      const events = (await stream.text())
        .split('\n')
        .filter((line) => line.startsWith('data: '))
        .map((line) => JSON.parse(line.slice(6)) as ProgressEvent);
      expect(t.hub.servers.get('alice')!.status).toBe('running');
      expect(registry.count('manifest')).toBeGreaterThan(0);
      expect(registry.count('blob')).toBe(1 + registry.layers.length); // the config and every layer
      expect(await isPresent(image)).toBe(true);

      const messages = events.map((e) => e.message);
      const at = (prefix: string) => messages.findIndex((m) => m.startsWith(prefix));
      expect(at('Pulling')).toBeGreaterThan(at('Server requested'));
      expect(at('Creating container')).toBeGreaterThan(at('Pulling'));
      expect(messages.slice(at('Creating container')).filter((m) => m.startsWith('Pulling'))).toEqual([]);
      expect(at('Starting container')).toBeGreaterThan(at('Creating container'));
      expect(at('Waiting for the server')).toBeGreaterThan(at('Starting container'));
      expect(events.at(-1)).toMatchObject({ ready: true, message: 'Server ready at /user/alice/' });
      const total = mb(registry.layers.reduce((n, size) => n + size, 0));
      const n = registry.layers.length;
      const pulling = events.filter((e) => e.message.startsWith('Pulling'));
      expect(pulling[0]).toEqual({ progress: 10, message: `Pulling ${image}` });
      expect(pulling.at(-1)).toEqual({ progress: 40, message: `Pulling ${image}: ${n}/${n} layers, ${total} of ${total} MB` });
      // Each state once: the engine's repeated status lines are not passed on.
      const states = pulling.map((e) => `${e.progress} ${e.message}`);
      expect(states).toEqual([...new Set(states)]);
      const percents = events.map((e) => e.progress);
      expect(percents).toEqual([...percents].sort((a, b) => a - b));

      const res = await fetch(`${t.hub.servers.target('alice')}/user/alice/echo`);
      expect(res.status).toBe(200);
    }, { slowSpawnMs: 200 }); // the start answers 202 at once, so the API's progress stream carries every step
  });
});

describe('pull_policy ifnotpresent with the image present', () => {
  it('starts from the local image without asking the registry', async () => {
    const image = freshImage();
    await new Promise((resolve, reject) =>
      docker.pull(image, (err: Error | null, stream: NodeJS.ReadableStream) =>
        err ? reject(err) : docker.modem.followProgress(stream, (done: Error | null) => (done ? reject(done) : resolve(null))),
      ),
    );
    const requests = registry.requests.length;
    await withHub(image, 'ifnotpresent', async (t) => {
      const { result, events } = await startWatching(t);
      expect(result).toBe('started');
      expect(events.filter((e) => e.message.startsWith('Pulling'))).toEqual([]);
      expect(registry.requests.length).toBe(requests);
    });
  });
});

describe('pull_policy always', () => {
  it('pulls again on a second start although the image is present', async () => {
    const image = freshImage();
    await withHub(image, 'always', async (t) => {
      expect((await startWatching(t)).result).toBe('started');
      await t.hub.servers.stop('alice');
      expect(await isPresent(image)).toBe(true);

      const manifests = registry.count('manifest');
      const { result, events } = await startWatching(t);
      expect(result).toBe('started');
      expect(registry.count('manifest')).toBeGreaterThan(manifests);
      expect(events.some((e) => e.message.startsWith(`Pulling ${image}`))).toBe(true);
    }, { slowSpawnMs: 60_000 }); // a start answers 'started' however long the first pull of these layers takes
  });
});

describe('pull_policy never with the image absent', () => {
  it('fails the start naming the image and the policy, without asking the registry', async () => {
    const image = freshImage();
    const requests = registry.requests.length;
    await withHub(image, 'never', async (t) => {
      const { result, events } = await startWatching(t);
      expect(result).toMatchObject({
        status: 500,
        message: expect.stringContaining(`Image ${image} is not on the Docker host and spawner.pull_policy is "never"`),
      });
      expect(events.at(-1)).toMatchObject({ failed: true, message: expect.stringContaining(image) });
      expect(registry.requests.length).toBe(requests);
      expect(t.hub.servers.get('alice')!.status).toBe('stopped');
    });
  });
});

describe('a registry that refuses the manifest', () => {
  for (const status of [404, 500] as const) {
    it(`fails the start with the pull error when the manifest request answers ${status}`, async () => {
      const image = freshImage();
      registry.manifestStatus = status;
      try {
        await withHub(image, 'ifnotpresent', async (t) => {
          const { result, events } = await startWatching(t);
          expect(result).toMatchObject({ status: 500, message: expect.stringContaining(`Pulling image ${image} failed: `) });
          const message = (result as Error).message;
          // The engine words each failure itself; a 500's body never reaches its message.
          expect(message).toContain(status === 404 ? `manifest for ${image} not found` : 'unexpected HTTP status: 500');
          expect(message).toContain('. Check the image name and that the Docker host can reach its registry');
          expect(events.at(-1)).toEqual({ progress: 100, failed: true, message });
          expect(t.hub.servers.get('alice')!.status).toBe('stopped');
          expect(await isPresent(image)).toBe(false);
        });
      } finally {
        registry.manifestStatus = 200;
      }
    });
  }
});

describe('a registry that stalls', () => {
  // Its own registry: layers the engine already pulled from the shared one would be "Already exists", not downloaded.
  let stalling: FakeRegistry;
  beforeAll(async () => {
    stalling = await openRegistry();
  });
  afterAll(() => closeRegistry(stalling));

  it('shows how far the layers got while the pull waits, and a stop cancels the pull', async () => {
    const image = freshImage(stalling);
    stalling.stall = 'layers';
    try {
      await withHub(image, 'ifnotpresent', async (t) => {
        const starting = t.hub.servers.start('alice').catch((err: unknown) => err);
        const total = stalling.layers.reduce((n, size) => n + size, 0);
        let underWay: ProgressEvent | undefined;
        // The stream of a stalled pull never ends by itself: the signal bounds the wait if no progress shows.
        for await (const event of t.hub.servers.progress('alice', AbortSignal.timeout(30_000))) {
          const bytes = /: 0\/2 layers, ([\d.]+) of ([\d.]+) MB/.exec(event.message);
          if (bytes && Number(bytes[1]) > 0) {
            underWay = event;
            expect(Number(bytes[1])).toBeLessThanOrEqual(Number(mb(STALL_BYTES * stalling.layers.length)));
            expect(bytes[2]).toBe(mb(total));
            break;
          }
        }
        expect(underWay).toMatchObject({ message: expect.stringContaining(`Pulling ${image}: `) });
        expect(underWay!.progress).toBeGreaterThanOrEqual(10);
        expect(underWay!.progress).toBeLessThan(40);

        expect(await t.hub.servers.stop('alice')).toBe('stopped');
        expect(t.hub.servers.get('alice')).toMatchObject({ status: 'stopped', lastError: null });
        expect(await starting).not.toBe('started');
        expect(await isPresent(image)).toBe(false);
      });
    } finally {
      stalling.stall = null;
    }
  });

  it('fails the start at start_timeout when the manifest never comes', async () => {
    const image = freshImage(stalling);
    stalling.stall = 'manifest';
    try {
      await withHub(
        image,
        'ifnotpresent',
        async (t) => {
          const { result, events } = await startWatching(t);
          expect(result).toMatchObject({ status: 500, message: expect.stringContaining('did not start within spawner.start_timeout (3 s)') });
          expect(events.at(-1)).toMatchObject({ failed: true });
          expect(t.hub.servers.get('alice')!.status).toBe('stopped');
        },
        { startTimeout: 3 },
      );
    } finally {
      stalling.stall = null;
    }
  });
});
