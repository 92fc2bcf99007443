// The route table: where the proxy sends each running server, kept in memory (the proxy asks on every request, and
// the hot path does no database work). Its one writer is server-rows.ts, which changes it together with a server's
// status and URL, so it cannot drift from the table; the proxy thread keeps a copy fed by watch(), in write order.

/** A route change: `target` is http://ip:port (no path), or null when the server stops being routable. */
export type RouteListener = (userName: string, target: string | null) => void;

export interface RouteReader {
  /** Where the proxy sends /user/<name>/ (http://ip:port, no path); null unless the default server runs. */
  target(userName: string): string | null;
  /** Every route now, then each change as it happens, in the order they were made. */
  watchRoutes(listener: RouteListener): [string, string][];
}

export interface RouteTable extends RouteReader {
  /** Records a server's target (null = not routable) and tells every watcher. */
  set(userName: string, serverName: string, target: string | null): void;
}

export function createRouteTable(initial: Iterable<{ userName: string; serverName: string; target: string }>): RouteTable {
  // Keyed by user name: the proxy routes default servers only (named servers will need their own key here and there).
  const routes = new Map<string, string>();
  const listeners: RouteListener[] = [];
  for (const { userName, serverName, target } of initial) if (serverName === '') routes.set(userName, target);
  return {
    set(userName, serverName, target) {
      if (serverName !== '') return;
      if (target === null ? !routes.has(userName) : routes.get(userName) === target) return;
      if (target !== null) routes.set(userName, target);
      else routes.delete(userName);
      for (const listener of listeners) listener(userName, target);
    },
    target: (userName) => routes.get(userName) ?? null,
    watchRoutes(listener) {
      listeners.push(listener);
      return [...routes];
    },
  };
}
