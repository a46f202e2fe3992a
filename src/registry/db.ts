// The registry database: one SQLite file (better-sqlite3), WAL so readers (list, show, export, a second
// process) never wait for the re-scan that writes; migrations recorded in schema_version.
import Database from 'better-sqlite3';
import { EduscanError } from '../errors.js';
import { MIGRATIONS, SCHEMA_VERSION } from './migrations.js';

export type Db = Database.Database;

export const DEFAULT_DB = 'eduscan.db';
/** How long a writer waits for another process's transaction before giving up (ms). */
const BUSY_TIMEOUT_MS = 15_000;

export interface OpenOptions {
  readonly?: boolean;
  /** Do not create a missing file (list/show/export). */
  mustExist?: boolean;
}

function sqliteMessage(e: unknown): string {
  const err = e as { code?: string; message?: string };
  return `${err.code ?? 'error'}: ${(err.message ?? String(e)).split('\n')[0]}`;
}

export function openRegistry(path: string, opts: OpenOptions = {}): Db {
  let db: Db;
  try {
    db = new Database(path, { readonly: opts.readonly ?? false, fileMustExist: opts.mustExist ?? opts.readonly ?? false });
  } catch (e) {
    const missing = (e as { code?: string }).code === 'SQLITE_CANTOPEN';
    throw new EduscanError('E_DB', missing ? `${path}: no registry database here (eduscan registry import creates one)` : `${path}: cannot open the database: ${sqliteMessage(e)}`, { file: path });
  }
  try {
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    if (!opts.readonly) {
      // WAL: one writer and many readers at once; synchronous=NORMAL: a killed process loses nothing that was
      // committed (only a power cut can drop the last transactions, never corrupt the file).
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
    }
    db.pragma('foreign_keys = ON');
    migrate(db, path, opts.readonly ?? false);
  } catch (e) {
    db.close();
    if (e instanceof EduscanError) throw e;
    throw new EduscanError('E_DB', `${path}: not a usable registry database: ${sqliteMessage(e)}`, { file: path, cause: e });
  }
  return db;
}

export function schemaVersion(db: Db): number {
  const has = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'").get();
  if (!has) return 0;
  const row = db.prepare('SELECT MAX(version) AS v FROM schema_version').get() as { v: number | null };
  return row.v ?? 0;
}

function migrate(db: Db, path: string, readonly: boolean): void {
  const current = schemaVersion(db);
  if (current > SCHEMA_VERSION) {
    throw new EduscanError('E_DB', `${path}: schema version ${current} is newer than this eduscan knows (${SCHEMA_VERSION}): upgrade eduscan`, { file: path });
  }
  if (current === SCHEMA_VERSION) return;
  if (readonly) throw new EduscanError('E_DB', `${path}: schema version ${current}, expected ${SCHEMA_VERSION}: open it once read-write to migrate`, { file: path });
  // IMMEDIATE takes the write lock first, so two processes opening a fresh file do not both migrate: the second
  // waits, then finds the work done.
  db.transaction(() => {
    db.exec('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)');
    const at = schemaVersion(db);
    const insert = db.prepare('INSERT INTO schema_version (version, name, applied_at) VALUES (?, ?, ?)');
    for (const m of MIGRATIONS) {
      if (m.version <= at) continue;
      db.exec(m.sql);
      insert.run(m.version, m.name, new Date().toISOString());
    }
  }).immediate();
}
