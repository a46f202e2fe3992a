// The store and the import: schema migrations, WAL, re-import updating instead of duplicating, manifests.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { openRegistry, schemaVersion } from '../../src/registry/db.js';
import { importPath } from '../../src/registry/import.js';
import { pairFolder, parseCsv, readManifest } from '../../src/registry/manifest.js';
import { SCHEMA_VERSION } from '../../src/registry/migrations.js';
import { SAMPLE_APK, SAMPLE_RECORD, sampleFolder, sampleRecord, tempDir, writeRecord } from './helpers.js';
import { errorCode as code } from '../helpers/error-code.js';


describe('database', () => {
  it('a new file gets the schema, WAL and a version row; opening again migrates nothing', () => {
    const path = join(tempDir('db'), 'r.db');
    const db = openRegistry(path);
    expect(schemaVersion(db)).toBe(SCHEMA_VERSION);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
    // Checked with a connection of our own, not through openRegistry.
    const raw = new Database(path, { readonly: true });
    expect(raw.prepare('SELECT COUNT(*) AS n FROM schema_version').get()).toEqual({ n: SCHEMA_VERSION });
    const tables = (raw.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[]).map((t) => t.name);
    expect(tables).toEqual(expect.arrayContaining(['records', 'apps', 'packages', 'facts', 'runs', 'scans', 'app_versions', 'issues', 'schema_version']));
    raw.close();
    openRegistry(path).close();
    const again = new Database(path, { readonly: true });
    expect(again.prepare('SELECT COUNT(*) AS n FROM schema_version').get()).toEqual({ n: SCHEMA_VERSION });
    again.close();
  });

  it('a database from a newer eduscan, a file that is not SQLite, a missing file opened read-only: E_DB', () => {
    const dir = tempDir('db');
    const newer = join(dir, 'newer.db');
    openRegistry(newer).close();
    const raw = new Database(newer);
    raw.prepare('INSERT INTO schema_version VALUES (?, ?, ?)').run(SCHEMA_VERSION + 1, 'future', 'x');
    raw.close();
    expect(code(() => openRegistry(newer))).toBe('E_DB');
    const junk = join(dir, 'junk.db');
    writeFileSync(junk, 'this is not a database, just text that is long enough to have a header page or so.'.repeat(20));
    expect(code(() => openRegistry(junk))).toBe('E_DB');
    expect(code(() => openRegistry(join(dir, 'none.db'), { readonly: true }))).toBe('E_DB');
  });
});

