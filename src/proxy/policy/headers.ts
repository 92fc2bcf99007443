// What the proxy adds to and strips from the messages it forwards, on both lanes (the fast lane's raw heads and
// node:http's parsed headers): X-Forwarded-*, the hub's login cookie, hop-by-hop headers, and what a user's server
// may not say to a browser through the hub's origin. Pure; the one place these rules live.
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { Logger } from '../../log.js';
import type { RequestHead, ResponseHead } from '../http1.js';
import type { Backend } from '../route-table.js';
import { resolveForwarding, TRUST_NOBODY, type TrustedProxies } from './trusted-proxies.js';

// ---- Requests: what a server is told about the client, and what it never sees ----

/** The hub's own login cookie (and its __Host- variant). The single-user server never reads it. */
const HUB_LOGIN_COOKIE = 'jupyterhub-hub-login';

/**
 * The Cookie header without the hub's login cookie; undefined when nothing is left.
 * `_xsrf` is kept on purpose: the hub's `_xsrf` has path `<base_url>hub/`, so browsers never send it to
 * `/user/…`, while the single-user server sets and checks its own cookie of the same name there.
 */
export function withoutHubCookies(cookie: string | undefined): string | undefined {
  if (cookie === undefined || !cookie.includes(HUB_LOGIN_COOKIE)) return cookie;
  const kept: string[] = [];
  for (const part of cookie.split(';')) {
    const pair = part.trim();
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const name = (eq === -1 ? pair : pair.slice(0, eq)).trim();
    if (name === HUB_LOGIN_COOKIE || name === `__Host-${HUB_LOGIN_COOKIE}`) continue;
    kept.push(pair);
  }
  return kept.length > 0 ? kept.join('; ') : undefined;
}

/**
 * Hop-by-hop fields (RFC 9110 §7.6.1): they describe one connection, so they are never forwarded, in either
 * direction, with the fields a Connection header names. `upgrade` only outside a WebSocket handshake (101).
 * The fast lane drops the request ones while parsing (src/proxy/http1.ts hands over a head whose Connection names
 * anything but close or keep-alive); node:http's requests and both lanes' responses go through the functions below.
 */
export const HOP_BY_HOP: ReadonlySet<string> = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'upgrade']);

/**
 * X-Forwarded-For/Proto/Port/Host say who the client is and how it reached the hub. What a request brought is
 * believed only from hub.trusted_proxies (policy/trusted-proxies.ts); each lane writes the one resolved value of
 * each with the functions below, so the values cannot drift apart. Proto is http/https for WebSockets too (tornado
 * ignores ws/wss).
 */
export interface ForwardingContext {
  /** The client's connection is TLS (the hub serves HTTPS). */
  encrypted: boolean;
  trust: TrustedProxies;
}

const PLAIN: ForwardingContext = { encrypted: false, trust: TRUST_NOBODY };

/**
 * The fast lane's head as sent on: the given path, the lines the parser kept, the hub's login cookie removed unless
 * it goes to the hub, and X-Forwarded-* as {@link prepareForwardedHeaders} writes them.
 */
export function forwardedRequestHead(head: RequestHead, path: string, remoteAddress: string, toHub: boolean, context: ForwardingContext = PLAIN): string {
  let out = `${head.method} ${path} HTTP/1.1\r\n${head.kept}`;
  const cookie = head.cookie === undefined || toHub ? head.cookie : withoutHubCookies(head.cookie);
  if (cookie !== undefined) out += `Cookie: ${cookie}\r\n`;
  return `${out}${forwardingLines(head, remoteAddress, context)}\r\n`;
}

/**
 * The X-Forwarded-* lines last written for a request that claimed none, and what they were made of: the requests
 * of a connection, and of every connection from one client, repeat them, and the proxy makes no garbage for them.
 */
let unclaimed = { peer: '', encrypted: false, host: '', trust: TRUST_NOBODY, lines: '' };

