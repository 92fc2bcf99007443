// What the proxy answers itself, on both lanes: which failures mean a server is not there, the 502/503 page (or
// JSON) for a server that cannot be reached, redirects, timeouts, and refusals of WebSocket upgrades. Its own
// minimal HTML: the proxy thread never loads the web app.
import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { MAX_RESPONSE_HEAD_BYTES } from './limits.js';
import type { Backend } from '../route-table.js';

/** Connect-level failures: the server is not there, which the state machine should check (answered 503, not 502). */
const UNREACHABLE: ReadonlySet<string> = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN']);

export function isUnreachable(code: string | undefined): code is string {
  return code !== undefined && UNREACHABLE.has(code);
}

/** Why a server's answer was refused when its head is over the limit, said alike on both lanes. */
export const RESPONSE_HEAD_TOO_LONG = `answered with a response head longer than ${MAX_RESPONSE_HEAD_BYTES / 1024} KiB`;

/** node:http's own answer to a request head or body that takes too long (headersTimeout, requestTimeout). */
export const REQUEST_TIMEOUT_ANSWER = 'HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n';

/** A redirect into the hub as the fast lane writes it; node:http's lane writes the same with {@link sendRedirect}. */
export function redirectHead(location: string, close: boolean): string {
  return `HTTP/1.1 302 Found\r\nLocation: ${location}\r\nContent-Length: 0\r\n${close ? 'Connection: close\r\n' : ''}\r\n`;
}

export function sendRedirect(res: ServerResponse, location: string): void {
  res.writeHead(302, { Location: location, 'Content-Length': 0 });
  res.end();
}

/** JSON for API clients (`/api/` in the path or JSON accepted), a page for browsers; never a redirect. */
export function unavailableResponse(
  status: 502 | 503,
  /** null: the hub itself did not answer. */
  backend: Backend | null,
  baseUrl: string,
  why: string,
  request: { url: string; accept: string | undefined },
): { headers: Record<string, string | number>; body: string } {
  const message =
    backend === null
      ? `The hub ${why}. Reload in a few seconds; if this persists, the hub log says why.`
      : backend.kind === 'service'
        ? `The service ${backend.name} at ${baseUrl}services/${backend.name}/ ${why}. Reload in a few seconds; if this persists, ask the hub's admins to check it.`
        : `The server of ${backend.name} at ${baseUrl}user/${encodeURIComponent(backend.name)}/ ${why}. The hub is checking on it: reload in a few seconds, or restart it from ${baseUrl}hub/home.`;
  const wantsJson = request.url.includes('/api/') || (request.accept ?? '').includes('application/json');
  const body = wantsJson ? JSON.stringify({ status, message }) : page(status, message, `${baseUrl}hub/home`);
  return {
    headers: {
      'Content-Type': wantsJson ? 'application/json' : 'text/html; charset=utf-8',
      'Content-Length': Buffer.byteLength(body),
      'Cache-Control': 'no-store',
      'Retry-After': '5',
    },
    body,
  };
}

/** The same answer as a raw response for the fast lane; a HEAD answer has no body (one would be read as the next response). */
export function unavailableHead(
  status: 502 | 503,
  backend: Backend | null,
  baseUrl: string,
  why: string,
  request: { url: string; accept: string | undefined; method: string },
  close: boolean,
): string {
  const { headers, body } = unavailableResponse(status, backend, baseUrl, why, request);
  let text = `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n`;
  for (const [name, value] of Object.entries(headers)) text += `${name}: ${value}\r\n`;
  if (close) text += 'Connection: close\r\n';
  return request.method === 'HEAD' ? `${text}\r\n` : `${text}\r\n${body}`;
}

export function sendUnavailable(req: IncomingMessage, res: ServerResponse, status: 502 | 503, backend: Backend | null, baseUrl: string, why: string): void {
  const { headers, body } = unavailableResponse(status, backend, baseUrl, why, { url: req.url ?? '', accept: req.headers.accept });
  res.writeHead(status, headers);
  res.end(body);
}

/** Answers an upgrade request with an HTTP error and closes the socket once it is written (never left open). */
export function rejectUpgrade(socket: Duplex, status: number, message: string): void {
  if (socket.destroyed) return;
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const body = JSON.stringify({ status, message });
  socket.write(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
  // destroySoon waits for the write to flush; end() alone would leave a half-open socket if the client never closes.
  const net = socket as Duplex & { destroySoon?: () => void };
  if (typeof net.destroySoon === 'function') net.destroySoon();
  else socket.end(() => socket.destroy());
}

/** A request the listener cannot route (node:http's lane only: the fast lane hands such requests over). */
export function sendRefusal(res: ServerResponse, status: number, message: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' });
  res.end(`${message}\n`);
}

/** The listener itself failed (a bug): a plain 500, or a cut connection once the answer has begun. */
export function sendInternalError(res: ServerResponse): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' });
  res.end('Internal error: the hub could not complete this request (see the hub log).\n');
}

function page(status: number, message: string, home: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${status} ${STATUS_CODES[status]} · Berth</title>
<style>body{font-family:system-ui,sans-serif;max-width:52rem;margin:2rem auto;padding:0 1rem;color:#222}.error{color:#a00}</style>
</head><body><h1>${status}: server not answering</h1><p class="error">${escapeHtml(message)}</p>
<p><a href="${escapeHtml(home)}">Go to your hub home</a></p></body></html>`;
}

function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}
