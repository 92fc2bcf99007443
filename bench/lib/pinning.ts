// Where the proxy benchmark's processes run: each proxy under test on a CPU of its own, the load generator and the
// target on the others (taskset for processes, the Engine's CpusetCpus for containers), and the CPU time each CPU
// spent busy during a cell, which shows whether the proxy or the load side was the limit.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type Docker from 'dockerode';

export interface CpuLayout {
  /** The proxy under test: Berth's whole hub process, nginx's container, CHP, the bare proxy. */
  proxy: string;
  wrk: string;
  target: string;
  /** Every CPU, to undo the pinning. */
  all: string;
}

/**
 * One CPU for the proxy (Berth's one proxy thread and nginx's one worker: "on one core"), the rest for the load:
 * wrk and the target share CPU 1 on 2 cores; with 3 or more, wrk has CPU 1 to itself and the target the rest.
 * Null on one CPU, where there is nothing to separate.
 */
export function cpuLayout(cpus: number): CpuLayout | null {
  if (cpus < 2) return null;
  const range = (from: number, to: number) => (from === to ? `${from}` : `${from}-${to}`);
  return { proxy: '0', wrk: '1', target: cpus === 2 ? '1' : range(2, cpus - 1), all: range(0, cpus - 1) };
}

/** How the cells were placed, for the printed notes and target lines. */
export function describeLayout(layout: CpuLayout | null): string {
  if (!layout) return 'not pinned: wrk, the proxy and the target share every CPU';
  const load = layout.wrk === layout.target ? `wrk and the target on CPU ${layout.wrk}` : `wrk on CPU ${layout.wrk}, the target on CPUs ${layout.target}`;
  return `pinned: the proxy on CPU ${layout.proxy}, ${load}`;
}

/** Every thread of a running process onto `cpus` (new threads inherit it). */
export function pinProcess(pid: number, cpus: string): void {
  const run = spawnSync('taskset', ['-a', '-c', '-p', cpus, String(pid)], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`taskset -a -c -p ${cpus} ${pid}: ${(run.stderr || run.error?.message || '').trim()}`);
}

export async function pinContainer(docker: Docker, id: string, cpus: string): Promise<void> {
  await docker.getContainer(id).update({ CpusetCpus: cpus });
}

/** The command line that runs `command` on `cpus` (unchanged without them). */
export function onCpus(cpus: string | undefined, command: string, args: string[]): [string, string[]] {
  return cpus ? ['taskset', ['-c', cpus, command, ...args]] : [command, args];
}

/** Busy (non-idle, non-iowait) and total jiffies of each CPU so far, from /proc/stat. */
export function readCpuTimes(): { busy: number; total: number }[] {
  return readFileSync('/proc/stat', 'utf8').split('\n').filter((l) => /^cpu\d+ /.test(l)).map((line) => {
    const [user, nice, system, idle, iowait, irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number) as number[];
    const busy = user! + nice! + system! + irq! + softirq! + steal!;
    return { busy, total: busy + idle! + iowait! };
  });
}

/** The share of time each CPU was busy between two readings (0–1). */
export function busyShares(before: { busy: number; total: number }[], after: { busy: number; total: number }[]): number[] {
  return after.map((a, i) => {
    const total = a.total - (before[i]?.total ?? 0);
    return total > 0 ? (a.busy - (before[i]?.busy ?? 0)) / total : 0;
  });
}
