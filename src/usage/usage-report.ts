// Usage as admins read it: the query (a range of UTC days, one group or all) parsed once from the request, the
// day rows summed per user and per group, and the CSV export. Peak memory is the highest any one server of the user
// (or group) reached that day: peaks of different servers happen at different times, so they are not added.
import { HttpError } from '../errors.js';
import type { GroupStore } from '../groups/store.js';
import type { UserStore } from '../users/store.js';
import { addDays, dayOf, daysBetween, parseDay } from './usage-days.js';
import type { UsageRow, UsageStore } from './usage-store.js';

export interface UsageQuery {
  since: string;
  until: string;
  /** Only this group's (current) members; null: everyone. */
  group: string | null;
  format: 'json' | 'csv';
}

export interface UsageTotals {
  server_hours: number;
  cpu_seconds: number;
  peak_memory_bytes: number;
}

export interface UsageReport {
  since: string;
  until: string;
  group: string | null;
  /** One entry per user and day with any use. */
  users: ({ name: string; day: string } & UsageTotals)[];
  /** One entry per group and day with any use by its members. */
  groups: ({ name: string; day: string; users: number } & UsageTotals)[];
}

/** The default range: the 30 days up to today. The longest: 366 days, so one answer stays a reasonable size. */
export const DEFAULT_DAYS = 30;
export const MAX_DAYS = 366;

/** Reads ?since=&until=&group=&format= (days as YYYY-MM-DD, UTC, both counted); a bad value is a 400 naming it. */
export function parseUsageQuery(query: (name: string) => string | undefined, now: number): UsageQuery {
  const day = (name: string, fallback: string): string => {
    const raw = query(name);
    if (raw === undefined || raw === '') return fallback;
    const parsed = parseDay(raw);
    if (parsed === null) throw new HttpError(400, `${name}=${JSON.stringify(raw)} is not a day; use YYYY-MM-DD (UTC), e.g. ${dayOf(now)}`);
    return parsed;
  };
  const until = day('until', dayOf(now));
  const since = day('since', addDays(until, -(DEFAULT_DAYS - 1)));
  if (since > until) throw new HttpError(400, `since (${since}) is after until (${until})`);
  if (daysBetween(since, until) > MAX_DAYS) throw new HttpError(400, `since…until spans ${daysBetween(since, until)} days; ask for at most ${MAX_DAYS} at a time`);
  const format = query('format') ?? 'json';
  if (format !== 'json' && format !== 'csv') throw new HttpError(400, `format=${JSON.stringify(format)} is not known; use json or csv`);
  const group = query('group');
  return { since, until, group: group === undefined || group === '' ? null : group, format };
}

export interface UsageSources {
  store: Pick<UsageStore, 'rows'>;
  /** Member names of a group; null when there is no such group. */
  members(group: string): string[] | null;
  /** Group names of each user (a user in no group is absent). */
  groupsOf(userNames: readonly string[]): Map<string, string[]>;
}

/** The rows the query asks for; 404 for an unknown group. */
export function usageRows(sources: UsageSources, query: UsageQuery): UsageRow[] {
  if (query.group === null) return sources.store.rows(query.since, query.until);
  const members = sources.members(query.group);
  if (members === null) throw new HttpError(404, `No such group: ${query.group}`);
  return sources.store.rows(query.since, query.until, members);
}

export function usageReport(sources: UsageSources, query: UsageQuery): UsageReport {
  const rows = usageRows(sources, query);
  const users = new Map<string, { name: string; day: string } & Sums>();
  for (const row of rows) add(users, `${row.day}\0${row.userName}`, { name: row.userName, day: row.day }, row);
  const groupsOf = sources.groupsOf([...new Set(rows.map((r) => r.userName))]);
  const groups = new Map<string, { name: string; day: string; members: Set<string> } & Sums>();
  for (const row of rows) {
    for (const group of groupsOf.get(row.userName) ?? []) {
      if (query.group !== null && group !== query.group) continue;
      const entry = add(groups, `${row.day}\0${group}`, { name: group, day: row.day, members: new Set<string>() }, row);
      entry.members.add(row.userName);
    }
  }
  return {
    since: query.since,
    until: query.until,
    group: query.group,
    users: [...users.values()].map(({ name, day, ...sums }) => ({ name, day, ...totals(sums) })),
    groups: [...groups.values()].sort((a, b) => a.day.localeCompare(b.day) || a.name.localeCompare(b.name))
      .map(({ name, day, members, ...sums }) => ({ name, day, users: members.size, ...totals(sums) })),
  };
}

/** One line per user, server and day: the finest grain, for spreadsheets. */
export function usageCsv(sources: UsageSources, query: UsageQuery): string {
  const lines = ['day,user,server,server_hours,cpu_seconds,peak_memory_bytes'];
  for (const row of usageRows(sources, query)) {
    const t = totals({ seconds: row.serverSeconds, cpu: row.cpuSeconds, peak: row.peakMemoryBytes });
    lines.push([row.day, csvText(row.userName), csvText(row.serverName), t.server_hours, t.cpu_seconds, t.peak_memory_bytes].join(','));
  }
  return `${lines.join('\r\n')}\r\n`;
}

interface Sums {
  seconds: number;
  cpu: number;
  peak: number;
}

function add<T extends object>(into: Map<string, T & Sums>, key: string, fresh: T, row: UsageRow): T & Sums {
  let entry = into.get(key);
  if (entry === undefined) into.set(key, (entry = { ...fresh, seconds: 0, cpu: 0, peak: 0 }));
  entry.seconds += row.serverSeconds;
  entry.cpu += row.cpuSeconds;
  entry.peak = Math.max(entry.peak, row.peakMemoryBytes);
  return entry;
}

/** Hours to six places (under a tenth of a second) and CPU to the millisecond: more digits would be noise. */
function totals(s: Sums): UsageTotals {
  return { server_hours: Number((s.seconds / 3600).toFixed(6)), cpu_seconds: Number(s.cpu.toFixed(3)), peak_memory_bytes: s.peak };
}

/**
 * A name as a CSV field: quoted when it holds a comma, quote or line break, and never read as a formula by a
 * spreadsheet (a leading =, +, - or @ gets a ' first, as OWASP advises).
 */
function csvText(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** The sources from the hub's stores: group membership is read when asked, so reports follow today's groups. */
export function usageSources(
  store: Pick<UsageStore, 'rows'>,
  users: Pick<UserStore, 'get'>,
  groups: Pick<GroupStore, 'get' | 'members' | 'groupsOfUsers'>,
): UsageSources {
  return {
    store,
    members: (group) => (groups.get(group) === null ? null : groups.members(group)),
    groupsOf(userNames) {
      const known = userNames.map((name) => users.get(name)).filter((u) => u !== null);
      const byId = groups.groupsOfUsers(known.map((u) => u.id));
      return new Map(known.map((u) => [u.name, byId.get(u.id) ?? []]));
    },
  };
}
