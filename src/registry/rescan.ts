// `eduscan rescan`: every registry entry through the checker, crash-safe and resumable.
//  - A run is a row of `runs`; each package's result commits in its own transaction together with everything
//    it changes (facts cache, package digests, version history, issue lifecycle). UNIQUE (run_id, package_id)
//    makes the commit idempotent, so a run killed at any instant and started again finishes the packages it had
//    not committed, and none twice.
//  - Facts are cached by SHA-256 + PARSER_VERSION. A file whose size and mtime match the stored ones keeps its
//    stored SHA-256 and is neither hashed nor parsed; --rules-only never opens a package at all.
//  - Parsing runs in worker threads (ScanPool); checking against the record and the rules, and all writes,
//    run on this thread (SQLite has one writer anyway).
import { hostname } from 'node:os';
import { statSync } from 'node:fs';
import pLimit from 'p-limit';
import type { Logger } from 'pino';
import type { WorkCalendar } from '../calendar/calendar.js';
import { checkFacts } from '../check/check.js';
import type { CheckResult, Finding, Suppression, Verdict } from '../check/types.js';
import { EduscanError, isEduscanError } from '../errors.js';
import type { PackageFacts } from '../facts/schema.js';
import { parseFilingText, type FilingDocument } from '../filing/load.js';
import { selectApp } from '../filing/match.js';
import type { RuleSet } from '../rules/types.js';
import { PARSER_VERSION } from '../scan.js';
import type { Db } from './db.js';
import { runScanJob, type JobError, type ScanJob, type ScanJobResult } from './job.js';
import {
  deadlineAfter, describeChanges, FILING_UPDATE_RULE, FILING_UPDATE_WORKING_DAYS, issueKey, REMEDIATION_WORKING_DAYS, snapshot, TRACKED,
  versionChanges, type VersionSnapshot,
} from './lifecycle.js';
import { ScanPool } from './pool.js';

export type RescanMode = 'full' | 'changed-only' | 'rules-only';
export type ScanStatus = 'ok' | 'error' | 'unchanged' | 'no-facts';

export interface RescanOptions {
  mode: RescanMode;
  /** Parser worker threads; 0 parses on this thread (tests, tiny registries). */
  concurrency: number;
  /** yyyy-mm-dd: the day deadlines count from. A resumed run keeps the day it started with. */
  today: string;
  ruleSet: RuleSet;
  calendar: WorkCalendar;
  /** The database file, for the workers' read-only facts-cache lookups. */
  dbPath?: string;
  verify?: boolean;
  /** Take over a run another process left 'running' even if its pid seems alive. */
  takeover?: boolean;
  log?: Logger;
  onStart?: (info: { run: number; total: number; done: number; resumed: boolean }) => void;
  onProgress?: (done: number, total: number) => void;
  now?: () => Date;
}

export interface IssueLine {
  package: string;
  rule: string;
  severity: string;
  kind: string;
  message: string;
  deadline: string | null;
}

export interface VerdictChange {
  package: string;
  from: Verdict | null;
  to: Verdict;
}

/** Lists in the report are cut here (counts are always complete; `registry list` shows everything). */
export const REPORT_LIST_MAX = 100;

export interface RescanReport {
  run: { id: number; mode: RescanMode; today: string; rulesVersion: string; rulesDigest: string; resumed: boolean; resumes: number };
  total: number;
  /** Packages this invocation committed, and those an earlier (killed) invocation of the same run had. */
  processed: number;
  alreadyDone: number;
  status: Record<ScanStatus, number>;
  /** Of this invocation: parsed now, facts from the cache, bytes parsed. */
  parsed: number;
  fromCache: number;
  bytesParsed: number;
  seconds: number;
  packagesPerSecond: number;
  mbPerSecond: number;
  verdicts: Record<Verdict, number>;
  errors: { package: string; code: string; message: string }[];
  diff: {
    newFailures: number;
    fixed: number;
    newIssues: number;
    resolvedIssues: number;
    stillOpen: number;
    overdue: number;
    filingUpdatesDue: number;
    newFailureList: VerdictChange[];
    fixedList: VerdictChange[];
    newIssueList: IssueLine[];
    overdueList: IssueLine[];
  };
}

