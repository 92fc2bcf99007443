// Owns the usage table: one row per user, server and UTC day, added to in place at every sample, so a long-running
// hub keeps a bounded, queryable record. The server's latest row also says where the next sample goes on from.
import { and, asc, desc, eq, gte, inArray, lte, sql } from 'drizzle-orm';
import type { Db } from '../db/open.js';
import { usage, type Usage } from '../db/schema.js';

/** What one sample adds to one day of one server. */
export interface UsageAddition {
  userName: string;
  serverName: string;
  day: string;
  serverSeconds: number;
  cpuSeconds: number;
  /** The day's peak is the highest of these. */
  memoryBytes: number;
  /** Set on the row of the sample's own day: where the next sample goes on from. */
  continuation?: { containerId: string; cpuNs: number | null; accountedUntil: Date };
}

export type UsageRow = Pick<Usage, 'userName' | 'serverName' | 'day' | 'serverSeconds' | 'cpuSeconds' | 'peakMemoryBytes'>;

export interface UsageStore {
  /** Adds every addition in one transaction. */
  add(additions: readonly UsageAddition[]): void;
  /** Where a server's accounting stopped: its latest row's continuation, or null. */
  continuation(userName: string, serverName: string): UsageAddition['continuation'] | null;
  /** Rows of days `since`…`until` (both counted), of these users only when given, by day, user and server. */
  rows(since: string, until: string, users?: readonly string[]): UsageRow[];
}

export function createUsageStore(db: Db): UsageStore {
  const upsert = db.$client.prepare(`
    INSERT INTO usage (user_name, server_name, day, server_seconds, cpu_seconds, peak_memory_bytes, container_id, cpu_ns, accounted_until)
    VALUES (@userName, @serverName, @day, @serverSeconds, @cpuSeconds, @memoryBytes, @containerId, @cpuNs, @accountedUntil)
    ON CONFLICT (user_name, server_name, day) DO UPDATE SET
      server_seconds = server_seconds + excluded.server_seconds,
      cpu_seconds = cpu_seconds + excluded.cpu_seconds,
      peak_memory_bytes = max(peak_memory_bytes, excluded.peak_memory_bytes),
      container_id = coalesce(excluded.container_id, container_id),
      cpu_ns = CASE WHEN excluded.container_id IS NULL THEN cpu_ns ELSE excluded.cpu_ns END,
      accounted_until = coalesce(excluded.accounted_until, accounted_until)`);
  const addAll = db.$client.transaction((additions: readonly UsageAddition[]) => {
    for (const a of additions) {
      upsert.run({
        userName: a.userName, serverName: a.serverName, day: a.day, serverSeconds: a.serverSeconds, cpuSeconds: a.cpuSeconds,
        memoryBytes: Math.round(a.memoryBytes), containerId: a.continuation?.containerId ?? null, cpuNs: a.continuation?.cpuNs ?? null,
        accountedUntil: a.continuation?.accountedUntil.getTime() ?? null,
      });
    }
  });
  const latest = db.select({ containerId: usage.containerId, cpuNs: usage.cpuNs, accountedUntil: usage.accountedUntil }).from(usage)
    .where(and(eq(usage.userName, sql.placeholder('userName')), eq(usage.serverName, sql.placeholder('serverName')), sql`${usage.containerId} IS NOT NULL`))
    .orderBy(desc(usage.day)).limit(1).prepare();
  const columns = {
    userName: usage.userName, serverName: usage.serverName, day: usage.day,
    serverSeconds: usage.serverSeconds, cpuSeconds: usage.cpuSeconds, peakMemoryBytes: usage.peakMemoryBytes,
  };
  return {
    add: (additions) => void addAll(additions),
    continuation(userName, serverName) {
      const row = latest.get({ userName, serverName });
      if (!row?.containerId || !row.accountedUntil) return null;
      return { containerId: row.containerId, cpuNs: row.cpuNs, accountedUntil: row.accountedUntil };
    },
    rows(since, until, users) {
      const range = and(gte(usage.day, since), lte(usage.day, until));
      return db.select(columns).from(usage).where(users === undefined ? range : and(range, inArray(usage.userName, [...users])))
        .orderBy(asc(usage.day), asc(usage.userName), asc(usage.serverName)).all();
    },
  };
}
