// What a user's server may not say to a browser through the hub's origin: cookies the hub owns or that reach past
// the server's own prefix, and headers that act beyond that prefix. The one table both proxy paths apply; pure.
import type { IncomingHttpHeaders } from 'node:http';
import type { Logger } from '../log.js';

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

// The fast lane looks only at these lines: most heads have none of them and pass untouched, without a split.
const SCREENED_LINE = /\r\n(set-cookie|service-worker-allowed|clear-site-data)[ \t]*:([^\r]*)/gi;

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
export function logScreened(log: Logger, userName: string, url: string, changes: Screened): void {
  for (const d of changes.dropped) {
    log.warn({ user: userName, header: d.header, cookie: d.cookie, why: d.why, url }, "dropped a header from a user server's response");
  }
  for (const cookie of changes.narrowed) log.debug({ user: userName, cookie, url }, "narrowed a user server's cookie to its prefix");
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
