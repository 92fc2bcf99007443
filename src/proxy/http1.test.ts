// The fast lane's HTTP/1.1 parsing as tables: which request heads it takes and which it leaves to node:http, how it
// frames a server's response, and where a chunked body ends however its bytes arrive (the head it forwards:
// policy/headers.test.ts).
import { describe, expect, it } from 'vitest';
import { ChunkedScanner, parseRequestHead, parseResponseHead, type RequestHead } from './http1.js';
import { HOP_BY_HOP, SCREENED_HEADERS } from './policy/headers.js';

/** Parses a head written without its final CRLFCRLF, as the fast lane finds it in a buffer. */
function request(head: string): RequestHead | null {
  const buf = Buffer.from(`${head}\r\n\r\nbody bytes`, 'latin1');
  return parseRequestHead(buf, Buffer.byteLength(head, 'latin1'));
}

function response(head: string, method = 'GET') {
  const buf = Buffer.from(`${head}\r\n\r\nbody bytes`, 'latin1');
  return parseResponseHead(buf, Buffer.byteLength(head, 'latin1'), method);
}

const GET = 'GET /user/alice/x HTTP/1.1\r\nHost: hub.example:8000';

describe('parseRequestHead hands to node:http (null)', () => {
  it.each([
    ['Content-Length with Transfer-Encoding', `POST /user/alice/x HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nTransfer-Encoding: chunked`],
    ['Transfer-Encoding alone, any case', `POST /user/alice/x HTTP/1.1\r\nHost: h\r\ntransfer-encoding: identity`],
    ['two equal Content-Lengths', `${GET}\r\nContent-Length: 5\r\nContent-Length: 5`],
    ['two different Content-Lengths', `${GET}\r\nContent-Length: 5\r\ncontent-length: 6`],
    ['Content-Length: +5', `${GET}\r\nContent-Length: +5`],
    ['Content-Length: 5, 5', `${GET}\r\nContent-Length: 5, 5`],
    ['Content-Length: -1', `${GET}\r\nContent-Length: -1`],
    ['Content-Length: 0x10', `${GET}\r\nContent-Length: 0x10`],
    ['an empty Content-Length', `${GET}\r\nContent-Length: `],
    ['a 16-digit Content-Length', `${GET}\r\nContent-Length: 9999999999999999`],
    ['a huge Content-Length', `${GET}\r\nContent-Length: ${'9'.repeat(40)}`],
    ['obs-fold', `${GET}\r\nX-A: one\r\n two`],
    ['obs-fold with a tab', `${GET}\r\nX-A: one\r\n\ttwo`],
    ['a bare LF inside the head', `GET /user/alice/x HTTP/1.1\nHost: h`],
    ['a bare LF inside a value', `${GET}\r\nX-A: a\nb`],
    ['a bare CR inside a value', `${GET}\r\nX-A: a\rb`],
    ['a NUL in a value', `${GET}\r\nX-A: a\0b`],
    ['a DEL in a value', `${GET}\r\nX-A: a\x7fb`],
    ['obs-text in a value', `${GET}\r\nX-A: caf\xe9`],
    ['a control character in a value', `${GET}\r\nX-A: a\x01b`],
    ['a space before the colon', `GET /user/alice/x HTTP/1.1\r\nHost : h`],
    ['a tab before the colon', `${GET}\r\nContent-Length\t: 5`],
    ['an empty header name', `${GET}\r\n: value`],
    ['a header line without a colon', `${GET}\r\nX-A`],
    ['a header name with a separator', `${GET}\r\nX(A): b`],
    ['HTTP/1.0', `GET /user/alice/x HTTP/1.0\r\nHost: h`],
    ['HTTP/2.0', `GET /user/alice/x HTTP/2.0\r\nHost: h`],
    ['a lower-case version', `GET /user/alice/x http/1.1\r\nHost: h`],
    ['absolute-form', `GET http://h/user/alice/x HTTP/1.1\r\nHost: h`],
    ['asterisk-form', `OPTIONS * HTTP/1.1\r\nHost: h`],
    ['authority-form', `CONNECT h:443 HTTP/1.1\r\nHost: h:443`],
    ['a missing Host', `GET /user/alice/x HTTP/1.1\r\nAccept: */*`],
    ['two Hosts', `${GET}\r\nHost: other`],
    ['Upgrade', `${GET}\r\nUpgrade: websocket`],
    ['Expect', `POST /user/alice/x HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nExpect: 100-continue`],
    ['Connection: upgrade', `${GET}\r\nConnection: upgrade`],
    ['Connection: keep-alive, Upgrade', `${GET}\r\nConnection: keep-alive, Upgrade`],
    ['a Connection token naming another header', `${GET}\r\nConnection: X-Secret`],
    ['an empty Connection', `${GET}\r\nConnection: `],
    ['a lower-case method', `get /user/alice/x HTTP/1.1\r\nHost: h`],
    ['a method outside the plain set', `PROPFIND /user/alice/x HTTP/1.1\r\nHost: h`],
    ['two spaces in the request line', `GET  /user/alice/x HTTP/1.1\r\nHost: h`],
    ['a trailing space in the request line', `GET /user/alice/x HTTP/1.1 \r\nHost: h`],
    ['a space in the target', `GET /user/alice/a b HTTP/1.1\r\nHost: h`],
    ['a leading empty line', `\r\nGET /user/alice/x HTTP/1.1\r\nHost: h`],
    ['two Cookie headers', `${GET}\r\nCookie: a=1\r\nCookie: b=2`],
    ['two X-Forwarded-For', `${GET}\r\nX-Forwarded-For: 1.1.1.1\r\nX-Forwarded-For: 2.2.2.2`],
    ['two X-Forwarded-Proto', `${GET}\r\nX-Forwarded-Proto: https\r\nX-Forwarded-Proto: http`],
    ['two X-Forwarded-Port', `${GET}\r\nX-Forwarded-Port: 443\r\nX-Forwarded-Port: 80`],
    ['two X-Forwarded-Host', `${GET}\r\nX-Forwarded-Host: a\r\nX-Forwarded-Host: b`],
  ])('%s', (_name, head) => {
    expect(request(head)).toBeNull();
  });
});

