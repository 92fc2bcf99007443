// Strict HTTP/1.1 message heads and chunked framing for the proxy's fast lane. A request head this module does not
// fully understand parses to null, so the connection goes to node:http, which answers or refuses it itself.
import { SCREENED_HEADERS } from './policy/headers.js';
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

// Byte values as module constants: the build keeps a `const enum` as an object (verbatimModuleSyntax), and a
// property load per byte shows in the proxy's profile.
const TAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;
const SPACE = 0x20;
const COLON = 0x3a;
const SLASH = 0x2f;

/** Bytes a header name may hold (RFC 9110 tchar). */
const TOKEN_BYTE = byteTable("!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz");
const DIGITS = /^\d{1,15}$/;
const MAX_LENGTH_DIGITS = 15;

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'] as const;
const VERSION = ' HTTP/1.1';

/** The request fields the parser acts on; every other line is kept as it is. */
const enum RequestField {
  Other,
  ContentLength,
  Host,
  Connection,
  HopByHop,
  Cookie,
  Accept,
  ForwardedFor,
  ForwardedProto,
  ForwardedPort,
  ForwardedHost,
  HandOver,
}

const REQUEST_FIELDS = fieldTable<RequestField>([
  ['content-length', RequestField.ContentLength],
  ['host', RequestField.Host],
  ['connection', RequestField.Connection],
  // The other hop-by-hop fields (src/proxy/policy/headers.ts HOP_BY_HOP; a test keeps the two in step).
  ['keep-alive', RequestField.HopByHop],
  ['proxy-connection', RequestField.HopByHop],
  ['te', RequestField.HopByHop],
  ['trailer', RequestField.HopByHop],
  ['cookie', RequestField.Cookie],
  ['accept', RequestField.Accept],
  ['x-forwarded-for', RequestField.ForwardedFor],
  ['x-forwarded-proto', RequestField.ForwardedProto],
  ['x-forwarded-port', RequestField.ForwardedPort],
  ['x-forwarded-host', RequestField.ForwardedHost],
  ['transfer-encoding', RequestField.HandOver],
  ['upgrade', RequestField.HandOver],
  ['expect', RequestField.HandOver],
]);

/**
 * Parses `buf[0, end)` (the head without its final CRLFCRLF). Null for anything the fast lane leaves to node:http:
 * other versions or methods, absolute or asterisk targets, any Transfer-Encoding, Upgrade or Expect, repeated
 * framing or forwarding headers, obs-fold, bytes outside visible ASCII, or a missing Host.
 * Read from the bytes: only the values the lane uses, and the kept lines in runs, become strings.
 */
