// What a running Jupyter server is doing, asked of the server itself: its kernels (`/api/kernels`: execution_state,
// last_activity) and terminals (`/api/terminals`), for the culler. A kernel running a long computation with no
// browser attached sends nothing through the proxy and reports no activity, but says `busy` here.
import { httpRequest } from '../http-request.js';

export interface ServerWork {
  /** Some kernel is executing now, or starting (a start that takes long on a loaded server is not idleness). */
  busy: boolean;
  /** The latest last_activity of any kernel or terminal (epoch ms), or null when none has one. */
  lastActivity: number | null;
}

/** Asks one server; `target` is http://ip:port, `prefix` the server's /user/<name>/[<server>/]. */
export type FetchServerWork = (target: string, prefix: string, token: string) => Promise<ServerWork>;

const TIMEOUT_MS = 10_000;

interface Activity {
  execution_state?: unknown;
  last_activity?: unknown;
}

export const fetchServerWork: FetchServerWork = async (target, prefix, token) => {
  const ask = async (what: 'kernels' | 'terminals', optional: boolean): Promise<Activity[]> => {
    const url = `${target}${prefix}api/${what}`;
    const answer = await httpRequest(url, { headers: { Authorization: `token ${token}`, Accept: 'application/json' }, timeoutMs: TIMEOUT_MS });
    // A server with terminals turned off answers 404 there; its kernels still tell.
    if (optional && answer.status === 404) return [];
    if (answer.status !== 200) throw new Error(`GET ${prefix}api/${what} answered ${answer.status}`);
    const list: unknown = JSON.parse(answer.body);
    if (!Array.isArray(list)) throw new Error(`GET ${prefix}api/${what} did not answer a list`);
    return list.filter((item): item is Activity => typeof item === 'object' && item !== null);
  };
  const [kernels, terminals] = await Promise.all([ask('kernels', false), ask('terminals', true)]);
  const times = [...kernels, ...terminals]
    .map((item) => (typeof item.last_activity === 'string' ? Date.parse(item.last_activity) : NaN))
    .filter((t) => Number.isFinite(t));
  return {
    busy: kernels.some((k) => k.execution_state === 'busy' || k.execution_state === 'starting'),
    lastActivity: times.length > 0 ? Math.max(...times) : null,
  };
};
