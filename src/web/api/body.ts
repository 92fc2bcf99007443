// Request bodies: bounded before anything reads them (one middleware for the whole hub app), and the JSON API's
// parsed once at the boundary. Too large is a 413 naming the limit; a bad body is a 400 saying what was expected.
import type { Context, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
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
    if (c.req.raw.body === null) return next();
    return (FORM_TYPE.test(c.req.header('content-type') ?? '') ? form : other)(c, next);
  };
}

/** The JSON body, or `fallback` when there is none. */
export async function readJson(c: Context, fallback: unknown = undefined): Promise<unknown> {
  const text = await c.req.text();
  if (text.trim() === '') {
    if (fallback === undefined) throw new HttpError(400, 'Request body is empty; send a JSON object');
    return fallback;
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new HttpError(400, 'Request body is not valid JSON');
  }
}

export async function readJsonObject(c: Context, fallback?: Record<string, unknown>): Promise<Record<string, unknown>> {
  const body = await readJson(c, fallback);
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new HttpError(400, 'Request body must be a JSON object');
  return body as Record<string, unknown>;
}

export function stringList(value: unknown, key: string): string[] {
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) {
    throw new HttpError(400, `${key} must be a list of strings`);
  }
  return value as string[];
}
