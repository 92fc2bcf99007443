// Parsers for the human units hub.yaml accepts: durations ("30s", "2m", "14d") and sizes ("512M", "2G").
// Each returns null for input it cannot read, so the schema can phrase the error with its key and line.

const DURATION_UNITS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400, w: 604800 };
const SIZE_UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

/** Seconds, from a number of seconds or a string such as "90", "30s", "2m", "1.5h", "14d". */
export function parseDuration(value: unknown): number | null {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : null;
  if (typeof value !== 'string') return null;
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)?\s*$/i.exec(value);
  if (!match) return null;
  return Number(match[1]) * DURATION_UNITS[(match[2] ?? 's').toLowerCase()];
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
