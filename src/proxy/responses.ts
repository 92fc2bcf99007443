// The few answers the proxy writes itself: a page (or JSON) when a user's server cannot be reached, and an
// HTTP refusal written straight to a socket whose WebSocket upgrade will not be proxied.
import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { escapeHtml, layout } from '../web/pages/layout.js';

/** JSON for API clients (`/api/` in the path or JSON accepted), a page for browsers; never a redirect. */
export function unavailableResponse(
  status: 502 | 503,
  /** null: the hub itself did not answer. */
  userName: string | null,
  baseUrl: string,
  why: string,
  request: { url: string; accept: string | undefined },
): { headers: Record<string, string | number>; body: string } {
  const message =
    userName === null
      ? `The hub ${why}. Reload in a few seconds; if this persists, the hub log says why.`
      : `The server of ${userName} at ${baseUrl}user/${encodeURIComponent(userName)}/ ${why}. The hub is checking on it: reload in a few seconds, or restart it from ${baseUrl}hub/home.`;
  const wantsJson = request.url.includes('/api/') || (request.accept ?? '').includes('application/json');
  const body = wantsJson
    ? JSON.stringify({ status, message })
    : layout(`${status} ${STATUS_CODES[status]}`, `<h1>${status}: server not answering</h1><p class="error">${escapeHtml(message)}</p>` +
        `<p><a class="button" href="${escapeHtml(`${baseUrl}hub/home`)}">Go to your hub home</a></p>`);
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

export function sendUnavailable(req: IncomingMessage, res: ServerResponse, status: 502 | 503, userName: string | null, baseUrl: string, why: string): void {
  const { headers, body } = unavailableResponse(status, userName, baseUrl, why, { url: req.url ?? '', accept: req.headers.accept });
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
