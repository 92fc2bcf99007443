// The swarm volume pins (table swarm_volume_nodes): which node holds each local named volume. Only the swarm spawner
// reads and writes them, through the VolumePins contract; a pin is never moved, since the files stay on that node.
import { eq } from 'drizzle-orm';
import type { Db } from '../db/open.js';
import { swarmVolumeNodes } from '../db/schema.js';
import type { VolumePins } from '../spawner/swarm/swarm-spawner.js';

export function createVolumePins(db: Db, now: () => Date = () => new Date()): VolumePins {
  return {
    get(volume) {
      const row = db.select().from(swarmVolumeNodes).where(eq(swarmVolumeNodes.volume, volume)).get();
      return row ? { nodeId: row.nodeId, nodeName: row.nodeName } : null;
    },
    record(volume, node) {
      db.insert(swarmVolumeNodes).values({ volume, nodeId: node.nodeId, nodeName: node.nodeName, createdAt: now() })
        .onConflictDoNothing().run();
    },
  };
}
