// Escaped-by-default HTML templates for the parts of a page repeated per row (the admin page's 50 users): hono/jsx
// builds a node and a props object per element and renders them through a growing string, about 1 MB of garbage for
// one admin page, which cost more than the rest of the request (bench/scale). The result is hono's escaped string,
// so JSX takes it as a child (and a component may return it) without escaping it again.
import { raw } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';

export type Markup = HtmlEscapedString;

/** A value in a template: text (escaped), markup (as is), a list of either, or nothing (null, undefined, false). */
export type MarkupValue = string | number | Markup | null | undefined | false | readonly MarkupValue[];

/**
 * markup`<td data-user="${name}">${cell}</td>`: every interpolated string is escaped as hono/jsx escapes text and
 * attribute values (& < > " '), so an attribute value must sit inside double quotes, as here.
 */
export function markup(strings: TemplateStringsArray, ...values: MarkupValue[]): Markup {
  let out = strings[0];
  for (let i = 0; i < values.length; i++) out += piece(values[i]) + strings[i + 1];
  return raw(out);
}

function piece(value: MarkupValue): string {
  if (typeof value === 'string') return escapeHtml(value);
  if (value === null || value === undefined || value === false) return '';
  if (typeof value === 'number') return String(value);
  if (Array.isArray(value)) return value.map(piece).join('');
  // An escaped string from markup``, hono's raw() or a rendered component: a String object marked isEscaped.
  if ((value as { isEscaped?: boolean }).isEscaped === true) return String(value);
  throw new TypeError(`markup: cannot place a ${typeof value} in a page`);
}

const SPECIAL = /[&<>"']/;
const ENTITY: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** The entities hono/jsx writes, so a row reads the same whichever of the two rendered it. */
function escapeHtml(text: string): string {
  return SPECIAL.test(text) ? text.replace(/[&<>"']/g, (c) => ENTITY[c]) : text;
}
