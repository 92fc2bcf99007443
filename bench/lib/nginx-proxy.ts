// nginx as a reverse proxy with one worker (berth/nginx-proxy:test, images/nginx-proxy/): the yardstick issue 16
// sets Berth's proxy against. It runs in its own container on the host's network, listening on loopback like the
// hub and configurable-http-proxy, so all three proxies sit on the same path (loopback in, the bench bridge out);
// a container on the bench network could not reach the target at all, since that network has inter-container
// traffic off, as the hub requires of its user network.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type Docker from 'dockerode';
import { BENCH_LABELS, waitHttp, type BenchDocker } from './docker.js';
import { freePort, REPO } from './hub-process.js';

export const NGINX_PROXY_IMAGE = 'berth/nginx-proxy:test';

export interface NginxProxy {
  readonly url: string;
  readonly version: string;
  /** CPU seconds the container (master and worker) has used so far, from its cgroup or the Engine's stats. */
  cpuSeconds(): Promise<number>;
  stop(): Promise<void>;
}

/** Starts the proxy in front of `upstream` (`ip:port`); waits until `probePath` answers through it. */
export async function startNginxProxy(bench: BenchDocker, upstream: string, probePath: string): Promise<NginxProxy> {
  ensureImage();
  const port = await freePort();
  const container = await bench.docker.createContainer({
    name: `berth-bench-${bench.runId}-nginx-proxy`,
    Image: NGINX_PROXY_IMAGE,
    Env: [`LISTEN=127.0.0.1:${port}`, `UPSTREAM=${upstream}`],
    Labels: { ...BENCH_LABELS, 'berth.bench.run': bench.runId },
    HostConfig: { NetworkMode: 'host', AutoRemove: false },
  });
  const stop = () => container.remove({ force: true }).then(() => undefined, () => undefined);
  try {
    await container.start();
    const url = `http://127.0.0.1:${port}`;
    await waitHttp(url + probePath, 15_000).catch(async (err: Error) => {
      const logs = String(await container.logs({ stdout: true, stderr: true, tail: 20 }).catch(() => ''));
      throw new Error(`${NGINX_PROXY_IMAGE} did not serve ${probePath}: ${err.message}${logs ? `; its log: ${logs.trim()}` : ''}`);
    });
    const info = await container.inspect();
    const version = /nginx\/[\d.]+/.exec(String(await exec(container, ['nginx', '-v'])))?.[0] ?? 'nginx';
    return { url, version, cpuSeconds: () => containerCpuSeconds(info.State.Pid, () => container.stats({ stream: false })), stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/**
 * images/build.sh owns the cache: it leaves the image alone when present and current ("present", no Docker build),
 * and builds it offline from the rootfs berth/nginx:test uses when it is missing or images/nginx-proxy/ changed.
 */
function ensureImage(): void {
  const build = spawnSync('bash', [path.join(REPO, 'images/build.sh'), 'nginx-proxy'], { encoding: 'utf8' });
  if (build.status !== 0) {
    throw new Error(`\`bash images/build.sh nginx-proxy\` failed: ${(build.stderr || build.stdout).trim().split('\n').slice(-3).join(' ')}`);
  }
}

async function exec(container: Docker.Container, cmd: string[]): Promise<string> {
  const run = await container.exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true });
  const stream = await run.start({});
  const chunks: Buffer[] = [];
  stream.on('data', (d: Buffer) => chunks.push(d));
  await new Promise((resolve) => stream.on('end', resolve));
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * CPU seconds of the cgroup `pid` is in (cgroup v2 cpu.stat, or v1 cpuacct.usage); when neither can be read here,
 * the Engine's stats (a slower call, but the same counter).
 */
export async function containerCpuSeconds(pid: number, stats: () => Promise<{ cpu_stats: { cpu_usage: { total_usage: number } } }>): Promise<number> {
  try {
    const lines = readFileSync(`/proc/${pid}/cgroup`, 'utf8').trim().split('\n').map((l) => l.split(':'));
    const v1 = lines.find(([, controllers]) => controllers.split(',').includes('cpuacct'));
    if (v1) {
      for (const mount of ['cpuacct', 'cpu,cpuacct', 'cpuacct,cpu']) {
        const usage = readNumber(`/sys/fs/cgroup/${mount}${v1[2]}/cpuacct.usage`);
        if (usage !== null) return usage / 1e9;
      }
    }
    const v2 = lines.find(([id]) => id === '0');
    if (v2) {
      const usec = /^usage_usec (\d+)$/m.exec(readFileSync(`/sys/fs/cgroup${v2[2]}/cpu.stat`, 'utf8'))?.[1];
      if (usec) return Number(usec) / 1e6;
    }
  } catch {
    // Not readable from here (another PID namespace, or no /sys/fs/cgroup): ask the Engine.
  }
  return (await stats()).cpu_stats.cpu_usage.total_usage / 1e9;
}

function readNumber(file: string): number | null {
  try {
    const value = Number(readFileSync(file, 'utf8').trim());
    return Number.isFinite(value) ? value : null;
  } catch {
    return null;
  }
}