function forwardingLines(head: RequestHead, remoteAddress: string, context: ForwardingContext): string {
  const claimsNone = head.forwardedFor === undefined && head.forwardedProto === undefined && head.forwardedPort === undefined && head.forwardedHost === undefined;
  const last = unclaimed;
  if (claimsNone && last.peer === remoteAddress && last.host === head.host && last.encrypted === context.encrypted && last.trust === context.trust) return last.lines;
  const claimed = { for: head.forwardedFor, proto: head.forwardedProto, port: head.forwardedPort, host: head.forwardedHost };
  const forwarding = resolveForwarding(claimed, remoteAddress, context.encrypted, head.host, context.trust);
  const lines = `X-Forwarded-For: ${forwarding.for}\r\nX-Forwarded-Proto: ${forwarding.proto}\r\nX-Forwarded-Port: ${forwarding.port}\r\nX-Forwarded-Host: ${forwarding.host}\r\n`;
  if (claimsNone) unclaimed = { peer: remoteAddress, encrypted: context.encrypted, host: head.host, trust: context.trust, lines };
  return lines;
}

/**
 * Rewrites `req.headers` in place for node:http's lane (the proxy library copies them as they are): the hub's own
 * cookie is withheld unless the request goes to the hub app (`toHub`), and X-Forwarded-* set. Hop-by-hop fields
 * are taken off the outgoing request by {@link removeHopByHop}: the library reads the client's Connection here to
 * answer an HTTP/1.0 client.
 */
export function prepareForwardedHeaders(req: IncomingMessage, toHub = false, trust: TrustedProxies = TRUST_NOBODY): void {
  const headers = req.headers;
  if (!toHub) {
    const cookie = withoutHubCookies(headers.cookie);
    if (cookie === undefined) delete headers.cookie;
    else headers.cookie = cookie;
  }
  const encrypted = (req.socket as TLSSocket).encrypted === true;
  const joined = (name: string) => {
    const value = headers[name];
    return Array.isArray(value) ? value.join(',') : value;
  };
  const claimed = { for: joined('x-forwarded-for'), proto: joined('x-forwarded-proto'), port: joined('x-forwarded-port'), host: joined('x-forwarded-host') };
  const forwarding = resolveForwarding(claimed, req.socket.remoteAddress ?? '', encrypted, headers.host ?? '', trust);
  headers['x-forwarded-for'] = forwarding.for;
  headers['x-forwarded-proto'] = forwarding.proto;
  headers['x-forwarded-port'] = forwarding.port;
  headers['x-forwarded-host'] = forwarding.host;
}

/**
 * node:http's lane: takes the hop-by-hop fields of the client's request (`headers`), and those its Connection
 * names, off the request to the server before it is sent (node:http then says keep-alive for its pooled connection).
 * Not for WebSocket handshakes, which need their Connection and Upgrade.
 */
export function removeHopByHop(outgoing: { removeHeader(name: string): void }, headers: IncomingHttpHeaders): void {
  for (const name of connectionNamed(headers.connection)) outgoing.removeHeader(name);
  for (const name of HOP_BY_HOP) outgoing.removeHeader(name);
}

/**
 * Fields a Connection header may name that are kept all the same: a message's framing (the fast lane frames a
 * response by the fields it passes on; removing one would let a server make the client read the next response on
 * the connection as part of this one's body) and Host. `close` is an option, not a field.
 */
const NEVER_NAMED: ReadonlySet<string> = new Set(['content-length', 'transfer-encoding', 'host', 'close', '']);

/** The fields a Connection header (its value, or several joined by commas) names, less those above. */
function connectionNamed(connection: string | undefined): string[] {
  if (connection === undefined) return [];
  const names: string[] = [];
  for (const token of connection.split(',')) {
    const name = token.trim().toLowerCase();
    if (!NEVER_NAMED.has(name) && !HOP_BY_HOP.has(name)) names.push(name);
  }
  return names;
}

// ---- Responses: what a server's answer may carry to the client ----

/**
 * The fast lane's response head as it goes to the client, or null when the server's bytes pass unchanged (the
 * common case: no copy, and no string made of the head). Rewritten without hop-by-hop fields, saying
 * `Connection: close` when the lane ends the client connection after it (`close`), and, for a user's server
 * (`scope`), screened as {@link screenResponseHead} says. A lone `Connection: keep-alive` (or `close`) that is true
 * of the client connection too is left as it is.
 */