interface PackageRow {
  id: number;
  path: string;
  record_id: number | null;
  app_name: string | null;
  size: number | null;
  mtime_ms: number | null;
  md5: string | null;
  sha256: string | null;
  last_scan_id: number | null;
}

interface RecordCtx {
  id: number;
  digest: string;
  doc?: FilingDocument;
  error?: JobError;
  suppressions: Suppression[];
}

interface Evaluation {
  result?: CheckResult;
  error?: JobError;
  appId: number | null;
  recordId: number | null;
  recordDigest: string | null;
}

interface Commit {
  pkg: PackageRow;
  status: ScanStatus;
  source: 'parsed' | 'cache' | null;
  digests: { size: number | null; mtimeMs: number | null; md5: string | null; sha256: string | null };
  /** Facts or a content error to add to the cache. */
  cacheFacts?: { json: string | null; error: JobError | null };
  ev?: Evaluation;
}

/** Packages read from the database per page: memory stays flat with registry size. */
const PAGE = 500;
/** Parsed records kept in memory at most. */
const RECORD_CACHE_MAX = 2000;

const EMPTY_STATUS = (): Record<ScanStatus, number> => ({ ok: 0, error: 0, unchanged: 0, 'no-facts': 0 });

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function compactFinding(f: Finding): Record<string, unknown> {
  return {
    rule: f.rule, severity: f.severity, fingerprint: f.fingerprint, message: f.message,
    evidence: f.evidence.map((e) => ({ kind: e.kind, value: e.value, ...(e.location ? { location: e.location } : {}) })),
    ...(f.suppressed ? { suppressed: { by: f.suppressed.by, reason: f.suppressed.reason, ...(f.suppressed.until ? { until: f.suppressed.until } : {}) } } : {}),
  };
}

