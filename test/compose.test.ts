// `docker compose up` as shipped: compose.yaml starts the hub image with the repository's hub.yaml, and the hub
// answers on the published port after joining the user network. Runs with Debian's docker-compose (v1).
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import Docker from 'dockerode';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { freePort } from './helpers/free-port.js';

const ROOT = path.join(import.meta.dirname, '..');
const run = randomBytes(4).toString('hex');
const project = `berthtest${run}`;
const network = `berth-test-${run}`;
const docker = new Docker();

function compose(args: string[], env: Record<string, string>): string {
  return execFileSync('docker-compose', ['-p', project, ...args], { cwd: ROOT, env: { ...process.env, ...env }, encoding: 'utf8', stdio: 'pipe', timeout: 120_000 });
}

let env: Record<string, string> = {};

afterAll(() => {
  try {
    compose(['down', '-v'], env);
  } finally {
    return docker.getNetwork(network).remove().catch(() => undefined);
  }
});

describe('docker compose up', () => {
  it('starts the hub from compose.yaml and hub.yaml; it serves on the published port and joins the user network', async () => {
    const port = await freePort();
    env = { BERTH_PORT: String(port), BERTH_NETWORK: network, BERTH_ADMIN: 'alice' };
    compose(['up', '-d'], env);
    await vi.waitFor(async () => {
      // docker-proxy accepts connections before the hub listens and may hold them: give each try its own limit.
      const health = await fetch(`http://127.0.0.1:${port}/hub/health`, { signal: AbortSignal.timeout(2000) });
      expect(health.status).toBe(200);
    }, { timeout: 60_000, interval: 500 });
    const login = await fetch(`http://127.0.0.1:${port}/hub/login`);
    expect(login.status).toBe(200);
    expect(await login.text()).toContain('GitHub sign-in is not configured');
    const joined = await docker.getNetwork(network).inspect();
    const names = Object.values(joined.Containers ?? {}).map((c) => (c as { Name: string }).Name);
    expect(names.some((name) => name.startsWith(`${project}_hub`) || name.startsWith(`${project}-hub`))).toBe(true);
  }, 180_000);
});
