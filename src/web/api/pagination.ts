// JupyterHub's pagination: offset/limit (default 50, max 200), and with `Accept: application/jupyterhub-pagination+json`
// the {items, _pagination} envelope whose next.url is absolute (the culler follows it verbatim); a bare list otherwise.
import type { Context } from 'hono';
import { HttpError } from '../../errors.js';

export const PAGINATION_MEDIA = 'application/jupyterhub-pagination+json';
const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 200;

export interface Paging {
  offset: number;
  limit: number;
  envelope: boolean;
}

/** `defaultLimit` replaces the API's defaults (50 with the envelope, 200 without), e.g. for a page rendered for a browser. */
export function parsePaging(c: Context, defaultLimit?: number): Paging {
  const envelope = (c.req.header('accept') ?? '').includes(PAGINATION_MEDIA);
  const int = (key: string, fallback: number) => {
    const raw = c.req.query(key);
    if (raw === undefined || raw === '') return fallback;
    if (!/^-?\d+$/.test(raw)) throw new HttpError(400, `${key} must be an integer, got ${JSON.stringify(raw)}`);
    return Number(raw);
  };
  const offset = Math.max(0, int('offset', 0));
  // Without the envelope a client cannot see that it got a partial list, so it gets as much as allowed.
  const limit = Math.min(MAX_LIMIT, Math.max(1, int('limit', defaultLimit ?? (envelope ? DEFAULT_LIMIT : MAX_LIMIT))));
  return { offset, limit, envelope };
}

/** One page of `all` in the shape the request asked for. `all` is the full, filtered, ordered list; `toModel` runs on the page only. */
export function paginate<T>(c: Context, paging: Paging, all: T[], toModel: (item: T) => unknown = (item) => item): unknown {
  return pageResponse(c, paging, all.slice(paging.offset, paging.offset + paging.limit).map(toModel), all.length);
}

/** A page already cut (e.g. by LIMIT/OFFSET in SQL), as is or in the envelope; `total` = every match. /proxy's page is a dict. */
export function pageResponse(c: Context, paging: Paging, items: unknown, total: number): unknown {
  if (!paging.envelope) return items;
  const nextOffset = paging.offset + paging.limit;
  let next: { offset: number; limit: number; url: string } | null = null;
  if (nextOffset < total) {
    const url = new URL(c.req.url);
    url.searchParams.set('offset', String(nextOffset));
    url.searchParams.set('limit', String(paging.limit));
    next = { offset: nextOffset, limit: paging.limit, url: url.toString() };
  }
  return { items, _pagination: { offset: paging.offset, limit: paging.limit, total, next } };
}
