// configurable-http-proxy (JupyterHub's default proxy, from devDependencies) as a child process on loopback,
// with routes added through its REST API exactly as JupyterHub adds them.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { sleep } from './docker.js';
import { freePort, REPO, rssOf } from './hub-process.js';

export interface ChpProcess {
  readonly url: string;
  readonly pid: number;
  readonly version: string;
  addRoute(prefix: string, target: string): Promise<void>;
  rssBytes(): number;
  stop(): Promise<void>;
}

export async function startChp(): Promise<ChpProcess> {
  const bin = path.join(REPO, 'node_modules/configurable-http-proxy/bin/configurable-http-proxy');
  const version = (JSON.parse(readFileSync(path.join(REPO, 'node_modules/configurable-http-proxy/package.json'), 'utf8')) as { version: string }).version;
  const [port, apiPort] = [await freePort(), await freePort()];
  const token = randomBytes(24).toString('hex');
  const child = spawn(process.execPath, [bin, '--ip', '127.0.0.1', '--port', String(port), '--api-ip', '127.0.0.1', '--api-port', String(apiPort), '--log-level', 'warn'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, CONFIGPROXY_AUTH_TOKEN: token },
  });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output = (output + d).slice(-20_000)));
  child.stderr!.on('data', (d: Buffer) => (output = (output + d).slice(-20_000)));
  let exited = false;
  child.on('exit', () => (exited = true));
  const api = `http://127.0.0.1:${apiPort}/api`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (exited) throw new Error(`configurable-http-proxy exited before answering:\n${output}`);
    const ok = await fetch(`${api}/routes`, { headers: { Authorization: `token ${token}` } }).then((r) => r.ok, () => false);
    if (ok) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`configurable-http-proxy did not answer on ${api} within 20 s:\n${output}`);
    }
    await sleep(20);
  }
  return {
    url: `http://127.0.0.1:${port}`,
    pid: child.pid!,
    version,
    async addRoute(prefix, target) {
      const res = await fetch(`${api}/routes${prefix}`, {
        method: 'POST',
        headers: { Authorization: `token ${token}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ target }),
      });
      if (res.status !== 201) throw new Error(`CHP POST /api/routes${prefix} answered ${res.status}: ${await res.text()}`);
    },
    rssBytes: () => rssOf(child.pid!),
    async stop() {
      if (exited) return;
      const done = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await done;
      clearTimeout(timer);
    },
  };
}
