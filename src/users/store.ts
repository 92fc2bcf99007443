// Owns the users table: rows in, rows out. Names arrive already parsed (users/username.ts).
// The slug is fixed when the user is created and never recomputed, so volume names never change.
// Setting `admin` without saying where it comes from records it as the hub's own grant (admin_users, the API).
import { asc, eq, sql } from 'drizzle-orm';
import type { Db } from '../db/open.js';
import { users, type User } from '../db/schema.js';

export interface NewUserFields {
  admin?: boolean;
  addedByAdmin?: boolean;
  /** The sign-in method creating the user, which then owns the name; omitted: unbound until the first sign-in. */
  authenticator?: User['authenticator'];
}

export interface UserStore {
  get(name: string): User | null;
  getById(id: number): User | null;
  /** Creates the user; returns null when the name is taken. */
  create(name: string, fields?: NewUserFields): User | null;
  /** Creates each name not taken yet, in one transaction; returns the users created, in the order given. */
  createMany(names: readonly string[], fields?: NewUserFields): User[];
  /** The existing user, or a new one. */
  ensure(name: string, fields?: NewUserFields): User;
  list(options?: { offset?: number; limit?: number }): User[];
  count(): number;
  update(name: string, fields: Partial<Pick<User, 'name' | 'admin' | 'adminSource' | 'authenticator' | 'adminImage' | 'userImage' | 'githubTokenEncrypted' | 'lastActivity' | 'addedByAdmin' | 'authGroups'>>): User | null;
  /** For each cutoff, the users active at or after it (last_activity), in one pass (JupyterHub's active_users). */
  countActiveSince(cutoffs: readonly Date[]): number[];
  remove(name: string): boolean;
  /** Clears every admin flag that came from `source`; returns the names that lost it. */
  revokeAdmin(source: NonNullable<User['adminSource']>): string[];
}

/** Escapes a valid user name into [a-z0-9-] the way DockerSpawner's escapism does: other bytes become -XX. */
export function slugFor(name: string): string {
  return [...Buffer.from(name, 'utf8')]
    .map((byte) => {
      const ch = String.fromCharCode(byte);
      return /[a-z0-9]/.test(ch) ? ch : `-${byte.toString(16).padStart(2, '0')}`;
    })
    .join('');
}

export function createUserStore(db: Db): UserStore {
  const byName = db.select().from(users).where(eq(users.name, sql.placeholder('name'))).prepare();
  const byId = db.select().from(users).where(eq(users.id, sql.placeholder('id'))).prepare();
  const slugTaken = db.select({ id: users.id }).from(users).where(eq(users.slug, sql.placeholder('slug'))).prepare();
  const insert = db
    .insert(users)
    .values({
      name: sql.placeholder('name'), slug: sql.placeholder('slug'), admin: sql.placeholder('admin'),
      adminSource: sql.placeholder('adminSource'), addedByAdmin: sql.placeholder('addedByAdmin'), authenticator: sql.placeholder('authenticator'),
    })
    .onConflictDoNothing({ target: users.name })
    .returning()
    .prepare();

  /** A renamed user keeps their slug, so a new user may escape to a slug already taken: add a suffix. */
  const uniqueSlug = (base: string): string => {
    let slug = base;
    for (let n = 2; slugTaken.get({ slug }) !== undefined; n++) slug = `${base}-${n}`;
    return slug;
  };

  const store: UserStore = {
    get: (name) => byName.get({ name }) ?? null,
    getById: (id) => byId.get({ id }) ?? null,
    create(name, fields = {}) {
      const admin = fields.admin ?? false;
      return insert.get({
        name, slug: uniqueSlug(slugFor(name)), admin, adminSource: admin ? 'hub' : null,
        addedByAdmin: fields.addedByAdmin ?? false, authenticator: fields.authenticator ?? null,
      }) ?? null;
    },
    createMany(names, fields = {}) {
      // One transaction: a commit per user made 1,000 new users cost 1,000 WAL commits.
      return db.$client.transaction(() => names.map((name) => store.create(name, fields)).filter((u): u is User => u !== null))();
    },
    ensure(name, fields = {}) {
      return store.get(name) ?? store.create(name, fields) ?? (store.get(name) as User);
    },
    list({ offset = 0, limit = -1 } = {}) {
      return db.select().from(users).orderBy(asc(users.id)).limit(limit).offset(offset).all();
    },
    count: () => db.select({ n: sql<number>`count(*)` }).from(users).get()?.n ?? 0,
    countActiveSince(cutoffs) {
      if (cutoffs.length === 0) return [];
      const sums = cutoffs.map((at) => sql`coalesce(sum(${users.lastActivity} >= ${at.getTime()}), 0)`);
      const row = db.select(Object.fromEntries(sums.map((sum, i) => [`c${i}`, sum.mapWith(Number)]))).from(users).get() as Record<string, number>;
      return cutoffs.map((_, i) => row[`c${i}`] ?? 0);
    },
    update(name, fields) {
      const set = fields.admin !== undefined && fields.adminSource === undefined ? { ...fields, adminSource: fields.admin ? 'hub' as const : null } : fields;
      return db.update(users).set(set).where(eq(users.name, name)).returning().get() ?? null;
    },
    remove(name) {
      return db.delete(users).where(eq(users.name, name)).run().changes > 0;
    },
    revokeAdmin(source) {
      return db.update(users).set({ admin: false, adminSource: null }).where(eq(users.adminSource, source)).returning({ name: users.name }).all()
        .map((u) => u.name);
    },
  };
  return store;
}
