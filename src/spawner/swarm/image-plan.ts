// Which nodes get a pull, per spawner.pull_policy, once the presence check (a job that runs the image by its id, which
// no node can pull) has said which nodes hold the image; and what a start may do with the result. Pure: the jobs
// themselves are image-distribution.ts's.
import type { SpawnSpec } from '../spawner.js';

/** What the hub knows of one image on one node. `checking`/`pulling`: a job is under way; `unknown`: not checked. */
export type NodeImageState = 'checking' | 'present' | 'pulling' | 'lacking' | 'unknown';

export interface NodeImage {
  nodeId: string;
  name: string;
  state: NodeImageState;
  /** Why the node lacks the image (the job's error), for the log and a refused start. */
  reason?: string;
}

/**
 * The nodes to pull `image` on after the check. `always`: every node; `ifnotpresent`: the nodes without it;
 * `never`: none. Without the image on the manager there is no id to check by, so every node is a candidate.
 */
export function nodesToPull(policy: SpawnSpec['pullPolicy'], nodes: readonly NodeImage[]): NodeImage[] {
  if (policy === 'never') return [];
  if (policy === 'always') return [...nodes];
  return nodes.filter((n) => n.state !== 'present');
}

export type Placement =
  | { kind: 'wait' }
  | { kind: 'place'; constraints: string[] }
  | { kind: 'refuse'; message: string };

/**
 * Where a server of `image` may start: on nodes that hold it, never on one known to lack it (Swarm would try to pull
 * there, and without a registry the start would only end at its timeout). While a check runs, or while no node holds
 * it yet but one is pulling, the start waits; when no node holds it and none is pulling, it is refused, naming them.
 * Nodes not checked (`unknown`) are not excluded: Swarm treats them as it always does.
 */
export function placementFor(image: string, nodes: readonly NodeImage[] | undefined): Placement {
  if (!nodes) return { kind: 'place', constraints: [] };
  if (nodes.some((n) => n.state === 'checking')) return { kind: 'wait' };
  const usable = nodes.filter((n) => n.state === 'present' || n.state === 'unknown');
  if (usable.length === 0) {
    if (nodes.some((n) => n.state === 'pulling')) return { kind: 'wait' };
    return {
      kind: 'refuse',
      message: `Image ${image} is on no node of the swarm (${describeLacking(nodes)}): load it on the nodes (docker load) ` +
        'or push it to a registry they reach, then reload the hub (SIGHUP) so it checks again',
    };
  }
  return { kind: 'place', constraints: nodes.filter((n) => n.state === 'lacking' || n.state === 'pulling').map((n) => `node.id!=${n.nodeId}`) };
}

/** `worker2 (No such image: …), worker3` */
export function describeLacking(nodes: readonly NodeImage[]): string {
  const lacking = nodes.filter((n) => n.state === 'lacking');
  return lacking.length === 0 ? 'no node lacks it' : `lacking on ${lacking.map((n) => (n.reason ? `${n.name} (${n.reason})` : n.name)).join(', ')}`;
}
