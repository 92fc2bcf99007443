// Opens <data_dir>/jupyterhub.sqlite: refuses files that are not Berth's or come from a newer Berth,
// backs the file up before applying pending migrations, and hands out one synchronous drizzle handle.
// The database, its WAL and SHM files and its backups are the hub user's alone (0600): they hold every session and
// token hash. SQLite gives the WAL and SHM files the database file's mode, so making that one 0600 covers them.
import { accessSync, chmodSync, closeSync, constants, existsSync, mkdirSync, openSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { drizzle, type BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { readMigrationFiles } from 'drizzle-orm/migrator';
import * as schema from './schema.js';

export type Db = BetterSQLite3Database<typeof schema> & { $client: Database.Database };

export const DB_FILE = 'jupyterhub.sqlite';
export const DEFAULT_MIGRATIONS = fileURLToPath(new URL('./migrations', import.meta.url));
const MIGRATIONS_TABLE = '__drizzle_migrations';

export class DatabaseError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DatabaseError';
  }
}

export interface OpenedDb {
  db: Db;
  file: string;
  /** Path of the backup made before migrating, if migrations ran on an existing database. */
  backup: string | null;
  close(): void;
}

export function openDatabase(dataDir: string, migrationsFolder = DEFAULT_MIGRATIONS, now = new Date()): OpenedDb {
  ensureWritableDir(dataDir);
  const file = path.join(dataDir, DB_FILE);
  const existed = existsSync(file);
  makePrivate(dataDir, existed ? [file, `${file}-wal`, `${file}-shm`, ...backupsIn(dataDir)] : [createPrivate(file)]);

  let client: Database.Database;
  try {
    client = new Database(file);
    client.pragma('busy_timeout = 5000');
  } catch (err) {
    throw new DatabaseError(`${file} cannot be opened: ${(err as Error).message}`, { cause: err });
  }
  try {
    const tables = listTables(client, file);
    const known = readMigrationFiles({ migrationsFolder });
    const applied = tables.includes(MIGRATIONS_TABLE)
      ? (client.prepare(`SELECT hash FROM ${MIGRATIONS_TABLE}`).all() as { hash: string }[]).map((r) => r.hash)
      : [];
    refuseForeign(file, tables);
    const knownHashes = new Set(known.map((m) => m.hash));
    const unknown = applied.filter((hash) => !knownHashes.has(hash));
    if (unknown.length > 0) {
      throw new DatabaseError(
        `${file} was written by a newer Berth (${unknown.length} migration(s) this version does not know). ` +
          'It was not changed. Run the newer Berth, or restore a backup made before the upgrade (jupyterhub.sqlite.*.bak).',
      );
    }

    let backup: string | null = null;
    const pending = known.length - applied.length;
    if (existed && tables.length > 0 && pending > 0) {
      // Named for the first migration it predates: rolling back means running a Berth without that migration.
      const before = migrationTags(migrationsFolder)[applied.length] ?? `${pending}-migrations`;
      backup = `${file}.before-${before}.${now.toISOString().replace(/[:.]/g, '-')}.bak`;
      // VACUUM INTO fills an empty file and keeps its mode.
      createPrivate(backup);
      client.exec(`VACUUM INTO '${backup.replace(/'/g, "''")}'`);
    }
    client.pragma('journal_mode = WAL');
    client.pragma('foreign_keys = ON');
    const db = drizzle(client, { schema }) as Db;
    migrate(db, { migrationsFolder });
    return {
      db,
      file,
      backup,
      close() {
        if (!client.open) return;
        client.pragma('wal_checkpoint(TRUNCATE)');
        client.close();
      },
    };
  } catch (err) {
    client.close();
    if (err instanceof DatabaseError) throw err;
    throw new DatabaseError(`${file} could not be prepared: ${(err as Error).message}`, { cause: err });
  }
}

const PRIVATE_MODE = 0o600;

/** An empty file only the hub user can read, created before SQLite writes anything into it. */
function createPrivate(file: string): string {
  try {
    closeSync(openSync(file, 'wx', PRIVATE_MODE));
    chmodSync(file, PRIVATE_MODE);
  } catch (err) {
    throw new DatabaseError(`${file} cannot be created (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}): make hub.data_dir writable by the hub user`, { cause: err });
  }
  return file;
}

/** Tightens files an older Berth (or a crash) left readable by others; missing ones are skipped. */
function makePrivate(dataDir: string, files: string[]): void {
  for (const file of files) {
    try {
      chmodSync(file, PRIVATE_MODE);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') continue;
      throw new DatabaseError(
        `${file} cannot be made readable by the hub user only (${code ?? (err as Error).message}): ` +
          `run the hub as the owner of hub.data_dir ${dataDir}, or chown the file to the hub user`,
        { cause: err },
      );
    }
  }
}

/** The migrations' tags (0005_swarm_volume_nodes…) in the order drizzle applies them: its journal's order. */
function migrationTags(migrationsFolder: string): string[] {
  const journal = JSON.parse(readFileSync(path.join(migrationsFolder, 'meta', '_journal.json'), 'utf8')) as { entries: { tag: string }[] };
  return journal.entries.map((entry) => entry.tag);
}

function backupsIn(dataDir: string): string[] {
  return readdirSync(dataDir).filter((name) => name.startsWith(`${DB_FILE}.`) && name.endsWith('.bak')).map((name) => path.join(dataDir, name));
}

function ensureWritableDir(dir: string): void {
  try {
    // A new data directory is private too; an existing one is left as its owner arranged it.
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    accessSync(dir, constants.W_OK | constants.X_OK);
  } catch (err) {
    throw new DatabaseError(
      `hub.data_dir ${dir} is not a writable directory (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}): ` +
        'create it and give the hub user write access, or point hub.data_dir elsewhere',
      { cause: err },
    );
  }
}

function listTables(client: Database.Database, file: string): string[] {
  try {
    return (client.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((r) => r.name);
  } catch (err) {
    throw new DatabaseError(
      `${file} is not a readable SQLite database (${(err as Error).message}). It was not changed: ` +
        'move it away to start fresh, or restore a backup (jupyterhub.sqlite.*.bak)',
      { cause: err },
    );
  }
}

function refuseForeign(file: string, tables: string[]): void {
  const own = tables.filter((t) => t !== 'sqlite_sequence');
  if (own.length === 0 || tables.includes(MIGRATIONS_TABLE)) return;
  const what = tables.includes('alembic_version')
    ? "a JupyterHub (Python) database; Berth keeps its own schema and cannot adopt it"
    : `a SQLite database Berth did not create (tables: ${own.slice(0, 5).join(', ')})`;
  throw new DatabaseError(`${file} is ${what}. It was not changed: move it away, or set hub.data_dir to another directory`);
}
