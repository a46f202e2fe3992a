// The service keeps its tables (server_*) in the registry's SQLite file: one database to back up, and a
// reviewer can later join uploads with registry entries. The registry's own schema_version is not touched:
// the server's migrations are numbered in server_schema_version, so each side migrates independently.
import { openRegistry, type Db } from '../registry/db.js';

interface ServerMigration {
  version: number;
  sql: string;
}

const SERVER_MIGRATIONS: readonly ServerMigration[] = [
  {
    version: 1,
    sql: `
CREATE TABLE server_tokens (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  role TEXT NOT NULL CHECK (role IN ('provider', 'reviewer', 'admin')),
  hash TEXT NOT NULL UNIQUE,            -- sha256 hex of the token; the token itself is never stored
  prefix TEXT NOT NULL,                 -- first characters, so a listing can tell tokens apart
  created_at TEXT NOT NULL,
  revoked_at TEXT,
  last_used_at TEXT
);
-- Browser sessions: the cookie holds a random id, stored hashed like tokens.
CREATE TABLE server_sessions (
  hash TEXT PRIMARY KEY,
  token_id INTEGER NOT NULL REFERENCES server_tokens(id) ON DELETE CASCADE,
  created_at TEXT NOT NULL,
  expires_at TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE server_scans (
  id INTEGER PRIMARY KEY,
  token_id INTEGER NOT NULL REFERENCES server_tokens(id),
  owner TEXT NOT NULL,                  -- token name at upload time
  filename TEXT NOT NULL,
  size INTEGER NOT NULL,
  md5 TEXT NOT NULL,
  sha256 TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('running', 'done', 'error', 'interrupted')),
  verdict TEXT,
  app_package TEXT,
  version_name TEXT,
  record_text TEXT,                     -- the filing record uploaded with the package, as sent
  record_name TEXT,
  facts_json TEXT,                      -- kept so a suppression re-runs the check without the package
  result_json TEXT,
  error_code TEXT,
  error_message TEXT,
  created_at TEXT NOT NULL,
  finished_at TEXT
);
CREATE INDEX server_scans_owner ON server_scans(token_id, id);
CREATE TABLE server_suppressions (
  id INTEGER PRIMARY KEY,
  scan_id INTEGER NOT NULL REFERENCES server_scans(id) ON DELETE CASCADE,
  rule TEXT NOT NULL,
  reason TEXT NOT NULL,
  by TEXT NOT NULL,
  until TEXT,
  created_at TEXT NOT NULL
);
`,
  },
];

export function openServerDb(path: string): Db {
  const db = openRegistry(path);
  db.transaction(() => {
    db.exec('CREATE TABLE IF NOT EXISTS server_schema_version (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)');
    const row = db.prepare('SELECT MAX(version) AS v FROM server_schema_version').get() as { v: number | null };
    const at = row.v ?? 0;
    for (const m of SERVER_MIGRATIONS) {
      if (m.version <= at) continue;
      db.exec(m.sql);
      db.prepare('INSERT INTO server_schema_version (version, applied_at) VALUES (?, ?)').run(m.version, new Date().toISOString());
    }
  }).immediate();
  return db;
}
