// The catalog's images on every node of the swarm, before users' servers need them: per image, a global one-shot
// service (mode global-job, Engine API 1.41) runs the image by its id on every ready node, which no node can pull,
// so it only says which nodes hold it; then, per spawner.pull_policy (image-plan.ts), a second job runs the image
// by name on the nodes to pull, and Swarm pulls it there. Progress goes to the hub log (`image X: 2/3 nodes`);
// starts read the result (placementFor) so a server never lands on a node known to lack its image. With pull_policy
// "never" a server runs the image by the id that was checked, as the job did: Swarm's nodes otherwise ask the registry
// at every start, and wait out its timeout when it cannot be reached. This module owns that knowledge, per image,
// until the next distribution (a hub start, a changed catalog).
import { createHash } from 'node:crypto';
import type Docker from 'dockerode';
import type { Logger } from '../../log.js';
import { LABELS } from '../labels.js';
import { SpawnError, type SpawnSpec } from '../spawner.js';
import { describeLacking, nodesToPull, placementFor, type NodeImage } from './image-plan.js';

export interface ImageDistributionOptions {
  docker: Docker;
  hubId: string;
  /** Labels on every job (tests: berth.test=true). Never the hub's own label: a job is no user's server. */
  labels: Record<string, string>;
  logger: Logger;
  /** The longest a pull job may run (a large image on a slow link); a check gets CHECK_TIMEOUT_MS. */
  pullTimeoutMs?: number;
}

export interface ImageDistribution {
  /** Checks (and pulls, per policy) each image on every ready node; resolves when every job ended. Never throws. */
  distribute(images: readonly string[], policy: SpawnSpec['pullPolicy']): Promise<void>;
  /**
   * Where a server of `image` may run: constraints keeping it off nodes that lack it, and the reference to run (the
   * checked id with pull_policy "never", else `image`). Waits while that is being found out; refuses when no node has it.
   */
  placeFor(image: string, signal: AbortSignal): Promise<{ constraints: string[]; ref: string }>;
}

interface JobTask {
  NodeID?: string;
  Status?: { State?: string; Err?: string; ContainerStatus?: { ContainerID?: string } };
}

const POLL_MS = 300;
/** A check starts no download: a node that has not answered by then is busy or cut off, and is left unknown. */
const CHECK_TIMEOUT_MS = 120_000;

/** One node's answer to a job: the image is there, is not (why), or the node did not answer in time (null). */
interface JobResult {
  present: boolean | null;
  reason?: string;
}
const FINAL = new Set(['complete', 'failed', 'rejected', 'shutdown', 'orphaned', 'remove']);

