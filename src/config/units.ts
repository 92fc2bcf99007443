// Parsers for the human units hub.yaml accepts: durations ("30s", "2m", "14d") and sizes ("512M", "2G").
// Each returns null for input it cannot read, so the schema can phrase the error with its key and line.

const DURATION_UNITS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400, w: 604800 };
const SIZE_UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

/**
 * The longest duration hub.yaml accepts: 100 years. Anything longer is a typo or an attempt at "never", and past
 * about 285,000 years a date computed from it is invalid (Date holds ±8.64e15 ms), which code reads as "no limit".
 */
export const MAX_DURATION_SECONDS = 100 * 365 * 86400;

/** Seconds, from a number of seconds or a string such as "90", "30s", "2m", "1.5h", "14d"; null past 100 years. */
export function parseDuration(value: unknown): number | null {
  const seconds = readDuration(value);
  return seconds !== null && seconds <= MAX_DURATION_SECONDS ? seconds : null;
}

/** Whether `value` reads as a duration, but one longer than MAX_DURATION_SECONDS (infinity included). */
export function isOverlongDuration(value: unknown): boolean {
  const seconds = readDuration(value);
  return seconds !== null && seconds > MAX_DURATION_SECONDS;
}

function readDuration(value: unknown): number | null {
  let seconds: number;
  if (typeof value === 'number') seconds = value;
  else if (typeof value !== 'string') return null;
  else {
    const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)?\s*$/i.exec(value);
    if (!match) return null;
    seconds = Number(match[1]) * DURATION_UNITS[(match[2] ?? 's').toLowerCase()];
  }
  return Number.isNaN(seconds) || seconds < 0 ? null : seconds;
}

/** Bytes, from a number of bytes or a Docker-style size such as "512M", "2G", "1.5g", "100k". */
export function parseSize(value: unknown): number | null {
  if (typeof value === 'number') return Number.isInteger(value) && value > 0 ? value : null;
  if (typeof value !== 'string') return null;
  const match = /^\s*(\d+(?:\.\d+)?)\s*([bkmgt]?)(?:i?b)?\s*$/i.exec(value);
  if (!match) return null;
  const bytes = Math.floor(Number(match[1]) * SIZE_UNITS[match[2].toLowerCase()]);
  return bytes > 0 ? bytes : null;
}
