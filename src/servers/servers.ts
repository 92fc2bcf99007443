// The server state machine (stopped → spawning → running → stopping → stopped) and the owner of the `servers`
// table: start/stop, progress events, activity, and reconciling the table with Docker on boot and periodically.

export type ServerStatus = 'stopped' | 'spawning' | 'running' | 'stopping';

/** A progress event in JupyterHub's format (GET …/server/progress). */
export interface ProgressEvent {
  progress: number;
  message: string;
  html_message?: string;
  ready?: boolean;
  url?: string;
  failed?: boolean;
}

/** The default server of one user, as the REST API and pages show it. */
export interface ServerView {
  /** '' for the default server. */
  name: string;
  status: ServerStatus;
  ready: boolean;
  pending: 'spawn' | 'stop' | null;
  /** Public path of the server: <base_url>user/<name>/ */
  url: string;
  /** Public path of the progress stream: <base_url>hub/api/users/<name>/server/progress */
  progressUrl: string;
  started: Date | null;
  lastActivity: Date | null;
  userOptions: Record<string, unknown>;
  /** Catalog label the server was (last) started with; null = spawner.image. */
  imageLabel: string | null;
  image: string | null;
  containerId: string | null;
  /** Why the last start failed; cleared by the next start. */
  lastError: string | null;
}

export interface Servers {
  /**
   * Starts the user's default server. Resolves 'started' when it is ready within the slow-spawn window (10 s),
   * 'pending' when it is still starting (or was already). Throws HttpError 400 (image outside the catalog,
   * already running, pending stop), 404 (no such user), 429 with Retry-After (too many starts in flight),
   * 500 (the start failed within the window; the message says why).
   */
  start(userName: string, userOptions?: Record<string, unknown>): Promise<'started' | 'pending'>;
  /** Stops the server (cancelling a pending start). 'stopped' when done within 10 s, else 'pending'. Stopped already → 'stopped'. */
  stop(userName: string): Promise<'stopped' | 'pending'>;
  /**
   * Progress of the current (or last) start: the events so far, then live ones until ready or failed.
   * Already running → only the ready event; last start failed → only the failed event; otherwise HttpError 400.
   * Ends early when `signal` aborts.
   */
  progress(userName: string, signal?: AbortSignal): AsyncIterable<ProgressEvent>;
  /** Aligns the table with the containers that carry this hub's id (boot, periodic, after noteUnreachable). */
  reconcile(): Promise<void>;
  /** The user's default server, or null when the user does not exist. */
  get(userName: string): ServerView | null;
  /** Where the proxy sends /user/<name>/ (http://ip:port, no path); null unless running. Read from the table. */
  target(userName: string): string | null;
  /** Records traffic for the server; cheap, written to the database in batches. */
  noteActivity(userName: string): void;
  /** The proxy could not connect: check the container soon and mark the server stopped if it is gone. */
  noteUnreachable(userName: string): void;
}
