// How large and how slow a message may be, the same on both lanes: the fast lane reads these, and node:http's lane
import type { Socket } from 'node:net';
// is configured with them (src/proxy/public-listener.ts, src/proxy/forwarder.ts). One table, so the lanes cannot
// drift apart again.

/**
 * A request head, and a response head, at most 16 KiB: node:http's default (`maxHeaderSize`), which its lane applies
 * in both directions and cannot be raised per request, and more than nginx's default proxy buffers (4–8 KiB), so
 * anything that works behind nginx or configurable-http-proxy works here. Longer: 431 for a request, 502 for a response.
 */
export const MAX_REQUEST_HEAD_BYTES = 16 * 1024;
export const MAX_RESPONSE_HEAD_BYTES = 16 * 1024;
/** Trailer fields after a chunked response body (counted apart from the head, as node:http does). */
export const MAX_TRAILER_BYTES = 16 * 1024;

/** Between requests on a client connection: longer than common load balancers' 60 s, so they close first. */
export const DEFAULT_KEEP_ALIVE_TIMEOUT_MS = 65_000;
/** A request head, counted from its first byte or from the connection's start. */
export const DEFAULT_REQUEST_HEADER_TIMEOUT_MS = 10_000;
/**
 * A whole request, head and body (node:http's `requestTimeout`): a slow upload is cut after this. Five minutes is
 * generous for Jupyter, whose frontend uploads large files in 1 MiB pieces; it is never shorter than the head's deadline.
 */
export const DEFAULT_REQUEST_TIMEOUT_MS = 300_000;

/**
 * Opening a connection to a server: a container on the local bridge answers a connect in milliseconds, so a silent
 * address is a removed container (its SYNs vanish; the kernel would retry for two minutes). Then: 503 and a check.
 */
export const DEFAULT_BACKEND_CONNECT_TIMEOUT_MS = 10_000;

/** Ends `socket` with ETIMEDOUT (an "unreachable" code) unless it connects within `ms`. */
export function connectWithin<S extends Socket>(socket: S, ms: number): S {
  const timer = setTimeout(() => {
    socket.destroy(Object.assign(new Error(`connect timed out after ${ms} ms`), { code: 'ETIMEDOUT' }));
  }, ms);
  socket.once('connect', () => clearTimeout(timer));
  socket.once('close', () => clearTimeout(timer));
  return socket;
}

/** An idle pooled connection to a server is closed after this (the fast lane's pool and node:http's Agent alike). */
export const BACKEND_IDLE_TIMEOUT_MS = 30_000;
/** Idle connections kept per server (node's Agent default `maxFreeSockets`). */
export const MAX_IDLE_PER_TARGET = 256;

/**
 * Whether a backend connection may carry another request after this exchange. An error answer to a request with a
 * body may have left that body unread on the server, which then drains or drops it on its own schedule (the hub's
 * adapter closes such a connection after 500 ms): the next request sent on it would race that close and fail.
 */
export function reusableAfterAnswer(requestHasBody: boolean, status: number): boolean {
  return !(requestHasBody && status >= 400);
}

/** Pipelined bytes the fast lane keeps while an exchange runs before it stops reading the client. */
export const MAX_PIPELINED_BYTES = 64 * 1024;
/** How long a connection the proxy ended waits for the client to close its side before it is destroyed. */
export const LINGER_MS = 2_000;

/** Generous: jupyter_server answers a kernel's upgrade only once the kernel is ready (kernel_info_timeout is 60 s). */
export const DEFAULT_UPGRADE_TIMEOUT_MS = 120_000;
/** What a client may send before its upgrade is answered (it should send nothing). */
export const MAX_EARLY_UPGRADE_BYTES = 64 * 1024;
/** How long a closing side of a WebSocket may take to flush before it is destroyed. */
export const DEFAULT_CLOSE_GRACE_MS = 5_000;
