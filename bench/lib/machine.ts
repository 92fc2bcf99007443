// The machine a run measured: CPU, cores, memory, kernel, Node, Docker and wrk versions, recorded with every result.
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import type Docker from 'dockerode';

export interface Machine {
  cpuModel: string;
  cores: number;
  memoryBytes: number;
  kernel: string;
  node: string;
  docker: string;
  wrk: string | null;
  hostname: string;
}

export async function describeMachine(docker: Docker): Promise<Machine> {
  const version = await docker.version().catch(() => null);
  let wrk: string | null = null;
  try {
    // wrk -v prints its version and exits 1.
    execFileSync('wrk', ['-v'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const out = `${(err as { stdout?: string }).stdout ?? ''}`.trim();
    wrk = /^wrk [^\s]+/.exec(out)?.[0] ?? null;
  }
  return {
    cpuModel: os.cpus()[0]?.model.trim() ?? 'unknown',
    cores: os.cpus().length,
    memoryBytes: os.totalmem(),
    kernel: os.release(),
    node: process.version,
    docker: version?.Version ?? 'unknown',
    wrk,
    hostname: os.hostname(),
  };
}
