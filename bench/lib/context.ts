// What every benchmark gets: the run's Docker network, the hub build, options, and a shared fixture (one bench hub
// with an nginx server and a WebSocket-echo server, and configurable-http-proxy routed to the same containers).
import path from 'node:path';
import type { BenchDocker } from './docker.js';
import { startChp, type ChpProcess } from './chp.js';
import { benchProxyThreads, startHub, startServer, type HubBuild, type HubProcess } from './hub-process.js';
import { startFakeGithubForBench, type BenchGithub } from './github.js';

export const NGINX_IMAGE = 'berth/nginx:test';
export const BACKEND_IMAGE = 'berth/backend:test';
/** Users of the fixture hub, pinned to catalog labels in its hub.yaml. */
export const NGINX_USER = 'bench';
export const WS_USER = 'benchws';
/**
 * hub.proxy_threads of the fixture hub (BERTH_BENCH_PROXY_THREADS overrides it): one, so issue 16 point 2 compares
 * Berth's proxy with nginx's one worker on equal CPU; `proxy-threads` measures more threads (point 4).
 */
export const FIXTURE_PROXY_THREADS = 1;

export interface BenchOptions {
  /** Shorter runs (for checking that everything works). */
  quick: boolean;
  /** Rounds per proxy cell (the median is reported). */
  repeat: number;
  /** The proxy benchmark's bodies ('1k', '1m'); default both. */
  bodies: string[];
  /** Write V8 CPU profiles of the hub child processes. */
  profile: boolean;
  resultsDir: string;
}

export interface Fixture {
  hub: HubProcess | null;
  /** Why the hub or its servers are missing. */
  hubProblem: string | null;
  chp: ChpProcess | null;
  chpProblem: string | null;
  github: BenchGithub | null;
  /** IP of the nginx container every path reaches (the hub's own when it could start one). */
  nginxIp: string;
  backendIp: string;
  /** Whether /user/<name>/ on the hub reaches the containers. */
  berthRoutes: boolean;
}

export interface BenchContext {
  docker: BenchDocker;
  build: HubBuild;
  options: BenchOptions;
  fixture(): Promise<Fixture>;
  /** Stops the fixture; returns the fixture hub's CPU profile file when --profile was given. */
  close(): Promise<string | null>;
}

export function createContext(docker: BenchDocker, build: HubBuild, options: BenchOptions): BenchContext {
  let fixture: Promise<Fixture> | null = null;
  return {
    docker,
    build,
    options,
    fixture: () => (fixture ??= makeFixture(docker, build, options)),
    async close() {
      if (!fixture) return null;
      const f = await fixture.catch(() => null);
      fixture = null;
      await f?.hub?.stop();
      await f?.chp?.stop();
      await f?.github?.close();
      // proxy, websocket and hub-load measure the public port, which is the proxy thread's.
      return f?.hub?.profileFile('proxy') ?? null;
    },
  };
}

async function makeFixture(docker: BenchDocker, build: HubBuild, options: BenchOptions): Promise<Fixture> {
  const github = await startFakeGithubForBench().catch(() => null);
  let hub: HubProcess | null = null;
  let hubProblem: string | null = null;
  let nginxIp = '';
  let backendIp = '';
  let berthRoutes = false;
  try {
    hub = await startHub({
      build,
      network: docker.network,
      images: { nginx: NGINX_IMAGE, backend: BACKEND_IMAGE },
      defaultImage: NGINX_IMAGE,
      pins: { [NGINX_USER]: 'nginx', [WS_USER]: 'backend' },
      github: github?.config,
      cpuProfDir: profileDir(options),
      proxyThreads: benchProxyThreads() ?? FIXTURE_PROXY_THREADS,
    });
    await startServer(hub, NGINX_USER);
    await startServer(hub, WS_USER);
    nginxIp = await containerIpOf(docker, NGINX_USER);
    backendIp = await containerIpOf(docker, WS_USER);
    berthRoutes = true;
  } catch (err) {
    hubProblem = (err as Error).message.split('\n')[0];
  }
  // Without the hub's containers, direct and CHP still get containers of their own to measure.
  if (!nginxIp) nginxIp = (await docker.run(NGINX_IMAGE)).ip;
  if (!backendIp) backendIp = (await docker.run(BACKEND_IMAGE)).ip;
  await docker.waitHttp(`http://${nginxIp}:8888/1k`);
  await docker.waitHttp(`http://${backendIp}:8888/echo`);

  let chp: ChpProcess | null = null;
  let chpProblem: string | null = null;
  try {
    chp = await startChp();
    await chp.addRoute(`/user/${NGINX_USER}`, `http://${nginxIp}:8888`);
    await chp.addRoute(`/user/${WS_USER}`, `http://${backendIp}:8888`);
  } catch (err) {
    chpProblem = (err as Error).message.split('\n')[0];
    await chp?.stop();
    chp = null;
  }
  return { hub, hubProblem, chp, chpProblem, github, nginxIp, backendIp, berthRoutes };
}

/** The IP of the container the hub started for `user`, found by Berth's `berth.user` label on the run's network. */
export async function containerIpOf(docker: BenchDocker, user: string, network = docker.network): Promise<string> {
  const list = await docker.docker.listContainers({ filters: { network: [network], label: [`berth.user=${user}`] } });
  const ip = list[0]?.NetworkSettings?.Networks?.[network]?.IPAddress;
  if (!ip) throw new Error(`no running container of ${user} on ${network}`);
  return ip;
}

/** Where hub CPU profiles go when --profile is given (undefined otherwise). */
export function profileDir(options: BenchOptions): string | undefined {
  return options.profile ? path.join(options.resultsDir, 'profiles') : undefined;
}
