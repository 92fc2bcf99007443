// Turns the proxy's per-chunk traffic into at most one activity note per user per interval, so the hot
// path costs one Map lookup; the servers module batches what it is told into throttled DB writes.

/** Traffic to or from one of a user's servers (`serverName` '' is the default server). */
export type ActivityNote = (userName: string, serverName: string) => void;

/** Wraps `note` so a server is reported at most once per `intervalMs`; a throwing `note` is reported to `onError`. */
export function createActivityMeter(note: ActivityNote, onError: (err: unknown) => void, intervalMs = 1000): ActivityNote {
  const lastNoted = new Map<string, number>();
  return function touch(userName: string, serverName: string): void {
    const now = Date.now();
    // Apart by a NUL, which neither name can hold.
    const key = serverName === '' ? userName : `${userName}\0${serverName}`;
    const last = lastNoted.get(key);
    if (last !== undefined && now - last < intervalMs) return;
    lastNoted.set(key, now);
    try {
      note(userName, serverName);
    } catch (err) {
      // Runs inside socket 'data' handlers: a throw here would be an uncaught exception.
      onError(err);
    }
  };
}

/** Reports the user server of every HTTP exchange open now: a request sent whose answer is not complete. */
export type OpenExchanges = (report: ActivityNote) => void;

/** How often open exchanges are reported: finer than any culler.timeout, and one note a second per server at most. */
const OPEN_EXCHANGE_REPORT_MS = 1000;

/**
 * Every second, notes each server with an HTTP exchange open as active, so a request in flight with no bytes
 * moving (a slow kernel start, a long API call) keeps its server from the culler until its answer flows. The lanes
 * say what is open from the state they already keep, so a lost end can never keep a server alive. A WebSocket is not
 * an exchange: an open tab that sends nothing is idle, as in JupyterHub. Answers the function that stops it.
 */
export function reportOpenExchanges(touch: ActivityNote, sources: readonly OpenExchanges[], intervalMs = OPEN_EXCHANGE_REPORT_MS): () => void {
  const timer = setInterval(() => {
    for (const source of sources) source(touch);
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
