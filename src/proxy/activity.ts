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
