// UTC days, the unit usage is kept and reported in: `YYYY-MM-DD` strings, parsed once at the API's edge.

const DAY_MS = 86_400_000;

/** The UTC day of a moment (epoch ms). */
export function dayOf(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** A `YYYY-MM-DD` that is a real calendar day, or null. */
export function parseDay(value: string): string | null {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return null;
  const ms = Date.parse(`${value}T00:00:00Z`);
  return Number.isNaN(ms) || dayOf(ms) !== value ? null : value;
}

/** `day` moved by `days` (negative: back). */
export function addDays(day: string, days: number): string {
  return dayOf(Date.parse(`${day}T00:00:00Z`) + days * DAY_MS);
}

/** Days from `since` to `until`, both counted. */
export function daysBetween(since: string, until: string): number {
  return Math.round((Date.parse(`${until}T00:00:00Z`) - Date.parse(`${since}T00:00:00Z`)) / DAY_MS) + 1;
}

/** The time from `from` to `to` (epoch ms) cut at UTC midnights: seconds per day, in order. */
export function splitByDay(from: number, to: number): { day: string; seconds: number }[] {
  const parts: { day: string; seconds: number }[] = [];
  let at = from;
  while (at < to) {
    const midnight = (Math.floor(at / DAY_MS) + 1) * DAY_MS;
    const end = Math.min(midnight, to);
    parts.push({ day: dayOf(at), seconds: (end - at) / 1000 });
    at = end;
  }
  return parts;
}