describe('parseRequestHead takes', () => {
  it('a plain GET, with its target, Host and Accept', () => {
    expect(request(`${GET}\r\nAccept: text/html\r\nUser-Agent: t`)).toMatchObject({
      method: 'GET',
      target: '/user/alice/x',
      host: 'hub.example:8000',
      accept: 'text/html',
      contentLength: 0,
      close: false,
      cookie: undefined,
    });
  });

  it.each(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'])('the method %s', (method) => {
    expect(request(`${method} /user/alice/x HTTP/1.1\r\nHost: h`)?.method).toBe(method);
  });

  it.each([
    ['Content-Length: 5', 5],
    ['content-length: 0', 0],
    ['CONTENT-LENGTH:\t 007 \t', 7],
    ['Content-Length: 999999999999999', 999_999_999_999_999],
  ])('%j as a body length of %d', (line, length) => {
    expect(request(`POST /user/alice/x HTTP/1.1\r\nHost: h\r\n${line}`)?.contentLength).toBe(length);
  });

  it.each([
    ['Connection: close', true],
    ['Connection: Close', true],
    ['Connection: keep-alive, close', true],
    ['Connection: Keep-Alive', false],
    ['Connection: keep-alive\r\nKeep-Alive: timeout=5', false],
  ])('%j (close: %s)', (lines, close) => {
    expect(request(`${GET}\r\n${lines}`)?.close).toBe(close);
  });

  it('header names in any case, a Host without a port and an empty value', () => {
    expect(request('GET /user/alice/x HTTP/1.1\r\nhOsT: h\r\nX-Empty:')).toMatchObject({ host: 'h', kept: 'hOsT: h\r\nX-Empty:\r\n' });
  });

  it('keeps other header lines as sent and in order, without Connection, Keep-Alive, Cookie and X-Forwarded-For/Proto/Port', () => {
    const head = request(
      `${GET}\r\nX-B:  two  \r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\nCookie: a=1\r\nX-Forwarded-For: 1.2.3.4\r\n` +
        'X-Forwarded-Proto: https\r\nX-Forwarded-Port: 443\r\nX-Forwarded-Host: front\r\nContent-Length: 3\r\nAccept: a\r\nAccept: b',
    );
    // X-Forwarded-Host may be kept here or written by forwardedRequestHead; only the other lines are pinned.
    expect(head?.kept.replace('X-Forwarded-Host: front\r\n', '')).toBe('Host: hub.example:8000\r\nX-B:  two  \r\nContent-Length: 3\r\nAccept: a\r\nAccept: b\r\n');
    expect(head).toMatchObject({ cookie: 'a=1', forwardedFor: '1.2.3.4', forwardedProto: 'https', forwardedPort: '443', forwardedHost: 'front', accept: 'a, b' });
  });

  it('a target with a query and characters a URL would escape', () => {
    expect(request('GET /user/alice/a%20b/{x}?q=1&r=/x HTTP/1.1\r\nHost: h')?.target).toBe('/user/alice/a%20b/{x}?q=1&r=/x');
  });
});

