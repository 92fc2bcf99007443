// stack.yaml as an admin deploys it (`docker stack deploy`), on a test swarm's manager: the hub image (berth/hub,
// loaded on the node), a hub.yaml of the test's, the socket of the test manager's engine in place of the usual one.
// remove() runs `docker stack rm` and removes what the stack left (its data volume), waiting until all of it is gone.
import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'vitest';
import { stringify } from 'yaml';
import { waitFor } from '../helpers/wait-for.js';
import type { TestSwarm } from './swarm-nodes.js';

const STACK_FILE = path.join(import.meta.dirname, '..', '..', 'stack.yaml');
export const HUB_IMAGE = 'berth/hub:latest';
const NAME = 'berthtest';
const PORT = 8001;
const TOKEN = 'swarm-stack-admin-token-0123456789';
const exec = promisify(execFile);

export interface DeployedStack {
  base: string;
  api(method: string, url: string, body?: unknown): Promise<Response>;
  /** The hub task's container, as the manager's engine reports it (its health check included). */
  hubContainer(): Promise<{ State: { Health?: { Status: string } } } | null>;
  remove(): Promise<void>;
}

export async function deployStack(swarm: TestSwarm, spawner: Record<string, unknown>): Promise<DeployedStack> {
  const { manager } = swarm;
  const dir = mkdtempSync(path.join(tmpdir(), 'berth-stack-'));
  copyFileSync(STACK_FILE, path.join(dir, 'stack.yaml'));
  // The hub.yaml an admin writes, with the ${…} the stack's environment fills in.
  writeFileSync(path.join(dir, 'hub.yaml'), stringify({
    hub: { bind: '${BERTH_BIND}', data_dir: '${BERTH_DATA_DIR}' },
    auth: { admin_users: ['${BERTH_ADMIN}'] },
    spawner: { backend: 'swarm', isolate_containers: false, network: '${BERTH_NETWORK}', ...spawner },
    services: [{ name: 'stack-test', api_token: TOKEN, admin: true }],
  }));
  const docker = (...args: string[]) => exec('docker', ['-H', `unix://${manager.socket}`, ...args], {
    env: { ...process.env, BERTH_PORT: String(PORT), BERTH_ADMIN: 'admin', BERTH_DOCKER_SOCKET: manager.socket },
  });
  await docker('node', 'update', '--label-add', 'berth.hub=true', manager.name);
  // The image was loaded, not pulled: no registry to ask for its digest.
  await docker('stack', 'deploy', '--resolve-image', 'never', '-c', path.join(dir, 'stack.yaml'), NAME);
  const base = `http://${manager.ip}:${PORT}`;
  const inStack = { label: [`com.docker.stack.namespace=${NAME}`] };
  return {
    base,
    api: (method, url, body) => fetch(`${base}/hub/api${url}`, {
      method,
      headers: { Authorization: `token ${TOKEN}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    }),
    async hubContainer() {
      const [found] = await manager.docker.listContainers({ filters: { label: [`com.docker.swarm.service.name=${NAME}_hub`] } });
      return found ? (await manager.docker.getContainer(found.Id).inspect()) as never : null;
    },
    async remove() {
      try {
        await docker('stack', 'rm', NAME);
        await waitFor(async () => {
          expect(await manager.docker.listServices({ filters: inStack })).toEqual([]);
          expect(await manager.docker.listContainers({ all: true, filters: inStack })).toEqual([]);
          expect((await manager.docker.listNetworks({ filters: { name: ['berth'] } })).filter((n) => n.Name === 'berth')).toEqual([]);
        }, { timeoutMs: 60_000, intervalMs: 500 });
        // A stack's volumes outlive it (they hold the data): removed here, as an admin would to start afresh.
        await manager.docker.getVolume(`${NAME}_berth-data`).remove();
        expect((await manager.docker.listVolumes({ filters: inStack })).Volumes ?? []).toEqual([]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
