// The swarm backend on a real three-node swarm (a manager and two workers, test/swarm/swarm-nodes.ts): users' servers
// spread over the nodes and the proxy reaches each at its task address; a worker lost marks its users' servers
// stopped with the reason, and they start again on the nodes left; a hub restart keeps services and routes; a server
// with a local volume starts again on the node holding it, and is refused with the reason while that node is down.
// The catalog's images are checked on every node before the first start: a node that lacks one is named in the log,
// and that image's servers are placed on the other nodes (Swarm would otherwise try to pull it there, with no registry).
// Longer than the other integration files (about two minutes): CI runs it as its own step (npm run test:swarm).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/wait-for.js';
import { startSwarm, type TestSwarm } from './swarm-nodes.js';
import { IMAGE, startSwarmHub, type SwarmHub } from './swarm-hub.js';

let swarm: TestSwarm;
let hub: SwarmHub;
const USERS = ['u1', 'u2', 'u3', 'u4', 'u5', 'u6'];
const PARTIAL = 'berth/partial:test';
const MISSING = 'berth/missing:test';
const CATALOG = {
  plain: { image: IMAGE },
  home: { image: IMAGE, volumes: { 'berth-{username}': '/data' } },
  'home-on-worker1': { image: IMAGE, volumes: { 'berth-{username}': '/data' }, placement: ['node.hostname==worker1'] },
  partial: { image: PARTIAL },
  missing: { image: MISSING },
};

beforeAll(async () => {
  swarm = await startSwarm({ workers: 2, images: [IMAGE], partialImages: [{ tag: PARTIAL, from: IMAGE, nodes: ['manager', 'worker1'] }] });
  hub = await startSwarmHub(swarm, { images: CATALOG });
}, 300_000);

afterAll(async () => {
  await hub?.stop().catch(() => undefined);
  await swarm?.cleanup();
}, 120_000);

