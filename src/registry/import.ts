// `registry import`: records and packages into the store. Keys are absolute paths, so importing the same
// folder or manifest again updates rows instead of adding new ones; a record whose text changed is a filing
// update (changed_at moves), which is what closes a "filing update due" issue.
import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { EduscanError, isEduscanError } from '../errors.js';
import { rawApps, readFilingFile, type FilingDocument } from '../filing/load.js';
import type { Db } from './db.js';
import { isManifest, pairFolder, readManifest, walkFolder, type ImportEntry } from './manifest.js';

export interface ImportCounts {
  added: number;
  updated: number;
  unchanged: number;
}

export interface ImportReport {
  records: ImportCounts & { withProblems: number };
  packages: ImportCounts;
  /** Entries not imported, and why (missing package, unreadable record...). */
  rejected: { origin: string; reason: string }[];
  /** Packages imported without a record (they get a package-only check). */
  withoutRecord: number;
  /** Paths of entries seen (for --prune). */
  seen: number;
  pruned: number;
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function unitName(doc: FilingDocument): string | null {
  const raw = doc.raw as { provider?: { name?: unknown }; unit?: { name?: unknown } };
  const n = doc.kind === 'provider' ? raw.provider?.name : raw.unit?.name;
  return typeof n === 'string' ? n : null;
}

/** Reads the entries of PATH: a manifest file, or a folder to walk. Non-record JSON/YAML files are skipped. */
export function collectEntries(path: string): { entries: ImportEntry[]; docs: Map<string, FilingDocument>; rejected: ImportReport['rejected'] } {
  const abs = resolve(path);
  let st;
  try {
    st = statSync(abs);
  } catch (e) {
    throw new EduscanError('E_IO', `cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { file: path });
  }
  const docs = new Map<string, FilingDocument>();
  const rejected: ImportReport['rejected'] = [];
  const load = (file: string, origin: string, quietIfNotRecord: boolean): FilingDocument | undefined => {
    const hit = docs.get(file);
    if (hit) return hit;
    try {
      const doc = readFilingFile(file);
      docs.set(file, doc);
      return doc;
    } catch (e) {
      if (!isEduscanError(e)) throw e;
      if (!quietIfNotRecord) rejected.push({ origin, reason: `${e.message} [${e.code}]` });
      return undefined;
    }
  };
  if (st.isFile()) {
    if (!isManifest(abs)) throw new EduscanError('E_USAGE', `${path}: expected a folder, or a manifest ending in .csv, .jsonl or .ndjson`);
    const entries: ImportEntry[] = [];
    for (const e of readManifest(abs)) {
      if (e.record && !load(e.record, e.origin, false)) continue;
      entries.push(e);
    }
    return { entries, docs, rejected };
  }
  const found = walkFolder(abs);
  // In a folder, a JSON/YAML file that is not a filing record (a rules file, a config) is simply not one.
  const records = found.records.filter((r) => load(r, r, true) !== undefined);
  return { entries: pairFolder(abs, found.packages, records).entries, docs, rejected };
}

export function importPath(db: Db, path: string, opts: { now?: Date; prune?: boolean } = {}): ImportReport {
  const { entries, docs, rejected } = collectEntries(path);
  return importEntries(db, entries, docs, { ...opts, rejected });
}

export function importEntries(
  db: Db, entries: readonly ImportEntry[], docs: ReadonlyMap<string, FilingDocument>,
  opts: { now?: Date; prune?: boolean; rejected?: ImportReport['rejected'] } = {},
): ImportReport {
  const now = (opts.now ?? new Date()).toISOString();
  const report: ImportReport = {
    records: { added: 0, updated: 0, unchanged: 0, withProblems: 0 },
    packages: { added: 0, updated: 0, unchanged: 0 },
    rejected: [...(opts.rejected ?? [])],
    withoutRecord: 0,
    seen: 0,
    pruned: 0,
  };
  const getRecord = db.prepare<[string], { id: number; digest: string }>('SELECT id, digest FROM records WHERE path = ?');
  const insertRecord = db.prepare(`INSERT INTO records (path, kind, format, text, digest, unit_name, problems, problems_json, imported_at, changed_at)
    VALUES (@path, @kind, @format, @text, @digest, @unit, @problems, @problemsJson, @now, @now)`);
  const updateRecord = db.prepare(`UPDATE records SET kind = @kind, format = @format, text = @text, digest = @digest, unit_name = @unit,
    problems = @problems, problems_json = @problemsJson, imported_at = @now, changed_at = @now WHERE id = @id`);
  const upsertApp = db.prepare(`INSERT INTO apps (record_id, app_index, name, platform, package_id, version, filing_no)
    VALUES (@record, @index, @name, @platform, @packageId, @version, @filingNo)
    ON CONFLICT (record_id, name, platform) DO UPDATE SET app_index = excluded.app_index, package_id = excluded.package_id,
      version = excluded.version, filing_no = excluded.filing_no`);
  // Apps that left the record keep their history; app_index -1 marks them withdrawn.
  const withdrawApps = db.prepare('UPDATE apps SET app_index = -1 WHERE record_id = ?');
  const getPackage = db.prepare<[string], { id: number; record_id: number | null; app_name: string | null }>('SELECT id, record_id, app_name FROM packages WHERE path = ?');
  const insertPackage = db.prepare('INSERT INTO packages (path, record_id, app_name, added_at, updated_at) VALUES (?, ?, ?, ?, ?)');
  const updatePackage = db.prepare('UPDATE packages SET record_id = ?, app_name = ?, updated_at = ? WHERE id = ?');

  const recordIds = new Map<string, number>();
  const storeRecord = (file: string, doc: FilingDocument): number => {
    const known = recordIds.get(file);
    if (known !== undefined) return known;
    const digest = sha256(doc.text);
    const row = getRecord.get(file);
    const values = {
      path: file, kind: doc.kind, format: doc.format, text: doc.text, digest, unit: unitName(doc),
      problems: doc.problems.length, problemsJson: JSON.stringify(doc.problems), now,
    };
    let id: number;
    if (!row) {
      id = Number(insertRecord.run(values).lastInsertRowid);
      report.records.added++;
    } else {
      id = row.id;
      if (row.digest !== digest) {
        updateRecord.run({ ...values, id });
        report.records.updated++;
      } else report.records.unchanged++;
    }
    if (doc.problems.length) report.records.withProblems++;
    withdrawApps.run(id);
    (rawApps(doc) ?? []).forEach((a, index) => {
      if (typeof a !== 'object' || a === null) return;
      const app = a as Record<string, unknown>;
      const text = (k: string): string | null => (typeof app[k] === 'string' ? (app[k] as string) : null);
      const name = text('name');
      if (!name) return;
      upsertApp.run({ record: id, index, name, platform: text('platform') ?? '', packageId: text('packageId'), version: text('version'), filingNo: text('filingNo') });
    });
    recordIds.set(file, id);
    return id;
  };

  const seen = new Set<string>();
  db.transaction(() => {
    for (const e of entries) {
      try {
        if (!statSync(e.package).isFile()) throw new Error('not a regular file');
      } catch (err) {
        report.rejected.push({ origin: e.origin, reason: `package ${e.package}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message} [E_IO]` });
        continue;
      }
      const doc = e.record ? docs.get(e.record) : undefined;
      const recordId = e.record && doc ? storeRecord(e.record, doc) : null;
      if (recordId === null) report.withoutRecord++;
      const app = e.app ?? null;
      seen.add(e.package);
      const row = getPackage.get(e.package);
      if (!row) {
        insertPackage.run(e.package, recordId, app, now, now);
        report.packages.added++;
      } else if (row.record_id !== recordId || row.app_name !== app) {
        updatePackage.run(recordId, app, now, row.id);
        report.packages.updated++;
      } else report.packages.unchanged++;
    }
    // Records listed on their own in a folder (no package yet) are kept too: reviewers see them in `list`.
    for (const [file, doc] of docs) storeRecord(file, doc);
    if (opts.prune) {
      const all = db.prepare<[], { id: number; path: string }>('SELECT id, path FROM packages').all();
      const del = db.prepare('DELETE FROM packages WHERE id = ?');
      for (const p of all) {
        if (!seen.has(p.path)) {
          del.run(p.id);
          report.pruned++;
        }
      }
    }
  }).immediate();
  report.seen = seen.size;
  return report;
}