describe('registry import', () => {
  it('a folder: the record pairs with its package; importing again changes nothing; a changed record is an update', () => {
    const { dir, record } = sampleFolder();
    const db = openRegistry(join(dir, 'r.db'));
    const first = importPath(db, dir);
    expect(first.records).toMatchObject({ added: 1, updated: 0 });
    expect(first.packages).toMatchObject({ added: 1, updated: 0, unchanged: 0 });
    const again = importPath(db, dir);
    expect(again.records).toMatchObject({ added: 0, updated: 0, unchanged: 1 });
    expect(again.packages).toMatchObject({ added: 0, updated: 0, unchanged: 1 });
    expect(db.prepare('SELECT COUNT(*) AS n FROM packages').get()).toEqual({ n: 1 });
    const row = db.prepare('SELECT r.path, r.kind, r.digest, r.unit_name FROM packages p JOIN records r ON r.id = p.record_id').get() as Record<string, string>;
    expect(row.path).toBe(record);
    expect(row.kind).toBe('provider');
    expect(row.unit_name).toBe(sampleRecord().provider && (sampleRecord().provider as { name: string }).name);
    expect(row.digest).toBe(execFileSync('sha256sum', [record]).toString().split(' ')[0]);
    // The record's apps are known before any scan.
    expect(db.prepare('SELECT name, platform, package_id FROM apps').all()).toEqual([{ name: '智慧课堂', platform: 'android', package_id: 'cn.example.smartclass' }]);

    writeFileSync(record, `${readFileSync(record, 'utf8')}\n# edited\n`);
    const third = importPath(db, dir);
    expect(third.records).toMatchObject({ updated: 1, added: 0 });
    expect(db.prepare('SELECT COUNT(*) AS n FROM records').get()).toEqual({ n: 1 });
  });

  it('a folder: files that are not filing records are skipped; several records pair by file stem; the nearest folder record applies', () => {
    const dir = tempDir('pair');
    mkdirSync(join(dir, 'a'));
    mkdirSync(join(dir, 'b', 'builds'), { recursive: true });
    copyFileSync(SAMPLE_APK, join(dir, 'a', 'one.apk'));
    copyFileSync(SAMPLE_APK, join(dir, 'a', 'two.apk'));
    copyFileSync(SAMPLE_RECORD, join(dir, 'a', 'one.provider.yaml'));
    copyFileSync(SAMPLE_RECORD, join(dir, 'a', 'two.yaml'));
    writeFileSync(join(dir, 'a', 'settings.json'), '{"theme": "dark"}');
    copyFileSync(SAMPLE_APK, join(dir, 'b', 'builds', 'v1.apk'));
    copyFileSync(SAMPLE_RECORD, join(dir, 'b', 'record.yaml'));
    const db = openRegistry(join(dir, 'r.db'));
    const r = importPath(db, dir);
    expect(r.rejected).toEqual([]);
    expect(r.records.added).toBe(3);
    const pairs = db.prepare('SELECT p.path AS pkg, r.path AS rec FROM packages p JOIN records r ON r.id = p.record_id ORDER BY p.path').all();
    expect(pairs).toEqual([
      { pkg: join(dir, 'a', 'one.apk'), rec: join(dir, 'a', 'one.provider.yaml') },
      { pkg: join(dir, 'a', 'two.apk'), rec: join(dir, 'a', 'two.yaml') },
      { pkg: join(dir, 'b', 'builds', 'v1.apk'), rec: join(dir, 'b', 'record.yaml') },
    ]);
    expect(pairFolder(dir, [join(dir, 'lonely.apk')], []).unpaired).toEqual([join(dir, 'lonely.apk')]);
  });

  it('a CSV manifest (quoted fields, BOM, relative paths) and a JSON Lines manifest give the same entries; a missing package is rejected', () => {
    const dir = tempDir('manifest');
    copyFileSync(SAMPLE_APK, join(dir, 'my, app.apk'));
    writeRecord(join(dir, 'rec.json'), sampleRecord());
    writeFileSync(join(dir, 'm.csv'), '\ufeffrecord,package,app\r\nrec.json,"my, app.apk",智慧课堂\r\nrec.json,missing.apk,\r\n');
    writeFileSync(join(dir, 'm.jsonl'), `${JSON.stringify({ record: 'rec.json', package: 'my, app.apk', app: '智慧课堂' })}\n\n`);
    const csv = readManifest(join(dir, 'm.csv'));
    expect(csv[0]).toMatchObject({ record: join(dir, 'rec.json'), package: join(dir, 'my, app.apk'), app: '智慧课堂', origin: 'm.csv:2' });
    expect(csv[1]).toMatchObject({ package: join(dir, 'missing.apk') });
    expect(csv[1]!.app).toBeUndefined();
    const jsonl = readManifest(join(dir, 'm.jsonl'));
    expect(jsonl).toHaveLength(1);
    expect({ ...jsonl[0], origin: '' }).toEqual({ ...csv[0], origin: '' });

    const db = openRegistry(join(dir, 'r.db'));
    const r = importPath(db, join(dir, 'm.csv'));
    expect(r.packages.added).toBe(1);
    expect(r.rejected).toEqual([{ origin: 'm.csv:3', reason: expect.stringMatching(/missing\.apk: ENOENT \[E_IO\]/) }]);
    expect(importPath(db, join(dir, 'm.jsonl')).packages).toMatchObject({ added: 0, unchanged: 1 });
    expect(db.prepare('SELECT app_name FROM packages').get()).toEqual({ app_name: '智慧课堂' });
  });

  it('--prune removes entries no longer in the import', () => {
    const { dir } = sampleFolder();
    copyFileSync(SAMPLE_APK, join(dir, 'old.apk'));
    const db = openRegistry(join(dir, 'r.db'));
    importPath(db, dir);
    writeFileSync(join(dir, 'm.csv'), 'package\nsmartclass.apk\n');
    expect(importPath(db, join(dir, 'm.csv'), { prune: true }).pruned).toBe(1);
    expect(db.prepare('SELECT COUNT(*) AS n FROM packages').get()).toEqual({ n: 1 });
  });

  it('bad manifests are E_USAGE with the line', () => {
    const dir = tempDir('bad');
    writeFileSync(join(dir, 'a.csv'), 'name,size\nx,1\n');
    expect(code(() => readManifest(join(dir, 'a.csv')))).toBe('E_USAGE');
    writeFileSync(join(dir, 'b.jsonl'), '{"package": "x.apk"}\n[1]\n');
    expect(() => readManifest(join(dir, 'b.jsonl'))).toThrow(/^b\.jsonl:2: /);
    writeFileSync(join(dir, 'c.csv'), 'package\n"unterminated\n');
    expect(code(() => readManifest(join(dir, 'c.csv')))).toBe('E_USAGE');
    expect(code(() => importPath(openRegistry(join(dir, 'r.db')), join(dir, 'notes.txt')))).toBe('E_IO');
  });

  it('CSV fields: quotes, doubled quotes, line breaks, CRLF, empty fields', () => {
    expect(parseCsv('a,b,c\r\n"x, y","he said ""hi""","line\nbreak"\r\n,,\n', 't')).toEqual([
      ['a', 'b', 'c'], ['x, y', 'he said "hi"', 'line\nbreak'], ['', '', ''],
    ]);
  });
});
