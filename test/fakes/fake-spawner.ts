// A Spawner without Docker, for the state machine's unit tests and for hubs that need no containers (API tests,
// benchmarks). Each started "container" is a real node:http server on loopback, and readiness is the same HTTP
// check the Docker spawner makes (src/spawner/readiness.ts), so a slow start is a server that answers 503 until the
// test releases it — never a flag. Behaviours per user: instant (default), slow, failing; and running servers can
// die (their container disappears) or exit.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { LABELS } from '../../src/spawner/labels.js';
import { waitUntilReady } from '../../src/spawner/readiness.js';
import {
  SpawnError,
  type HubAddress,
  type OwnedContainer,
  type PollResult,
  type SpawnProgress,
  type SpawnSpec,
  type Spawner,
  type StartedContainer,
} from '../../src/spawner/spawner.js';

/** instant: answers at once; slow: answers 503 until release(); fail: start() throws a SpawnError with this message. */
export type FakeBehaviour = 'instant' | 'slow' | { fail: string };

export interface FakeContainer {
  readonly id: string;
  readonly name: string;
  /** The user's name, or `<user>/<server>` for a named server. */
  readonly userName: string;
  readonly labels: Record<string, string>;
  /** The environment the hub gave the server (empty for containers left by `leave`). */
  readonly env: Record<string, string>;
  /** http://127.0.0.1:<port>, the server's address. */
  readonly url: string;
  /** Answers below 500 (ready) once true. */
  answering: boolean;
  /** The process ended (exit code), or null while it runs. */
  exitCode: number | null;
  /** What `<prefix>api/kernels` answers (jupyter-server's kernel models); null: the plain `ok` every path gets. */
  kernels: object[] | null;
  /** The Authorization header of each request to `…/api/kernels`, in order. */
  readonly kernelQueries: string[];
  /** Each plain answer waits this long (a loaded server); 0 by default. */
  answerDelayMs: number;
}

export interface FakeSpawner extends Spawner {
  /** How `userName`'s next starts behave (default: instant). */
  behave(userName: string, behaviour: FakeBehaviour): void;
  /** The most plain HTTP requests its servers were answering at one time (counted while answers are delayed). */
  readonly mostRequestsAtOnce: number;
  /** A slow server of `userName` starts answering HTTP (its start then completes). */
  release(userName: string): void;
  /** `userName`'s container disappears (docker rm -f outside the hub). */
  die(userName: string): Promise<void>;
  /** `userName`'s server exits with `code`; the container stays, stopped. */
  exit(userName: string, code: number): Promise<void>;
  /** A container this spawner "finds" as if left by an earlier hub (reconcile's input). */
  leave(userName: string, options?: { answering?: boolean; running?: boolean }): Promise<FakeContainer>;
  /** Makes stop() wait until the returned function is called (a stop under way, for races with it). */
  holdStops(): () => void;
  /** The container of `userName`, or undefined. */
  containerOf(userName: string): FakeContainer | undefined;
  /** Resolves once `userName`'s start has reached the readiness wait (its container exists). */
  starting(userName: string): Promise<void>;
  /** User names in the order start() was called, and container ids in the order stop() was called. */
  readonly starts: string[];
  readonly stops: string[];
  /** Closes every server. */
  close(): Promise<void>;
}

interface Live extends FakeContainer {
  server: http.Server;
  exited: AbortController;
}

