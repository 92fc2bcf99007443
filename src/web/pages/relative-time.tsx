// Times on pages: "3 minutes ago" rendered on the server, the exact time on hover, and the one rule that words an
// age, shared verbatim with the browser script that keeps the words fresh (static-assets.ts sends its source).
import { markup, type Markup } from './markup.js';

/** Words for the distance from `now` to `then` (ms since the epoch). Self-contained: its source runs in the browser. */
export function describeAge(then: number, now: number): string {
  const seconds = Math.round((now - then) / 1000);
  const size = Math.abs(seconds);
  if (size < 45) return seconds < 0 ? 'in a few seconds' : 'just now';
  const units: [number, string][] = [[60, 'minute'], [3600, 'hour'], [86400, 'day'], [2592000, 'month'], [31536000, 'year']];
  let unit = units[0];
  for (const u of units) if (size >= u[0] * 0.9) unit = u;
  const n = Math.max(1, Math.round(size / unit[0]));
  const words = `${n} ${unit[1]}${n === 1 ? '' : 's'}`;
  return seconds < 0 ? `in ${words}` : `${words} ago`;
}

/** The exact time as the server words it (UTC), from toISOString(); the browser script replaces it with the reader's local time. */
function exactTime(iso: string): string {
  return `${iso.slice(0, 19).replace('T', ' ')} UTC`;
}

/**
 * `<time>` with a relative text and the exact time as its title; `none` when there is no time. Markup rather than
 * JSX: the admin page shows one per row (markup.ts); as a component it renders the same.
 */
export function RelativeTime(props: { at: Date | null; none?: string; now?: number }): Markup {
  if (props.at === null) return markup`<span class="text-body-secondary">${props.none ?? 'never'}</span>`;
  const iso = props.at.toISOString();
  return markup`<time datetime="${iso}" title="${exactTime(iso)}" data-relative="">${describeAge(props.at.getTime(), props.now ?? Date.now())}</time>`;
}
