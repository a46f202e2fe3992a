// Schema upgrades: a registry written by schema version 1 (facts WITHOUT ROWID, no report indexes) is opened by
// this eduscan, migrated in place with its data, and re-scans exactly like a registry created at the current
// version. The version-1 file is built the way version 1 built it: its own migration SQL, then the rows of a
// real registry (sample package, variants, a broken package) copied in.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { closeHashPool } from '../../src/hash/hash.js';
import { openRegistry, schemaVersion, type Db } from '../../src/registry/db.js';
import { importPath } from '../../src/registry/import.js';
import { MIGRATIONS, SCHEMA_VERSION } from '../../src/registry/migrations.js';
import { errorCode as code } from '../helpers/error-code.js';
import { openTemp, run, SAMPLE_APK, sampleFolder, tempDir } from './helpers.js';

const dirs: string[] = [];
afterAll(async () => {
  await closeHashPool();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** The tables version 1 created, parents first. */
const V1_TABLES = ['records', 'apps', 'packages', 'facts', 'runs', 'scans', 'app_versions', 'issues'];

/** A version-1 registry file holding every row of `source` (a registry at the current version). */
function versionOneCopy(source: string, target: string): void {
  const v1 = new Database(target);
  v1.pragma('journal_mode = WAL');
  // What db.ts did for a new file at version 1: the version table, migration 1, its row.
  v1.exec('CREATE TABLE schema_version (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)');
  v1.exec(MIGRATIONS[0]!.sql);
  v1.prepare('INSERT INTO schema_version VALUES (1, ?, ?)').run(MIGRATIONS[0]!.name, '2026-01-01T00:00:00.000Z');
  v1.prepare('ATTACH DATABASE ? AS src').run(source);
  v1.transaction(() => {
    for (const t of V1_TABLES) {
      // The columns version 1 has (the current facts table has an id more).
      const cols = (v1.prepare(`SELECT name FROM pragma_table_info('${t}')`).all() as { name: string }[]).map((c) => c.name).join(', ');
      v1.exec(`INSERT INTO main.${t} (${cols}) SELECT ${cols} FROM src.${t}`);
    }
  })();
  v1.exec('DETACH DATABASE src');
  v1.close();
}

const factsSql = (db: Db | Database.Database) => (db.prepare("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'facts'").get() as { sql: string }).sql;
const factRows = (db: Db) => db.prepare('SELECT sha256, parser_version, facts_json, error_code, error_message, created_at FROM facts ORDER BY sha256').all();
const scanRows = (db: Db, run: number) => (db.prepare(`SELECT p.path, s.status, s.verdict, s.high, s.medium, s.low, s.error_code, s.findings_digest,
    s.findings_json IS NULL AS deduplicated FROM scans s JOIN packages p ON p.id = s.package_id WHERE s.run_id = ?`).all(run) as { path: string; status: string; deduplicated: number }[])
  .map(({ path, ...r }) => ({ file: basename(path), ...r })).sort((a, b) => a.file.localeCompare(b.file));
const issueRows = (db: Db) => (db.prepare(`SELECT p.path, i.key, i.rule, i.severity, i.deadline, i.first_seen, i.opened_run, i.resolved_at, i.resolved_run
    FROM issues i JOIN packages p ON p.id = i.package_id`).all() as { path: string; key: string }[])
  .map(({ path, ...r }) => ({ file: basename(path), ...r })).sort((a, b) => a.file.localeCompare(b.file) || a.key.localeCompare(b.key));

describe('migration 1 → 2', () => {
  it('keeps every row, turns facts into a rowid table, adds the report indexes, and re-scans like a new registry', async () => {
    const { dir } = sampleFolder('migrate');
    dirs.push(dir);
    for (let i = 0; i < 3; i++) writeFileSync(join(dir, `v${i}.apk`), Buffer.concat([Buffer.from(`variant ${i}\n`), readFileSync(SAMPLE_APK)]));
    writeFileSync(join(dir, 'broken.apk'), 'not a zip');
    const current = openTemp(dir);
    importPath(current.db, dir);
    const first = await run(current.db, { today: '2026-02-13' });
    expect(first.status).toMatchObject({ ok: 4, error: 1 });
    current.db.pragma('wal_checkpoint(TRUNCATE)');

    const v1Path = join(tempDir('migrate-v1'), 'v1.db');
    dirs.push(join(v1Path, '..'));
    versionOneCopy(current.path, v1Path);
    const raw = new Database(v1Path, { readonly: true });
    expect(factsSql(raw)).toMatch(/WITHOUT ROWID/);
    raw.close();
    // A reader cannot migrate: it says so instead of reading a schema it does not know.
    expect(code(() => openRegistry(v1Path, { readonly: true }))).toBe('E_DB');

    const upgraded = openRegistry(v1Path);
    expect(schemaVersion(upgraded)).toBe(SCHEMA_VERSION);
    expect(upgraded.prepare('SELECT version FROM schema_version ORDER BY version').all()).toEqual(MIGRATIONS.map((m) => ({ version: m.version })));
    expect(factsSql(upgraded)).not.toMatch(/WITHOUT ROWID/);
    expect(factRows(upgraded)).toEqual(factRows(current.db));
    expect(factRows(upgraded).filter((r) => (r as { error_code: string | null }).error_code === 'E_NOT_ZIP')).toHaveLength(1);
    // (sha256, parser_version) is still the key.
    const one = upgraded.prepare('SELECT sha256, parser_version, created_at FROM facts LIMIT 1').get() as { sha256: string; parser_version: string; created_at: string };
    expect(() => upgraded.prepare('INSERT INTO facts (sha256, parser_version, created_at) VALUES (?, ?, ?)').run(one.sha256, one.parser_version, one.created_at)).toThrow(/UNIQUE/);
    const indexes = (upgraded.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL").all() as { name: string }[]).map((i) => i.name);
    expect(indexes).toEqual(expect.arrayContaining(['issues_opened_run', 'issues_resolved_run', 'issues_open_kind', 'issues_open_package', 'scans_package']));
    expect(upgraded.pragma('integrity_check', { simple: true })).toBe('ok');
    expect(issueRows(upgraded)).toEqual(issueRows(current.db));

    // The same re-scan on both gives the same rows.
    for (const db of [upgraded, current.db]) {
      const r = await run(db, { today: '2026-02-20', mode: 'rules-only' });
      expect(r).toMatchObject({ processed: 5, parsed: 0 });
    }
    expect(scanRows(upgraded, 2)).toEqual(scanRows(current.db, 2));
    // Nothing changed: every finding list is the previous scan's (stored once).
    expect(scanRows(upgraded, 2).filter((s) => s.status === 'ok').every((s) => s.deduplicated === 1)).toBe(true);
    expect(issueRows(upgraded)).toEqual(issueRows(current.db));
    upgraded.close();
    // Opening again migrates nothing.
    const again = openRegistry(v1Path);
    expect(again.prepare('SELECT COUNT(*) AS n FROM schema_version').get()).toEqual({ n: SCHEMA_VERSION });
    again.close();
    current.db.close();
  });
});
