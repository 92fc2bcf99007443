// A minimal browser stand-in for HTTP-level end-to-end tests: a cookie jar (name, path), manual redirects, and
// the headers a same-origin browser sends, so hub and single-user servers see what a browser would send them.
// Like a JupyterHub or Jupyter page script, request() sends the `_xsrf` cookie that applies back as X-XSRFToken.
// Requests go out through node:http, not fetch(): fetch() replaces Sec-Fetch-Mode with `cors`, so no navigation
// would look like one, and JupyterHub 4.1+ servers refuse the login cookie without `_xsrf` on anything else.
import http from 'node:http';

export interface Hop {
  url: string;
  status: number;
  location: string | null;
}

export class CookieClient {
  /** Keyed by name and path, as a browser keeps them: the hub's `_xsrf` (/hub/) and a server's (/user/x/) differ. */
  private jar = new Map<string, { name: string; value: string; path: string }>();
  readonly hops: Hop[] = [];

  constructor(readonly origin: string) {}

  /** The cookie of that name a request to `url` would carry (the one with the longest path); any path when no url. */
  cookie(name: string, url?: string): string | undefined {
    return this.sent(url ?? null).find((c) => c.name === name)?.value;
  }

  cookieHeader(url: string): string {
    return this.sent(url).map((c) => `${c.name}=${c.value}`).join('; ');
  }

  /** The cookies for a URL, most specific path first (the order browsers send them in). */
  private sent(url: string | null): { name: string; value: string; path: string }[] {
    const path = url === null ? null : new URL(url, this.origin).pathname;
    return [...this.jar.values()].filter((c) => path === null || path.startsWith(c.path)).sort((a, b) => b.path.length - a.path.length);
  }

  private store(res: Response, url: string): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';');
      const i = (pair as string).indexOf('=');
      const name = (pair as string).slice(0, i).trim();
      const value = (pair as string).slice(i + 1).trim();
      const pathAttr = attrs.map((a) => a.trim()).find((a) => a.toLowerCase().startsWith('path='));
      const path = pathAttr ? pathAttr.slice(5) : new URL(url).pathname.replace(/[^/]*$/, '');
      const expired = attrs.some((a) => /^max-age=0$/i.test(a.trim()) || /^expires=.*1970/i.test(a.trim()));
      const key = `${name};${path}`;
      if (expired || value === '' || value === '""') this.jar.delete(key);
      else this.jar.set(key, { name, value, path });
    }
  }

  /** One request, no redirect following; relative URLs resolve against the origin. */
  async request(url: string, init: { method?: string; headers?: HeadersInit; body?: string } = {}): Promise<Response> {
    const abs = new URL(url, this.origin).toString();
    const headers = new Headers(init.headers);
    const cookies = this.cookieHeader(abs);
    if (cookies) headers.set('Cookie', cookies);
    const xsrf = this.cookie('_xsrf', abs);
    if (xsrf !== undefined && !headers.has('X-XSRFToken') && headers.get('Sec-Fetch-Mode') !== 'navigate') headers.set('X-XSRFToken', xsrf);
    if (!headers.has('Sec-Fetch-Site')) headers.set('Sec-Fetch-Site', 'same-origin');
    const res = await send(abs, init.method ?? 'GET', headers, init.body);
    this.store(res, abs);
    this.hops.push({ url: abs, status: res.status, location: res.headers.get('location') });
    return res;
  }

  /** GET, following redirects (at most `max`) like a browser navigation; returns the final response. */
  async navigate(url: string, max = 15): Promise<Response> {
    let current = new URL(url, this.origin).toString();
    for (let i = 0; i < max; i++) {
      const res = await this.request(current, { headers: { 'Sec-Fetch-Mode': 'navigate', Accept: 'text/html' } });
      const location = res.headers.get('location');
      if (res.status < 300 || res.status >= 400 || !location) return res;
      await res.arrayBuffer();
      current = new URL(location, current).toString();
    }
    throw new Error(`more than ${max} redirects: ${this.hops.slice(-max).map((h) => `${h.status} ${h.url}`).join(' → ')}`);
  }
}

/** The exchange as a fetch() Response, with the request headers exactly as given. */
function send(url: string, method: string, headers: Headers, body: string | undefined): Promise<Response> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers: Object.fromEntries(headers) }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => {
        const status = res.statusCode ?? 0;
        const received = new Headers();
        for (let i = 0; i < res.rawHeaders.length; i += 2) received.append(res.rawHeaders[i]!, res.rawHeaders[i + 1]!);
        resolve(new Response([204, 205, 304].includes(status) ? null : Buffer.concat(chunks), { status, headers: received }));
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}