export function parseRequestHead(buf: Buffer, end: number): RequestHead | null {
  // Request line: a method of the plain set, one space, an origin-form target of visible ASCII, ` HTTP/1.1`.
  let lineEnd = lineEndOf(buf, 0, end, false);
  if (lineEnd < 0) return null;
  const method = methodAt(buf);
  if (method === null) return null;
  const targetStart = method.length + 1;
  const targetEnd = lineEnd - VERSION.length;
  if (targetEnd <= targetStart || buf[targetStart] !== SLASH || !bytesAre(buf, targetEnd, VERSION)) return null;
  for (let i = targetStart + 1; i < targetEnd; i++) if (buf[i]! <= SPACE) return null; // no SP (and nothing below)
  const head: RequestHead = {
    method,
    target: buf.toString('latin1', targetStart, targetEnd),
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
  // Kept lines are copied in runs: from `run` up to the first line dropped after it (each line ends in CRLF; the
  // last one's is the head's final CRLFCRLF).
  let run = -1;
  for (let start = lineEnd + 2; start < end + 2; start = lineEnd + 2) {
    lineEnd = lineEndOf(buf, start, end, false);
    if (lineEnd < 0) return null;
    const colon = nameEnd(buf, start, lineEnd);
    if (colon < 0) return null;
    const field = fieldAt(REQUEST_FIELDS, buf, start, colon) ?? RequestField.Other;
    let keep = false;
    switch (field) {
      case RequestField.ContentLength:
        if (head.contentLength !== -1) return null;
        head.contentLength = digitsAt(buf, colon + 1, lineEnd);
        if (head.contentLength < 0) return null;
        keep = true;
        break;
      case RequestField.Host:
        if (hasHost) return null;
        hasHost = true;
        head.host = valueAt(buf, colon + 1, lineEnd);
        keep = true;
        break;
      case RequestField.Connection:
        for (const token of valueAt(buf, colon + 1, lineEnd).split(',')) {
          const option = trimOws(token).toLowerCase();
          if (option === 'close') head.close = true;
          else if (option !== 'keep-alive') return null;
        }
        break;
      case RequestField.HopByHop:
        break;
      case RequestField.Cookie:
        if (head.cookie !== undefined) return null;
        head.cookie = valueAt(buf, colon + 1, lineEnd);
        break;
      case RequestField.Accept: {
        const value = valueAt(buf, colon + 1, lineEnd);
        head.accept = head.accept === undefined ? value : `${head.accept}, ${value}`;
        keep = true;
        break;
      }
      case RequestField.ForwardedFor:
        if (head.forwardedFor !== undefined) return null;
        head.forwardedFor = valueAt(buf, colon + 1, lineEnd);
        break;
      case RequestField.ForwardedProto:
        if (head.forwardedProto !== undefined) return null;
        head.forwardedProto = valueAt(buf, colon + 1, lineEnd);
        break;
      case RequestField.ForwardedPort:
        if (head.forwardedPort !== undefined) return null;
        head.forwardedPort = valueAt(buf, colon + 1, lineEnd);
        break;
      case RequestField.ForwardedHost:
        if (head.forwardedHost !== undefined) return null;
        head.forwardedHost = valueAt(buf, colon + 1, lineEnd);
        break;
      case RequestField.HandOver:
        return null;
      default:
        keep = true;
    }
    if (keep) {
      if (run === -1) run = start;
    } else if (run !== -1) {
      head.kept += buf.toString('latin1', run, start);
      run = -1;
    }
  }
  if (!hasHost) return null;
  if (run !== -1) head.kept += buf.toString('latin1', run, end + 2);
  if (head.contentLength === -1) head.contentLength = 0;
  return head;
}

/** Which of METHODS `buf` starts with, followed by a space; null for any other. */
function methodAt(buf: Buffer): (typeof METHODS)[number] | null {
  for (const method of METHODS) if (buf[method.length] === SPACE && bytesAre(buf, 0, method)) return method;
  return null;
}

/**
 * Where the line starting at `start` ends (its CR, or `end` for the last line), checking its bytes on the way:
 * -1 for a bare CR or LF, or a control byte other than HT. A request (`obsText` false) takes visible ASCII only; a
 * response also bytes 0x80–0xFF (reason phrases, filenames).
 */
function lineEndOf(buf: Buffer, start: number, end: number, obsText: boolean): number {
  for (let i = start; i < end; i++) {
    const c = buf[i]!;
    if (c === CR) return buf[i + 1] === LF && i + 1 < end ? i : -1;
    if (c < SPACE ? c !== TAB : c === 0x7f || (c > 0x7f && !obsText)) return -1;
  }
  return end;
}

/** The colon ending a header line's name, or -1 when the name is empty or not a token. */
function nameEnd(buf: Buffer, start: number, lineEnd: number): number {
  for (let i = start; i < lineEnd; i++) {
    const c = buf[i]!;
    if (c === COLON) return i > start ? i : -1;
    if (TOKEN_BYTE[c] === 0) return -1;
  }
  return -1;
}

/** A header value without its surrounding spaces and tabs. */
function valueAt(buf: Buffer, start: number, end: number): string {
  while (start < end && (buf[start] === SPACE || buf[start] === TAB)) start++;
  while (end > start && (buf[end - 1] === SPACE || buf[end - 1] === TAB)) end--;
  return buf.toString('latin1', start, end);
}

/** A value of 1–15 decimal digits (surrounding spaces and tabs aside), or -1. */
function digitsAt(buf: Buffer, start: number, end: number): number {
  while (start < end && (buf[start] === SPACE || buf[start] === TAB)) start++;
  while (end > start && (buf[end - 1] === SPACE || buf[end - 1] === TAB)) end--;
  if (end === start || end - start > MAX_LENGTH_DIGITS) return -1;
  let value = 0;
  for (let i = start; i < end; i++) {
    const digit = buf[i]! - 0x30;
    if (digit < 0 || digit > 9) return -1;
    value = value * 10 + digit;
  }
  return value;
}

/** `buf` holds `text` (ASCII) at `at`. */
function bytesAre(buf: Buffer, at: number, text: string): boolean {
  for (let i = 0; i < text.length; i++) if (buf[at + i] !== text.charCodeAt(i)) return false;
  return true;
}

/** Lower-case header names by length, so a line is matched with a few byte compares and no string. */
type FieldTable<F> = (readonly [string, F])[][];

function fieldTable<F>(fields: readonly (readonly [string, F])[]): FieldTable<F> {
  const table: FieldTable<F> = [];
  for (const field of fields) (table[field[0].length] ??= []).push(field);
  return table;
}

/**
 * The field of the token `buf[start, end)`, matched without regard to case; undefined for a name not in the table.
 * Sound only on a token: OR-ing 0x20 maps no token byte but a letter onto a letter, and `-` onto itself.
 */
function fieldAt<F>(table: FieldTable<F>, buf: Buffer, start: number, end: number): F | undefined {
  const candidates = table[end - start];
  if (candidates === undefined) return undefined;
  next: for (const [name, field] of candidates) {
    for (let i = 0; i < name.length; i++) if ((buf[start + i]! | 0x20) !== name.charCodeAt(i)) continue next;
    return field;
  }
  return undefined;
}

function byteTable(bytes: string): Uint8Array {
  const table = new Uint8Array(256);
  for (let i = 0; i < bytes.length; i++) table[bytes.charCodeAt(i)] = 1;
  return table;
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
  /**
   * The head as read, without its final CRLFCRLF: screened and rewritten from this (src/proxy/policy/headers.ts).
   * A view of the bytes read, good only while the read that carried them is handled.
   */
  raw: Buffer;
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
  /** A field a user's server may not always say through the hub's origin is present (SCREENED_HEADERS). */
  screen: boolean;
}

const UNSAFE_RESPONSE = 'answered with control characters or a bare CR/LF in its response head';

const enum ResponseField {
  ContentLength,
  TransferEncoding,
  Connection,
  HopByHop,
  Screened,
}

const RESPONSE_FIELDS = fieldTable<ResponseField>([
  ['content-length', ResponseField.ContentLength],
  ['transfer-encoding', ResponseField.TransferEncoding],
  ['connection', ResponseField.Connection],
  // The other hop-by-hop fields (src/proxy/policy/headers.ts HOP_BY_HOP; a test keeps the two in step): a table
  // here rather than a set lookup for every line of every response.
  ['keep-alive', ResponseField.HopByHop],
  ['proxy-connection', ResponseField.HopByHop],
  ['te', ResponseField.HopByHop],
  ['trailer', ResponseField.HopByHop],
  ['upgrade', ResponseField.HopByHop],
  ...SCREENED_HEADERS.map((name) => [name, ResponseField.Screened] as const),
]);

const STATUS_PREFIX = 'HTTP/1.';

/**
 * Parses a response head `buf[0, end)`; a string says what the server did wrong, to follow "The server of alice …".
 * 101 is refused: upgrades never take this path. Read from the bytes: no string unless a value is needed.
 */
export function parseResponseHead(buf: Buffer, end: number, method: string): ResponseHead | string {
  let lineEnd = lineEndOf(buf, 0, end, true);
  if (lineEnd < 0) return UNSAFE_RESPONSE;
  // HTTP/1.x, a space, three digits, and nothing or a space and a reason.
  const minor = buf[STATUS_PREFIX.length]! - 0x30;
  const status = digitsIn(buf, STATUS_PREFIX.length + 2, STATUS_PREFIX.length + 5);
  if (
    !bytesAre(buf, 0, STATUS_PREFIX) ||
    (minor !== 0 && minor !== 1) ||
    buf[STATUS_PREFIX.length + 1] !== SPACE ||
    status < 0 ||
    (lineEnd !== STATUS_PREFIX.length + 5 && (lineEnd < STATUS_PREFIX.length + 5 || buf[STATUS_PREFIX.length + 5] !== SPACE))
  ) {
    return refusal(buf, lineEnd, end, `closed the connection without an answer (not an HTTP/1.x status line: ${JSON.stringify(buf.toString('latin1', 0, Math.min(lineEnd, 80)))})`);
  }
  if (status < 100) return refusal(buf, lineEnd, end, `answered with an invalid HTTP status (${status})`);
  if (status === 101) return refusal(buf, lineEnd, end, 'closed the connection without a usable answer (101 Switching Protocols to a plain request)');
  const http10 = minor === 0;
  let reusable = !http10;
  let length = -1;
  let transferEncoding: string | undefined;
  let connection: 'keep-alive' | 'close' | null = null;
  let hopByHop = false;
  let screen = false;
  for (let start = lineEnd + 2; start < end + 2; start = lineEnd + 2) {
    lineEnd = lineEndOf(buf, start, end, true);
    if (lineEnd < 0) return UNSAFE_RESPONSE;
    const colon = nameEnd(buf, start, lineEnd);
    if (colon < 0) return refusal(buf, lineEnd, end, `answered with a malformed header line: ${JSON.stringify(buf.toString('latin1', start, Math.min(lineEnd, start + 80)))}`);
    switch (fieldAt(RESPONSE_FIELDS, buf, start, colon)) {
      case ResponseField.ContentLength: {
        let value = digitsAt(buf, colon + 1, lineEnd);
        if (value < 0) value = listedLength(buf.toString('latin1', colon + 1, lineEnd));
        if (value < 0 || (length !== -1 && value !== length)) return refusal(buf, lineEnd, end, 'answered with an invalid or conflicting Content-Length');
        length = value;
        break;
      }
      case ResponseField.TransferEncoding: {
        const value = trimOws(buf.toString('latin1', colon + 1, lineEnd)).toLowerCase();
        transferEncoding = transferEncoding === undefined ? value : `${transferEncoding}, ${value}`;
        break;
      }
      case ResponseField.Connection: {
        // Most servers say a lone keep-alive or close: read from the bytes; anything else as a string.
        const lone = loneConnection(buf, colon + 1, lineEnd);
        if (lone === 'close' || (lone === null && /(^|[\s,])close($|[\s,])/i.test(buf.toString('latin1', colon + 1, lineEnd)))) reusable = false;
        if (connection === null && !hopByHop && lone !== null) connection = lone;
        else hopByHop = true;
        break;
      }
      case ResponseField.HopByHop:
        hopByHop = true;
        break;
      case ResponseField.Screened:
        screen = true;
    }
  }
  if (hopByHop) connection = null;
  const raw = buf.subarray(0, end);
  // Literals rather than a spread of shared fields: this runs once per proxied response.
  if (method === 'HEAD' || status < 200 || status === 204 || status === 304) {
    return { raw, status, framing: 'none', length: 0, reusable, closesClient: http10, connection, hopByHop, screen };
  }
  if (transferEncoding !== undefined) {
    const codings = transferEncoding.split(',');
    if (trimOws(codings[codings.length - 1]!) === 'chunked') {
      // A message with both is a smuggling shape: framed by Transfer-Encoding and never reused (RFC 9112 §6.3).
      const both = length !== -1;
      return { raw, status, framing: 'chunked', length: 0, reusable: reusable && !both, closesClient: http10 || both, connection, hopByHop, screen };
    }
    return { raw, status, framing: 'close', length: 0, reusable: false, closesClient: true, connection, hopByHop, screen };
  }
  if (length !== -1) return { raw, status, framing: 'length', length, reusable, closesClient: http10, connection, hopByHop, screen };
  return { raw, status, framing: 'close', length: 0, reusable: false, closesClient: true, connection, hopByHop, screen };
}

/** A Content-Length value listing one length more than once (`10, 10`); -1 when it is not that. */
function listedLength(value: string): number {
  let length = -1;
  for (const part of value.split(',')) {
    const item = trimOws(part);
    if (!DIGITS.test(item) || (length !== -1 && Number(item) !== length)) return -1;
    length = Number(item);
  }
  return length;
}

/**
 * `why`, unless the lines after `from` (a line's end) hold a bad byte: that is what the server is told of first,
 * wherever it is in the head.
 */
function refusal(buf: Buffer, from: number, end: number, why: string): string {
  for (let start = from + 2; start < end + 2; ) {
    const lineEnd = lineEndOf(buf, start, end, true);
    if (lineEnd < 0) return UNSAFE_RESPONSE;
    start = lineEnd + 2;
  }
  return why;
}

/** A Connection value that is just `keep-alive`, or just `close`, in any case and between spaces or tabs; else null. */
function loneConnection(buf: Buffer, start: number, end: number): 'keep-alive' | 'close' | null {
  while (start < end && (buf[start] === SPACE || buf[start] === TAB)) start++;
  while (end > start && (buf[end - 1] === SPACE || buf[end - 1] === TAB)) end--;
  if (end - start === 'keep-alive'.length && lowerBytesAre(buf, start, 'keep-alive')) return 'keep-alive';
  if (end - start === 'close'.length && lowerBytesAre(buf, start, 'close')) return 'close';
  return null;
}

/** `buf` holds `lower` (lower-case letters and `-`) at `at`, in any case. */
function lowerBytesAre(buf: Buffer, at: number, lower: string): boolean {
  for (let i = 0; i < lower.length; i++) {
    const c = buf[at + i]!;
    const code = lower.charCodeAt(i);
    if (c !== code && (code < 0x61 || c !== code - 0x20)) return false;
  }
  return true;
}

/** The decimal number `buf[start, end)` spells, or -1. */
function digitsIn(buf: Buffer, start: number, end: number): number {
  let value = 0;
  for (let i = start; i < end; i++) {
    const digit = (buf[i] ?? 0) - 0x30;
    if (digit < 0 || digit > 9) return -1;
    value = value * 10 + digit;
  }
  return value;
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
