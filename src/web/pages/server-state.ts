// How a page words a server's state and which controls each state offers: one table, used by the server-side
// render and, through the source of serverState() and the data-when attributes, by the home page's live script.

/** A server as pages see it; the REST API's server model has the same two fields, so the browser uses this too. */
export type PageServerState = 'running' | 'starting' | 'stopping' | 'stopped';

/** Self-contained: its source runs in the browser on the API's server models. */
export function serverState(server: { ready: boolean; pending: string | null } | null): PageServerState {
  if (server === null) return 'stopped';
  if (server.pending === 'spawn') return 'starting';
  if (server.pending === 'stop') return 'stopping';
  return server.ready ? 'running' : 'stopped';
}

export const STATE_LABELS: Record<PageServerState, { text: string; badge: string }> = {
  running: { text: 'Running', badge: 'text-bg-success' },
  starting: { text: 'Starting…', badge: 'text-bg-info' },
  stopping: { text: 'Stopping…', badge: 'text-bg-warning' },
  stopped: { text: 'Stopped', badge: 'text-bg-secondary' },
};

/** The controls of a server's card and the states that show each. */
export const CONTROL_STATES = {
  open: ['running'],
  stop: ['running', 'starting'],
  progress: ['starting'],
  start: ['stopped'],
  delete: ['stopped'],
} as const satisfies Record<string, readonly PageServerState[]>;

export type ServerControl = keyof typeof CONTROL_STATES;
