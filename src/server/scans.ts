// Scans uploaded to the service: stored rows, and the check run on a stored package (or re-run from the stored
// facts when a reviewer adds a suppression).
import { checkFacts } from '../check/check.js';
import type { CheckResult, Suppression } from '../check/types.js';
import { EduscanError } from '../errors.js';
import type { PackageFacts } from '../facts/schema.js';
import { formatFromPath, parseFilingText } from '../filing/load.js';
import { selectApp } from '../filing/match.js';
import type { Db } from '../registry/db.js';
import type { RuleSet } from '../rules/types.js';
import type { Principal } from './tokens.js';

export type ScanStatus = 'running' | 'done' | 'error' | 'interrupted';

export interface ScanRow {
  id: number;
  tokenId: number;
  owner: string;
  filename: string;
  size: number;
  md5: string;
  sha256: string;
  status: ScanStatus;
  verdict: string | null;
  appPackage: string | null;
  versionName: string | null;
  recordName: string | null;
  errorCode: string | null;
  errorMessage: string | null;
  createdAt: string;
  finishedAt: string | null;
}

const ROW_COLUMNS = `id, token_id AS tokenId, owner, filename, size, md5, sha256, status, verdict, app_package AS appPackage,
  version_name AS versionName, record_name AS recordName, error_code AS errorCode, error_message AS errorMessage,
  created_at AS createdAt, finished_at AS finishedAt`;

export interface NewScan {
  principal: Principal;
  filename: string;
  size: number;
  md5: string;
  sha256: string;
  record?: { name: string; text: string };
}

export function insertScan(db: Db, s: NewScan): number {
  const r = db.prepare(`INSERT INTO server_scans (token_id, owner, filename, size, md5, sha256, status, record_text, record_name, created_at)
    VALUES (?, ?, ?, ?, ?, ?, 'running', ?, ?, ?)`).run(s.principal.tokenId, s.principal.name, s.filename, s.size, s.md5, s.sha256,
    s.record?.text ?? null, s.record?.name ?? null, new Date().toISOString());
  return Number(r.lastInsertRowid);
}

export function finishScan(db: Db, id: number, facts: PackageFacts, result: CheckResult): void {
  db.prepare(`UPDATE server_scans SET status = 'done', verdict = ?, app_package = ?, version_name = ?, facts_json = ?, result_json = ?,
    finished_at = ? WHERE id = ?`).run(result.verdict, facts.id, facts.versionName ?? null, JSON.stringify(facts), JSON.stringify(result),
    new Date().toISOString(), id);
}

export function failScan(db: Db, id: number, code: string, message: string, status: 'error' | 'interrupted' = 'error'): void {
  db.prepare('UPDATE server_scans SET status = ?, error_code = ?, error_message = ?, finished_at = ? WHERE id = ?')
    .run(status, code, message, new Date().toISOString(), id);
}

/** Scans left 'running' by a server that died: recorded as interrupted, never silently lost. */
export function markInterrupted(db: Db, why: string): number {
  return db.prepare("UPDATE server_scans SET status = 'interrupted', error_code = 'E_INTERRUPTED', error_message = ?, finished_at = ? WHERE status = 'running'")
    .run(why, new Date().toISOString()).changes;
}

/** A provider sees only its own scans; reviewer and admin see all. */
export function getScan(db: Db, id: number, who: Principal): ScanRow | undefined {
  const row = db.prepare(`SELECT ${ROW_COLUMNS} FROM server_scans WHERE id = ?`).get(id) as ScanRow | undefined;
  if (!row) return undefined;
  if (who.role === 'provider' && row.tokenId !== who.tokenId) return undefined;
  return row;
}

export function listScans(db: Db, who: Principal, opts: { limit: number; before?: number }): ScanRow[] {
  const where: string[] = [];
  const args: number[] = [];
  if (who.role === 'provider') {
    where.push('token_id = ?');
    args.push(who.tokenId);
  }
  if (opts.before !== undefined) {
    where.push('id < ?');
    args.push(opts.before);
  }
  return db.prepare(`SELECT ${ROW_COLUMNS} FROM server_scans ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`)
    .all(...args, opts.limit) as ScanRow[];
}

export function scanResult(db: Db, id: number): CheckResult | undefined {
  const row = db.prepare('SELECT result_json AS j FROM server_scans WHERE id = ?').get(id) as { j: string | null } | undefined;
  return row?.j ? (JSON.parse(row.j) as CheckResult) : undefined;
}

export function storedSuppressions(db: Db, scanId: number): Suppression[] {
  const rows = db.prepare('SELECT rule, reason, by, until FROM server_suppressions WHERE scan_id = ? ORDER BY id').all(scanId) as
    { rule: string; reason: string; by: string; until: string | null }[];
  return rows.map((r) => ({ rule: r.rule, reason: r.reason, by: r.by, ...(r.until ? { until: r.until } : {}) }));
}

export function addSuppression(db: Db, scanId: number, s: Suppression): void {
  db.prepare('INSERT INTO server_suppressions (scan_id, rule, reason, by, until, created_at) VALUES (?, ?, ?, ?, ?, ?)')
    .run(scanId, s.rule, s.reason, s.by, s.until ?? null, new Date().toISOString());
}

/** The check of one package: against the uploaded record when there is one, with the record's and the reviewers' suppressions. */
export function runCheckFor(facts: PackageFacts, ruleSet: RuleSet, record: { name: string; text: string } | undefined, extra: Suppression[]): CheckResult {
  const suppressions: Suppression[] = [];
  if (!record) return checkFacts({ facts, ruleSet, suppressions: extra });
  const doc = parseFilingText(record.text, { format: formatFromPath(record.name, record.text), file: record.name });
  if (!doc.data) {
    const p = doc.problems[0];
    throw new EduscanError('E_RECORD', `the filing record has ${doc.problems.length} problem(s)${p ? `; first: ${p.path || '.'}: ${p.en}` : ''}`, { file: record.name });
  }
  const m = selectApp(doc, facts);
  if (doc.kind === 'provider' && doc.data.suppress) suppressions.push(...(doc.data.suppress as Suppression[]));
  suppressions.push(...extra);
  return checkFacts({
    facts, ruleSet, suppressions,
    app: { data: m.app as unknown as Record<string, unknown>, index: m.index, file: record.name, name: m.app.name },
    record: doc.data as unknown as Record<string, unknown>,
  });
}

/** Re-runs the check from the stored facts (after a suppression) and stores the new result. */
export function recheck(db: Db, id: number, ruleSet: RuleSet): CheckResult | undefined {
  const row = db.prepare('SELECT facts_json AS f, record_text AS t, record_name AS n FROM server_scans WHERE id = ?').get(id) as
    { f: string | null; t: string | null; n: string | null } | undefined;
  if (!row?.f) return undefined;
  const facts = JSON.parse(row.f) as PackageFacts;
  const result = runCheckFor(facts, ruleSet, row.t !== null ? { name: row.n ?? 'record.yaml', text: row.t } : undefined, storedSuppressions(db, id));
  finishScan(db, id, facts, result);
  return result;
}