export function clientResponseHead(
  response: Pick<ResponseHead, 'raw' | 'hopByHop' | 'connection' | 'screen'>,
  close: boolean,
  scope: ServerScope | null,
): { head: string; screened: Screened | null } | null {
  const rewrite = response.hopByHop || close !== (response.connection === 'close');
  const screen = scope !== null && response.screen;
  if (!rewrite && !screen) return null;
  const raw = response.raw.toString('latin1');
  const text = rewrite ? withoutHopByHop(raw, close) : raw;
  const screened = screen ? screenResponseHead(text, scope) : null;
  if (screened !== null) return { head: screened.head, screened };
  return rewrite ? { head: `${text}\r\n\r\n`, screened: null } : null;
}

/** A raw head (without its final CRLFCRLF) without hop-by-hop fields, with `Connection: close` when `close`. */
function withoutHopByHop(text: string, close: boolean): string {
  const lines = text.split('\r\n');
  const connection = lines.filter((line) => fieldName(line) === 'connection').map((line) => line.slice(line.indexOf(':') + 1));
  const named = new Set(connectionNamed(connection.length > 0 ? connection.join(',') : undefined));
  let out = lines[0]!;
  for (let i = 1; i < lines.length; i++) {
    const name = fieldName(lines[i]!);
    if (!HOP_BY_HOP.has(name) && !named.has(name)) out += `\r\n${lines[i]}`;
  }
  return close ? `${out}\r\nConnection: close` : out;
}

function fieldName(line: string): string {
  return line.slice(0, line.indexOf(':')).toLowerCase();
}

/**
 * node:http's lane: removes hop-by-hop fields from a server's parsed response in place, before http-proxy-3 copies
 * it. http-proxy-3 then says `Connection: keep-alive` for an HTTP/1.1 client, so `close` (node:http will end the
 * client connection after this response) is said here.
 */
export function screenHopByHop(headers: IncomingHttpHeaders, close: boolean): void {
  for (const name of connectionNamed(headers.connection)) delete headers[name];
  for (const name of HOP_BY_HOP) delete headers[name];
  if (close) headers.connection = 'close';
}


/**
 * The hub's cookies (src/auth/sessions.ts, src/auth/github.ts; a test keeps this list in step). Listed by name
 * because a user's server could set them with its own Path, where the hub would still read them on a request
 * for that path; the Path rule below covers every other name the hub uses on `<base_url>hub/` (`_xsrf`).
 */
export const HUB_COOKIES: ReadonlySet<string> = new Set(['jupyterhub-hub-login', 'jupyterhub-session-id', 'berth-oauth-state']);

/** Response headers a user's server may never send, and why (said in the log line). */
const FORBIDDEN_HEADERS: Readonly<Record<string, string>> = {
  // A service worker registered with scope `/` would control the hub's pages and every other user's.
  'service-worker-allowed': 'would let a service worker control pages outside the server',
  // Clears the whole origin's cookies and storage: signs every visitor out of the hub.
  'clear-site-data': "would clear the hub's cookies and storage",
};

/** Where the response is going: the server's prefix and the path the browser asked for (for a cookie's default Path). */
export interface ServerScope {
  /** `<base_url>user/<name>`, without the trailing slash (JupyterHub's cookie path for a server). */
  prefix: string;
  /** The request's path as the browser sent it (a query is ignored). */
  requestPath: string;
}

export interface Dropped {
  header: string;
  /** The cookie's name for a Set-Cookie (never its value). */
  cookie?: string;
  why: string;
}

/** What becomes of one response header: passed as it is, dropped, or (a cookie) narrowed to the server's prefix. */
export type Verdict = { keep: true } | { keep: false; why: string } | { keep: true; narrowed: string };

const KEEP: Verdict = { keep: true };

interface SetCookie {
  name: string;
  /** The Path attribute that takes effect, or null when the browser derives it from the request. */
  path: string | null;
  domain: boolean;
}

/** The first rule a cookie breaks is the reason it is dropped. */
const COOKIE_RULES: readonly { why: string; breaks(cookie: SetCookie, path: string, scope: ServerScope): boolean }[] = [
  { why: "is one of the hub's cookies", breaks: (c) => HUB_COOKIES.has(unprefixed(c.name)) },
  { why: 'has a Domain attribute (it would reach other hosts)', breaks: (c) => c.domain },
  // The hub's pages or another user's: the server has no business there. An ancestor of the prefix (`/`) is
  // narrowed instead, below.
  { why: "has a Path outside the server's prefix", breaks: (_c, path, scope) => !withinPrefix(path, scope.prefix) && !pathMatches(scope.prefix, path) },
];

