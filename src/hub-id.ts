// The hub's identity on the Docker engine: a random id made on first boot and kept in the settings table.
// It goes on every container's `berth.hub` label, so a hub only ever adopts or removes its own containers.
import { randomBytes } from 'node:crypto';
import { eq } from 'drizzle-orm';
import type { Db } from './db/open.js';
import { settings } from './db/schema.js';

const KEY = 'hub_id';

export function loadHubId(db: Db): string {
  const read = () => db.select().from(settings).where(eq(settings.key, KEY)).get()?.value;
  const existing = read();
  if (existing) return existing;
  db.insert(settings).values({ key: KEY, value: randomBytes(8).toString('hex') }).onConflictDoNothing().run();
  return read() as string;
}
