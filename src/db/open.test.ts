import { createHash } from 'node:crypto';
import { chmodSync, cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { DEFAULT_MIGRATIONS, openDatabase } from './open.js';
import { users } from './schema.js';

const tempDir = () => mkdtempSync(path.join(tmpdir(), 'berth-db-'));
const modeOf = (file: string) => (statSync(file).mode & 0o777).toString(8);
const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

/** A copy of the shipped migrations plus one more, standing in for the next Berth release. */
function migrationsWithOneMore(): string {
  const folder = path.join(tempDir(), 'migrations');
  cpSync(DEFAULT_MIGRATIONS, folder, { recursive: true });
  const journalFile = path.join(folder, 'meta', '_journal.json');
  const journal = JSON.parse(readFileSync(journalFile, 'utf8'));
  const last = journal.entries[journal.entries.length - 1];
  const tag = `${String(journal.entries.length).padStart(4, '0')}_next_release`;
  journal.entries.push({ ...last, idx: last.idx + 1, when: last.when + 1000, tag });
  writeFileSync(journalFile, JSON.stringify(journal));
  writeFileSync(path.join(folder, `${tag}.sql`), 'ALTER TABLE `users` ADD `nickname` text;');
  return folder;
}

describe('the database', () => {
  it('is created and migrated on first start, with no backup', () => {
    const dir = tempDir();
    const opened = openDatabase(dir);
    expect(opened.backup).toBeNull();
    opened.db.insert(users).values({ name: 'alice', slug: 'alice' }).run();
    expect(opened.db.select().from(users).all().map((u) => u.name)).toEqual(['alice']);
    opened.close();
    expect(existsSync(path.join(dir, 'jupyterhub.sqlite'))).toBe(true);
  });

  it('keeps its rows across restarts and makes no backup when nothing is pending', () => {
    const dir = tempDir();
    const first = openDatabase(dir);
    first.db.insert(users).values({ name: 'alice', slug: 'alice' }).run();
    first.close();
    const second = openDatabase(dir);
    expect(second.backup).toBeNull();
    expect(second.db.select().from(users).all()).toHaveLength(1);
    second.close();
  });

  it('copies an old database to a backup named for the first pending migration and the time, before migrating it', () => {
    const dir = tempDir();
    const old = openDatabase(dir);
    old.db.insert(users).values({ name: 'alice', slug: 'alice' }).run();
    old.close();

    const upgraded = openDatabase(dir, migrationsWithOneMore(), new Date('2026-01-02T03:04:05.678Z'));
    expect(upgraded.backup).toBe(path.join(dir, 'jupyterhub.sqlite.before-0006_next_release.2026-01-02T03-04-05-678Z.bak'));
    const columns = upgraded.db.$client.prepare('PRAGMA table_info(users)').all() as { name: string }[];
    expect(columns.map((c) => c.name)).toContain('nickname');
    upgraded.close();

    const backup = new Database(upgraded.backup!, { readonly: true });
    const backupColumns = backup.prepare('PRAGMA table_info(users)').all() as { name: string }[];
    expect(backupColumns.map((c) => c.name)).not.toContain('nickname');
    expect(backup.prepare('SELECT name FROM users').all()).toEqual([{ name: 'alice' }]);
    backup.close();
  });

  it('refuses a database written by a newer Berth and leaves it unchanged', () => {
    const dir = tempDir();
    openDatabase(dir, migrationsWithOneMore()).close();
    const file = path.join(dir, 'jupyterhub.sqlite');
    const before = sha(file);
    expect(() => openDatabase(dir)).toThrow(/written by a newer Berth .*It was not changed/);
    expect(sha(file)).toBe(before);
    expect(readdirSync(dir).filter((f) => f.endsWith('.bak'))).toEqual([]);
  });

  it('refuses a corrupt file and leaves it unchanged', () => {
    const dir = tempDir();
    const file = path.join(dir, 'jupyterhub.sqlite');
    writeFileSync(file, 'this is not a database, just some text that is long enough to look like a header. '.repeat(20));
    const before = sha(file);
    expect(() => openDatabase(dir)).toThrow(/is not a readable SQLite database .*It was not changed/);
    expect(sha(file)).toBe(before);
  });

  it('refuses a JupyterHub (Python) database instead of adopting it', () => {
    const dir = tempDir();
    const file = path.join(dir, 'jupyterhub.sqlite');
    const foreign = new Database(file);
    foreign.exec('CREATE TABLE alembic_version (version_num TEXT); CREATE TABLE users (id INTEGER, name TEXT);');
    foreign.close();
    const before = sha(file);
    expect(() => openDatabase(dir)).toThrow(/JupyterHub \(Python\) database/);
    expect(sha(file)).toBe(before);
  });

  it('refuses some other SQLite file', () => {
    const dir = tempDir();
    const foreign = new Database(path.join(dir, 'jupyterhub.sqlite'));
    foreign.exec('CREATE TABLE recipes (id INTEGER)');
    foreign.close();
    expect(() => openDatabase(dir)).toThrow(/a SQLite database Berth did not create \(tables: recipes\)/);
  });

  it('says when data_dir cannot be written', () => {
    const dir = tempDir();
    const file = path.join(dir, 'a-file');
    writeFileSync(file, '');
    expect(() => openDatabase(path.join(file, 'data'))).toThrow(/hub\.data_dir .* is not a writable directory \(ENOTDIR\)/);
  });

  describe('files', () => {
    const companions = (dir: string) => ['jupyterhub.sqlite', 'jupyterhub.sqlite-wal', 'jupyterhub.sqlite-shm'].map((f) => path.join(dir, f));

    it('are readable by the hub user only: the database, its WAL and SHM, across writes, checkpoints and restarts', () => {
      const dir = tempDir();
      const first = openDatabase(dir);
      first.db.insert(users).values({ name: 'alice', slug: 'alice' }).run();
      first.db.$client.pragma('wal_checkpoint(TRUNCATE)');
      first.db.insert(users).values({ name: 'bob', slug: 'bob' }).run();
      for (const file of companions(dir)) expect({ file, mode: modeOf(file) }).toEqual({ file, mode: '600' });
      first.close();
      // Closing removes the WAL and SHM; the next start makes them anew.
      const second = openDatabase(dir);
      second.db.insert(users).values({ name: 'carol', slug: 'carol' }).run();
      for (const file of companions(dir)) expect({ file, mode: modeOf(file) }).toEqual({ file, mode: '600' });
      second.close();
    });

    it('left readable by others (by an older Berth, or a crash) are made private at the next start', () => {
      const dir = tempDir();
      const old = openDatabase(dir);
      old.db.insert(users).values({ name: 'alice', slug: 'alice' }).run();
      // A crash leaves the WAL and SHM behind.
      const crashed = new Database(path.join(dir, 'jupyterhub.sqlite'));
      crashed.exec("INSERT INTO users (name, slug) VALUES ('bob', 'bob')");
      for (const file of [...companions(dir), path.join(dir, 'jupyterhub.sqlite.2025-01-01T00-00-00-000Z.bak')]) {
        if (!existsSync(file)) writeFileSync(file, '');
        chmodSync(file, 0o644);
      }
      const reopened = openDatabase(dir);
      for (const file of [...companions(dir), path.join(dir, 'jupyterhub.sqlite.2025-01-01T00-00-00-000Z.bak')]) {
        expect({ file, mode: modeOf(file) }).toEqual({ file, mode: '600' });
      }
      expect(reopened.db.select().from(users).all()).toHaveLength(2);
      reopened.close();
      crashed.close();
      old.close();
    });

    it('include the backup made before a migration, readable by the hub user only', () => {
      const dir = tempDir();
      openDatabase(dir).close();
      const upgraded = openDatabase(dir, migrationsWithOneMore());
      expect(modeOf(upgraded.backup!)).toBe('600');
      upgraded.close();
    });

    it('live in a data directory that is created private', () => {
      const dir = path.join(tempDir(), 'new', 'data');
      openDatabase(dir).close();
      expect(modeOf(dir)).toBe('700');
    });
  });
});