export function createFakeSpawner(): FakeSpawner {
  const containers = new Map<string, Live>();
  const behaviours = new Map<string, FakeBehaviour>();
  const startingWaiters = new Map<string, (() => void)[]>();
  const starts: string[] = [];
  const stops: string[] = [];
  let stopsHeld: Promise<void> | null = null;
  let next = 1;
  let inFlight = 0;
  let mostAtOnce = 0;

  const byUser = (userName: string) => [...containers.values()].find((c) => c.userName === userName);

  async function run(userName: string, name: string, labels: Record<string, string>, answering: boolean, env: Record<string, string> = {}): Promise<Live> {
    const container = { answering, kernels: null, kernelQueries: [] as string[], answerDelayMs: 0 } as unknown as Live;
    const server = http.createServer((req, res) => {
      const path = (req.url ?? '').split('?')[0];
      if (container.kernels !== null && path.endsWith('/api/kernels')) {
        container.kernelQueries.push(req.headers.authorization ?? '');
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(container.kernels));
        return;
      }
      if (container.kernels !== null && path.endsWith('/api/terminals')) {
        res.writeHead(404).end();
        return;
      }
      const answer = () => {
        res.writeHead(container.answering ? 200 : 503, { 'Content-Type': 'text/plain' });
        res.end(container.answering ? 'ok' : 'starting');
      };
      if (container.answerDelayMs === 0) {
        answer();
        return;
      }
      inFlight++;
      mostAtOnce = Math.max(mostAtOnce, inFlight);
      setTimeout(() => {
        inFlight--;
        answer();
      }, container.answerDelayMs);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const id = `fake-${next++}`;
    Object.assign(container, {
      id, name, userName, labels, env, server, exitCode: null, exited: new AbortController(),
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    });
    containers.set(id, container);
    return container;
  }

  async function halt(container: Live): Promise<void> {
    container.exited.abort();
    await new Promise<void>((resolve) => {
      container.server.close(() => resolve());
      container.server.closeAllConnections();
    });
  }

  async function remove(id: string): Promise<void> {
    const container = containers.get(id);
    if (!container) return;
    containers.delete(id);
    if (container.exitCode === null) await halt(container);
  }

  const spawner: FakeSpawner = {
    get mostRequestsAtOnce() {
      return mostAtOnce;
    },
    starts,
    stops,
    async prepare(): Promise<HubAddress> {
      return { listenHost: '127.0.0.1', connectHost: '127.0.0.1', mode: 'host' };
    },
    async ping() {},

    async start(spec: SpawnSpec, onProgress: (event: SpawnProgress) => void, signal: AbortSignal): Promise<StartedContainer> {
      // A named server's container is known as `<user>/<server>` (behave, release, containerOf… take that key).
      const server = spec.labels[LABELS.server] ?? '';
      const userName = `${spec.labels[LABELS.user] ?? ''}${server === '' ? '' : `/${server}`}`;
      starts.push(userName);
      const behaviour = behaviours.get(userName) ?? 'instant';
      onProgress({ progress: 50, message: `Starting fake container ${spec.containerName}` });
      signal.throwIfAborted();
      if (typeof behaviour === 'object') throw new SpawnError(behaviour.fail);
      const container = await run(userName, spec.containerName, spec.labels, behaviour === 'instant', spec.env);
      for (const wake of startingWaiters.get(userName) ?? []) wake();
      startingWaiters.delete(userName);
      try {
        await waitUntilReady(container.url, spec.readyPath, spec.httpTimeoutMs, signal, {
          exited: container.exited.signal,
          check: async () => {
            if (container.exitCode !== null || !containers.has(container.id)) {
              throw new SpawnError(`The container exited with code ${container.exitCode ?? 137} before its server answered HTTP.`);
            }
          },
          logTail: async () => '',
        });
      } catch (err) {
        await remove(container.id);
        throw err;
      }
      return { containerId: container.id, containerName: container.name, url: container.url };
    },

    async stop(containerId) {
      stops.push(containerId);
      await stopsHeld;
      await remove(containerId);
    },

    async poll(containerId): Promise<PollResult> {
      const container = containers.get(containerId);
      if (!container) return { running: false, gone: true, exitCode: null, error: 'the container no longer exists' };
      if (container.exitCode === null) return { running: true, url: container.url };
      return { running: false, gone: false, exitCode: container.exitCode, error: `the container exited with code ${container.exitCode}` };
    },

    async list(): Promise<OwnedContainer[]> {
      return [...containers.values()].map((c) => ({
        containerId: c.id, containerName: c.name, running: c.exitCode === null, labels: c.labels, url: c.url,
      }));
    },

    behave(userName, behaviour) {
      behaviours.set(userName, behaviour);
    },
    release(userName) {
      const container = byUser(userName);
      if (!container) throw new Error(`${userName} has no fake container to release (is their start slow and under way?)`);
      container.answering = true;
    },
    async die(userName) {
      const container = byUser(userName);
      if (!container) throw new Error(`${userName} has no fake container to remove`);
      await remove(container.id);
    },
    async exit(userName, code) {
      const container = byUser(userName);
      if (!container) throw new Error(`${userName} has no fake container to stop`);
      container.exitCode = code;
      await halt(container);
    },
    async leave(userName, options = {}) {
      const container = await run(userName, `fake-${userName}`, { [LABELS.user]: userName, [LABELS.server]: '' }, options.answering ?? true);
      if (options.running === false) {
        container.exitCode = 0;
        await halt(container);
      }
      return container;
    },
    holdStops() {
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      stopsHeld = held;
      return () => {
        if (stopsHeld === held) stopsHeld = null;
        release();
      };
    },
    containerOf: (userName) => byUser(userName),
    starting(userName) {
      if (byUser(userName)) return Promise.resolve();
      return new Promise((resolve) => startingWaiters.set(userName, [...(startingWaiters.get(userName) ?? []), resolve]));
    },
    async close() {
      await Promise.all([...containers.keys()].map(remove));
    },
  };
  return spawner;
}
