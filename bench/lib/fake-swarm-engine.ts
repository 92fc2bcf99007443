// A swarm manager's Engine API as far as the swarm backend lists servers: N services of one hub, each with one
// running task on one of a few nodes, answered from memory over a unix socket. For the swarm-scale benchmark only:
// 10,000 real services do not fit on one 2-core machine, but the hub's cost of listing them (requests, JSON) does.
// Every request is counted by path kind, so the benchmark can say how many round trips one pass makes.
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface FakeSwarmEngine {
  socketPath: string;
  /** Requests answered so far, by kind (`GET /tasks`, `GET /nodes/{id}`, …). */
  counts(): Record<string, number>;
  resetCounts(): void;
  close(): Promise<void>;
}

export interface FakeSwarmOptions {
  services: number;
  nodes: number;
  hubId: string;
  network: string;
  /** What each task's address on the overlay is (the benchmark points them at one local HTTP server). */
  taskAddress: string;
  /** The overlay's subnet, which must hold an address of the hub process (hubAddressOn). */
  subnet: string;
}

export async function startFakeSwarmEngine(options: FakeSwarmOptions): Promise<FakeSwarmEngine> {
  const dir = mkdtempSync(path.join(tmpdir(), 'berth-fake-swarm-'));
  const socketPath = path.join(dir, 'docker.sock');
  const nodes = Array.from({ length: options.nodes }, (_, i) => ({
    ID: `node${String(i).padStart(21, '0')}`,
    Description: { Hostname: `worker${i + 1}` },
    Status: { State: 'ready', Addr: `10.0.0.${i + 2}` },
    Spec: { Role: i === 0 ? 'manager' : 'worker', Availability: 'active' },
  }));
  const created = new Date(Date.UTC(2026, 0, 1)).toISOString();
  const services = Array.from({ length: options.services }, (_, i) => {
    const user = `u${i}`;
    const labels = { 'berth.hub': options.hubId, 'berth.user': user, 'berth.server': '', 'berth.image-label': '' };
    return {
      ID: `svc${String(i).padStart(22, '0')}`,
      Version: { Index: 100 + i },
      CreatedAt: created,
      UpdatedAt: created,
      Spec: {
        Name: `berth-${options.network}-${user}`,
        Labels: labels,
        TaskTemplate: {
          ContainerSpec: { Image: 'berth/singleuser:latest', Labels: labels, Env: ['JUPYTERHUB_USER=' + user] },
          Resources: { Limits: { MemoryBytes: 2 ** 31 }, Reservations: { MemoryBytes: 2 ** 31 } },
          RestartPolicy: { Condition: 'none', MaxAttempts: 0 },
          Placement: {},
          Networks: [{ Target: options.network }],
        },
        Mode: { Replicated: { Replicas: 1 } },
        EndpointSpec: { Mode: 'dnsrr' },
      },
      Endpoint: { Spec: { Mode: 'dnsrr' } },
    };
  });
  const tasks = services.map((service, i) => ({
    ID: `task${String(i).padStart(21, '0')}`,
    ServiceID: service.ID,
    NodeID: nodes[i % nodes.length].ID,
    CreatedAt: created,
    UpdatedAt: created,
    Slot: 1,
    Spec: service.Spec.TaskTemplate,
    Status: {
      Timestamp: created, State: 'running', Message: 'started',
      ContainerStatus: { ContainerID: `c${String(i).padStart(63, '0')}`, PID: 1000 + i, ExitCode: 0 },
    },
    DesiredState: 'running',
    NetworksAttachments: [{ Network: { ID: 'overlay0', Spec: { Name: options.network } }, Addresses: [`${options.taskAddress}/8`] }],
  }));
  const tasksByService = new Map(tasks.map((t) => [t.ServiceID, JSON.stringify([t])]));
  const nodeById = new Map(nodes.map((n) => [n.ID, JSON.stringify(n)]));
  // A removed service leaves the listings, as on a real engine; they are serialised again only after a removal.
  const removed = new Set<string>();
  let listings: { services: string; tasks: string } | null = null;
  const listed = () => (listings ??= {
    services: JSON.stringify(services.filter((svc) => !removed.has(svc.ID))),
    tasks: JSON.stringify(tasks.filter((t) => !removed.has(t.ServiceID))),
  });
  const network = JSON.stringify({
    Name: options.network, Id: 'overlay0', Driver: 'overlay', Attachable: true, Scope: 'swarm',
    IPAM: { Config: [{ Subnet: options.subnet }] }, Labels: {},
  });
  const counts: Record<string, number> = {};

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://engine');
    const route = url.pathname.replace(/^\/v[\d.]+/, '');
    const filters = JSON.parse(url.searchParams.get('filters') ?? '{}') as Record<string, string[] | Record<string, boolean>>;
    const list = (name: string) => (Array.isArray(filters[name]) ? filters[name] as string[] : Object.keys(filters[name] ?? {}));
    const kind = `${req.method} ${route.replace(/\/(svc|node|task)[0-9]+/, '/{id}')}`;
    counts[kind] = (counts[kind] ?? 0) + 1;
    const send = (status: number, body: string) => {
      res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end(body);
    };
    req.resume();
    if (route === '/_ping') return send(200, '"OK"');
    if (route === '/services' && req.method === 'GET') {
      // Only the hub's own label selects the services; the image jobs' label selects none.
      return send(200, list('label').some((l) => l.startsWith('berth.image-job')) ? '[]' : listed().services);
    }
    if (route === '/tasks') {
      const wanted = list('service');
      const one = (id: string) => (removed.has(id) ? '' : (tasksByService.get(id) ?? '[]').slice(1, -1));
      return send(200, wanted.length === 0 ? listed().tasks : `[${wanted.map(one).filter(Boolean).join(',')}]`);
    }
    if (route === '/nodes') return send(200, JSON.stringify(nodes));
    const node = /^\/nodes\/([^/]+)$/.exec(route);
    if (node) return nodeById.has(node[1]) ? send(200, nodeById.get(node[1])!) : send(404, '{"message":"node not found"}');
    const service = /^\/services\/([^/]+)$/.exec(route);
    if (service && req.method === 'DELETE') {
      if (removed.has(service[1]) || !tasksByService.has(service[1])) return send(404, '{"message":"service not found"}');
      removed.add(service[1]);
      listings = null;
      return send(200, '');
    }
    if (service && req.method === 'GET') {
      const found = removed.has(service[1]) ? undefined : services.find((s) => s.ID === service[1]);
      return found ? send(200, JSON.stringify(found)) : send(404, '{"message":"service not found"}');
    }
    if (route === `/networks/${options.network}`) return send(200, network);
    return send(404, `{"message":"the fake swarm engine does not answer ${req.method} ${route}"}`);
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  return {
    socketPath,
    counts: () => ({ ...counts }),
    resetCounts: () => {
      for (const key of Object.keys(counts)) delete counts[key];
    },
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }).finally(() => rmSync(dir, { recursive: true, force: true })),
  };
}