describe('parseResponseHead', () => {
  it.each([
    ['a status below 100', 'HTTP/1.1 099 Low\r\nContent-Length: 2', /invalid HTTP status/],
    ['101 to a plain request', 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket', /101/],
    ['an HTTP/2 status line', 'HTTP/2 200\r\nContent-Length: 2', /status line/],
    ['HTTP/2.0', 'HTTP/2.0 200 OK\r\nContent-Length: 2', /status line/],
    ['a two-digit status', 'HTTP/1.1 20 OK', /status line/],
    ['not HTTP', 'this is not HTTP', /status line/],
    ['conflicting Content-Lengths in one header', 'HTTP/1.1 200 OK\r\nContent-Length: 5, 6', /Content-Length/],
    ['conflicting Content-Length headers', 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6', /Content-Length/],
    ['Content-Length: +5', 'HTTP/1.1 200 OK\r\nContent-Length: +5', /Content-Length/],
    ['an empty Content-Length', 'HTTP/1.1 200 OK\r\nContent-Length:', /Content-Length/],
    ['a bare LF', 'HTTP/1.1 200 OK\nContent-Length: 2', /bare CR\/LF/],
    ['a bare CR', 'HTTP/1.1 200 OK\r\nX-A: a\rb', /bare CR\/LF/],
    ['a NUL', 'HTTP/1.1 200 OK\r\nX-A: a\0b', /control/],
    ['obs-fold', 'HTTP/1.1 200 OK\r\nX-A: a\r\n b', /malformed header/],
    ['a space before the colon', 'HTTP/1.1 200 OK\r\nContent-Length : 5', /malformed header/],
  ])('refuses %s', (_name, head, why) => {
    const parsed = response(head);
    expect(typeof parsed).toBe('string');
    expect(parsed).toMatch(why);
  });

  it.each([
    ['103 Early Hints', 'HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload', 'GET', 103],
    ['100 Continue', 'HTTP/1.1 100 Continue', 'POST', 100],
    ['204 with a Content-Length', 'HTTP/1.1 204 No Content\r\nContent-Length: 10', 'GET', 204],
    ['304 with a Content-Length', 'HTTP/1.1 304 Not Modified\r\nContent-Length: 10', 'GET', 304],
    ['304 with Transfer-Encoding', 'HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked', 'GET', 304],
    ['HEAD with a Content-Length', 'HTTP/1.1 200 OK\r\nContent-Length: 10', 'HEAD', 200],
    ['HEAD with Transfer-Encoding', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked', 'HEAD', 200],
  ])('frames %s as no body', (_name, head, method, status) => {
    expect(response(head, method)).toEqual({ raw: Buffer.from(head, 'latin1'), status, framing: 'none', length: 0, reusable: true, closesClient: false, connection: null, hopByHop: false, screen: false });
  });

  it.each([
    ['Content-Length', 'HTTP/1.1 200 OK\r\nContent-Length: 10', { framing: 'length', length: 10, reusable: true }],
    ['equal Content-Lengths', 'HTTP/1.1 200 OK\r\nContent-Length: 10, 10\r\ncontent-length: 10', { framing: 'length', length: 10, reusable: true }],
    ['Content-Length: 0', 'HTTP/1.1 404 Not Found\r\nContent-Length: 0', { status: 404, framing: 'length', length: 0, reusable: true }],
    ['chunked', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked', { framing: 'chunked', reusable: true }],
    ['gzip, chunked', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, Chunked', { framing: 'chunked', reusable: true }],
    ['chunked over two headers', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked', { framing: 'chunked', reusable: true }],
    ['gzip alone (close-delimited)', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip', { framing: 'close', reusable: false }],
    ['chunked, gzip (close-delimited)', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip', { framing: 'close', reusable: false }],
    ['Content-Length with chunked', 'HTTP/1.1 200 OK\r\nContent-Length: 10\r\nTransfer-Encoding: chunked', { framing: 'chunked', reusable: false, closesClient: true }],
    ['Connection: close', 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close', { framing: 'length', length: 2, reusable: false, closesClient: false, connection: 'close', hopByHop: false }],
    ['Connection: Keep-Alive, Close', 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: Keep-Alive, Close', { framing: 'length', reusable: false, connection: null, hopByHop: true }],
    ['Connection: closed (not close)', 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: closed', { framing: 'length', reusable: true, hopByHop: true }],
    ['HTTP/1.0', 'HTTP/1.0 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive', { framing: 'length', length: 2, reusable: false, closesClient: true, connection: 'keep-alive' }],
    ['no framing', 'HTTP/1.1 200 OK\r\nContent-Type: text/plain', { framing: 'close', reusable: false, closesClient: true }],
    ['Connection: keep-alive alone', 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nconnection: Keep-Alive', { connection: 'keep-alive', hopByHop: false, closesClient: false }],
    ['Connection: keep-alive with Keep-Alive', 'HTTP/1.1 200 OK\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\nContent-Length: 2', { connection: null, hopByHop: true }],
    ['Proxy-Connection', 'HTTP/1.1 200 OK\r\nProxy-Connection: keep-alive\r\nContent-Length: 2', { hopByHop: true }],
    ['TE', 'HTTP/1.1 200 OK\r\nTE: trailers\r\nContent-Length: 2', { hopByHop: true }],
    ['Trailer', 'HTTP/1.1 200 OK\r\nTrailer: X-Sum\r\nTransfer-Encoding: chunked', { hopByHop: true }],
    ['Upgrade outside a 101', 'HTTP/1.1 200 OK\r\nUpgrade: h2c\r\nContent-Length: 2', { hopByHop: true }],
    ['two Connection headers', 'HTTP/1.1 200 OK\r\nConnection: keep-alive\r\nConnection: keep-alive\r\nContent-Length: 2', { connection: null, hopByHop: true }],
    ['a status line without a reason', 'HTTP/1.1 200\r\nContent-Length: 1', { framing: 'length', length: 1 }],
    ['obs-text in the reason and a value', 'HTTP/1.1 200 D\xe9j\xe0 vu\r\nContent-Disposition: attachment; filename="\xe9.txt"\r\nContent-Length: 1', { framing: 'length' }],
  ])('frames %s', (_name, head, expected) => {
    expect(response(head)).toMatchObject({ status: 200, ...expected });
  });
});

describe('ChunkedScanner', () => {
  const VALID = '4;ext=1\r\nWiki\r\n5\r\npedia\r\nE; name="quoted value"\t\r\n in\r\n\r\nchunks.\r\nA\r\n0123456789\r\n0;last\r\nExpires: never\r\nX-Trailer: y\r\n\r\n';
  const NEXT = 'HTTP/1.1 200 OK\r\n';

  it('finds the end of a body with extensions and trailers fed whole', () => {
    expect(new ChunkedScanner().scan(Buffer.from(VALID + NEXT))).toBe(VALID.length);
    expect(new ChunkedScanner().scan(Buffer.from(VALID))).toBe(VALID.length);
    expect(new ChunkedScanner().scan(Buffer.from('0\r\n\r\n'))).toBe(5);
  });

  it('finds the same end when the body is split at every byte boundary', () => {
    const whole = Buffer.from(VALID + NEXT);
    for (let at = 0; at <= whole.length; at++) {
      const scanner = new ChunkedScanner();
      const first = scanner.scan(whole.subarray(0, at));
      const end = first !== -1 ? first : at + scanner.scan(whole.subarray(at));
      expect(end, `split at ${at}`).toBe(VALID.length);
      if (at < VALID.length) expect(first, `split at ${at}`).toBe(-1);
    }
  });

  it('finds the same end when fed one byte at a time', () => {
    const whole = Buffer.from(VALID + NEXT);
    const scanner = new ChunkedScanner();
    let end = -1;
    for (let i = 0; i < whole.length && end === -1; i++) {
      if (scanner.scan(whole.subarray(i, i + 1)) === 1) end = i + 1;
    }
    expect(end).toBe(VALID.length);
  });

  it('takes a 12-hex-digit size (and waits for its data)', () => {
    expect(new ChunkedScanner().scan(Buffer.from('FFFFFFFFFFFF\r\nabc'))).toBe(-1);
  });

  it('takes trailers up to 16 KiB', () => {
    expect(new ChunkedScanner().scan(Buffer.from(`0\r\nX-A: ${'a'.repeat(16_000)}\r\n\r\n`))).toBeGreaterThan(0);
  });

  const MALFORMED: [string, string, RegExp][] = [
    ['an empty size', '\r\nabc', /size missing/],
    ['a leading space', ' 5\r\nhello\r\n0\r\n\r\n', /size missing/],
    ['a negative size', '-5\r\nhello\r\n', /size missing/],
    ['a non-hex size', 'g\r\n', /size missing/],
    ['a 0x prefix', '0x5\r\nhello\r\n', /invalid character/],
    ['a size ended by a bare LF', '5\nhello\r\n0\r\n\r\n', /invalid character/],
    ['a size ended by a bare CR', '5\rhello\r\n0\r\n\r\n', /CRLF/],
    ['a control character in an extension', '5;a=\x01\r\nhello\r\n0\r\n\r\n', /extension/],
    ['a bare LF in an extension', '5;a\nhello\r\n0\r\n\r\n', /extension/],
    ['data longer than its size', '5\r\nhelloX\r\n0\r\n\r\n', /longer than its size/],
    ['data ended by LF only', '5\r\nhello\n0\r\n\r\n', /longer than its size/],
    ['data ended by CR and no LF', '5\r\nhello\rX0\r\n\r\n', /not ended by CRLF/],
    ['a 13-hex-digit size', '1000000000000\r\n', /too large/],
    ['a size with 13 digits of leading zeros', '0000000000001\r\na\r\n', /too large/],
    ['a trailer with a bare LF', '0\r\nX-A: a\nb\r\n\r\n', /trailer/],
    ['a trailer with a NUL', '0\r\nX-A: a\0b\r\n\r\n', /trailer/],
    ['a trailer line ended by a bare CR', '0\r\nX-A: a\rb\r\n\r\n', /trailer line/],
    ['a body ended by CR and no LF', '0\r\n\rX', /not ended by CRLF/],
    ['one trailer larger than 16 KiB', `0\r\nX-A: ${'a'.repeat(17 * 1024)}\r\n\r\n`, /trailers too large/],
    ['many small trailers adding up to more than 16 KiB', `0\r\n${'X-A: aaaaaaaaaa\r\n'.repeat(1100)}\r\n`, /trailers too large/],
  ];

  it.each(MALFORMED)('refuses %s fed whole', (_name, body, why) => {
    expect(() => new ChunkedScanner().scan(Buffer.from(body, 'latin1'))).toThrow(why);
  });

  it.each(MALFORMED)('refuses %s fed one byte at a time', (_name, body, why) => {
    const scanner = new ChunkedScanner();
    const buf = Buffer.from(body, 'latin1');
    expect(() => {
      for (let i = 0; i < buf.length; i++) scanner.scan(buf.subarray(i, i + 1));
    }).toThrow(why);
  });
});

describe('ChunkedScanner on the first byte of a trailer line', () => {
  // Clients that accept a bare LF as a line end (browsers do) see `0\r\n\n` as the body's end and what follows as
  // the next response, while the scanner reads on to the next CRLFCRLF: the two disagree on where the body ends.
  it.each([
    ['a bare LF', '0\r\n\nHTTP/1.1 200 OK\r\nX: y\r\n\r\n'],
    ['a NUL', '0\r\n\0X: y\r\n\r\n'],
  ])('refuses a trailer line starting with %s', (_name, body) => {
    expect(() => new ChunkedScanner().scan(Buffer.from(body, 'latin1'))).toThrow(/trailer/);
  });
});

describe('hop-by-hop fields in a response head', () => {
  it('flags every field in HOP_BY_HOP (the parser keeps its own cases in step with that list)', () => {
    for (const name of HOP_BY_HOP) {
      const head = `HTTP/1.1 200 OK\r\n${name}: x\r\nContent-Length: 0`;
      expect(parseResponseHead(Buffer.from(head, 'latin1'), head.length, 'GET')).toMatchObject({ hopByHop: true });
    }
  });
});

describe('fields a user server may not always say', () => {
  it('flags a head holding any field in SCREENED_HEADERS, in any case, and no other', () => {
    for (const name of SCREENED_HEADERS) {
      for (const spelling of [name, name.toUpperCase()]) {
        const head = `HTTP/1.1 200 OK\r\nContent-Length: 0\r\n${spelling}: x`;
        expect(parseResponseHead(Buffer.from(head, 'latin1'), head.length, 'GET')).toMatchObject({ screen: true });
      }
      const lookalike = `HTTP/1.1 200 OK\r\nX-${name}: x\r\n${name}s: x\r\nContent-Length: 0`;
      expect(parseResponseHead(Buffer.from(lookalike, 'latin1'), lookalike.length, 'GET')).toMatchObject({ screen: false });
    }
  });
});
