// Strict HTTP/1.1 message heads and chunked framing for the proxy's fast lane. A request head this module does not
// fully understand parses to null, so the connection goes to node:http, which answers or refuses it itself.
import { withoutHubCookies } from './request-headers.js';

/** node:http's default limit on a message head; a longer one is left to node:http to refuse (431). */
export const MAX_HEAD_BYTES = 16 * 1024;
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
      case 'keep-alive':
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

/**
 * The head sent on: the given path, the hub's login cookie removed unless it goes to the hub, hop-by-hop
 * Connection headers dropped (the backend connection is pooled) and X-Forwarded-* appended as the node:http path does.
 */
export function forwardedRequestHead(head: RequestHead, path: string, remoteAddress: string, toHub: boolean): string {
  let out = `${head.method} ${path} HTTP/1.1\r\n${head.kept}`;
  const cookie = head.cookie === undefined || toHub ? head.cookie : withoutHubCookies(head.cookie);
  if (cookie !== undefined) out += `Cookie: ${cookie}\r\n`;
  const port = /:(\d+)$/.exec(head.host)?.[1] ?? '80';
  out += `X-Forwarded-For: ${appended(head.forwardedFor, remoteAddress)}\r\n`;
  out += `X-Forwarded-Proto: ${appended(head.forwardedProto, 'http')}\r\n`;
  out += `X-Forwarded-Port: ${appended(head.forwardedPort, port)}\r\n`;
  out += `X-Forwarded-Host: ${head.forwardedHost || head.host}\r\n`;
  return `${out}\r\n`;
}

function appended(prior: string | undefined, value: string): string {
  return prior ? `${prior},${value}` : value;
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
  status: number;
  framing: Framing;
  /** Body bytes for 'length'. */
  length: number;
  /** The backend connection may carry another request after this response. */
  reusable: boolean;
}

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
  let reusable = statusLine[1] === '1';
  let length = -1;
  let transferEncoding: string | undefined;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    const colon = line.indexOf(':');
    if (colon <= 0 || !TOKEN.test(line.slice(0, colon))) return `answered with a malformed header line: ${JSON.stringify(line.slice(0, 80))}`;
    const name = line.slice(0, colon).toLowerCase();
    if (name === 'content-length') {
      for (const part of line.slice(colon + 1).split(',')) {
        const value = trimOws(part);
        if (!DIGITS.test(value) || (length !== -1 && Number(value) !== length)) return 'answered with an invalid or conflicting Content-Length';
        length = Number(value);
      }
    } else if (name === 'transfer-encoding') {
      const value = trimOws(line.slice(colon + 1)).toLowerCase();
      transferEncoding = transferEncoding === undefined ? value : `${transferEncoding}, ${value}`;
    } else if (name === 'connection') {
      if (/(^|[\s,])close($|[\s,])/i.test(line.slice(colon + 1))) reusable = false;
    }
  }
  if (method === 'HEAD' || status < 200 || status === 204 || status === 304) {
    return { status, framing: 'none', length: 0, reusable };
  }
  if (transferEncoding !== undefined) {
    // A message with both is a smuggling shape: framed by Transfer-Encoding and never reused (RFC 9112 §6.3).
    if (length !== -1) reusable = false;
    const codings = transferEncoding.split(',');
    if (trimOws(codings[codings.length - 1]!) === 'chunked') return { status, framing: 'chunked', length: 0, reusable };
    return { status, framing: 'close', length: 0, reusable: false };
  }
  if (length !== -1) return { status, framing: 'length', length, reusable };
  return { status, framing: 'close', length: 0, reusable: false };
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

const MAX_TRAILER_BYTES = 16 * 1024;
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
