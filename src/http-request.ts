// The hub's outgoing HTTP (GitHub, readiness and health checks of user servers) on node:http, not the global
// fetch: Node's fetch loads undici and its WebAssembly parser on first use, about 23 MB of RSS for a few requests.
import http from 'node:http';
import https from 'node:https';

export interface HttpAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** The body as text (empty when `readBody` is false). */
  body: string;
}

export interface HttpRequestOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  /** The whole exchange, connect to last byte. */
  timeoutMs: number;
  /** Ends the request early (a stopping spawn). */
  signal?: AbortSignal;
  /** Read the body (default) or only the status and headers. */
  readBody?: boolean;
  /** Larger bodies fail the request (default 1 MiB). */
  maxBytes?: number;
}

/** One request, no redirects followed. Rejects on connection errors (with their `code`), timeouts and oversized bodies. */
export function httpRequest(url: string, options: HttpRequestOptions): Promise<HttpAnswer> {
  const target = new URL(url);
  const client = target.protocol === 'https:' ? https : http;
  const maxBytes = options.maxBytes ?? 1024 * 1024;
  return new Promise((resolve, reject) => {
    const headers = options.body === undefined ? options.headers : { ...options.headers, 'content-length': String(Buffer.byteLength(options.body)) };
    const req = client.request(target, { method: options.method ?? 'GET', headers }, (res) => {
      if (options.readBody === false) {
        // The status is all a check needs; a body (even an endless stream) is not waited for.
        finish(null, { status: res.statusCode ?? 0, headers: res.headers, body: '' });
        res.destroy();
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > maxBytes) req.destroy(new Error(`the answer from ${target.origin} is larger than ${maxBytes} bytes`));
        else chunks.push(chunk);
      });
      res.on('end', () => finish(null, { status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', (err) => finish(err));
    });
    const timer = setTimeout(() => req.destroy(Object.assign(new Error(`no answer from ${target.origin} within ${options.timeoutMs} ms`), { code: 'ETIMEDOUT' })), options.timeoutMs);
    const abort = () => req.destroy(options.signal?.reason instanceof Error ? options.signal.reason : new Error('aborted'));
    options.signal?.addEventListener('abort', abort, { once: true });
    let settled = false;
    function finish(err: Error | null, answer?: HttpAnswer): void {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', abort);
      if (err) reject(err);
      else resolve(answer!);
    }
    req.on('error', (err) => finish(err));
    if (options.signal?.aborted) abort();
    req.end(options.body);
  });
}
