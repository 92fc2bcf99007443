// Strict HTTP/1.1 message heads and chunked framing for the proxy's fast lane. A request head this module does not
// fully understand parses to null, so the connection goes to node:http, which answers or refuses it itself.
import { MAX_TRAILER_BYTES } from './policy/limits.js';

export const HEAD_END = Buffer.from('\r\n\r\n');

export interface RequestHead {
  method: string;
  /** The request-target as sent (origin-form only). */
  target: string;
  /** Header lines passed through unchanged, each ending in CRLF. */
  kept: string;
  contentLength: number;
  host: string;
  cookie: string | undefined;
  accept: string | undefined;
  forwardedFor: string | undefined;
  forwardedProto: string | undefined;
  forwardedPort: string | undefined;
  forwardedHost: string | undefined;
  /** The client sent `Connection: close`. */
  close: boolean;
}

// Visible ASCII, SP and HT, with CR only before LF and LF only after CR: no NUL, no bare CR/LF, no obs-text.
const UNSAFE_REQUEST_BYTES = /[^\t\r\n\x20-\x7e]|\r(?!\n)|(?<!\r)\n/;
const REQUEST_LINE = /^(GET|HEAD|POST|PUT|DELETE|PATCH|OPTIONS) (\/[\x21-\x7e]*) HTTP\/1\.1$/;
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const DIGITS = /^\d{1,15}$/;

/**
 * Parses `buf[0, end)` (the head without its final CRLFCRLF). Null for anything the fast lane leaves to node:http:
 * other versions or methods, absolute or asterisk targets, any Transfer-Encoding, Upgrade or Expect, repeated
 * framing or forwarding headers, obs-fold, bytes outside visible ASCII, or a missing Host.
 */
export function parseRequestHead(buf: Buffer, end: number): RequestHead | null {
  const text = buf.toString('latin1', 0, end);
  if (UNSAFE_REQUEST_BYTES.test(text)) return null;
  const lines = text.split('\r\n');
  const requestLine = REQUEST_LINE.exec(lines[0]!);
  if (requestLine === null) return null;
  const head: RequestHead = {
    method: requestLine[1]!,
    target: requestLine[2]!,
    kept: '',
    contentLength: -1,
    host: '',
    cookie: undefined,
    accept: undefined,
    forwardedFor: undefined,
    forwardedProto: undefined,
    forwardedPort: undefined,
    forwardedHost: undefined,
    close: false,
  };
  let hasHost = false;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    const colon = line.indexOf(':');
    if (colon <= 0) return null;
    const name = line.slice(0, colon);
    if (!TOKEN.test(name)) return null;
    const value = trimOws(line.slice(colon + 1));
    switch (name.toLowerCase()) {
      case 'content-length':
        if (head.contentLength !== -1 || !DIGITS.test(value)) return null;
        head.contentLength = Number(value);
        head.kept += `${line}\r\n`;
        break;
      case 'host':
        if (hasHost) return null;
        hasHost = true;
        head.host = value;
        head.kept += `${line}\r\n`;
        break;
      case 'connection':
        for (const token of value.split(',')) {
          const option = trimOws(token).toLowerCase();
          if (option === 'close') head.close = true;
          else if (option !== 'keep-alive') return null;
        }
        break;
      // The other hop-by-hop fields (src/proxy/policy/headers.ts HOP_BY_HOP; a test keeps the two in step).
      case 'keep-alive':
      case 'proxy-connection':
      case 'te':
      case 'trailer':
        break;
      case 'cookie':
        if (head.cookie !== undefined) return null;
        head.cookie = value;
        break;
      case 'accept':
        head.accept = head.accept === undefined ? value : `${head.accept}, ${value}`;
        head.kept += `${line}\r\n`;
        break;
      case 'x-forwarded-for':
        if (head.forwardedFor !== undefined) return null;
        head.forwardedFor = value;
        break;
      case 'x-forwarded-proto':
        if (head.forwardedProto !== undefined) return null;
        head.forwardedProto = value;
        break;
      case 'x-forwarded-port':
        if (head.forwardedPort !== undefined) return null;
        head.forwardedPort = value;
        break;
      case 'x-forwarded-host':
        if (head.forwardedHost !== undefined) return null;
        head.forwardedHost = value;
        break;
      case 'transfer-encoding':
      case 'upgrade':
      case 'expect':
        return null;
      default:
        head.kept += `${line}\r\n`;
    }
  }
  if (!hasHost) return null;
  if (head.contentLength === -1) head.contentLength = 0;
  return head;
}

