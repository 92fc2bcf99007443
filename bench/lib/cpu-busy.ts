// How busy each CPU of the machine was during a measurement, from /proc/stat: a CPU near 100% for the whole cell is
// what limited it, whoever used it (the proxy, wrk, the target, or other work on the machine).

export interface CpuTimes {
  busy: number;
  total: number;
}

/** Busy (everything but idle and iowait; steal counts as busy, it was not ours) and total jiffies of each CPU so far. */
export function readCpuTimes(stat: string): CpuTimes[] {
  return stat.split('\n').filter((l) => /^cpu\d+ /.test(l)).map((line) => {
    const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = line.trim().split(/\s+/).slice(1).map(Number);
    const busy = user + nice + system + irq + softirq + steal;
    return { busy, total: busy + idle + iowait };
  });
}

/** The share of time each CPU was busy between two readings (0–1). */
export function busyShares(before: CpuTimes[], after: CpuTimes[]): number[] {
  return after.map((a, i) => {
    const total = a.total - (before[i]?.total ?? 0);
    return total > 0 ? (a.busy - (before[i]?.busy ?? 0)) / total : 0;
  });
}
