// A Docker Swarm made of dockerd processes on this machine, for the swarm tests: each node is a dockerd in its own
// network namespace (with its own data root, exec root, pid file and socket), joined to the others through a veth
// pair on a Linux bridge. Privileged containers are refused on the CI machines, so Docker-in-Docker is not an option,
// and the host engine is never put in swarm mode (other tests use it). Needs root, ip, nsenter, iptables and dockerd.
//
//   const swarm = await startSwarm({ workers: 1, images: ['berth/backend:test'] });
//   afterAll(() => swarm.cleanup());
//
// Images are copied into every node with `docker save | docker load`, and each dockerd runs with
// DOCKER_SERVICE_PREFER_OFFLINE_IMAGE=1, so tasks start from the local copy without asking a registry. cleanup()
// stops every daemon (which stops its containers) and removes every namespace, link, iptables rule and directory
// it made; it also runs on a failed start.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, rmdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import Docker from 'dockerode';
import { waitFor } from '../helpers/wait-for.js';

export interface SwarmNode {
  name: string;
  /** The node's address on the test bridge (reachable from the host). */
  ip: string;
  /** The node's engine socket (a file: reachable from any network namespace). */
  socket: string;
  docker: Docker;
  netns: string;
  /** The host end of its veth pair. */
  hostEnd: string;
  daemon: ChildProcess;
}

export interface TestSwarm {
  manager: SwarmNode;
  workers: SwarmNode[];
  nodes: SwarmNode[];
  /** Labels for everything a test makes on the swarm. */
  labels: Record<string, string>;
  /** Cuts a node off the network, as a failed machine: the managers mark it down after missed heartbeats. */
  disconnect(node: SwarmNode): void;
  cleanup(): Promise<void>;
}

const ROOT_DIR = '/var/lib/berth-swarm-test';

