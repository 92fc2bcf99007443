// A value as hub pages show it: escaped the way hono/jsx escapes text and attributes (&, <, >, ", ').
import { html } from 'hono/html';

export function escaped(value: string): string {
  return String(html`${value}`);
}