export function serverScope(baseUrl: string, userName: string, requestPath: string): ServerScope {
  return { prefix: `${baseUrl}user/${userName}`, requestPath };
}

/** A backend's scope: a user's server as {@link serverScope}, a service at `<base_url>services/<name>` (its prefix). */
export function backendScope(baseUrl: string, backend: Backend, requestPath: string): ServerScope {
  return backend.kind === 'user' ? serverScope(baseUrl, backend.name, requestPath) : { prefix: `${baseUrl}services/${backend.name}`, requestPath };
}

/** What may reach the browser of this response header. `name` is lower case. */
export function judgeHeader(name: string, value: string, scope: ServerScope): Verdict {
  const forbidden = FORBIDDEN_HEADERS[name];
  if (forbidden !== undefined) return { keep: false, why: forbidden };
  if (name !== 'set-cookie') return KEEP;
  const cookie = parseSetCookie(value);
  const path = cookie.path ?? defaultPath(scope.requestPath);
  for (const rule of COOKIE_RULES) if (rule.breaks(cookie, path, scope)) return { keep: false, why: rule.why };
  if (withinPrefix(path, scope.prefix)) return KEEP;
  // A Path that contains the prefix (`/`, `/user/`, or none on a request for `/user/alice`): servers that do not
  // know their base URL set cookies so, jupyterhub-singleuser before 4.1 its `_xsrf` at `/`. Narrowed to the
  // prefix, the cookie still works for the server and no longer reaches the hub's pages or other users'.
  return { keep: true, narrowed: withPath(value, `${scope.prefix}/`) };
}

/** The response fields {@link judgeHeader} may change: the fast lane's parser flags a head holding one (src/proxy/http1.ts). */
export const SCREENED_HEADERS: readonly string[] = ['set-cookie', ...Object.keys(FORBIDDEN_HEADERS)];

// The fast lane looks only at these lines: most heads have none of them and pass untouched, without a split.
const SCREENED_LINE = new RegExp(`\\r\\n(${SCREENED_HEADERS.join('|')})[ \\t]*:([^\\r]*)`, 'gi');

export interface Screened {
  dropped: Dropped[];
  /** Cookies kept with their Path narrowed to the prefix. */
  narrowed: string[];
}

/**
 * A raw response head (`text` is the head without its final CRLFCRLF, header names already checked as tokens):
 * null when it may pass unchanged, else the head to send instead (ending in CRLFCRLF) and what was changed.
 */
export function screenResponseHead(text: string, scope: ServerScope): (Screened & { head: string }) | null {
  let changes: Screened | null = null;
  let head = '';
  let keptFrom = 0;
  SCREENED_LINE.lastIndex = 0;
  for (let match = SCREENED_LINE.exec(text); match !== null; match = SCREENED_LINE.exec(text)) {
    const name = match[1]!.toLowerCase();
    const value = match[2]!.trim();
    const verdict = judgeHeader(name, value, scope);
    if (verdict === KEEP) continue;
    changes ??= { dropped: [], narrowed: [] };
    head += text.slice(keptFrom, match.index);
    keptFrom = match.index + match[0].length;
    if ('narrowed' in verdict) {
      changes.narrowed.push(parseSetCookie(value).name);
      head += `\r\nSet-Cookie: ${verdict.narrowed}`;
    } else if (!verdict.keep) {
      changes.dropped.push(describe(name, value, verdict.why));
    }
  }
  return changes === null ? null : { ...changes, head: `${head}${text.slice(keptFrom)}\r\n\r\n` };
}

/** The same rules on node:http's parsed headers, applied in place (http-proxy-3 copies them to the client after this). */
export function screenResponseHeaders(headers: IncomingHttpHeaders, scope: ServerScope): Screened {
  const changes: Screened = { dropped: [], narrowed: [] };
  for (const name of Object.keys(FORBIDDEN_HEADERS)) {
    if (headers[name] === undefined) continue;
    delete headers[name];
    changes.dropped.push({ header: name, why: FORBIDDEN_HEADERS[name]! });
  }
  const cookies = headers['set-cookie'];
  if (cookies !== undefined) {
    const kept: string[] = [];
    for (const value of cookies) {
      const verdict = judgeHeader('set-cookie', value, scope);
      if (verdict === KEEP) {
        kept.push(value);
      } else if ('narrowed' in verdict) {
        kept.push(verdict.narrowed);
        changes.narrowed.push(parseSetCookie(value).name);
      } else if (!verdict.keep) {
        changes.dropped.push(describe('set-cookie', value, verdict.why));
      }
    }
    if (kept.length === 0) delete headers['set-cookie'];
    else headers['set-cookie'] = kept;
  }
  return changes;
}

