// Request bodies of the JSON API, parsed once at the boundary: a bad body is a 400 that says what was expected.
import type { Context } from 'hono';
import { HttpError } from '../../errors.js';

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