function trimOws(value: string): string {
  let start = 0;
  let end = value.length;
  while (start < end && (value.charCodeAt(start) === 32 || value.charCodeAt(start) === 9)) start++;
  while (end > start && (value.charCodeAt(end - 1) === 32 || value.charCodeAt(end - 1) === 9)) end--;
  return start === 0 && end === value.length ? value : value.slice(start, end);
}

export type Framing = 'none' | 'length' | 'chunked' | 'close';

export interface ResponseHead {
  /** The head as read, without its final CRLFCRLF (latin1): screened and rewritten from this, never read again. */
  text: string;
  status: number;
  framing: Framing;
  /** Body bytes for 'length'. */
  length: number;
  /** The backend connection may carry another request after this response. */
  reusable: boolean;
  /**
   * The client connection must end after this response: its body ends when the server closes, the server spoke
   * HTTP/1.0, or the head is framed two ways (passed on as it is, a client could read it either way).
   */
  closesClient: boolean;
  /** The lone Connection field when it is just `keep-alive` or `close`, which the lane may pass as its own word. */
  connection: 'keep-alive' | 'close' | null;
  /** Any other hop-by-hop field is present: the head must be rewritten without them (src/proxy/policy/headers.ts). */
  hopByHop: boolean;
}

/** A Connection value that is just `keep-alive`, or just `close` (tested on the raw value: no copy). */
const LONE_KEEP_ALIVE = /^[ \t]*keep-alive[ \t]*$/i;
const LONE_CLOSE = /^[ \t]*close[ \t]*$/i;

// Responses may carry obs-text (reason phrases, filenames); NUL, other controls and bare CR/LF are refused.
const UNSAFE_RESPONSE_BYTES = /[\0-\x08\x0b\x0c\x0e-\x1f\x7f]|\r(?!\n)|(?<!\r)\n/;
const STATUS_LINE = /^HTTP\/1\.([01]) (\d{3})(?: [^\r\n]*)?$/;

/**
 * Parses a response head `buf[0, end)`; a string says what the server did wrong, to follow "The server of alice …".
 * 101 is refused: upgrades never take this path.
 */
export function parseResponseHead(buf: Buffer, end: number, method: string): ResponseHead | string {
  const text = buf.toString('latin1', 0, end);
  if (UNSAFE_RESPONSE_BYTES.test(text)) return 'answered with control characters or a bare CR/LF in its response head';
  const lines = text.split('\r\n');
  const statusLine = STATUS_LINE.exec(lines[0]!);
  if (statusLine === null) return `closed the connection without an answer (not an HTTP/1.x status line: ${JSON.stringify(lines[0]!.slice(0, 80))})`;
  const status = Number(statusLine[2]);
  if (status < 100) return `answered with an invalid HTTP status (${status})`;
  if (status === 101) return 'closed the connection without a usable answer (101 Switching Protocols to a plain request)';
  const http10 = statusLine[1] === '0';
  let reusable = !http10;
  let length = -1;
  let transferEncoding: string | undefined;
  let connection: 'keep-alive' | 'close' | null = null;
  let hopByHop = false;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    const colon = line.indexOf(':');
    if (colon <= 0 || !TOKEN.test(line.slice(0, colon))) return `answered with a malformed header line: ${JSON.stringify(line.slice(0, 80))}`;
    const name = line.slice(0, colon).toLowerCase();
    switch (name) {
      case 'content-length':
        for (const part of line.slice(colon + 1).split(',')) {
          const value = trimOws(part);
          if (!DIGITS.test(value) || (length !== -1 && Number(value) !== length)) return 'answered with an invalid or conflicting Content-Length';
          length = Number(value);
        }
        break;
      case 'transfer-encoding': {
        const value = trimOws(line.slice(colon + 1)).toLowerCase();
        transferEncoding = transferEncoding === undefined ? value : `${transferEncoding}, ${value}`;
        break;
      }
      case 'connection': {
        const value = line.slice(colon + 1);
        if (/(^|[\s,])close($|[\s,])/i.test(value)) reusable = false;
        if (connection === null && !hopByHop && LONE_KEEP_ALIVE.test(value)) connection = 'keep-alive';
        else if (connection === null && !hopByHop && LONE_CLOSE.test(value)) connection = 'close';
        else hopByHop = true;
        break;
      }
      // The other hop-by-hop fields (src/proxy/policy/headers.ts HOP_BY_HOP; a test keeps the two in step): cases
      // here rather than a set lookup for every line of every response.
      case 'keep-alive':
      case 'proxy-connection':
      case 'te':
      case 'trailer':
      case 'upgrade':
        hopByHop = true;
    }
  }
  if (hopByHop) connection = null;
  // Literals rather than a spread of shared fields: this runs once per proxied response.
  if (method === 'HEAD' || status < 200 || status === 204 || status === 304) {
    return { text, status, framing: 'none', length: 0, reusable, closesClient: http10, connection, hopByHop };
  }
  if (transferEncoding !== undefined) {
    const codings = transferEncoding.split(',');
    if (trimOws(codings[codings.length - 1]!) === 'chunked') {
      // A message with both is a smuggling shape: framed by Transfer-Encoding and never reused (RFC 9112 §6.3).
      const both = length !== -1;
      return { text, status, framing: 'chunked', length: 0, reusable: reusable && !both, closesClient: http10 || both, connection, hopByHop };
    }
    return { text, status, framing: 'close', length: 0, reusable: false, closesClient: true, connection, hopByHop };
  }
  if (length !== -1) return { text, status, framing: 'length', length, reusable, closesClient: http10, connection, hopByHop };
  return { text, status, framing: 'close', length: 0, reusable: false, closesClient: true, connection, hopByHop };
}