describe('users\' servers on a three-node swarm', () => {
  it('checks the catalog\'s images on every node, names a node that lacks one, and starts that image\'s servers elsewhere at once', async () => {
    await waitFor(() => {
      expect(hub.log()).toContain(`image ${IMAGE}: 3/3 nodes`);
      expect(hub.log()).toMatch(new RegExp(`image ${PARTIAL}: 2/3 nodes; lacking on worker2 \\(not on the node: [^)]*No such image`));
    }, { timeoutMs: 120_000 });
    const nodes = (await swarm.manager.docker.listNodes()) as { ID: string; Description: { Hostname: string } }[];
    const worker2 = nodes.find((n) => n.Description.Hostname === 'worker2')!.ID;
    for (const user of ['p1', 'p2', 'p3', 'p4']) {
      await hub.startServer(user, { image: 'partial' });
      expect(await hub.nodeOf(user)).not.toBe('worker2');
      const [service] = await hub.services(user);
      expect((service.Spec.TaskTemplate as unknown as { Placement: { Constraints: string[] } }).Placement.Constraints).toContain(`node.id!=${worker2}`);
      expect((await fetch(`${hub.base}/user/${user}/echo`)).status).toBe(200);
    }

    // On no node at all (and pull_policy never): refused at once, saying so, and no service is left.
    expect(hub.log()).toContain(`image ${MISSING}: 0/3 nodes: it is not on this manager`);
    await hub.api('POST', '/users/nobody');
    await hub.api('POST', '/users/nobody/server', { image: 'missing' });
    const refused = await (await hub.api('GET', '/users/nobody/server/progress')).text();
    expect(refused).toMatch(/"failed":true/);
    expect(refused).toContain(`Image ${MISSING} is on no node of the swarm (lacking on manager (not on the manager`);
    expect(await hub.services('nobody')).toEqual([]);
    for (const user of ['p1', 'p2', 'p3', 'p4']) expect((await hub.api('DELETE', `/users/${user}/server`)).status).toBeLessThan(300);

    // A catalog entry added to hub.yaml is checked on every node once the hub reloads it.
    hub.reconfigure({ images: { ...CATALOG, late: { image: 'berth/late:test' } } });
    await waitFor(() => expect(hub.log()).toContain('image berth/late:test: 0/3 nodes: it is not on this manager'), { timeoutMs: 60_000 });

    // pull_policy ifnotpresent: the nodes without an image are asked to pull it, by name. No registry answers here,
    // so worker2 is named with the pull's error, and the image's servers still start only where it is.
    hub.reconfigure({ images: CATALOG, pull_policy: 'ifnotpresent' });
    await waitFor(() => {
      expect(hub.log()).toContain(`image ${PARTIAL}: pulling on worker2`);
      expect(hub.log()).toMatch(new RegExp(`image ${PARTIAL}: 2/3 nodes; lacking on worker2 \\(pull failed: `));
    }, { timeoutMs: 180_000, intervalMs: 500 });
    await hub.startServer('p5', { image: 'partial' });
    expect(await hub.nodeOf('p5')).not.toBe('worker2');
    expect((await hub.api('DELETE', '/users/p5/server')).status).toBeLessThan(300);
    hub.reconfigure({ images: CATALOG });
  }, 480_000);

  it('starts a server with a local volume again on the node that holds the volume', async () => {
    await hub.startServer('vera', { image: 'home' });
    const first = await hub.nodeOf('vera');
    const nodeId = ((await swarm.manager.docker.listNodes()) as { ID: string; Description: { Hostname: string } }[])
      .find((n) => n.Description.Hostname === first)!.ID;
    expect((await hub.api('DELETE', '/users/vera/server')).status).toBeLessThan(300);
    await waitFor(async () => expect(await hub.services('vera')).toEqual([]), { timeoutMs: 60_000 });
    await hub.startServer('vera', { image: 'home' });
    const [service] = await hub.services('vera');
    expect((service.Spec.TaskTemplate as unknown as { Placement: { Constraints: string[] } }).Placement.Constraints).toContain(`node.id==${nodeId}`);
    expect(await hub.nodeOf('vera')).toBe(first);
  }, 180_000);

  it('spreads servers over every node, reaches each through the proxy, keeps them across a hub restart, and restarts a lost worker\'s servers elsewhere', async () => {
    // Servers without volumes: any node may run them (a local volume would pin them, as the next test shows).
    for (const user of USERS) await hub.startServer(user, { image: 'plain' });
    const placed = new Map<string, string>();
    for (const user of USERS) placed.set(user, await hub.nodeOf(user));
    expect(new Set(placed.values())).toEqual(new Set(['manager', 'worker1', 'worker2']));
    for (const user of USERS) {
      const res = await fetch(`${hub.base}/user/${user}/echo`);
      expect(res.status).toBe(200);
    }

    const before = new Map<string, string>();
    for (const user of USERS) before.set(user, (await hub.services(user))[0].ID);
    await hub.restart();
    for (const user of USERS) {
      await waitFor(async () => expect((await fetch(`${hub.base}/user/${user}/echo`)).status).toBe(200), { timeoutMs: 60_000 });
      expect((await hub.services(user)).map((s) => s.ID)).toEqual([before.get(user)]);
    }

    // A user whose files are on the worker about to be lost.
    await hub.startServer('wendy', { image: 'home-on-worker1' });
    expect((await hub.api('DELETE', '/users/wendy/server')).status).toBeLessThan(300);

    const lost = swarm.workers[0];
    const onLost = USERS.filter((user) => placed.get(user) === lost.name);
    const kept = USERS.filter((user) => placed.get(user) !== lost.name);
    swarm.disconnect(lost);
    await waitFor(async () => {
      for (const user of onLost) {
        await fetch(`${hub.base}/user/${user}/echo`, { signal: AbortSignal.timeout(2000) }).catch(() => undefined);
        const info = (await (await hub.api('GET', `/users/${user}`)).json()) as { servers: Record<string, unknown> };
        expect(info.servers['']).toBeUndefined();
      }
    }, { timeoutMs: 150_000, intervalMs: 1000 });
    expect(hub.log()).toContain(`The server stopped: node ${lost.name} is down`);
    for (const user of kept) expect((await fetch(`${hub.base}/user/${user}/echo`)).status).toBe(200);

    // Wendy's volume stays on the lost node: her start is refused at once, saying where her files are.
    await hub.api('POST', '/users/wendy/server', { image: 'home' });
    const progress = await (await hub.api('GET', '/users/wendy/server/progress')).text();
    expect(progress).toMatch(/"failed":true/);
    expect(progress).toContain('volume berth-wendy) are kept on node worker1, and node worker1 is down');

    for (const user of onLost) {
      await hub.startServer(user, { image: 'plain' });
      expect(await hub.nodeOf(user)).not.toBe(lost.name);
      expect((await fetch(`${hub.base}/user/${user}/echo`)).status).toBe(200);
    }
  }, 600_000);
});
