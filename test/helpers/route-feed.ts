// A route feed the test drives (the hub's side of the proxy threads) and a logger whose lines the test can read.
import { Writable } from 'node:stream';
import { createLogger } from '../../src/log.js';
import type { RouteFeed } from '../../src/proxy/thread.js';

/** Routes given at start, `change()` for later ones; activity noted as `user` or `user/server`. */
export function feed(initial: [string, string][]) {
  const listeners: ((name: string, target: string | null) => void)[] = [];
  const notes = { activity: [] as string[], unreachable: [] as string[] };
  const routes: RouteFeed = {
    watchRoutes: (listener) => {
      listeners.push(listener);
      return initial;
    },
    noteActivity: (name, server) => void notes.activity.push(server === '' ? name : `${name}/${server}`),
    noteUnreachable: (name) => void notes.unreachable.push(name),
  };
  return { routes, notes, change: (name: string, target: string | null) => listeners.forEach((l) => l(name, target)) };
}

/** A debug logger and the JSON lines it wrote. */
export function sink() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split('\n')) if (line.trim()) lines.push(JSON.parse(line));
      done();
    },
  });
  return { lines, logger: createLogger('debug', stream) };
}
