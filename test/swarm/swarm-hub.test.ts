// The swarm backend on a real one-node swarm (test/swarm/swarm-nodes.ts): a hub process (dist/) attached to the
// overlay, as stack.yaml runs it, starts users' servers as Swarm services, routes to their task addresses, reports a
// failed task with its reason, keeps servers across its own restart and removes the service at stop.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { waitFor } from '../helpers/wait-for.js';
import { startSwarm, type TestSwarm } from './swarm-nodes.js';

const ROOT = path.join(import.meta.dirname, '..', '..');
const MAIN = path.join(ROOT, 'dist', 'main.js');
const IMAGE = 'berth/backend:test';
const NETWORK = 'berth-swarm';
const TOKEN = 'swarm-test-admin-token-0123456789';
const PORT = 8000;

let swarm: TestSwarm;
let hubPid = 0;
let dataDir = '';
let base = '';
const hubs: ChildProcess[] = [];

type Service = { ID: string; Spec: { Name: string; Labels: Record<string, string>; TaskTemplate: { RestartPolicy: { Condition: string }; Resources: { Limits?: { MemoryBytes?: number } }; ContainerSpec: { Env: string[] } }; Mode: { Replicated: { Replicas: number } } } };

async function api(method: string, url: string, body?: unknown): Promise<Response> {
  return fetch(`${base}/hub/api${url}`, {
    method,
    headers: { Authorization: `token ${TOKEN}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
}

async function services(user: string): Promise<Service[]> {
  return (await swarm.manager.docker.listServices({ filters: { label: [`berth.user=${user}`] } })) as Service[];
}

/** Starts `node dist/main.js` in the network namespace of a container on the overlay, and waits until it listens. */
function runHub(): Promise<{ child: ChildProcess; output: () => string }> {
  const child = spawn('nsenter', [`--net=/proc/${hubPid}/ns/net`, process.execPath, MAIN, '--config', path.join(dataDir, 'hub.yaml')], {
    cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], detached: true, env: { ...process.env, DOCKER_HOST: `unix://${swarm.manager.socket}` },
  });
  hubs.push(child);
  let output = '';
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (/"msg":"hub listening"/.test(output)) resolve({ child, output: () => output });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`hub exited with ${code} before listening:\n${output}`)));
  });
}

async function stopHub(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  process.kill(-child.pid!, 'SIGTERM');
  await exited;
}

async function startServer(user: string, options: Record<string, unknown> = {}): Promise<void> {
  await api('POST', `/users/${user}`);
  const res = await api('POST', `/users/${user}/server`, options);
  expect([201, 202]).toContain(res.status);
  await waitFor(async () => {
    const info = (await (await api('GET', `/users/${user}`)).json()) as { servers: Record<string, { ready: boolean }> };
    expect(info.servers['']?.ready).toBe(true);
  }, { timeoutMs: 60_000 });
}

beforeAll(async () => {
  swarm = await startSwarm({ workers: 0, images: [IMAGE] });
  const { manager } = swarm;
  await manager.docker.createNetwork({ Name: NETWORK, Driver: 'overlay', Attachable: true, Labels: swarm.labels });
  // The hub's seat on the overlay, as its container in stack.yaml: the hub process joins this container's network
  // namespace, and the node publishes its port to the test.
  const seat = await manager.docker.createContainer({
    Image: IMAGE, Entrypoint: ['sleep', 'infinity'], Labels: swarm.labels, ExposedPorts: { [`${PORT}/tcp`]: {} },
    HostConfig: { NetworkMode: NETWORK, PortBindings: { [`${PORT}/tcp`]: [{ HostPort: String(PORT) }] } },
  });
  await seat.start();
  hubPid = (await seat.inspect()).State.Pid;
  dataDir = mkdtempSync(path.join(tmpdir(), 'berth-swarm-'));
  writeFileSync(path.join(dataDir, 'hub.yaml'), stringify({
    hub: { bind: `0.0.0.0:${PORT}`, data_dir: dataDir, log_level: 'info' },
    auth: { admin_users: ['admin'] },
    spawner: {
      backend: 'swarm', isolate_containers: false, network: NETWORK, image: IMAGE, pull_policy: 'never', http_timeout: 30,
      images: {
        limited: { image: IMAGE, mem_limit: '256M', cpu_limit: 0.5 },
        slow: { image: IMAGE, environment: { BACKEND_DELAY_S: '2' } },
        failing: { image: IMAGE, environment: { BACKEND_EXIT_CODE: '3' } },
        nowhere: { image: IMAGE, placement: ['node.labels.missing==true'] },
      },
    },
    services: [{ name: 'swarm-test', api_token: TOKEN, admin: true }],
  }));
  await runHub();
  base = `http://${manager.ip}:${PORT}`;
}, 240_000);

