// The route table: where the proxy sends each running server, kept in memory (the proxy asks on every request, and
// the hot path does no database work). Its one writer is server-rows.ts, which changes it together with a server's
// status and URL, so it cannot drift from the table; the proxy thread keeps a copy fed by watch(), in write order.
// Keys are route keys (routeKey): `<user>` for a default server, `<user>/<server>` for a named one.

/** A route change: `target` is http://ip:port (no path), or null when the server stops being routable. */
export type RouteListener = (key: string, target: string | null) => void;

/** The route key of a server: the user name, plus `/<server>` for a named server (user names never hold a `/`). */
export function routeKey(userName: string, serverName = ''): string {
  return serverName === '' ? userName : `${userName}/${serverName}`;
}

export interface RouteReader {
  /** Where the proxy sends the server's prefix (http://ip:port, no path); null unless that server runs. */
  target(userName: string, serverName?: string): string | null;
  /** Every route now (route key, target), then each change as it happens, in the order they were made. */
  watchRoutes(listener: RouteListener): [string, string][];
}

export interface RouteTable extends RouteReader {
  /** Records a server's target (null = not routable) and tells every watcher. */
  set(userName: string, serverName: string, target: string | null): void;
}

export function createRouteTable(initial: Iterable<{ userName: string; serverName: string; target: string }>): RouteTable {
  const routes = new Map<string, string>();
  const listeners: RouteListener[] = [];
  for (const { userName, serverName, target } of initial) routes.set(routeKey(userName, serverName), target);
  return {
    set(userName, serverName, target) {
      const key = routeKey(userName, serverName);
      if (target === null ? !routes.has(key) : routes.get(key) === target) return;
      if (target !== null) routes.set(key, target);
      else routes.delete(key);
      for (const listener of listeners) listener(key, target);
    },
    target: (userName, serverName = '') => routes.get(routeKey(userName, serverName)) ?? null,
    watchRoutes(listener) {
      listeners.push(listener);
      return [...routes];
    },
  };
}
