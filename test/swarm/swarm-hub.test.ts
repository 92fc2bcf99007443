// The swarm backend on a real one-node swarm (test/swarm/swarm-nodes.ts): a hub process (dist/) attached to the
// overlay, as stack.yaml runs it, starts users' servers as Swarm services, routes to their task addresses, reports a
// failed task with its reason, keeps servers across its own restart and removes the service at stop. Then stack.yaml
// itself: `docker stack deploy` runs the hub image there, healthy, serving the API and users' servers on its port.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/wait-for.js';
import { startSwarm, type TestSwarm } from './swarm-nodes.js';
import { IMAGE, startSwarmHub, type SwarmHub } from './swarm-hub.js';
import { deployStack, HUB_IMAGE } from './swarm-stack.js';

let swarm: TestSwarm;
let hub: SwarmHub;

beforeAll(async () => {
  swarm = await startSwarm({ workers: 0, images: [IMAGE, HUB_IMAGE] });
  hub = await startSwarmHub(swarm, {
    images: {
      limited: { image: IMAGE, mem_limit: '256M', cpu_limit: 0.5 },
      slow: { image: IMAGE, environment: { BACKEND_DELAY_S: '2' } },
      failing: { image: IMAGE, environment: { BACKEND_EXIT_CODE: '3' } },
      nowhere: { image: IMAGE, placement: ['node.labels.missing==true'] },
    },
  });
}, 240_000);

afterAll(async () => {
  await hub?.stop().catch(() => undefined);
  await swarm?.cleanup();
}, 120_000);