afterAll(async () => {
  for (const child of hubs) await stopHub(child).catch(() => undefined);
  await swarm?.cleanup();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
}, 120_000);

describe('users\' servers on a swarm', () => {
  it('runs a server as one never-restarted replica with the entry\'s limits, and proxies to its task address', async () => {
    await startServer('alice', { image: 'limited' });
    const [service] = await services('alice');
    expect(service.Spec.Mode.Replicated.Replicas).toBe(1);
    expect(service.Spec.TaskTemplate.RestartPolicy.Condition).toBe('none');
    expect(service.Spec.TaskTemplate.Resources.Limits?.MemoryBytes).toBe(256 * 2 ** 20);
    expect(service.Spec.TaskTemplate.ContainerSpec.Env.some((e) => e.startsWith('JUPYTERHUB_API_TOKEN='))).toBe(true);
    expect(JSON.stringify(service.Spec.Labels)).not.toContain('JUPYTERHUB_API_TOKEN');
    const res = await fetch(`${base}/user/alice/echo`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('/user/alice/echo');
  }, 120_000);

  it('reports the task\'s states as progress, then the HTTP check', async () => {
    await api('POST', '/users/bob');
    // The POST answers only once the server is ready (within slow_spawn_timeout): follow the progress meanwhile.
    const started = api('POST', '/users/bob/server', { image: 'slow' });
    const stream = await waitFor(async () => {
      const text = await (await api('GET', '/users/bob/server/progress')).text();
      expect(text).toMatch(/"ready":true/);
      return text;
    }, { timeoutMs: 60_000 });
    expect([201, 202]).toContain((await started).status);
    const node = ((await swarm.manager.docker.info()) as { Name: string }).Name;
    const messages = [...stream.matchAll(/"message":"([^"]*)"/g)].map((m) => m[1]);
    expect(messages.indexOf(`Running on node ${node}`)).toBeGreaterThan(messages.indexOf('Created Swarm service berth-swarm-bob'));
    expect(messages.indexOf('Created Swarm service berth-swarm-bob')).toBeGreaterThan(0);
    expect(stream).toMatch(/Waiting for the server to answer HTTP/);
    expect(stream).toMatch(/"ready":true/);
  }, 120_000);

  it('fails a start whose task fails, saying why, and leaves no service behind', async () => {
    await api('POST', '/users/carol');
    await api('POST', '/users/carol/server', { image: 'failing' });
    const stream = await (await api('GET', '/users/carol/server/progress')).text();
    expect(stream).toMatch(/"failed":true/);
    expect(stream).toMatch(/task is failed.*exit code 3/);
    await waitFor(async () => expect(await services('carol')).toEqual([]));
  }, 120_000);

  it('says why a server waits when no node satisfies its placement', async () => {
    await api('POST', '/users/dave');
    await api('POST', '/users/dave/server', { image: 'nowhere' });
    const res = await api('GET', '/users/dave/server/progress');
    const reader = res.body!.getReader();
    let seen = '';
    await waitFor(async () => {
      const { value } = await reader.read();
      seen += Buffer.from(value ?? []).toString();
      expect(seen).toMatch(/no suitable node/);
    }, { timeoutMs: 60_000 });
    await reader.cancel();
    expect((await api('DELETE', '/users/dave/server')).status).toBeLessThan(300);
    await waitFor(async () => expect(await services('dave')).toEqual([]), { timeoutMs: 60_000 });
  }, 120_000);

  it('reports a server whose task died as stopped, with the reason, and starts it again', async () => {
    await startServer('erin');
    const container = (await swarm.manager.docker.listContainers({ filters: { label: ['berth.user=erin'] } }))[0];
    await swarm.manager.docker.getContainer(container.Id).kill();
    // The proxy finds it unreachable and the hub checks the server, as JupyterHub does.
    await waitFor(async () => {
      await fetch(`${base}/user/erin/echo`).catch(() => undefined);
      const info = (await (await api('GET', '/users/erin')).json()) as { servers: Record<string, unknown> };
      expect(info.servers['']).toBeUndefined();
    }, { timeoutMs: 60_000 });
    await startServer('erin');
    expect((await fetch(`${base}/user/erin/echo`)).status).toBe(200);
  }, 180_000);

  it('keeps servers and their routes across a hub restart, and removes the service at stop', async () => {
    await startServer('frank');
    const [before] = await services('frank');
    await stopHub(hubs.at(-1)!);
    await runHub();
    await waitFor(async () => expect((await fetch(`${base}/user/frank/echo`)).status).toBe(200), { timeoutMs: 60_000 });
    expect((await services('frank')).map((s) => s.ID)).toEqual([before.ID]);
    expect((await api('DELETE', '/users/frank/server')).status).toBeLessThan(300);
    await waitFor(async () => expect(await services('frank')).toEqual([]), { timeoutMs: 60_000 });
  }, 180_000);
});
