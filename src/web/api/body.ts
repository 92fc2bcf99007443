// Request bodies: bounded before anything reads them (one middleware for the whole hub app), and the JSON API's
// parsed once at the boundary by a schema (bodies.ts). Too large is a 413 naming the limit; a bad body is a 400
// naming the field and what was expected.
import type { Context, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { z } from 'zod';
import { HttpError } from '../../errors.js';

/** Forms (sign-in, spawn, consent, the OAuth token endpoint) carry a few fields; JSON bodies a user list at most. */
export const BODY_LIMITS = { formBytes: 64 * 1024, otherBytes: 1024 * 1024 } as const;

const FORM_TYPE = /^\s*(application\/x-www-form-urlencoded|multipart\/form-data)\s*(;|$)/i;

/**
 * Refuses a body over its limit with 413: by its Content-Length before reading a byte, or while reading a chunked
 * one, so no route, nor the XSRF check looking for a form's _xsrf, ever holds more than the limit in memory.
 */
export function boundedBodies(): MiddlewareHandler {
  const limit = (maxSize: number, what: string) => bodyLimit({
    maxSize,
    onError: (c) => {
      throw new HttpError(413, `The ${what} sent to ${c.req.path} is too large: ${maxSize / 1024} KiB at most.`);
    },
  });
  const form = limit(BODY_LIMITS.formBytes, 'form');
  const other = limit(BODY_LIMITS.otherBytes, 'body');
  return function boundedBodies(c, next) {
    // GET and HEAD never carry a body here (Request refuses one); asking raw.body built a whole Request per call.
    if (c.req.method === 'GET' || c.req.method === 'HEAD' || c.req.raw.body === null) return next();
    return (FORM_TYPE.test(c.req.header('content-type') ?? '') ? form : other)(c, next);
  };
}

/**
 * The JSON body parsed by `schema`, once, at the boundary: a 400 when it is missing (and `empty` is not given), is
 * not JSON, or does not match, whose message names the field and what was wrong.
 */
export async function parseJsonBody<S extends z.ZodType>(c: Context, schema: S, options: { empty?: z.input<S> } = {}): Promise<z.output<S>> {
  const text = await c.req.text();
  let body: unknown;
  if (text.trim() === '') {
    if (!('empty' in options)) throw new HttpError(400, 'Request body is empty; send a JSON object');
    body = options.empty;
  } else {
    try {
      body = JSON.parse(text) as unknown;
    } catch {
      throw new HttpError(400, 'Request body is not valid JSON');
    }
  }
  const parsed = schema.safeParse(body, { reportInput: true });
  if (!parsed.success) throw new HttpError(400, describeIssues(parsed.error.issues));
  return parsed.data;
}

/** One sentence per field at fault (its first problem), naming it: `admin must be true or false, got "yes"`. */
export function describeIssues(issues: readonly z.core.$ZodIssue[]): string {
  const byField = new Map<string, string>();
  for (const issue of issues) {
    const where = fieldPath(issue.path);
    if (byField.has(where)) continue;
    const message = issue.message;
    byField.set(where, where === '' || message.startsWith(where) ? message : /^[a-z]/.test(message) ? `${where} ${message}` : `${where}: ${message}`);
  }
  return [...byField.values()].join('; ');
}

/** `servers[""].last_activity`, `usernames[2]`, `admin`. */
function fieldPath(path: readonly PropertyKey[]): string {
  return path.map((key, i) => {
    if (typeof key === 'number') return `[${key}]`;
    const name = String(key);
    if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) return i === 0 ? name : `.${name}`;
    return `[${JSON.stringify(name)}]`;
  }).join('');
}