export async function rescan(db: Db, opts: RescanOptions): Promise<RescanReport> {
  const now = opts.now ?? (() => new Date());
  const t0 = performance.now();
  const { ruleSet, calendar, log } = opts;

  // ---- start or resume the run (under the write lock, so two processes cannot both take it) ----
  const start = db.transaction(() => {
    const live = db.prepare<[], { id: number; mode: RescanMode; rules_digest: string; pid: number | null; host: string | null; today: string; resumes: number }>(
      "SELECT id, mode, rules_digest, pid, host, today, resumes FROM runs WHERE status = 'running' ORDER BY id DESC").all();
    for (const r of live) {
      const ours = r.pid === process.pid && r.host === hostname();
      const elsewhere = r.pid !== null && !ours && (r.host !== hostname() || pidAlive(r.pid));
      if (elsewhere && !opts.takeover) {
        throw new EduscanError('E_BUSY', `run ${r.id} is in progress in process ${r.pid} on ${r.host}; wait for it, or pass --takeover if that process is gone`);
      }
    }
    const packages = (db.prepare('SELECT COUNT(*) AS n FROM packages').get() as { n: number }).n;
    const resumable = live.find((r) => r.mode === opts.mode && r.rules_digest === ruleSet.digest);
    for (const r of live) {
      if (r !== resumable) db.prepare("UPDATE runs SET status = 'abandoned', finished_at = ? WHERE id = ?").run(now().toISOString(), r.id);
    }
    if (resumable) {
      db.prepare('UPDATE runs SET pid = ?, host = ?, resumes = resumes + 1, total = ? WHERE id = ?').run(process.pid, hostname(), packages, resumable.id);
      return { id: resumable.id, today: resumable.today, resumed: true, resumes: resumable.resumes + 1, total: packages };
    }
    const id = Number(db.prepare(`INSERT INTO runs (mode, rules_version, rules_digest, today, status, pid, host, total, started_at)
      VALUES (?, ?, ?, ?, 'running', ?, ?, ?, ?)`).run(opts.mode, ruleSet.version, ruleSet.digest, opts.today, process.pid, hostname(), packages, now().toISOString()).lastInsertRowid);
    return { id, today: opts.today, resumed: false, resumes: 0, total: packages };
  });
  const run = start.immediate();
  const today = run.today;
  const runId = run.id;
  const doneBefore = (db.prepare('SELECT COUNT(*) AS n FROM scans WHERE run_id = ?').get(runId) as { n: number }).n;
  log?.info({ event: 'run-start', run: runId, mode: opts.mode, resumed: run.resumed, total: run.total, done: doneBefore, rules: ruleSet.digest, today }, 'rescan started');
  opts.onStart?.({ run: runId, total: run.total, done: doneBefore, resumed: run.resumed });

  // ---- statements ----
  const pageStmt = db.prepare<[number, number, number], PackageRow>(`SELECT p.id, p.path, p.record_id, p.app_name, p.size, p.mtime_ms, p.md5, p.sha256, p.last_scan_id
    FROM packages p WHERE p.id > ? AND NOT EXISTS (SELECT 1 FROM scans s WHERE s.run_id = ? AND s.package_id = p.id) ORDER BY p.id LIMIT ?`);
  const getFacts = db.prepare<[string, string], { facts_json: string | null; error_code: string | null; error_message: string | null }>(
    'SELECT facts_json, error_code, error_message FROM facts WHERE sha256 = ? AND parser_version = ?');
  const hasFactsStmt = db.prepare<[string, string], { x: number }>('SELECT 1 AS x FROM facts WHERE sha256 = ? AND parser_version = ?');
  const getRecord = db.prepare<[number], { id: number; path: string; format: 'json' | 'yaml'; text: string; digest: string }>('SELECT id, path, format, text, digest FROM records WHERE id = ?');
  const getRecordDigest = db.prepare<[number], { digest: string }>('SELECT digest FROM records WHERE id = ?');
  const getLastScan = db.prepare<[number], { record_digest: string | null; status: string }>('SELECT record_digest, status FROM scans WHERE id = ?');
  const getApp = db.prepare<[number, string, string], { id: number }>('SELECT id FROM apps WHERE record_id = ? AND name = ? AND platform = ?');
  const putFacts = db.prepare('INSERT OR REPLACE INTO facts (sha256, parser_version, facts_json, error_code, error_message, created_at) VALUES (?, ?, ?, ?, ?, ?)');
  const putScan = db.prepare(`INSERT INTO scans (run_id, package_id, status, source, sha256, app_package, version_name, record_id, record_digest, app_id,
      rules_digest, verdict, high, medium, low, info, undeclared_json, findings_json, error_code, error_message, scanned_at)
    VALUES (@run, @pkg, @status, @source, @sha256, @appPackage, @versionName, @recordId, @recordDigest, @appId, @rules, @verdict, @high, @medium, @low, @info, @undeclared, @findings,
      @errorCode, @errorMessage, @at)
    ON CONFLICT (run_id, package_id) DO NOTHING`);
  const updPackage = db.prepare(`UPDATE packages SET size = COALESCE(@size, size), mtime_ms = COALESCE(@mtime, mtime_ms), md5 = COALESCE(@md5, md5),
    sha256 = COALESCE(@sha256, sha256), app_id = COALESCE(@appId, app_id), last_scan_id = COALESCE(@scan, last_scan_id) WHERE id = @id`);
  const issuesOf = db.prepare<[number], { id: number; key: string; kind: string; severity: string; resolved_at: string | null; deadline: string | null; deadline_note: string | null; fingerprint: string | null; opened_run: number }>(
    'SELECT id, key, kind, severity, resolved_at, deadline, deadline_note, fingerprint, opened_run FROM issues WHERE package_id = ?');
  const insIssue = db.prepare(`INSERT INTO issues (package_id, app_id, key, kind, rule, severity, fingerprint, message, first_seen, first_run, last_seen, last_run,
      opened_run, suppressed_reason, suppressed_by, suppressed_until, deadline, deadline_note)
    VALUES (@pkg, @appId, @key, @kind, @rule, @severity, @fingerprint, @message, @today, @run, @today, @run, @run, @sReason, @sBy, @sUntil, @deadline, @note)`);
  const updIssue = db.prepare(`UPDATE issues SET app_id = @appId, severity = @severity, fingerprint = @fingerprint, message = @message, last_seen = @today,
      last_run = @run, suppressed_reason = @sReason, suppressed_by = @sBy, suppressed_until = @sUntil, deadline = @deadline, deadline_note = @note,
      resolved_at = NULL, resolved_run = NULL, opened_run = @openedRun WHERE id = @id`);
  const resolveIssue = db.prepare('UPDATE issues SET resolved_at = ?, resolved_run = ? WHERE id = ?');
  const getVersion = db.prepare<[number, string], { id: number }>('SELECT id FROM app_versions WHERE app_id = ? AND sha256 = ?');
  // The version a new one is compared with: the latest seen by an EARLIER run. Two new versions of one app in
  // the same run are both compared with that baseline, so the outcome does not depend on which worker finished
  // first, nor on where a killed run was resumed.
  const lastVersion = db.prepare<[number, number], { package_id: string | null; version_name: string | null; version_code: string | null; signer: string | null; categories_json: string; rules_json: string }>(
    `SELECT package_id, version_name, version_code, signer, categories_json, rules_json FROM app_versions WHERE app_id = ? AND run_id < ?
     ORDER BY run_id DESC, CAST(version_code AS INTEGER) DESC, sha256 DESC LIMIT 1`);
  const putVersion = db.prepare(`INSERT INTO app_versions (app_id, sha256, package_row, package_id, version_name, version_code, signer, categories_json, rules_json,
      changes_json, first_seen, run_id) VALUES (@appId, @sha256, @pkg, @packageId, @versionName, @versionCode, @signer, @categories, @rules, @changes, @today, @run)`);

  // ---- records: parsed once per run from the stored text (the record file is not read) ----
  const records = new Map<number, RecordCtx>();
  const recordCtx = (id: number): RecordCtx | undefined => {
    const hit = records.get(id);
    if (hit) return hit;
    const row = getRecord.get(id);
    if (!row) return undefined;
    const ctx: RecordCtx = { id, digest: row.digest, suppressions: [] };
    try {
      const doc = parseFilingText(row.text, { format: row.format, file: row.path });
      if (!doc.data) ctx.error = { code: 'E_RECORD', message: `${row.path}: the filing record has ${doc.problems.length} problem(s): ${doc.problems[0]?.path ?? ''} ${doc.problems[0]?.en ?? ''}`.trim() };
      else {
        ctx.doc = doc;
        ctx.suppressions = (doc.data.suppress ?? []) as Suppression[];
      }
    } catch (e) {
      if (!isEduscanError(e)) throw e;
      ctx.error = { code: e.code, message: `${row.path}: ${e.message}` };
    }
    if (records.size >= RECORD_CACHE_MAX) records.clear();
    records.set(id, ctx);
    return ctx;
  };

  const evaluate = (pkg: PackageRow, facts: PackageFacts): Evaluation => {
    const rec = pkg.record_id === null ? undefined : recordCtx(pkg.record_id);
    const base = { appId: null, recordId: rec?.id ?? null, recordDigest: rec?.digest ?? null };
    if (rec?.error) return { ...base, error: rec.error };
    try {
      let app: Parameters<typeof checkFacts>[0]['app'];
      let appId: number | null = null;
      // A use filing without self-developed apps names no app: the package gets a package-only check.
      const hasApps = rec?.doc && (rec.doc.kind === 'provider' || rec.doc.data?.providerFiling !== undefined);
      if (rec?.doc && hasApps) {
        const m = selectApp(rec.doc, facts, pkg.app_name === null ? {} : { app: pkg.app_name });
        app = { data: m.app as unknown as Record<string, unknown>, index: m.index, name: m.app.name, ...(rec.doc.file ? { file: rec.doc.file } : {}) };
        appId = getApp.get(rec.id, m.app.name, m.app.platform)?.id ?? null;
      }
      const result = checkFacts({
        facts, ruleSet, today, now: now(), suppressions: rec?.suppressions ?? [],
        ...(app ? { app } : {}), ...(rec?.doc ? { record: rec.doc.data as unknown as Record<string, unknown> } : {}),
      });
      return { ...base, appId, result };
    } catch (e) {
      if (!isEduscanError(e)) throw e;
      return { ...base, error: { code: e.code, message: e.message } };
    }
  };

  // ---- lifecycle (inside the package's transaction) ----
  const applyVersion = (pkg: PackageRow, ev: Evaluation, sha256: string): void => {
    if (ev.appId === null || !ev.result) return;
    if (getVersion.get(ev.appId, sha256)) return;
    const snap = snapshot(ev.result);
    const prevRow = lastVersion.get(ev.appId, runId);
    const prev: VersionSnapshot | undefined = prevRow ? {
      packageId: prevRow.package_id ?? '', signer: prevRow.signer ?? '', categories: JSON.parse(prevRow.categories_json) as string[], rules: JSON.parse(prevRow.rules_json) as string[],
      ...(prevRow.version_name ? { versionName: prevRow.version_name } : {}), ...(prevRow.version_code ? { versionCode: prevRow.version_code } : {}),
    } : undefined;
    const changes = prev ? versionChanges(prev, snap) : [];
    putVersion.run({
      appId: ev.appId, sha256, pkg: pkg.id, packageId: snap.packageId, versionName: snap.versionName ?? null, versionCode: snap.versionCode ?? null,
      signer: snap.signer, categories: JSON.stringify(snap.categories), rules: JSON.stringify(snap.rules), changes: JSON.stringify(changes), today, run: runId,
    });
    if (!changes.length) return;
    const d = deadlineAfter(calendar, today, FILING_UPDATE_WORKING_DAYS);
    const version = snap.versionName ?? snap.versionCode ?? sha256.slice(0, 12);
    insIssue.run({
      pkg: pkg.id, appId: ev.appId, key: `filing-update:${sha256}`, kind: 'filing-update', rule: FILING_UPDATE_RULE, severity: 'high',
      // The record digest at detection: the issue closes when the record changes (the provider updated it).
      fingerprint: ev.recordDigest, message: JSON.stringify(describeChanges(changes, version)), today, run: runId,
      sReason: null, sBy: null, sUntil: null, deadline: d.deadline, note: d.note,
    });
  };

  const applyIssues = (pkg: PackageRow, ev: Evaluation): void => {
    if (!ev.result) return;
    const existing = new Map(issuesOf.all(pkg.id).map((r) => [r.key, r]));
    const seen = new Set<string>();
    for (const f of ev.result.findings) {
      if (!TRACKED.includes(f.severity)) continue;
      const key = issueKey(f);
      if (seen.has(key)) continue;
      seen.add(key);
      const row = existing.get(key);
      const clocked = f.severity === 'high' && !f.suppressed;
      const s = { sReason: f.suppressed?.reason ?? null, sBy: f.suppressed?.by ?? null, sUntil: f.suppressed?.until ?? null };
      const message = JSON.stringify(f.message);
      if (!row) {
        const d = clocked ? deadlineAfter(calendar, today, REMEDIATION_WORKING_DAYS) : { deadline: null, note: null };
        insIssue.run({ pkg: pkg.id, appId: ev.appId, key, kind: 'finding', rule: f.rule, severity: f.severity, fingerprint: f.fingerprint, message, today, run: runId, ...s, deadline: d.deadline, note: d.note });
        continue;
      }
      const reopened = row.resolved_at !== null;
      let d = { deadline: row.deadline, note: row.deadline_note };
      // The clock starts when the problem is (re)opened as a live high finding, and keeps running while it stays.
      if (f.severity !== 'high') d = { deadline: null, note: null };
      else if (clocked && (reopened || (row.deadline === null && row.deadline_note === null))) d = deadlineAfter(calendar, today, REMEDIATION_WORKING_DAYS);
      updIssue.run({ id: row.id, appId: ev.appId, severity: f.severity, fingerprint: f.fingerprint, message, today, run: runId, ...s, deadline: d.deadline, note: d.note, openedRun: reopened ? runId : row.opened_run });
    }
    for (const row of existing.values()) {
      if (row.resolved_at !== null) continue;
      if (row.kind === 'finding' && !seen.has(row.key)) resolveIssue.run(today, runId, row.id);
      if (row.kind === 'filing-update' && ev.recordDigest !== null && row.fingerprint !== ev.recordDigest) resolveIssue.run(today, runId, row.id);
    }
  };

  const commit = db.transaction((c: Commit): boolean => {
    const ev = c.ev;
    const r = ev?.result;
    const err = ev?.error ?? (c.cacheFacts?.error ?? undefined);
    if (c.cacheFacts && c.digests.sha256) {
      putFacts.run(c.digests.sha256, PARSER_VERSION, c.cacheFacts.json, c.cacheFacts.error?.code ?? null, c.cacheFacts.error?.message ?? null, now().toISOString());
    }
    const info = putScan.run({
      run: runId, pkg: c.pkg.id, status: c.status, source: c.source, sha256: c.digests.sha256,
      appPackage: r?.package.id ?? null, versionName: r?.package.versionName ?? r?.package.versionCode ?? null, recordId: ev?.recordId ?? c.pkg.record_id,
      recordDigest: ev?.recordDigest ?? null, appId: ev?.appId ?? null, rules: ruleSet.digest, verdict: r?.verdict ?? null,
      high: r?.counts.high ?? null, medium: r?.counts.medium ?? null, low: r?.counts.low ?? null, info: r?.counts.info ?? null,
      undeclared: r ? JSON.stringify(r.undeclared.map((u) => u.label)) : null, findings: r ? JSON.stringify(r.findings.map(compactFinding)) : null,
      errorCode: c.status === 'error' ? (err?.code ?? null) : null, errorMessage: c.status === 'error' ? (err?.message ?? null) : null, at: now().toISOString(),
    });
    if (info.changes === 0) return false; // committed before (a resumed run): nothing is applied twice
    const scanId = Number(info.lastInsertRowid);
    const counted = c.status === 'ok' || c.status === 'error';
    updPackage.run({ id: c.pkg.id, size: c.digests.size, mtime: c.digests.mtimeMs, md5: c.digests.md5, sha256: c.digests.sha256, appId: ev?.appId ?? null, scan: counted ? scanId : null });
    if (r && ev && c.digests.sha256) {
      applyVersion(c.pkg, ev, c.digests.sha256);
      applyIssues(c.pkg, ev);
    }
    return true;
  });

  // ---- per package ----
  let parsed = 0;
  let fromCache = 0;
  let bytesParsed = 0;
  let processed = 0;
  const total = Math.max(run.total, doneBefore);
  let done = doneBefore;
  const finish = (c: Commit, ms: number): void => {
    const applied = commit.immediate(c);
    if (applied) {
      processed++;
      done++;
    }
    log?.info({ event: 'package', run: runId, package: c.pkg.path, status: c.status, source: c.source, sha256: c.digests.sha256, verdict: c.ev?.result?.verdict, error: c.status === 'error' ? (c.ev?.error ?? c.cacheFacts?.error) : undefined, ms: Math.round(ms) });
    opts.onProgress?.(done, total);
  };

  const known = (p: PackageRow) => ({ size: p.size, mtimeMs: p.mtime_ms, md5: p.md5, sha256: p.sha256 });

  const fromStored = (p: PackageRow, sha256: string, digests: Commit['digests'], t: number): boolean => {
    const row = getFacts.get(sha256, PARSER_VERSION);
    if (!row) return false;
    fromCache++;
    if (row.facts_json === null) {
      finish({ pkg: p, status: 'error', source: 'cache', digests, ev: { appId: null, recordId: p.record_id, recordDigest: null, error: { code: row.error_code ?? 'E_INTERNAL', message: row.error_message ?? '' } } }, performance.now() - t);
      return true;
    }
    const ev = evaluate(p, JSON.parse(row.facts_json) as PackageFacts);
    finish({ pkg: p, status: ev.error ? 'error' : 'ok', source: 'cache', digests, ev }, performance.now() - t);
    return true;
  };

  const pool = opts.mode !== 'rules-only' && opts.concurrency > 0 ? new ScanPool(opts.concurrency, opts.dbPath) : undefined;
  const runJob = (job: ScanJob): Promise<ScanJobResult> =>
    pool ? pool.run(job) : runScanJob(job, (sha) => hasFactsStmt.get(sha, PARSER_VERSION) !== undefined);

  const processPackage = async (p: PackageRow): Promise<void> => {
    const t = performance.now();
    if (opts.mode === 'rules-only') {
      if (!p.sha256 || !fromStored(p, p.sha256, known(p), t)) finish({ pkg: p, status: 'no-facts', source: null, digests: known(p) }, performance.now() - t);
      return;
    }
    let st;
    try {
      st = statSync(p.path);
    } catch (e) {
      finish({ pkg: p, status: 'error', source: null, digests: known(p), ev: { appId: null, recordId: p.record_id, recordDigest: null, error: { code: 'E_IO', message: `cannot read ${p.path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` } } }, performance.now() - t);
      return;
    }
    const unchanged = p.sha256 !== null && p.size === st.size && p.mtime_ms === st.mtimeMs;
    if (opts.mode === 'changed-only' && unchanged && p.last_scan_id !== null) {
      const last = getLastScan.get(p.last_scan_id);
      const digestNow = p.record_id === null ? null : (getRecordDigest.get(p.record_id)?.digest ?? null);
      if (last && last.record_digest === digestNow) {
        finish({ pkg: p, status: 'unchanged', source: null, digests: known(p) }, performance.now() - t);
        return;
      }
    }
    if (unchanged && fromStored(p, p.sha256!, known(p), t)) return;
    const r = await runJob({ path: p.path, ...(opts.verify ? { verify: true } : {}) });
    const digests = { size: r.size ?? null, mtimeMs: r.mtimeMs ?? null, md5: r.md5 ?? null, sha256: r.sha256 ?? null };
    if (r.error) {
      finish({
        pkg: p, status: 'error', source: 'parsed', digests, ...(r.contentError ? { cacheFacts: { json: null, error: r.error } } : {}),
        ev: { appId: null, recordId: p.record_id, recordDigest: null, error: r.error },
      }, performance.now() - t);
      return;
    }
    if (r.cached && r.sha256 && fromStored(p, r.sha256, digests, t)) return;
    if (!r.facts) {
      finish({ pkg: p, status: 'error', source: 'parsed', digests, ev: { appId: null, recordId: p.record_id, recordDigest: null, error: { code: 'E_INTERNAL', message: 'the scan job returned no facts' } } }, performance.now() - t);
      return;
    }
    parsed++;
    bytesParsed += r.size ?? 0;
    const ev = evaluate(p, r.facts);
    finish({ pkg: p, status: ev.error ? 'error' : 'ok', source: 'parsed', digests, cacheFacts: { json: JSON.stringify(r.facts), error: null }, ev }, performance.now() - t);
  };

  try {
    const limit = pLimit(Math.max(1, opts.concurrency * 2));
    let after = 0;
    for (;;) {
      const page = pageStmt.all(after, runId, PAGE);
      if (page.length === 0) break;
      after = page[page.length - 1]!.id;
      if (opts.mode === 'rules-only') {
        for (const p of page) await processPackage(p);
        // Let timers (the progress bar, the log stream) run between pages of synchronous work.
        await new Promise<void>((resolve) => setImmediate(resolve));
      } else {
        await Promise.all(page.map((p) => limit(() => processPackage(p))));
      }
    }
  } finally {
    await pool?.close();
  }

  db.prepare("UPDATE runs SET status = 'done', finished_at = ? WHERE id = ? AND status = 'running'").run(now().toISOString(), runId);
  const seconds = (performance.now() - t0) / 1000;
  const report = summarize(db, runId, {
    run: { id: runId, mode: opts.mode, today, rulesVersion: ruleSet.version, rulesDigest: ruleSet.digest, resumed: run.resumed, resumes: run.resumes },
    processed, alreadyDone: doneBefore, parsed, fromCache, bytesParsed, seconds,
  });
  log?.info({ event: 'run-end', run: runId, processed, status: report.status, diff: { ...report.diff, newFailureList: undefined, fixedList: undefined, newIssueList: undefined, overdueList: undefined }, seconds }, 'rescan finished');
  return report;
}

