// Turns the proxy's per-chunk traffic into at most one activity note per user per interval, so the hot
// path costs one Map lookup; the servers module batches what it is told into throttled DB writes.

export type ActivityNote = (userName: string) => void;

/** Wraps `note` so a user is reported at most once per `intervalMs`; a throwing `note` is reported to `onError`. */
export function createActivityMeter(note: ActivityNote, onError: (err: unknown) => void, intervalMs = 1000): ActivityNote {
  const lastNoted = new Map<string, number>();
  return function touch(userName: string): void {
    const now = Date.now();
    const last = lastNoted.get(userName);
    if (last !== undefined && now - last < intervalMs) return;
    lastNoted.set(userName, now);
    try {
      note(userName);
    } catch (err) {
      // Runs inside socket 'data' handlers: a throw here would be an uncaught exception.
      onError(err);
    }
  };
}
