// The two lanes side by side: one table of requests, each sent once through the fast lane and once through
// node:http with http-proxy-3, and what the server saw and what the client got compared after normalising only what
// is each lane's own (the Date, node:http's framing of a body it re-chunks, how it says keep-alive). No Docker.
//
// How a request reaches node:http: a connection is node:http's for good once the fast lane hands it over, and the
// lane always hands over a request with a Transfer-Encoding. So the node:http run opens its connection with such a
// request to the hub stand-in (PRIMER), reads that answer, then sends the row's request on the same connection.
// Requests the fast lane never takes (chunked, Expect, HTTP/1.0) go to node:http on both runs, and must still agree.
import net from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { refusedUrl, startProxy, type ProxyHarness } from './helpers/proxy-harness.js';

const WAIT_MS = 10_000;
const PRIMER = 'GET /hub/primer HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n';
/** What the lanes say about their own keep-alive (node:http on answers it writes itself); a server's never passes. */
const OWN_KEEP_ALIVE = 'timeout=65';

type Lane = 'fast' | 'node';

interface SeenRequest {
  line: string;
  /** Lower-case names, repeated fields joined with ', ' (as node:http joins them), sorted by name. */
  headers: [string, string][];
  body: string;
}

interface Answer {
  status: number;
  headers: [string, string][];
  body: string;
}

interface Row {
  name: string;
  /** Raw requests from the client, each sent once the answer to the one before has been read. */
  requests: string[];
  /** The server's raw answer to the n-th request it sees, or 'hang-up' to close without one. */
  answer(request: SeenRequest, nth: number): string;
  /** No server: the user's route points at a port nothing listens on. */
  down?: boolean;
  /** A difference each lane is entitled to, removed before comparing (said in the row's name). */
  normalise?(answer: Answer, lane: Lane): Answer;
}