type SummaryInput = Pick<RescanReport, 'run' | 'processed' | 'alreadyDone' | 'parsed' | 'fromCache' | 'bytesParsed' | 'seconds'>;

function issueLines(db: Db, where: string, params: unknown[]): IssueLine[] {
  return db.prepare(`SELECT p.path AS package, i.rule, i.severity, i.kind, i.message, i.deadline FROM issues i JOIN packages p ON p.id = i.package_id
    WHERE ${where} ORDER BY i.deadline IS NULL, i.deadline, p.path LIMIT ${REPORT_LIST_MAX}`).all(...params).map((r) => {
    const row = r as IssueLine;
    let msg = row.message;
    try {
      msg = (JSON.parse(row.message) as { zh: string }).zh;
    } catch {
      // stored as plain text
    }
    return { ...row, message: msg };
  });
}

/** The run's totals and its diff against each package's previous scan, all from the database. */
export function summarize(db: Db, runId: number, input: SummaryInput): RescanReport {
  const status = EMPTY_STATUS();
  for (const r of db.prepare('SELECT status, COUNT(*) AS n FROM scans WHERE run_id = ? GROUP BY status').all(runId) as { status: ScanStatus; n: number }[]) status[r.status] = r.n;
  const verdicts: Record<Verdict, number> = { pass: 0, explain: 0, fail: 0, unassessable: 0 };
  for (const r of db.prepare("SELECT verdict, COUNT(*) AS n FROM scans WHERE run_id = ? AND status = 'ok' GROUP BY verdict").all(runId) as { verdict: Verdict; n: number }[]) verdicts[r.verdict] = r.n;
  const errors = db.prepare(`SELECT p.path AS package, s.error_code AS code, s.error_message AS message FROM scans s JOIN packages p ON p.id = s.package_id
    WHERE s.run_id = ? AND s.status = 'error' ORDER BY p.path LIMIT ${REPORT_LIST_MAX}`).all(runId) as RescanReport['errors'];
  const transitions = `SELECT p.path AS package, s.verdict AS "to",
      (SELECT s2.verdict FROM scans s2 WHERE s2.package_id = s.package_id AND s2.status = 'ok' AND s2.id < s.id ORDER BY s2.id DESC LIMIT 1) AS "from"
    FROM scans s JOIN packages p ON p.id = s.package_id WHERE s.run_id = ? AND s.status = 'ok'`;
  const count = (sql: string, ...params: unknown[]) => (db.prepare(sql).get(...params) as { n: number }).n;
  const newFailWhere = `"to" = 'fail' AND ("from" IS NULL OR "from" <> 'fail')`;
  const fixedWhere = `"from" = 'fail' AND "to" <> 'fail'`;
  const today = input.run.today;
  const diff: RescanReport['diff'] = {
    newFailures: count(`SELECT COUNT(*) AS n FROM (${transitions}) WHERE ${newFailWhere}`, runId),
    fixed: count(`SELECT COUNT(*) AS n FROM (${transitions}) WHERE ${fixedWhere}`, runId),
    newIssues: count('SELECT COUNT(*) AS n FROM issues WHERE opened_run = ? AND resolved_at IS NULL', runId),
    resolvedIssues: count('SELECT COUNT(*) AS n FROM issues WHERE resolved_run = ?', runId),
    stillOpen: count('SELECT COUNT(*) AS n FROM issues WHERE resolved_at IS NULL AND last_run = ? AND opened_run < ?', runId, runId),
    overdue: count('SELECT COUNT(*) AS n FROM issues WHERE resolved_at IS NULL AND suppressed_reason IS NULL AND deadline < ?', today),
    filingUpdatesDue: count("SELECT COUNT(*) AS n FROM issues WHERE resolved_at IS NULL AND kind = 'filing-update'"),
    newFailureList: db.prepare(`SELECT package, "from", "to" FROM (${transitions}) WHERE ${newFailWhere} ORDER BY package LIMIT ${REPORT_LIST_MAX}`).all(runId) as VerdictChange[],
    fixedList: db.prepare(`SELECT package, "from", "to" FROM (${transitions}) WHERE ${fixedWhere} ORDER BY package LIMIT ${REPORT_LIST_MAX}`).all(runId) as VerdictChange[],
    newIssueList: issueLines(db, 'i.opened_run = ? AND i.resolved_at IS NULL', [runId]),
    overdueList: issueLines(db, 'i.resolved_at IS NULL AND i.suppressed_reason IS NULL AND i.deadline < ?', [today]),
  };
  const total = (db.prepare('SELECT total FROM runs WHERE id = ?').get(runId) as { total: number }).total;
  return {
    ...input,
    total: Math.max(total, Object.values(status).reduce((a, b) => a + b, 0)),
    status,
    packagesPerSecond: input.seconds > 0 ? input.processed / input.seconds : 0,
    mbPerSecond: input.seconds > 0 ? input.bytesParsed / 1e6 / input.seconds : 0,
    verdicts,
    errors,
    diff,
  };
}