const enum Chunk {
  Size,
  Extension,
  SizeLf,
  Data,
  DataCr,
  DataLf,
  TrailerStart,
  Trailer,
  TrailerLf,
  EndLf,
  Done,
}

const MAX_SIZE_DIGITS = 12;

/** Finds where a chunked body ends without copying it; bytes pass through unchanged. */
export class ChunkedScanner {
  private state = Chunk.Size;
  private remaining = 0;
  private digits = 0;
  private trailerBytes = 0;

  /** Index just past the body's end in `buf`, or -1 when the body continues; throws on a malformed body. */
  scan(buf: Buffer): number {
    let i = 0;
    const n = buf.length;
    while (i < n) {
      const c = buf[i]!;
      switch (this.state) {
        case Chunk.Size: {
          const v = hexValue(c);
          if (v !== -1) {
            if (++this.digits > MAX_SIZE_DIGITS) throw new Error('chunk size too large');
            this.remaining = this.remaining * 16 + v;
          } else if (this.digits === 0) {
            throw new Error('chunk size missing');
          } else if (c === 0x3b || c === 0x20 || c === 0x09) {
            this.state = Chunk.Extension;
          } else if (c === 0x0d) {
            this.state = Chunk.SizeLf;
          } else {
            throw new Error('invalid character in chunk size');
          }
          i++;
          break;
        }
        case Chunk.Extension:
          if (c === 0x0d) this.state = Chunk.SizeLf;
          else if ((c < 0x20 && c !== 0x09) || c === 0x7f) throw new Error('invalid character in chunk extension');
          i++;
          break;
        case Chunk.SizeLf:
          if (c !== 0x0a) throw new Error('chunk size line not ended by CRLF');
          this.state = this.remaining === 0 ? Chunk.TrailerStart : Chunk.Data;
          i++;
          break;
        case Chunk.Data: {
          const take = Math.min(this.remaining, n - i);
          i += take;
          this.remaining -= take;
          if (this.remaining === 0) this.state = Chunk.DataCr;
          break;
        }
        case Chunk.DataCr:
          if (c !== 0x0d) throw new Error('chunk data longer than its size');
          this.state = Chunk.DataLf;
          i++;
          break;
        case Chunk.DataLf:
          if (c !== 0x0a) throw new Error('chunk data not ended by CRLF');
          this.state = Chunk.Size;
          this.digits = 0;
          i++;
          break;
        case Chunk.TrailerStart:
          if (c === 0x0d) {
            this.state = Chunk.EndLf;
          } else {
            if (c === 0x0a || c === 0) throw new Error('invalid character in trailer');
            this.state = Chunk.Trailer;
            this.countTrailer();
          }
          i++;
          break;
        case Chunk.Trailer:
          if (c === 0x0d) this.state = Chunk.TrailerLf;
          else if (c === 0x0a || c === 0) throw new Error('invalid character in trailer');
          this.countTrailer();
          i++;
          break;
        case Chunk.TrailerLf:
          if (c !== 0x0a) throw new Error('trailer line not ended by CRLF');
          this.state = Chunk.TrailerStart;
          i++;
          break;
        case Chunk.EndLf:
          if (c !== 0x0a) throw new Error('chunked body not ended by CRLF');
          this.state = Chunk.Done;
          return i + 1;
        case Chunk.Done:
          return i;
      }
    }
    return -1;
  }

  private countTrailer(): void {
    if (++this.trailerBytes > MAX_TRAILER_BYTES) throw new Error('trailers too large');
  }
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  return -1;
}