const ok = (body: string, extra = '') => `HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n${extra}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
const get = (path: string, extra = '') => `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${extra}\r\n`;
/** Says what it got; to HEAD, the same head without the body (as a server must). */
const echo = (req: SeenRequest) => {
  const answer = ok(`${req.line} ${req.body.length}`);
  return req.line.startsWith('HEAD ') ? answer.slice(0, answer.indexOf('\r\n\r\n') + 4) : answer;
};

const ROWS: Row[] = [
  { name: 'a plain GET', requests: [get('/user/alice/a?x=1&y=%2F')], answer: echo },
  { name: 'HEAD, answered with a Content-Length and no body', requests: [`HEAD /user/alice/h HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`], answer: () => 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n' },
  {
    name: 'a POST with a body',
    requests: [`POST /user/alice/p HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{"a":"b c"}`],
    answer: echo,
  },
  {
    name: 'a chunked upload',
    requests: [`PUT /user/alice/u HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n`],
    answer: echo,
  },
  {
    name: 'Expect: 100-continue with its body',
    requests: [`POST /user/alice/e HTTP/1.1\r\nHost: 127.0.0.1\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\nbody`],
    answer: echo,
  },
  { name: 'an HTTP/1.0 request', requests: ['GET /user/alice/old HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n'], answer: echo },
  {
    name: 'a keep-alive sequence: GET, POST, HEAD on one connection',
    requests: [get('/user/alice/1'), `POST /user/alice/2 HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 3\r\n\r\nabc`, `HEAD /user/alice/3 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`],
    answer: echo,
  },
  { name: 'Connection: close from the client', requests: [get('/user/alice/bye', 'Connection: close\r\n')], answer: echo },
  {
    name: 'odd request headers: repeated, mixed case, empty, padded, long, hop-by-hop, forwarded, the hub cookie',
    requests: [
      get(
        '/user/alice/odd',
        'accept: text/html\r\nACCEPT: application/json\r\nX-Empty:\r\nX-Padded:   v  \r\n' +
          `X-Long: ${'l'.repeat(4000)}\r\nTE: trailers\r\nKeep-Alive: 300\r\nProxy-Connection: keep-alive\r\nConnection: keep-alive\r\n` +
          'X-Forwarded-For: 203.0.113.9\r\nX-Forwarded-Host: public.example\r\nCookie: own=1; jupyterhub-hub-login=secret; _xsrf=x\r\n',
      ),
    ],
    answer: echo,
  },
  {
    name: 'a server answer with hop-by-hop fields',
    requests: [get('/user/alice/hop'), get('/user/alice/after')],
    answer: (req) =>
      ok(req.line, 'Connection: keep-alive, X-Hop\r\nX-Hop: secret\r\nKeep-Alive: timeout=1, max=7\r\nProxy-Connection: keep-alive\r\nUpgrade: h2c\r\nTE: trailers\r\nX-End: kept\r\n'),
  },
  {
    name: "a server that closes its own connection after each framed answer (the client's stays open)",
    requests: [get('/user/alice/c1'), get('/user/alice/c2')],
    answer: (req) => ok(req.line, 'Connection: close\r\n'),
  },
  {
    name: 'a chunked answer',
    requests: [get('/user/alice/chunked')],
    answer: () => 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n4\r\ndefg\r\n0\r\n\r\n',
  },
  {
    name: 'Set-Cookie: the hub cookie, another path, a Domain, one at / and its own',
    requests: [get('/user/alice/tree/x')],
    answer: () =>
      'HTTP/1.1 200 OK\r\nSet-Cookie: jupyterhub-hub-login=forged; Path=/hub/\r\nSet-Cookie: n=1; Path=/user/bob/\r\n' +
      'Set-Cookie: d=1; Path=/user/alice/; Domain=127.0.0.1\r\nSet-Cookie: root=1; Path=/\r\nSet-Cookie: own=1; Path=/user/alice/\r\n' +
      'Service-Worker-Allowed: /\r\nContent-Length: 2\r\n\r\nok',
  },
  {
    name: '103 Early Hints, then the answer',
    requests: [get('/user/alice/hints')],
    answer: () => 'HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload; as=style\r\n\r\n' + ok('final'),
  },
  {
    name: 'an unasked-for 100 Continue, then the answer',
    requests: [get('/user/alice/continue')],
    answer: () => 'HTTP/1.1 100 Continue\r\n\r\n' + ok('final'),
  },
  { name: '204 No Content', requests: [get('/user/alice/204')], answer: () => 'HTTP/1.1 204 No Content\r\nX-A: 1\r\n\r\n' },
  { name: '304 Not Modified', requests: [get('/user/alice/304', 'If-None-Match: "v1"\r\n')], answer: () => 'HTTP/1.1 304 Not Modified\r\nETag: "v1"\r\n\r\n' },
  {
    name: 'a close-delimited body (node:http re-chunks it and keeps the connection; the fast lane passes it and closes)',
    requests: [get('/user/alice/until-close')],
    answer: () => 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the server closes',
    normalise: (answer) => ({ ...answer, headers: answer.headers.filter(([name]) => name !== 'connection') }),
  },
  { name: 'a server that is down (HTML)', requests: [get('/user/alice/lab', 'Accept: text/html\r\n')], down: true, answer: echo },
  { name: 'a server that is down (JSON, HEAD)', requests: [`HEAD /user/alice/api/status HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`], down: true, answer: echo },
  {
    name: 'a response head over 16 KiB (the limit of both lanes)',
    requests: [get('/user/alice/big')],
    answer: () => ok('x', `X-Big: ${'b'.repeat(20 * 1024)}\r\n`),
  },
  { name: 'the hub app (its own Keep-Alive does not pass)', requests: [get('/hub/api/')], answer: echo },
];

let proxy: ProxyHarness;
let down: string;
const cleanups: (() => void)[] = [];

beforeAll(async () => {
  proxy = await startProxy();
  down = await refusedUrl();
});
afterAll(() => proxy.close());
afterEach(() => {
  while (cleanups.length > 0) cleanups.pop()!();
});

describe('the fast lane and node:http answer alike', () => {
  it.each(ROWS.map((row) => [row.name, row] as const))('%s', async (_name, row) => {
    const fast = (await run(row, 'fast')).compared;
    const node = (await run(row, 'node')).compared;
    expect(fast).toEqual(node);
    // Neither lane lets a server's hop-by-hop fields through.
    for (const answer of [...fast.answers, ...node.answers]) {
      for (const [name, value] of answer.headers) {
        expect(['x-hop', 'proxy-connection', 'upgrade', 'te', 'trailer']).not.toContain(name);
        if (name === 'keep-alive') expect(value).toBe(OWN_KEEP_ALIVE);
      }
    }
  });

  it('reaches node:http on the primed connection and the fast lane on the other (the table compares two lanes)', async () => {
    // Only node:http dates the redirects the listener writes itself for a server that is not running.
    const row: Row = { name: 'not running', requests: [get('/user/nobody/x')], answer: echo };
    const [fast, node] = [await run(row, 'fast'), await run(row, 'node')];
    expect(fast.compared.answers[0]!.status).toBe(302);
    expect(node.compared.answers[0]!.status).toBe(302);
    expect(fast.dated).toBe(false);
    expect(node.dated).toBe(true);
  });
});

/** One row through one lane: what the server saw, what the client read, and whether the connection was closed. */
async function run(row: Row, lane: Lane) {
  const backend = row.down ? null : await rawBackend(row.answer);
  proxy.targets.set('alice', backend?.url ?? down);
  const client = await RawClient.open(proxy.port);
  if (lane === 'node') {
    client.write(PRIMER);
    expect((await client.response('GET')).body).toBe('the hub app');
  }
  const answers: Answer[] = [];
  for (const request of row.requests) {
    client.write(request);
    const method = request.slice(0, request.indexOf(' '));
    for (;;) {
      const answer = await client.response(method);
      answers.push(row.normalise ? row.normalise(normaliseAnswer(answer), lane) : normaliseAnswer(answer));
      if (answer.status >= 200) break;
    }
  }
  const closes = answers.some((a) => a.headers.some(([name, value]) => name === 'connection' && value === 'close'));
  if (closes) await client.untilClosed();
  proxy.targets.delete('alice');
  const seen = backend?.requests ?? [];
  // `dated` is not compared: node:http dates what a server left undated, the fast lane passes it as it is.
  return { compared: { seen, answers }, dated: client.dated };
}

/**
 * The Date is the moment's; a chunked body is compared decoded; keep-alive is HTTP/1.1's default whether said or
 * not, and node:http states its own timeout on the answers it writes itself.
 */
function normaliseAnswer(answer: Answer): Answer {
  const headers = answer.headers.filter(
    ([name, value]) =>
      name !== 'date' &&
      !(name === 'transfer-encoding' && value === 'chunked') &&
      !(name === 'connection' && value === 'keep-alive') &&
      !(name === 'keep-alive' && value === OWN_KEEP_ALIVE),
  );
  return { ...answer, headers };
}

function parseHeaders(lines: string[]): [string, string][] {
  const joined = new Map<string, string>();
  for (const line of lines) {
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).toLowerCase();
    const value = line.slice(colon + 1).trim();
    // Repeated fields are compared joined, as node:http joins them; Set-Cookie stays one field per cookie.
    if (name === 'set-cookie') joined.set(`${name}#${joined.size}`, value);
    else joined.set(name, joined.has(name) ? `${joined.get(name)}, ${value}` : value);
  }
  return [...joined].map(([name, value]): [string, string] => [name.replace(/#\d+$/, ''), value]).sort((a, b) => (a[0] === b[0] ? a[1].localeCompare(b[1]) : a[0].localeCompare(b[0])));
}

/** A server written with net: parses requests (Content-Length or chunked bodies) and answers each with raw bytes. */
async function rawBackend(answer: Row['answer']) {
  const requests: SeenRequest[] = [];
  const sockets: net.Socket[] = [];
  const server = net.createServer((socket) => {
    sockets.push(socket);
    socket.on('error', () => undefined);
    let buf = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      for (;;) {
        const end = buf.indexOf('\r\n\r\n');
        if (end === -1) return;
        const [line, ...lines] = buf.subarray(0, end).toString('latin1').split('\r\n');
        const headers = parseHeaders(lines);
        const field = (name: string) => headers.find(([n]) => n === name)?.[1];
        let body: Buffer;
        let used: number;
        if (/chunked/i.test(field('transfer-encoding') ?? '')) {
          const decoded = decodeChunked(buf.subarray(end + 4));
          if (decoded === null) return;
          [body, used] = [decoded[0], end + 4 + decoded[1]];
        } else {
          const length = Number(field('content-length') ?? 0);
          if (buf.length < end + 4 + length) return;
          [body, used] = [buf.subarray(end + 4, end + 4 + length), end + 4 + length];
        }
        buf = buf.subarray(used);
        const request = { line: line!, headers, body: body.toString('latin1') };
        requests.push(request);
        const reply = answer(request, requests.length - 1);
        socket.write(reply);
        // No framing, or the server says it closes: it does.
        if (/^HTTP\/1\.1 200 OK\r\nContent-Type: text\/plain\r\n\r\n/.test(reply) || /\r\nConnection: close\r\n/i.test(reply)) socket.end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => {
    server.close();
    for (const socket of sockets) socket.destroy();
  });
  return { url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`, requests };
}

function decodeChunked(buf: Buffer): [Buffer, number] | null {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = buf.indexOf('\r\n', at);
    if (lineEnd === -1) return null;
    const size = parseInt(buf.toString('latin1', at, lineEnd), 16);
    at = lineEnd + 2;
    if (size === 0) {
      const end = buf.indexOf('\r\n\r\n', at - 2);
      return end === -1 ? null : [Buffer.concat(parts), end + 4];
    }
    if (buf.length < at + size + 2) return null;
    parts.push(buf.subarray(at, at + size));
    at += size + 2;
  }
}

/** A client on a raw socket reading answers one by one, framed as RFC 9112 says. */
class RawClient {
  /** Some answer on this connection carried a Date. */
  dated = false;
  private buf = Buffer.alloc(0);
  private ended = false;
  private closed = false;
  private wake: (() => void) | null = null;

  private constructor(readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buf = Buffer.concat([this.buf, chunk]);
      this.poke();
    });
    socket.on('end', () => {
      this.ended = true;
      this.poke();
    });
    socket.on('close', () => {
      this.ended = this.closed = true;
      this.poke();
    });
    socket.on('error', () => undefined);
    cleanups.push(() => socket.destroy());
  }

  static async open(port: number): Promise<RawClient> {
    const socket = net.connect({ port, host: '127.0.0.1' });
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    return new RawClient(socket);
  }

  write(data: string): void {
    this.socket.write(Buffer.from(data, 'latin1'));
  }

  async response(method: string): Promise<Answer> {
    const headEnd = await this.until(() => {
      const at = this.buf.indexOf('\r\n\r\n');
      return at === -1 ? null : at;
    });
    const [statusLine, ...lines] = this.buf.subarray(0, headEnd).toString('latin1').split('\r\n');
    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine!)?.[1]);
    const headers = parseHeaders(lines);
    const field = (name: string) => headers.find(([n]) => n === name)?.[1];
    this.dated ||= field('date') !== undefined;
    this.buf = this.buf.subarray(headEnd + 4);
    let body = '';
    if (method === 'HEAD' || status < 200 || status === 204 || status === 304) {
      body = '';
    } else if (/chunked/i.test(field('transfer-encoding') ?? '')) {
      const [decoded, used] = await this.until(() => decodeChunked(this.buf));
      body = decoded.toString('latin1');
      this.buf = this.buf.subarray(used);
    } else if (field('content-length') !== undefined) {
      const length = Number(field('content-length'));
      await this.until(() => (this.buf.length >= length ? true : null));
      body = this.buf.toString('latin1', 0, length);
      this.buf = this.buf.subarray(length);
    } else {
      await this.until(() => (this.ended ? true : null));
      body = this.buf.toString('latin1');
      this.buf = Buffer.alloc(0);
    }
    return { status, headers, body };
  }

  async untilClosed(): Promise<void> {
    await this.until(() => (this.closed ? true : null));
  }

  private poke(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }

  private async until<T>(ready: () => T | null): Promise<T> {
    const deadline = Date.now() + WAIT_MS;
    for (;;) {
      const value = ready();
      if (value !== null) return value;
      const left = deadline - Date.now();
      if (left <= 0 || (this.closed && this.buf.length === 0)) throw new Error(`nothing more to read (closed: ${this.closed}); unread: ${JSON.stringify(this.buf.toString('latin1').slice(0, 300))}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }
}