function run(command: string, args: string[]): string {
  return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function attempt(command: string, args: string[]): void {
  try {
    run(command, args);
  } catch {
    // already gone
  }
}

function freeSubnet(): string {
  const used = run('ip', ['-4', 'addr']);
  for (;;) {
    const candidate = `10.213.${Math.floor(Math.random() * 250) + 1}`;
    if (!used.includes(`${candidate}.`)) return candidate;
  }
}

/**
 * An image of its own (a new id) made from `from` on the first of `nodes` with `docker commit`, and copied to the other
 * `nodes` only: the swarm has a node that lacks it, as a node that joined after the images were loaded.
 */
export interface PartialImage {
  tag: string;
  from: string;
  nodes: string[];
}

export async function startSwarm(options: { workers: number; images: string[]; partialImages?: PartialImage[] }): Promise<TestSwarm> {
  const id = randomBytes(3).toString('hex');
  const bridge = `bsw${id}`;
  const prefix = freeSubnet();
  const dir = path.join(ROOT_DIR, id);
  const labels = { 'berth.test': 'true', 'berth.test-run': `swarm-${id}` };
  const nodes: SwarmNode[] = [];
  const undo: (() => void | Promise<void>)[] = [];

  const cleanup = async () => {
    for (const step of undo.reverse()) {
      try {
        await step();
      } catch {
        // keep undoing the rest
      }
    }
    undo.length = 0;
  };

  try {
    mkdirSync(dir, { recursive: true });
    undo.push(() => {
      rmSync(dir, { recursive: true, force: true });
      rmdirSync(ROOT_DIR); // only when no other swarm test is using it (else ENOTEMPTY, ignored)
    });
    run('ip', ['link', 'add', bridge, 'type', 'bridge']);
    undo.push(() => attempt('ip', ['link', 'del', bridge]));
    run('ip', ['addr', 'add', `${prefix}.1/24`, 'dev', bridge]);
    run('ip', ['link', 'set', bridge, 'up']);
    // The host's FORWARD policy drops bridged traffic (the host engine's iptables): without this, swarm join times out.
    for (const rule of [['-i', bridge, '-j', 'ACCEPT'], ['-o', bridge, '-j', 'ACCEPT']]) {
      run('iptables', ['-I', 'FORWARD', ...rule]);
      undo.push(() => attempt('iptables', ['-D', 'FORWARD', ...rule]));
    }
    const names = ['manager', ...Array.from({ length: options.workers }, (_, i) => `worker${i + 1}`)];
    for (const [i, name] of names.entries()) nodes.push(await startNode(name, i, { id, bridge, prefix, dir, undo }));

    const [manager, ...workers] = nodes;
    await manager.docker.swarmInit({ ListenAddr: `${manager.ip}:2377`, AdvertiseAddr: manager.ip, ForceNewCluster: false });
    const swarm = (await manager.docker.swarmInspect()) as { JoinTokens: { Worker: string } };
    for (const worker of workers) {
      await worker.docker.swarmJoin({ ListenAddr: `${worker.ip}:2377`, AdvertiseAddr: worker.ip, RemoteAddrs: [`${manager.ip}:2377`], JoinToken: swarm.JoinTokens.Worker });
    }
    await waitFor(async () => {
      const listed = (await manager.docker.listNodes()) as { Status: { State: string } }[];
      if (listed.length !== nodes.length || listed.some((n) => n.Status.State !== 'ready')) throw new Error(`nodes: ${JSON.stringify(listed.map((n) => n.Status.State))}`);
    }, { timeoutMs: 60_000 });

    for (const image of options.images) {
      const tar = path.join(dir, `${image.replace(/[^a-z0-9]/gi, '_')}.tar`);
      run('docker', ['save', '-o', tar, image]);
      await Promise.all(nodes.map((node) => new Promise<void>((resolve, reject) => {
        const load = spawn('docker', ['-H', `unix://${node.socket}`, 'load', '-i', tar], { stdio: 'ignore' });
        load.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`docker load into ${node.name} exited with ${code}`))));
      })));
      rmSync(tar);
    }
    for (const partial of options.partialImages ?? []) await makePartialImage(partial, nodes, dir, labels);

    return {
      manager,
      workers,
      nodes,
      labels,
      disconnect(node) {
        run('ip', ['link', 'set', node.hostEnd, 'down']);
      },
      cleanup,
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

async function startNode(
  name: string,
  index: number,
  ctx: { id: string; bridge: string; prefix: string; dir: string; undo: (() => void | Promise<void>)[] },
): Promise<SwarmNode> {
  const netns = `bsw-${ctx.id}-${index}`;
  const hostEnd = `vsw${ctx.id}${index}`;
  const ip = `${ctx.prefix}.${index + 11}`;
  const home = path.join(ctx.dir, name);
  mkdirSync(home, { recursive: true });

  run('ip', ['netns', 'add', netns]);
  ctx.undo.push(() => attempt('ip', ['netns', 'del', netns]));
  run('ip', ['link', 'add', hostEnd, 'type', 'veth', 'peer', 'name', `${hostEnd}p`]);
  ctx.undo.push(() => attempt('ip', ['link', 'del', hostEnd]));
  run('ip', ['link', 'set', `${hostEnd}p`, 'netns', netns]);
  run('ip', ['link', 'set', hostEnd, 'master', ctx.bridge, 'up']);
  const inNs = (...args: string[]) => run('ip', ['-n', netns, ...args]);
  inNs('link', 'set', 'lo', 'up');
  inNs('link', 'set', `${hostEnd}p`, 'name', 'eth0');
  inNs('addr', 'add', `${ip}/24`, 'dev', 'eth0');
  inNs('link', 'set', 'eth0', 'up');
  inNs('route', 'add', 'default', 'via', `${ctx.prefix}.1`);

  const socket = path.join(home, 'docker.sock');
  // nsenter --net, not `ip netns exec`, which remounts /sys and hides the cgroups from dockerd; a UTS namespace of
  // its own gives the node its name (Swarm names nodes by hostname).
  const daemon = spawn('unshare', [
    '--uts', 'sh', '-c', `hostname ${name} && exec nsenter --net=/var/run/netns/${netns} "$@"`, 'sh', 'dockerd',
    '--data-root', path.join(home, 'data'), '--exec-root', path.join(home, 'exec'), '--pidfile', path.join(home, 'docker.pid'),
    '-H', `unix://${socket}`, '--bridge', 'none', '--log-level', 'warn',
  ], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, DOCKER_SERVICE_PREFER_OFFLINE_IMAGE: '1' } });
  let log = '';
  daemon.stderr!.on('data', (chunk: Buffer) => {
    log = (log + chunk.toString()).slice(-4000);
  });
  ctx.undo.push(() => stopDaemon(daemon, 'SIGTERM'));
  const docker = new Docker({ socketPath: socket });
  await waitFor(async () => {
    if (daemon.exitCode !== null) throw new Error(`dockerd for ${name} exited with ${daemon.exitCode}:\n${log}`);
    if (!existsSync(socket)) throw new Error(`dockerd for ${name} has no socket yet`);
    await docker.ping();
  }, { timeoutMs: 60_000 });
  return { name, ip, socket, docker, netns, hostEnd, daemon };
}

async function makePartialImage(partial: PartialImage, nodes: SwarmNode[], dir: string, labels: Record<string, string>): Promise<void> {
  const [first, ...rest] = partial.nodes.map((name) => nodes.find((n) => n.name === name)!);
  const container = await first.docker.createContainer({ Image: partial.from, Labels: labels, HostConfig: { NetworkMode: 'none' } });
  await container.commit({ repo: partial.tag.split(':')[0], tag: partial.tag.split(':')[1], comment: 'berth swarm test: on some nodes only' });
  await container.remove();
  const tar = path.join(dir, 'partial.tar');
  run('docker', ['-H', `unix://${first.socket}`, 'save', '-o', tar, partial.tag]);
  for (const node of rest) run('docker', ['-H', `unix://${node.socket}`, 'load', '-i', tar]);
  rmSync(tar);
}

async function stopDaemon(daemon: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (daemon.exitCode !== null || daemon.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => daemon.once('exit', () => resolve()));
  daemon.kill(signal);
  const timer = setTimeout(() => daemon.kill('SIGKILL'), 20_000);
  await exited;
  clearTimeout(timer);
}
