// Slows password guessing on the PAM form: attempts are counted per user name and per client address in memory,
// over a sliding window; past either limit the form answers 429 until the window moves on.
//
// An attempt is counted when it is reserved, before the password is checked, so concurrent guesses cannot all
// pass a check made while the earlier ones were still waiting for PAM. Names and addresses live in separate
// tables that only ever drop expired records: spraying user names can fill the name table, never erase an
// address's record (a full table refuses new keys until its oldest records expire).

export interface SignInSlot {
  /** The password was right: the user's failures are forgotten and this attempt stops counting against the address. */
  succeeded(): void;
  /** The password could not be checked at all (PAM is broken): this attempt stops counting. */
  release(): void;
}

/** A slot, or how many seconds to wait. A failed attempt needs no call: it was counted when reserved. */
export type Reservation = { slot: SignInSlot; retryAfter: 0 } | { slot: null; retryAfter: number };

export interface LoginThrottle {
  reserve(username: string, address: string): Reservation;
}

export interface LoginThrottleOptions {
  perUser?: number;
  perAddress?: number;
  windowMs?: number;
  /** Records each table holds at most (user names, addresses); default 100,000. */
  maxKeys?: number;
  now?: () => number;
}

export function createLoginThrottle(options: LoginThrottleOptions = {}): LoginThrottle {
  const windowMs = options.windowMs ?? 5 * 60_000;
  const now = options.now ?? Date.now;
  const maxKeys = options.maxKeys ?? 100_000;
  const users = createWindowTable({ limit: options.perUser ?? 5, windowMs, maxKeys, now });
  const addresses = createWindowTable({ limit: options.perAddress ?? 20, windowMs, maxKeys, now });

  return {
    reserve(username, address) {
      const where = addressKey(address);
      const wait = Math.max(users.wait(username), addresses.wait(where));
      if (wait > 0) return { slot: null, retryAfter: wait };
      const at = now();
      users.add(username, at);
      addresses.add(where, at);
      let open = true;
      return {
        retryAfter: 0,
        slot: {
          succeeded() {
            if (!open) return;
            open = false;
            users.forget(username);
            addresses.remove(where, at);
          },
          release() {
            if (!open) return;
            open = false;
            users.remove(username, at);
            addresses.remove(where, at);
          },
        },
      };
    },
  };
}

interface WindowTable {
  /** Seconds until `key` may try again (0: now); a key not yet known to a full table waits for room. */
  wait(key: string): number;
  add(key: string, at: number): void;
  /** Takes back one attempt made at `at`. */
  remove(key: string, at: number): void;
  forget(key: string): void;
}

function createWindowTable(o: { limit: number; windowMs: number; maxKeys: number; now: () => number }): WindowTable {
  // Map order is the order of each key's latest attempt (a key is moved to the end when it gets one), so expired
  // records sit at the front and pruning stops at the first live one.
  const table = new Map<string, number[]>();
  const live = (key: string): number[] => {
    const cutoff = o.now() - o.windowMs;
    const list = table.get(key);
    if (list === undefined) return [];
    while (list.length > 0 && list[0]! <= cutoff) list.shift();
    if (list.length === 0) table.delete(key);
    return list;
  };
  const prune = () => {
    for (const key of table.keys()) {
      if (live(key).length > 0) break;
    }
  };
  const secondsUntil = (t: number) => Math.max(1, Math.ceil((t + o.windowMs - o.now()) / 1000));
  return {
    wait(key) {
      const list = live(key);
      if (list.length >= o.limit) return secondsUntil(list[list.length - o.limit]!);
      if (list.length > 0) return 0;
      prune();
      if (table.size < o.maxKeys) return 0;
      // Room comes when the front record's latest attempt leaves the window.
      const front = table.values().next().value!;
      return secondsUntil(front[front.length - 1]!);
    },
    add(key, at) {
      const list = live(key);
      table.delete(key);
      table.set(key, [...list, at]);
    },
    remove(key, at) {
      const list = live(key);
      const i = list.lastIndexOf(at);
      if (i !== -1) list.splice(i, 1);
      if (list.length === 0) table.delete(key);
    },
    forget(key) {
      table.delete(key);
    },
  };
}

/**
 * The per-address key: IPv4 as it is (also when written IPv4-mapped), IPv6 by its /64, the smallest block a site
 * is given: one host holds a whole /64, so counting single IPv6 addresses would give it billions of budgets.
 */
export function addressKey(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1]!;
  if (!address.includes(':')) return address;
  const [head, tail] = address.toLowerCase().split('%', 1)[0]!.split('::', 2) as [string, string | undefined];
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = tail === undefined ? left : [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right];
  return `${groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, '')).join(':')}::/64`;
}
