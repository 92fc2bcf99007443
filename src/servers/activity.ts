// Last activity of servers and their users, noted on every proxied request but written in batches, so the proxy's
// hot path does no database write. Timestamps only move forward.
import { and, eq, sql } from 'drizzle-orm';
import type { Db } from '../db/open.js';
import { servers, users } from '../db/schema.js';

export interface ActivityBatch {
  /** `serverName` '' is the default server. */
  note(userName: string, at: number, serverName?: string): void;
  flush(): void;
  close(): void;
}

/** What the proxy and the servers themselves report; both are batched. */
export interface ActivityNotes {
  /** Records traffic for one of the user's servers ('' the default one) now; cheap, written to the database in batches. */
  noteActivity(userName: string, serverName?: string): void;
  /** Moves the server's last activity forward to `at` (activity reported by the server itself); batched too. */
  recordActivity(userName: string, at: Date, serverName?: string): void;
}

export function createActivityBatch(db: Db, flushMs: number): ActivityBatch {
  // Keyed by user and server name, apart by a NUL (neither name can hold one).
  const pending = new Map<string, number>();
  const flush = () => {
    if (pending.size === 0) return;
    const batch = [...pending];
    pending.clear();
    db.transaction((tx) => {
      for (const [key, at] of batch) {
        const [name, serverName] = key.split('\0') as [string, string];
        const user = tx.select({ id: users.id }).from(users).where(eq(users.name, name)).get();
        if (!user) continue;
        const when = new Date(at);
        tx.update(servers).set({ lastActivity: when })
          .where(and(eq(servers.userId, user.id), eq(servers.name, serverName), sql`coalesce(${servers.lastActivity}, 0) < ${at}`)).run();
        tx.update(users).set({ lastActivity: when })
          .where(and(eq(users.id, user.id), sql`coalesce(${users.lastActivity}, 0) < ${at}`)).run();
      }
    });
  };
  const timer = setInterval(flush, flushMs);
  timer.unref();
  return {
    note(userName, at, serverName = '') {
      const key = `${userName}\0${serverName}`;
      pending.set(key, Math.max(pending.get(key) ?? 0, at));
    },
    flush,
    close() {
      clearInterval(timer);
      flush();
    },
  };
}
