// The open connections of each client address, in one table that every proxy thread shares (a SharedArrayBuffer),
// so that hub.max_connections_per_client holds for the whole hub however many threads accept on the public port.
// Each thread counts in its own column, so a thread that dies can be subtracted without knowing its sockets.
//
// Layout (Int32): [lock, used, slots…]; a slot is [tag, hi, lo, count of thread 0, count of thread 1, …], tag 0 = empty.
// Open addressing with linear probing; a slot whose counts all reach 0 is removed by backward shifting, so the table
// holds only the clients with a connection open now. Accepting and closing a connection take the lock once each:
// a few dozen instructions per connection, never per request.

/** A client key as three integers: its kind (4, 6 or 1 for an address neither parses) and up to 64 bits of address. */
type Key = [tag: number, hi: number, lo: number];

const LOCK = 0;
const USED = 1;
const HEADER = 2;
const KEY_INTS = 3;
/** Room for this many clients with connections open at once; beyond it new clients are let in uncounted. */
export const CLIENT_TABLE_SLOTS = 1 << 15;
const MAX_USED = (CLIENT_TABLE_SLOTS * 3) / 4;

export interface ClientTable {
  /** Counts a connection of `client` for this thread when the client's total stays within `max` (0: no cap). */
  tryAdd(client: string, max: number): 'added' | 'over' | 'full';
  /** The client's total across threads. */
  total(client: string): number;
  /** Un-counts one connection `tryAdd` counted for this thread. */
  remove(client: string): void;
}

/** A table for `threads` threads; pass the buffer to each, with its index, through `openClientTable`. */
export function createClientTableBuffer(threads: number): SharedArrayBuffer {
  return new SharedArrayBuffer((HEADER + CLIENT_TABLE_SLOTS * (KEY_INTS + threads)) * 4);
}

export function openClientTable(buffer: SharedArrayBuffer, thread: number): ClientTable {
  const table = new Int32Array(buffer);
  const width = (table.length - HEADER) / CLIENT_TABLE_SLOTS;
  const threads = width - KEY_INTS;
  if (!Number.isInteger(width) || thread < 0 || thread >= threads) throw new Error(`client table: no column ${thread} in a table for ${threads} threads`);
  const owner = thread + 1;

  const slotOf = (key: Key): number => {
    let i = hash(key) & (CLIENT_TABLE_SLOTS - 1);
    for (;;) {
      const at = HEADER + i * width;
      if (table[at] === 0 || (table[at] === key[0] && table[at + 1] === key[1] && table[at + 2] === key[2])) return at;
      i = (i + 1) & (CLIENT_TABLE_SLOTS - 1);
    }
  };
  const sum = (at: number): number => {
    let total = 0;
    for (let c = 0; c < threads; c++) total += table[at + KEY_INTS + c]!;
    return total;
  };

  return {
    tryAdd(client, max) {
      const key = encodeClient(client);
      return locked(table, owner, () => {
        const at = slotOf(key);
        if (table[at] === 0) {
          if (table[USED]! >= MAX_USED) return 'full';
          table.set(key, at);
          table[USED]!++;
        } else if (max > 0 && sum(at) >= max) {
          return 'over';
        }
        table[at + KEY_INTS + thread]!++;
        return 'added';
      });
    },
    total(client) {
      const key = encodeClient(client);
      return locked(table, owner, () => {
        const at = slotOf(key);
        return table[at] === 0 ? 0 : sum(at);
      });
    },
    remove(client) {
      const key = encodeClient(client);
      locked(table, owner, () => {
        const at = slotOf(key);
        if (table[at] === 0 || table[at + KEY_INTS + thread]! === 0) return;
        table[at + KEY_INTS + thread]!--;
        if (sum(at) === 0) deleteSlot(table, width, at);
      });
    },
  };
}

/**
 * Drops what a thread that is gone had counted (its sockets closed with it), and the lock if it died holding it.
 * Called by the hub thread, which started it, once the thread has exited.
 */
export function clearClientTableColumn(buffer: SharedArrayBuffer, thread: number): void {
  const table = new Int32Array(buffer);
  const width = (table.length - HEADER) / CLIENT_TABLE_SLOTS;
  // A thread ended by terminate() can stop anywhere, also inside a critical section: it will never release.
  Atomics.compareExchange(table, LOCK, thread + 1, 0);
  locked(table, -1, () => {
    let at = HEADER;
    while (at < table.length) {
      if (table[at] !== 0 && table[at + KEY_INTS + thread]! !== 0) {
        table[at + KEY_INTS + thread] = 0;
        let total = 0;
        for (let c = KEY_INTS; c < width; c++) total += table[at + c]!;
        // Deleting shifts a later slot into this one: look at the same slot again.
        if (total === 0 && deleteSlot(table, width, at)) continue;
      }
      at += width;
    }
  });
}

/** Holds the table's lock (value: the holder, thread index + 1) while `work` runs; waits in the kernel, not spinning. */
function locked<T>(table: Int32Array, owner: number, work: () => T): T {
  for (;;) {
    const held = Atomics.compareExchange(table, LOCK, 0, owner);
    if (held === 0) break;
    Atomics.wait(table, LOCK, held, 50);
  }
  try {
    return work();
  } finally {
    Atomics.store(table, LOCK, 0);
    Atomics.notify(table, LOCK, 1);
  }
}

/** Empties the slot at `at` and moves later slots of its probe run back, so lookups never stop at a hole; true if a slot moved into `at`. */
function deleteSlot(table: Int32Array, width: number, at: number): boolean {
  const mask = CLIENT_TABLE_SLOTS - 1;
  const indexOf = (offset: number) => (offset - HEADER) / width;
  let hole = indexOf(at);
  let i = hole;
  let filledStart = false;
  for (;;) {
    i = (i + 1) & mask;
    const next = HEADER + i * width;
    if (table[next] === 0) break;
    const home = hash([table[next]!, table[next + 1]!, table[next + 2]!]) & mask;
    // The entry at i may move to the hole only if its home is not cyclically within (hole, i].
    const stays = hole <= i ? home > hole && home <= i : home > hole || home <= i;
    if (stays) continue;
    table.copyWithin(HEADER + hole * width, next, next + width);
    if (hole === indexOf(at)) filledStart = true;
    hole = i;
  }
  table.fill(0, HEADER + hole * width, HEADER + hole * width + width);
  table[USED]!--;
  return filledStart;
}

function hash([tag, hi, lo]: Key): number {
  let h = Math.imul(tag ^ 0x9e3779b9, 0x85ebca6b);
  h = Math.imul(h ^ hi ^ (h >>> 15), 0xc2b2ae35);
  h = Math.imul(h ^ lo ^ (h >>> 13), 0x27d4eb2f);
  return (h ^ (h >>> 16)) >>> 0;
}

/** clientKey()'s string (an IPv4 address or an IPv6 /64) as integers; any other text shares the one "unknown" key. */
export function encodeClient(client: string): Key {
  const v4 = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(client);
  if (v4 !== null) return [4, 0, ((+v4[1]! << 24) | (+v4[2]! << 16) | (+v4[3]! << 8) | +v4[4]!) | 0];
  const v6 = /^([0-9a-f]{1,4}):([0-9a-f]{1,4}):([0-9a-f]{1,4}):([0-9a-f]{1,4})::\/64$/.exec(client);
  if (v6 !== null) {
    const [g0, g1, g2, g3] = v6.slice(1).map((g) => parseInt(g, 16)) as [number, number, number, number];
    return [6, ((g0 << 16) | g1) | 0, ((g2 << 16) | g3) | 0];
  }
  return [1, 0, 0];
}
