// `berth backup DEST` and `berth restore SRC`: the hub's state is jupyterhub.sqlite and the cookie secret, both in
// hub.data_dir. A backup is taken while the hub runs (SQLite's online backup API copies a consistent snapshot even
// while the hub writes); a restore replaces the state under a hub that is stopped, keeping what it replaces.
import { chmodSync, copyFileSync, existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { COOKIE_SECRET_FILE } from '../auth/cookie-secret.js';
import { DB_FILE } from './open.js';

const PRIVATE_FILE = 0o600;
const PRIVATE_DIR = 0o700;

export class BackupError extends Error {}

export interface BackupResult {
  files: string[];
}

/** Writes DEST/jupyterhub.sqlite and DEST/jupyterhub_cookie_secret (0600), DEST made 0700 when it is new. */
export async function backupHubState(dataDir: string, dest: string): Promise<BackupResult> {
  const source = path.join(dataDir, DB_FILE);
  if (!existsSync(source)) throw new BackupError(`${source} does not exist: check hub.data_dir (or BERTH_DATA_DIR) names the hub's data directory`);
  const target = path.join(dest, DB_FILE);
  if (existsSync(target)) throw new BackupError(`${target} already exists: back up into a new or empty directory, so no earlier backup is overwritten`);
  mkdirSync(dest, { recursive: true, mode: PRIVATE_DIR });
  const partial = `${target}.partial`;
  rmSync(partial, { force: true });
  const db = new Database(source, { readonly: true, fileMustExist: true });
  try {
    db.pragma('busy_timeout = 5000');
    await db.backup(partial);
  } catch (err) {
    rmSync(partial, { force: true });
    throw new BackupError(`copying ${source} failed: ${(err as Error).message}`, { cause: err });
  } finally {
    db.close();
  }
  chmodSync(partial, PRIVATE_FILE);
  renameSync(partial, target);
  const files = [target];
  const secret = path.join(dataDir, COOKIE_SECRET_FILE);
  if (existsSync(secret)) files.push(copyPrivate(secret, path.join(dest, COOKIE_SECRET_FILE)));
  return { files };
}

export interface RestoreResult {
  restored: string[];
  /** Where the files that were replaced now are. */
  keptAside: string[];
}

/**
 * Puts SRC's files in place of the data directory's. The caller makes sure the hub is stopped: a running hub keeps
 * the old database open and would go on writing to it.
 */
export function restoreHubState(src: string, dataDir: string, now = new Date()): RestoreResult {
  const db = path.join(src, DB_FILE);
  if (!existsSync(db)) throw new BackupError(`${db} does not exist: give the directory \`berth backup\` wrote`);
  const check = new Database(db, { readonly: true, fileMustExist: true });
  try {
    const result = check.pragma('integrity_check', { simple: true });
    if (result !== 'ok') throw new BackupError(`${db} is damaged (integrity check: ${String(result)}): nothing was restored`);
  } finally {
    check.close();
  }
  mkdirSync(dataDir, { recursive: true, mode: PRIVATE_DIR });
  const stamp = now.toISOString().replace(/[:.]/g, '-');
  const keptAside: string[] = [];
  const restored: string[] = [];
  for (const name of [DB_FILE, COOKIE_SECRET_FILE]) {
    const from = path.join(src, name);
    if (!existsSync(from)) continue;
    const to = path.join(dataDir, name);
    if (existsSync(to)) {
      const aside = `${to}.before-restore-${stamp}`;
      renameSync(to, aside);
      keptAside.push(aside);
    }
    restored.push(copyPrivate(from, to));
  }
  // The old database's write-ahead log belongs to the file set aside (and is named as SQLite expects beside it);
  // left next to the restored one, it would be replayed into it.
  for (const suffix of ['-wal', '-shm']) {
    const stale = path.join(dataDir, `${DB_FILE}${suffix}`);
    if (existsSync(stale)) {
      const aside = `${path.join(dataDir, DB_FILE)}.before-restore-${stamp}${suffix}`;
      renameSync(stale, aside);
      keptAside.push(aside);
    }
  }
  return { restored, keptAside };
}

function copyPrivate(from: string, to: string): string {
  copyFileSync(from, to);
  chmodSync(to, PRIVATE_FILE);
  return to;
}
