// A hub process (dist/main.js) on a test swarm's overlay, as stack.yaml runs it: it joins the network namespace of a
// container attached to the overlay on the manager (its "seat"), talks to the manager's engine through its socket, and
// is reached by the test at the manager's address, where the seat's port is published.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'vitest';
import { stringify } from 'yaml';
import { waitFor } from '../helpers/wait-for.js';
import type { TestSwarm } from './swarm-nodes.js';

const ROOT = path.join(import.meta.dirname, '..', '..');
const MAIN = path.join(ROOT, 'dist', 'main.js');
export const IMAGE = 'berth/backend:test';
const NETWORK = 'berth-swarm';
const TOKEN = 'swarm-test-admin-token-0123456789';
const PORT = 8000;

export type SwarmService = {
  ID: string;
  Spec: {
    Name: string;
    Labels: Record<string, string>;
    TaskTemplate: { RestartPolicy: { Condition: string }; Resources: { Limits?: { MemoryBytes?: number } }; ContainerSpec: { Env: string[] } };
    Mode: { Replicated: { Replicas: number } };
  };
};

export interface SwarmHub {
  /** http://<manager>:<port>, no trailing slash. */
  base: string;
  api(method: string, url: string, body?: unknown): Promise<Response>;
  /** The services of `user` on the swarm. */
  services(user: string): Promise<SwarmService[]>;
  /** Starts `user`'s default server and waits until the API says it is ready. */
  startServer(user: string, options?: Record<string, unknown>): Promise<void>;
  /** The hostname of the node running `user`'s server's task. */
  nodeOf(user: string): Promise<string>;
  /** Writes hub.yaml again with these spawner keys (over the defaults); the running hub reloads it. */
  reconfigure(spawner: Record<string, unknown>): void;
  /** Everything the hub processes wrote so far (JSON log lines). */
  log(): string;
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export async function startSwarmHub(swarm: TestSwarm, spawner: Record<string, unknown> = {}): Promise<SwarmHub> {
  const { manager } = swarm;
  await manager.docker.createNetwork({ Name: NETWORK, Driver: 'overlay', Attachable: true, Labels: swarm.labels });
  const seat = await manager.docker.createContainer({
    Image: IMAGE, Entrypoint: ['sleep', 'infinity'], Labels: swarm.labels, ExposedPorts: { [`${PORT}/tcp`]: {} },
    HostConfig: { NetworkMode: NETWORK, PortBindings: { [`${PORT}/tcp`]: [{ HostPort: String(PORT) }] } },
  });
  await seat.start();
  const pid = (await seat.inspect()).State.Pid;
  const dataDir = mkdtempSync(path.join(tmpdir(), 'berth-swarm-'));
  const file = path.join(dataDir, 'hub.yaml');
  const writeConfig = (extra: Record<string, unknown>) => writeFileSync(file, stringify({
    hub: { bind: `0.0.0.0:${PORT}`, data_dir: dataDir, log_level: 'info' },
    auth: { admin_users: ['admin'] },
    spawner: { backend: 'swarm', isolate_containers: false, network: NETWORK, image: IMAGE, pull_policy: 'never', http_timeout: 30, ...extra },
    services: [{ name: 'swarm-test', api_token: TOKEN, admin: true }],
  }));
  writeConfig(spawner);
  const base = `http://${manager.ip}:${PORT}`;
  let child: ChildProcess | null = null;
  let log = '';

  const run = (): Promise<void> => {
    const started = spawn('nsenter', [`--net=/proc/${pid}/ns/net`, process.execPath, MAIN, '--config', file], {
      cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], detached: true, env: { ...process.env, DOCKER_HOST: `unix://${manager.socket}` },
    });
    child = started;
    let output = '';
    return new Promise((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        log += chunk.toString();
        if (/"msg":"hub listening"/.test(output)) resolve();
      };
      started.stdout!.on('data', onData);
      started.stderr!.on('data', onData);
      started.once('exit', (code) => reject(new Error(`hub exited with ${code} before listening:\n${output}`)));
    });
  };

  const stopHub = async () => {
    const running = child;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    const exited = new Promise((resolve) => running.once('exit', resolve));
    process.kill(-running.pid!, 'SIGTERM');
    await exited;
  };

  const api = (method: string, url: string, body?: unknown) => fetch(`${base}/hub/api${url}`, {
    method,
    headers: { Authorization: `token ${TOKEN}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });

  const services = async (user: string) =>
    (await manager.docker.listServices({ filters: { label: [`berth.user=${user}`] } })) as SwarmService[];

  try {
    await run();
  } catch (err) {
    rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
  return {
    base,
    api,
    services,
    async startServer(user, options = {}) {
      await api('POST', `/users/${user}`);
      const res = await api('POST', `/users/${user}/server`, options);
      expect([201, 202]).toContain(res.status);
      await waitFor(async () => {
        const info = (await (await api('GET', `/users/${user}`)).json()) as { servers: Record<string, { ready: boolean }> };
        expect(info.servers['']?.ready).toBe(true);
      }, { timeoutMs: 60_000 });
    },
    async nodeOf(user) {
      const [service] = await services(user);
      const tasks = (await manager.docker.listTasks({ filters: { service: [service.ID], 'desired-state': ['running'] } })) as { NodeID: string }[];
      const node = (await manager.docker.getNode(tasks[0].NodeID).inspect()) as { Description: { Hostname: string } };
      return node.Description.Hostname;
    },
    reconfigure: writeConfig,
    log: () => log,
    async restart() {
      await stopHub();
      await run();
    },
    async stop() {
      await stopHub();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
