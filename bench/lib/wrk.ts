// Runs wrk (a separate process, so the load never shares an event loop with what it measures) and parses
// requests/s and the p50/p99 latencies from its --latency report.
import { spawn } from 'node:child_process';

export interface WrkResult {
  url: string;
  connections: number;
  seconds: number;
  requestsPerSec: number;
  /** Milliseconds. */
  p50: number;
  p99: number;
  requests: number;
  /** Connect/read/write/timeout errors plus non-2xx/3xx answers. */
  errors: number;
  transferPerSec: string;
}

export async function runWrk(url: string, connections: number, seconds: number, threads = 2, timeoutSeconds = 10): Promise<WrkResult> {
  const t = Math.max(1, Math.min(threads, connections));
  const args = [`-t${t}`, `-c${connections}`, `-d${seconds}s`, '--latency', '--timeout', `${timeoutSeconds}s`, url];
  const out = await new Promise<string>((resolve, reject) => {
    const child = spawn('wrk', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    child.on('error', (err) => reject(new Error(`cannot run wrk (install it: apt-get install wrk): ${err.message}`)));
    child.on('close', (code) => (code === 0 ? resolve(stdout) : reject(new Error(`wrk ${args.join(' ')} exited ${code}: ${stderr || stdout}`))));
  });
  return parseWrk(out, url, connections, seconds);
}

export function parseWrk(out: string, url: string, connections: number, seconds: number): WrkResult {
  const num = (re: RegExp) => {
    const m = re.exec(out);
    return m ? Number(m[1]) : 0;
  };
  const latency = (pct: string) => {
    const m = new RegExp(`^\\s+${pct}%\\s+([\\d.]+)(us|ms|s)\\s*$`, 'm').exec(out);
    if (!m) return NaN;
    const value = Number(m[1]);
    return m[2] === 'us' ? value / 1000 : m[2] === 's' ? value * 1000 : value;
  };
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const socketErrors = socket ? socket.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0;
  return {
    url,
    connections,
    seconds,
    requestsPerSec: num(/Requests\/sec:\s+([\d.]+)/),
    p50: latency('50'),
    p99: latency('99'),
    requests: num(/(\d+) requests in/),
    errors: socketErrors + num(/Non-2xx or 3xx responses: (\d+)/),
    transferPerSec: /Transfer\/sec:\s+(\S+)/.exec(out)?.[1] ?? '',
  };
}
