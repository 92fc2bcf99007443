// The progress of one start: the events so far, kept for late readers, and a follower that replays them and
// then waits for live ones until the terminal event (ready or failed), in JupyterHub's event format.

/** A progress event in JupyterHub's format (GET …/server/progress). */
export interface ProgressEvent {
  progress: number;
  message: string;
  html_message?: string;
  ready?: boolean;
  url?: string;
  failed?: boolean;
}

export interface ProgressChannel {
  emit(event: ProgressEvent): void;
  /** Every event from the first, then live ones; ends after a ready or failed event, or when `signal` aborts. */
  follow(signal?: AbortSignal): AsyncIterable<ProgressEvent>;
}

export function createProgressChannel(): ProgressChannel {
  const events: ProgressEvent[] = [];
  const waiters = new Set<() => void>();
  return {
    emit(event) {
      events.push(event);
      for (const wake of waiters) wake();
      waiters.clear();
    },
    async *follow(signal) {
      let i = 0;
      for (;;) {
        while (i < events.length) {
          const event = events[i++];
          yield event;
          if (event.ready || event.failed) return;
        }
        if (signal?.aborted) return;
        await new Promise<void>((resolve) => {
          waiters.add(resolve);
          signal?.addEventListener('abort', () => resolve(), { once: true });
        });
      }
    },
  };
}

export function readyEvent(url: string): ProgressEvent {
  return { progress: 100, ready: true, message: `Server ready at ${url}`, html_message: `Server ready at <a href="${url}">${url}</a>`, url };
}

/** `reason` null = the start was cancelled by a stop. */
export function failedEvent(reason: string | null): ProgressEvent {
  return { progress: 100, failed: true, message: reason === null ? 'Spawn cancelled' : `Spawn failed: ${reason}` };
}
