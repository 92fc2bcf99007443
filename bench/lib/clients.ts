// Load clients written in TypeScript (bench/clients/*.ts) run as separate Node processes, so they never share an
// event loop with the bench harness or with the hub they measure.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { REPO } from './hub-process.js';

function spawnClient(script: string, args: unknown): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', path.join(REPO, 'bench/clients', script), JSON.stringify(args)], {
    cwd: REPO, stdio: ['pipe', 'pipe', 'pipe'],
  });
}

/** Runs a client to completion and parses the JSON it prints. */
export function runClient<T>(script: string, args: unknown, timeoutMs = 120_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawnClient(script, args);
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => (out += d));
    child.stderr!.on('data', (d: Buffer) => (err += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code !== 0) return reject(new Error(`${script} exited ${code}: ${err.trim() || out.trim()}`));
      try {
        resolve(JSON.parse(out.trim().split('\n').pop() ?? '') as T);
      } catch {
        reject(new Error(`${script} printed no JSON: ${out.slice(0, 500)}`));
      }
    });
  });
}

export interface RunningClient<T> {
  readonly pid: number;
  /** The first JSON line the client printed. */
  ready: Promise<T>;
  /** Tells the client to finish ("close" on stdin) and resolves with its last JSON line, if any. */
  finish(): Promise<unknown>;
}

/** Starts a long-running client (hold mode, background load) that prints a JSON line when ready. */
export function startClient<T>(script: string, args: unknown): RunningClient<T> {
  const child = spawnClient(script, args);
  let out = '';
  let err = '';
  let readyResolve!: (v: T) => void;
  let readyReject!: (e: Error) => void;
  const ready = new Promise<T>((resolve, reject) => ((readyResolve = resolve), (readyReject = reject)));
  child.stdout!.on('data', (d: Buffer) => {
    out += d;
    const line = out.split('\n')[0];
    if (out.includes('\n')) {
      try {
        readyResolve(JSON.parse(line) as T);
      } catch {
        readyReject(new Error(`${script} printed no JSON: ${line.slice(0, 300)}`));
      }
    }
  });
  child.stderr!.on('data', (d: Buffer) => (err += d));
  const closed = new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? -1)));
  void closed.then((code) => readyReject(new Error(`${script} exited ${code} early: ${err.trim()}`)));
  return {
    pid: child.pid!,
    ready,
    async finish() {
      child.stdin!.end('close\n');
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await closed;
      clearTimeout(timer);
      const lines = out.trim().split('\n');
      try {
        return JSON.parse(lines[lines.length - 1]);
      } catch {
        return null;
      }
    },
  };
}