/**
 * One line per dropped header (the server and the cookie's name, never its value); narrowed cookies only at debug,
 * since an older single-user server narrows its `_xsrf` on every page.
 */
export function logScreened(log: Logger, backend: Backend, url: string, changes: Screened): void {
  const who = { [backend.kind]: backend.name };
  for (const d of changes.dropped) {
    log.warn({ ...who, header: d.header, cookie: d.cookie, why: d.why, url }, `dropped a header from a ${backend.kind === 'user' ? 'user server' : 'service'}'s response`);
  }
  for (const cookie of changes.narrowed) log.debug({ ...who, cookie, url }, `narrowed a ${backend.kind === 'user' ? 'user server' : 'service'}'s cookie to its prefix`);
}

function describe(name: string, value: string, why: string): Dropped {
  return name === 'set-cookie' ? { header: name, cookie: parseSetCookie(value).name, why } : { header: name, why };
}

/** The Set-Cookie value with every Path attribute replaced by `path`. */
function withPath(value: string, path: string): string {
  const parts = value.split(';');
  const kept = [parts[0]!];
  for (let i = 1; i < parts.length; i++) {
    const part = parts[i]!;
    if (!/^\s*path\s*(=|$)/i.test(part)) kept.push(part);
  }
  return `${kept.join(';')}; Path=${path}`;
}

/** Browsers ignore a Path attribute longer than this (RFC 6265bis) and use the default path instead. */
const MAX_ATTRIBUTE_BYTES = 1024;

/** As browsers read a Set-Cookie value (RFC 6265bis §5.6): the last Path wins, any Domain counts. */
function parseSetCookie(value: string): SetCookie {
  const parts = value.split(';');
  const pair = parts[0]!;
  const eq = pair.indexOf('=');
  // No '=' at all: browsers store a cookie with an empty name.
  const name = eq === -1 ? '' : pair.slice(0, eq).trim();
  let path: string | null = null;
  let domain = false;
  for (let i = 1; i < parts.length; i++) {
    const attribute = parts[i]!;
    const at = attribute.indexOf('=');
    const key = (at === -1 ? attribute : attribute.slice(0, at)).trim().toLowerCase();
    const attributeValue = at === -1 ? '' : attribute.slice(at + 1).trim();
    if (key === 'domain') domain = true;
    else if (key === 'path') path = attributeValue.startsWith('/') && attributeValue.length <= MAX_ATTRIBUTE_BYTES ? attributeValue : null;
  }
  return { name, path, domain };
}

/** `__Host-` and `__Secure-` change how a browser stores a cookie, not which name the hub would read. */
function unprefixed(name: string): string {
  return name.replace(/^__(host|secure)-/i, '');
}

/** RFC 6265 §5.1.4: the request path up to, not including, its last '/' ('/' when that is the first). */
function defaultPath(requestPath: string): string {
  const query = requestPath.indexOf('?');
  const path = query === -1 ? requestPath : requestPath.slice(0, query);
  const last = path.lastIndexOf('/');
  return last <= 0 ? '/' : path.slice(0, last);
}

/** RFC 6265 §5.1.4 path-match: a cookie with `cookiePath` is sent with a request for `requestPath`. */
function pathMatches(requestPath: string, cookiePath: string): boolean {
  if (!requestPath.startsWith(cookiePath)) return false;
  return requestPath.length === cookiePath.length || cookiePath.endsWith('/') || requestPath[cookiePath.length] === '/';
}

/** A cookie with this Path is sent only for requests under the prefix (cookie path-match, RFC 6265 §5.1.4). */
function withinPrefix(path: string, prefix: string): boolean {
  return path === prefix || path.startsWith(`${prefix}/`);
}