describe('users\' servers on a swarm', () => {
  it('runs a server as one never-restarted replica with the entry\'s limits, and proxies to its task address', async () => {
    await hub.startServer('alice', { image: 'limited' });
    const [service] = await hub.services('alice');
    expect(service.Spec.Mode.Replicated.Replicas).toBe(1);
    expect(service.Spec.TaskTemplate.RestartPolicy.Condition).toBe('none');
    expect(service.Spec.TaskTemplate.Resources.Limits?.MemoryBytes).toBe(256 * 2 ** 20);
    expect(service.Spec.TaskTemplate.ContainerSpec.Env.some((e) => e.startsWith('JUPYTERHUB_API_TOKEN='))).toBe(true);
    expect(JSON.stringify(service.Spec.Labels)).not.toContain('JUPYTERHUB_API_TOKEN');
    const res = await fetch(`${hub.base}/user/alice/echo`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('/user/alice/echo');
  }, 120_000);

  it('reports the task\'s states as progress, then the HTTP check', async () => {
    await hub.api('POST', '/users/bob');
    // The POST answers only once the server is ready (within slow_spawn_timeout): follow the progress meanwhile.
    const started = hub.api('POST', '/users/bob/server', { image: 'slow' });
    const stream = await waitFor(async () => {
      const text = await (await hub.api('GET', '/users/bob/server/progress')).text();
      expect(text).toMatch(/"ready":true/);
      return text;
    }, { timeoutMs: 60_000 });
    expect([201, 202]).toContain((await started).status);
    const messages = [...stream.matchAll(/"message":"([^"]*)"/g)].map((m) => m[1]);
    expect(messages.indexOf('Running on node manager')).toBeGreaterThan(messages.indexOf('Created Swarm service berth-swarm-bob'));
    expect(messages.indexOf('Created Swarm service berth-swarm-bob')).toBeGreaterThan(0);
    expect(stream).toMatch(/Waiting for the server to answer HTTP/);
    expect(stream).toMatch(/"ready":true/);
  }, 120_000);

  it('fails a start whose task fails, saying why, and leaves no service behind', async () => {
    await hub.api('POST', '/users/carol');
    await hub.api('POST', '/users/carol/server', { image: 'failing' });
    const stream = await (await hub.api('GET', '/users/carol/server/progress')).text();
    expect(stream).toMatch(/"failed":true/);
    expect(stream).toMatch(/task is failed.*exit code 3/);
    await waitFor(async () => expect(await hub.services('carol')).toEqual([]));
  }, 120_000);

  it('says why a server waits when no node satisfies its placement', async () => {
    await hub.api('POST', '/users/dave');
    await hub.api('POST', '/users/dave/server', { image: 'nowhere' });
    const res = await hub.api('GET', '/users/dave/server/progress');
    const reader = res.body!.getReader();
    let seen = '';
    await waitFor(async () => {
      const { value } = await reader.read();
      seen += Buffer.from(value ?? []).toString();
      expect(seen).toMatch(/no suitable node/);
    }, { timeoutMs: 60_000 });
    await reader.cancel();
    expect((await hub.api('DELETE', '/users/dave/server')).status).toBeLessThan(300);
    await waitFor(async () => expect(await hub.services('dave')).toEqual([]), { timeoutMs: 60_000 });
  }, 120_000);

  it('reports a server whose task died as stopped, with the reason, and starts it again', async () => {
    await hub.startServer('erin');
    const container = (await swarm.manager.docker.listContainers({ filters: { label: ['berth.user=erin'] } }))[0];
    await swarm.manager.docker.getContainer(container.Id).kill();
    // The proxy finds it unreachable and the hub checks the server, as JupyterHub does.
    await waitFor(async () => {
      await fetch(`${hub.base}/user/erin/echo`).catch(() => undefined);
      const info = (await (await hub.api('GET', '/users/erin')).json()) as { servers: Record<string, unknown> };
      expect(info.servers['']).toBeUndefined();
    }, { timeoutMs: 60_000 });
    expect(hub.log()).toMatch(/"user":"erin","reason":"The server stopped: the task is failed: task: non-zero exit \(137\)/);
    await hub.startServer('erin');
    expect((await fetch(`${hub.base}/user/erin/echo`)).status).toBe(200);
  }, 180_000);

  it('keeps servers and their routes across a hub restart, and removes the service at stop', async () => {
    await hub.startServer('frank');
    const [before] = await hub.services('frank');
    await hub.restart();
    await waitFor(async () => expect((await fetch(`${hub.base}/user/frank/echo`)).status).toBe(200), { timeoutMs: 60_000 });
    expect((await hub.services('frank')).map((s) => s.ID)).toEqual([before.ID]);
    expect((await hub.api('DELETE', '/users/frank/server')).status).toBeLessThan(300);
    await waitFor(async () => expect(await hub.services('frank')).toEqual([]), { timeoutMs: 60_000 });
  }, 180_000);
});

describe('stack.yaml', () => {
  it('deploys the hub image with docker stack deploy: healthy, its API and users\' servers on the published port, and gone after docker stack rm', async () => {
    const stack = await deployStack(swarm, { image: IMAGE, pull_policy: 'never' });
    try {
      await waitFor(async () => expect((await stack.hubContainer())?.State.Health?.Status).toBe('healthy'), { timeoutMs: 150_000, intervalMs: 1000 });
      const root = await fetch(`${stack.base}/hub/api/`);
      expect(root.status).toBe(200);
      expect(await root.json()).toHaveProperty('version');

      await stack.api('POST', '/users/stacy');
      expect([201, 202]).toContain((await stack.api('POST', '/users/stacy/server')).status);
      await waitFor(async () => {
        const info = (await (await stack.api('GET', '/users/stacy')).json()) as { servers: Record<string, { ready: boolean }> };
        expect(info.servers['']?.ready).toBe(true);
      }, { timeoutMs: 90_000, intervalMs: 500 });
      expect((await fetch(`${stack.base}/user/stacy/echo`)).status).toBe(200);
      expect((await stack.api('DELETE', '/users/stacy/server')).status).toBeLessThan(300);
      await waitFor(async () => expect(await swarm.manager.docker.listServices({ filters: { label: ['berth.user=stacy'] } })).toEqual([]), { timeoutMs: 60_000 });
    } finally {
      await stack.remove();
    }
  }, 300_000);
});
