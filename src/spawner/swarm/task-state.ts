// What a Swarm task's state means for a starting or running server: the progress step shown while it is scheduled,
// pulled and started, and which states are final. One table, read by the swarm spawner and its unit test.

/** Swarm's task states (swarmkit's TaskState), in the order a task goes through them. */
export type TaskState =
  | 'new' | 'allocated' | 'pending' | 'assigned' | 'accepted' | 'preparing' | 'ready' | 'starting' | 'running'
  | 'complete' | 'shutdown' | 'failed' | 'rejected' | 'remove' | 'orphaned';

const STEPS: Partial<Record<TaskState, { progress: number; message: string }>> = {
  new: { progress: 20, message: 'Server scheduled: waiting for a node' },
  allocated: { progress: 20, message: 'Server scheduled: waiting for a node' },
  pending: { progress: 25, message: 'Waiting for Swarm to place the server on a node' },
  assigned: { progress: 35, message: 'Assigned to node {node}' },
  accepted: { progress: 40, message: 'Node {node} accepted the server' },
  preparing: { progress: 45, message: 'Node {node} is preparing the server (pulling its image)' },
  ready: { progress: 55, message: 'Node {node} is starting the server' },
  starting: { progress: 55, message: 'Node {node} is starting the server' },
  running: { progress: 65, message: 'Running on node {node}' },
};

/** States a task never leaves: the server is not running and will not run without a new start. */
const FINAL = new Set<TaskState>(['complete', 'shutdown', 'failed', 'rejected', 'remove', 'orphaned']);

export function isFinal(state: string): boolean {
  return FINAL.has(state as TaskState);
}

/** The progress event for a task in `state` on `node`; null for a final state or one Swarm adds later. */
export function taskProgress(state: string, node: string, detail = ''): { progress: number; message: string } | null {
  const step = STEPS[state as TaskState];
  if (!step) return null;
  const message = step.message.replace('{node}', node || '?');
  // Swarm says why a task waits (e.g. "no suitable node (insufficient resources on 2 nodes)"): show it.
  return { progress: step.progress, message: detail ? `${message}: ${detail}` : message };
}
