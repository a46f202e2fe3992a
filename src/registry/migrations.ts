// The registry schema as numbered migrations. A migration is never edited once shipped: a change is a new entry.
// Dates are yyyy-mm-dd (the calendar the deadlines count on), times ISO 8601 UTC.
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'registry: records, apps, packages, facts cache, runs, scans, app versions, issues',
    sql: `
-- Filing records as imported: the text is kept, so a re-scan never needs the record file.
CREATE TABLE records (
  id INTEGER PRIMARY KEY,
  path TEXT NOT NULL UNIQUE,
  kind TEXT NOT NULL CHECK (kind IN ('provider', 'use')),
  format TEXT NOT NULL CHECK (format IN ('json', 'yaml')),
  text TEXT NOT NULL,
  digest TEXT NOT NULL,                 -- sha256 of the text
  unit_name TEXT,                       -- provider.name or unit.name
  problems INTEGER NOT NULL,
  problems_json TEXT NOT NULL,
  imported_at TEXT NOT NULL,
  changed_at TEXT NOT NULL              -- when the digest last changed (a filing update)
);

-- The apps a record files (provider apps, or a self-developed use filing's providerFiling.apps).
CREATE TABLE apps (
  id INTEGER PRIMARY KEY,
  record_id INTEGER NOT NULL REFERENCES records(id) ON DELETE CASCADE,
  app_index INTEGER NOT NULL,
  name TEXT NOT NULL,
  platform TEXT NOT NULL DEFAULT '',
  package_id TEXT,
  version TEXT,
  filing_no TEXT,
  UNIQUE (record_id, name, platform)
);

-- One registry entry per package file. record_id/app_name come from the import; app_id from the scan that
-- matched the package to an app of its record.
CREATE TABLE packages (
  id INTEGER PRIMARY KEY,
  path TEXT NOT NULL UNIQUE,
  record_id INTEGER REFERENCES records(id) ON DELETE SET NULL,
  app_name TEXT,
  app_id INTEGER REFERENCES apps(id) ON DELETE SET NULL,
  size INTEGER,
  mtime_ms REAL,
  md5 TEXT,
  sha256 TEXT,
  added_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  last_scan_id INTEGER,
  issues_state TEXT                     -- digest of the tracked findings last applied (see rescan.ts)
);
CREATE INDEX packages_record ON packages(record_id);

-- Facts by content and parser version: the same bytes are parsed once. A failed parse is cached too.
CREATE TABLE facts (
  sha256 TEXT NOT NULL,
  parser_version TEXT NOT NULL,
  facts_json TEXT,
  error_code TEXT,
  error_message TEXT,
  created_at TEXT NOT NULL,
  PRIMARY KEY (sha256, parser_version)
) WITHOUT ROWID;

CREATE TABLE runs (
  id INTEGER PRIMARY KEY,
  mode TEXT NOT NULL CHECK (mode IN ('full', 'changed-only', 'rules-only')),
  rules_version TEXT NOT NULL,
  rules_digest TEXT NOT NULL,
  today TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('running', 'done', 'abandoned')),
  pid INTEGER,
  host TEXT,
  total INTEGER NOT NULL,
  resumes INTEGER NOT NULL DEFAULT 0,
  started_at TEXT NOT NULL,
  finished_at TEXT
);

-- One row per package per run: UNIQUE (run_id, package_id) is what makes a resumed run idempotent.
CREATE TABLE scans (
  id INTEGER PRIMARY KEY,
  run_id INTEGER NOT NULL REFERENCES runs(id),
  package_id INTEGER NOT NULL REFERENCES packages(id) ON DELETE CASCADE,
  status TEXT NOT NULL CHECK (status IN ('ok', 'error', 'unchanged', 'no-facts')),
  source TEXT CHECK (source IN ('parsed', 'cache')),
  sha256 TEXT,
  app_package TEXT,                     -- the package's id (facts.id) and version, for listings
  version_name TEXT,
  record_id INTEGER,
  record_digest TEXT,
  app_id INTEGER,
  rules_digest TEXT NOT NULL,
  verdict TEXT CHECK (verdict IN ('pass', 'explain', 'fail', 'unassessable')),
  high INTEGER, medium INTEGER, low INTEGER, info INTEGER,
  undeclared_json TEXT,
  findings_json TEXT,                   -- NULL when equal to an earlier scan's: findings_from names that scan
  findings_digest TEXT,
  findings_from INTEGER,
  error_code TEXT,
  error_message TEXT,
  scanned_at TEXT NOT NULL,
  UNIQUE (run_id, package_id)
);
CREATE INDEX scans_package ON scans(package_id, id);

-- Version history of each filed app: one row per distinct package content seen for it.
CREATE TABLE app_versions (
  id INTEGER PRIMARY KEY,
  app_id INTEGER NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
  sha256 TEXT NOT NULL,
  package_row INTEGER REFERENCES packages(id) ON DELETE SET NULL,
  package_id TEXT,
  version_name TEXT,
  version_code TEXT,
  signer TEXT,                          -- first signer certificate's SHA-256, or '' when unsigned
  categories_json TEXT NOT NULL,        -- permission checkbox categories detected
  rules_json TEXT NOT NULL,             -- rules with unsuppressed high/medium findings
  changes_json TEXT NOT NULL,           -- what changed against the previous version (empty for the first)
  first_seen TEXT NOT NULL,
  run_id INTEGER,
  UNIQUE (app_id, sha256)
);

-- Finding lifecycle per registry entry. key is stable across versions of the package (rule + evidence, no
-- sha256), so a problem that survives a new version stays open with its original deadline. A row is written
-- only when something about it changes: an open issue is "still seen" by every later ok scan of its package
-- (scans), which keeps a rules-only re-scan of an unchanged registry nearly write-free.
CREATE TABLE issues (
  id INTEGER PRIMARY KEY,
  package_id INTEGER NOT NULL REFERENCES packages(id) ON DELETE CASCADE,
  app_id INTEGER,
  key TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('finding', 'filing-update')),
  rule TEXT NOT NULL,
  severity TEXT NOT NULL,
  fingerprint TEXT,                     -- of the finding; for a filing update, the record digest at detection
  message TEXT NOT NULL,                -- {"zh","en"}
  first_seen TEXT NOT NULL,
  first_run INTEGER NOT NULL,
  opened_run INTEGER NOT NULL,          -- the run that (re)opened it
  resolved_at TEXT,
  resolved_run INTEGER,
  suppressed_reason TEXT,
  suppressed_by TEXT,
  suppressed_until TEXT,
  deadline TEXT,
  deadline_note TEXT,
  UNIQUE (package_id, key)
);
CREATE INDEX issues_open ON issues(resolved_at, deadline);
`,
  },
  {
    version: 2,
    name: 'facts as a rowid table (rows stay on one page); indexes for the run report',
    sql: `
-- WITHOUT ROWID keeps a row inside its index b-tree, where a row of more than ~1 KB spills to overflow pages:
-- the facts JSON (~3.5 KB) took four page reads. In a rowid table it fits one 4 KiB leaf.
CREATE TABLE facts_v2 (
  id INTEGER PRIMARY KEY,
  sha256 TEXT NOT NULL,
  parser_version TEXT NOT NULL,
  facts_json TEXT,
  error_code TEXT,
  error_message TEXT,
  created_at TEXT NOT NULL,
  UNIQUE (sha256, parser_version)
);
INSERT INTO facts_v2 (sha256, parser_version, facts_json, error_code, error_message, created_at)
  SELECT sha256, parser_version, facts_json, error_code, error_message, created_at FROM facts ORDER BY sha256, parser_version;
DROP TABLE facts;
ALTER TABLE facts_v2 RENAME TO facts;

-- The run report counts issues opened and resolved by the run, open filing updates, and the open issues of each
-- package the run checked: without these it read every issue of the registry.
CREATE INDEX issues_opened_run ON issues(opened_run);
CREATE INDEX issues_resolved_run ON issues(resolved_run) WHERE resolved_run IS NOT NULL;
CREATE INDEX issues_open_kind ON issues(kind) WHERE resolved_at IS NULL;
CREATE INDEX issues_open_package ON issues(package_id, opened_run) WHERE resolved_at IS NULL;
-- A package's previous verdict (the report's new failures and fixes) read from the index alone, not from old
-- scan rows scattered over the file.
DROP INDEX scans_package;
CREATE INDEX scans_package ON scans(package_id, id, status, verdict);
`,
  },
];

export const SCHEMA_VERSION: number = MIGRATIONS[MIGRATIONS.length - 1]!.version;
