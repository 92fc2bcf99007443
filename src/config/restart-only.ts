// The hub.yaml keys a running hub cannot take on, because they are bound into its listeners, its open database, the
// user network or the servers already running. A reload that changes one keeps the running value and logs "takes
// effect after restart"; every other key (a new one too) applies live through config/live-config.ts.
import { isDeepStrictEqual } from 'node:util';
import type { Config } from './schema.js';

/**
 * Each key a running hub keeps at the value it started with, and why it cannot take a new one: a key joins this table
 * only with its reason, which the reload's log line carries. Every key not here applies live.
 */
export const RESTART_ONLY: Readonly<Record<string, string>> = {
  'hub.bind': "the public listener's address",
  'hub.base_url': 'every route and cookie path, and the prefix running servers were started with',
  'hub.public_url': "cookies' Secure flag, OAuth callbacks, JUPYTERHUB_HOST of running servers",
  'hub.subdomain_host': "cookies, OAuth callbacks and running servers' hosts, and the proxy thread's host routing",
  'hub.data_dir': 'the open database',
  'hub.log_level': "both threads' loggers",
  'hub.proxy_threads': 'the threads accepting on the public port, and the table of connections they share',
  'auth.github.pass_token': 'BERTH_CRYPT_KEY is checked at start',
  'spawner.backend': 'where running servers are',
  'spawner.volume_driver': 'built into the swarm spawner, and existing volumes keep the driver they were made with',
  'spawner.volume_driver_options': 'built into the swarm spawner, and existing volumes keep the options they were made with',
  'spawner.network': 'the user network, and where running containers are',
  'spawner.isolate_containers': 'an option of the user network, set when it is created',
  'spawner.port': 'the port running servers were started on, which their routes name',
  'spawner.extra_labels': "built into the spawner (and a created object's labels never change)",
  'hub.tls.cert': 'whether the public port speaks TLS, and which files it watches (their contents apply live)',
  'hub.tls.key': 'whether the public port speaks TLS, and which files it watches (their contents apply live)',
  'hub.tls.redirect_http': 'a listener of its own',
  'hub.tls.acme': 'its renewal timer and stored certificate',
};

export const RESTART_ONLY_KEYS: readonly string[] = Object.keys(RESTART_ONLY);

/** The restart-only key that `key` (a dotted path) is, or lies under; null for a key that applies live. */
export function restartOnlyKeyOf(key: string): string | null {
  return RESTART_ONLY_KEYS.find((k) => key === k || key.startsWith(`${k}.`)) ?? null;
}

/** `next` with every restart-only key set back to its value in `running`, and those keys that differed. */
export function keepRestartOnly(next: Config, running: Config): { config: Config; deferred: string[] } {
  const config = structuredClone(next);
  const deferred: string[] = [];
  for (const key of RESTART_ONLY_KEYS) {
    const path = key.split('.');
    const was = valueAt(running, path);
    if (isDeepStrictEqual(valueAt(next, path), was)) continue;
    deferred.push(key);
    setAt(config, path, structuredClone(was));
  }
  return { config, deferred };
}

function valueAt(root: unknown, path: string[]): unknown {
  let node = root;
  for (const part of path) node = node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[part] : undefined;
  return node;
}

function setAt(root: object, path: string[], value: unknown): void {
  let node = root as Record<string, unknown>;
  for (const part of path.slice(0, -1)) node = (node[part] ??= {}) as Record<string, unknown>;
  const last = path.at(-1)!;
  if (value === undefined) delete node[last];
  else node[last] = value;
}