export function createImageDistribution(options: ImageDistributionOptions): ImageDistribution {
  const { docker, hubId, logger } = options;
  const pullTimeoutMs = options.pullTimeoutMs ?? 30 * 60_000;
  let queue = Promise.resolve();
  const known = new Map<string, NodeImage[]>();
  /** The id each image was checked by, for images a server must run as checked (pull_policy "never"). */
  const runById = new Map<string, string>();
  let changed = signalled();

  function update(image: string, nodes: NodeImage[]): void {
    known.set(image, nodes.map((n) => ({ ...n })));
    changed.fire();
    changed = signalled();
  }

  /** Jobs a hub stopped midway left behind (a job is removed when it ends). */
  async function removeLeftoverJobs(): Promise<void> {
    const jobs = (await docker.listServices({ filters: { label: [`${LABELS.imageJob}=${hubId}`] } })) as { ID: string }[];
    await Promise.all(jobs.map((job) => docker.getService(job.ID).remove().catch(() => undefined)));
  }

  async function readyNodes(): Promise<NodeImage[]> {
    const nodes = (await docker.listNodes()) as { ID: string; Description?: { Hostname?: string }; Status?: { State?: string }; Spec?: { Availability?: string } }[];
    return nodes
      .filter((n) => n.Status?.State === 'ready' && n.Spec?.Availability !== 'drain')
      .map((n) => ({ nodeId: n.ID, name: n.Description?.Hostname ?? n.ID.slice(0, 12), state: 'checking' as const }))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Runs `ref` once on each of `targets` (a global job that excludes the other nodes); returns each node's result. */
  async function runJob(image: string, ref: string, targets: NodeImage[], all: NodeImage[], purpose: 'check' | 'pull'): Promise<Map<string, JobResult>> {
    const results = new Map<string, JobResult>();
    const excluded = all.filter((n) => !targets.includes(n)).map((n) => `node.id!=${n.nodeId}`);
    const service = await docker.createService({
      Name: `berth-image-${purpose}-${createHash('sha256').update(image).digest('hex').slice(0, 10)}-${Date.now().toString(36)}`,
      Labels: { ...options.labels, [LABELS.imageJob]: hubId },
      TaskTemplate: {
        // The image's own `true`: when the container was created the image is there, whatever the command did.
        ContainerSpec: { Image: ref, Command: ['true'], Labels: { ...options.labels, [LABELS.imageJob]: hubId } },
        RestartPolicy: { Condition: 'none', MaxAttempts: 0 },
        Placement: { Constraints: excluded },
      },
      Mode: { GlobalJob: {} },
    } as Docker.CreateServiceOptions);
    const timeoutMs = purpose === 'check' ? CHECK_TIMEOUT_MS : pullTimeoutMs;
    const deadline = Date.now() + timeoutMs;
    try {
      for (;;) {
        const tasks = (await docker.listTasks({ filters: { service: [service.id] } })) as JobTask[];
        for (const task of tasks) {
          const node = targets.find((n) => n.nodeId === task.NodeID);
          if (!node || results.has(node.nodeId) || !FINAL.has(task.Status?.State ?? '')) continue;
          const present = task.Status?.State === 'complete' || Boolean(task.Status?.ContainerStatus?.ContainerID);
          results.set(node.nodeId, present ? { present } : { present, reason: task.Status?.Err ?? `the job's task is ${task.Status?.State}` });
          if (purpose === 'pull') {
            const have = all.filter((n) => n.state === 'present').length + [...results.values()].filter((r) => r.present).length;
            logger.info({ image, node: node.name, present }, `image ${image}: ${have}/${all.length} nodes (${present ? 'pulled on' : 'could not pull on'} ${node.name})`);
          }
        }
        if (results.size === targets.length) return results;
        if (Date.now() > deadline) {
          for (const node of targets) if (!results.has(node.nodeId)) results.set(node.nodeId, { present: null, reason: `no answer within ${timeoutMs / 1000} s` });
          return results;
        }
        // Unref'd: a job under way (a long pull) must not keep a stopped hub's process alive; the next start removes it.
        await new Promise((resolve) => setTimeout(resolve, POLL_MS).unref());
      }
    } finally {
      await docker.getService(service.id).remove().catch((err) => logger.warn({ err, image }, 'could not remove an image job'));
    }
  }

  /** Which nodes hold `image`: by its id on this manager, which no node can pull. */
  async function check(image: string, nodes: NodeImage[], policy: SpawnSpec['pullPolicy']): Promise<{ checkable: boolean }> {
    const id = await docker.getImage(image).inspect().then((info) => info.Id, () => null);
    if (id && policy === 'never') runById.set(image, id);
    else runById.delete(image);
    if (!id) {
      // Nothing to check by: the manager lacks it too, and a job by name would let every node pull. With "never",
      // servers run the manager's copy, so no node can run it; otherwise each node is a candidate for a pull.
      for (const node of nodes) {
        node.state = policy === 'never' ? 'lacking' : 'unknown';
        node.reason = policy === 'never' ? 'not on the manager, whose copy pull_policy "never" runs' : undefined;
      }
    } else {
      const checked = await runJob(image, id, nodes, nodes, 'check');
      for (const node of nodes) {
        const result = checked.get(node.nodeId)!;
        node.state = result.present === null ? 'unknown' : result.present ? 'present' : 'lacking';
        node.reason = result.present ? undefined : `not on the node: ${result.reason}`;
      }
    }
    update(image, nodes);
    return { checkable: id !== null };
  }

  async function pull(image: string, nodes: NodeImage[], policy: SpawnSpec['pullPolicy']): Promise<void> {
    const toPull = nodesToPull(policy, nodes);
    if (toPull.length === 0) return;
    for (const node of toPull) node.state = 'pulling';
    update(image, nodes);
    logger.info({ image, nodes: toPull.map((n) => n.name), policy }, `image ${image}: pulling on ${toPull.map((n) => n.name).join(', ')}`);
    const pulled = await runJob(image, image, toPull, nodes, 'pull');
    for (const node of toPull) {
      const result = pulled.get(node.nodeId)!;
      node.state = result.present ? 'present' : 'lacking';
      node.reason = result.present ? undefined : `pull failed: ${result.reason}`;
    }
    update(image, nodes);
  }

  function report(image: string, nodes: NodeImage[], policy: SpawnSpec['pullPolicy'], checkable: boolean): void {
    const present = nodes.filter((n) => n.state === 'present').length;
    const summary = `image ${image}: ${present}/${nodes.length} nodes`;
    if (!checkable && policy === 'never') {
      logger.warn({ image, policy }, `${summary}: it is not on this manager, and with spawner.pull_policy "never" servers run the ` +
        'manager\'s copy of their image, checked on each node by its id: load it on every node (docker load), or set pull_policy to ifnotpresent');
    } else if (present < nodes.length) {
      logger.warn({ image, lacking: nodes.filter((n) => n.state === 'lacking').map((n) => n.name) },
        `${summary}; ${describeLacking(nodes)}. Its servers start on the other nodes only: load it there (docker load) ` +
          `or push it to a registry they reach${policy === 'never' ? ' and set spawner.pull_policy to ifnotpresent' : ''}, then reload the hub`);
    } else {
      logger.info({ image }, summary);
    }
  }

  function forget(image: string, err: unknown): void {
    known.delete(image);
    changed.fire();
    changed = signalled();
    logger.error({ err, image }, `image ${image}: could not check the swarm's nodes for it; its servers go wherever Swarm places them`);
  }

  async function distributeNow(images: readonly string[], policy: SpawnSpec['pullPolicy']): Promise<void> {
    const unique = [...new Set(images)];
    let nodes: NodeImage[];
    try {
      await removeLeftoverJobs();
      nodes = await readyNodes();
    } catch (err) {
      for (const image of unique) forget(image, err);
      return;
    }
    const perImage = new Map(unique.map((image) => [image, nodes.map((n) => ({ ...n }))]));
    for (const [image, copy] of perImage) update(image, copy);
    // Checks first, all at once (they pull nothing and end in seconds), so starts wait for no pull of another image;
    // then pulls, one image at a time: each job pulls on every node at once, and two big pulls would share a link.
    const checked = await Promise.all(unique.map((image) => check(image, perImage.get(image)!, policy).catch((err) => {
      forget(image, err);
      return null;
    })));
    for (const [i, image] of unique.entries()) {
      if (!checked[i]) continue;
      try {
        await pull(image, perImage.get(image)!, policy);
        report(image, perImage.get(image)!, policy, checked[i].checkable);
      } catch (err) {
        forget(image, err);
      }
    }
  }

  return {
    distribute(images, policy) {
      // One distribution at a time: a new one (a reload) starts by removing leftover jobs, which must not be the last one's.
      queue = queue.then(() => distributeNow(images, policy));
      return queue;
    },

    async placeFor(image, signal) {
      for (;;) {
        signal.throwIfAborted();
        const placement = placementFor(image, known.get(image));
        if (placement.kind === 'place') return { constraints: placement.constraints, ref: runById.get(image) ?? image };
        if (placement.kind === 'refuse') throw new SpawnError(placement.message);
        const next = changed.promise;
        await new Promise<void>((resolve, reject) => {
          const abort = () => reject(signal.reason);
          signal.addEventListener('abort', abort, { once: true });
          void next.then(() => {
            signal.removeEventListener('abort', abort);
            resolve();
          });
        });
      }
    },
  };
}

function signalled(): { promise: Promise<void>; fire(): void } {
  let fire!: () => void;
  const promise = new Promise<void>((resolve) => (fire = resolve));
  return { promise, fire };
}
