// `eduscan rescan`: every registry entry through the checker, crash-safe and resumable.
//  - A run is a row of `runs`; each package's result commits in its own transaction together with everything
//    it changes (facts cache, package digests, version history, issue lifecycle). UNIQUE (run_id, package_id)
//    makes the commit idempotent, so a run killed at any instant and started again finishes the packages it had
//    not committed, and none twice.
//  - Facts are cached by SHA-256 + PARSER_VERSION. A file whose size and mtime match the stored ones keeps its
//    stored SHA-256 and is neither hashed nor parsed; --rules-only never opens a package at all.
//  - Jobs (hash, parse, check against the record and the rules) run in the scan pool's worker threads, each reading
//    the registry through its own read-only connection; this thread decides what to do and writes. In a
//    rules-only run, where a job is only a check, this thread also checks whenever it has nothing to write.
import { availableParallelism, hostname } from 'node:os';
import { statSync } from 'node:fs';
import pLimit from 'p-limit';
import type { Logger } from 'pino';
import type { WorkCalendar } from '../calendar/calendar.js';
import type { Verdict } from '../check/types.js';
import { EduscanError } from '../errors.js';
import type { RuleSet } from '../rules/types.js';
import { PARSER_VERSION } from '../facts/version.js';
import type { Db } from './db.js';
import { Evaluator, type TrackedFinding } from './evaluate.js';
import {
  issuesState, JobRunner, type EvalJob, type EvalJobResult, type JobError, type ScanJob, type ScanJobResult, type SlimOutcome, type SlimResult,
} from './job.js';
import {
  deadlineAfter, describeChanges, FILING_UPDATE_RULE, FILING_UPDATE_WORKING_DAYS, REMEDIATION_WORKING_DAYS, versionChanges, type VersionSnapshot,
} from './lifecycle.js';
import { jobErrorOf } from '../pool/scan-pool.js';
import { issueReader, planIssues, type IssuePlan } from './issue-plan.js';
import { startCheckpointer } from './checkpointer.js';
import { startJobPool } from './worker-jobs.js';

export type RescanMode = 'full' | 'changed-only' | 'rules-only';
export type ScanStatus = 'ok' | 'error' | 'unchanged' | 'no-facts';

export interface RescanOptions {
  mode: RescanMode;
  /**
   * Worker threads for jobs; 0 runs them on this thread (tests, tiny registries). A rules-only run also checks
   * on this thread and uses at most one worker fewer than the cores (rulesOnlyWorkers).
   */
  concurrency: number;
  /** Use exactly `concurrency` workers in a rules-only run as well (benchmarks). */
  exactConcurrency?: boolean;
  /** yyyy-mm-dd: the day deadlines count from. A resumed run keeps the day it started with. */
  today: string;
  ruleSet: RuleSet;
  /** Where `ruleSet` was loaded from (default: the shipped rules/): worker threads load it again. */
  rulesDir?: string;
  calendar: WorkCalendar;
  /** The database file, for the workers' read-only connections (required when concurrency > 0). */
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
  app_id: number | null;
  last_scan_id: number | null;
  issues_state: string | null;
  /** Of the last scan: its findings digest, and the scan row that holds those findings (findings_from). */
  last_findings_digest: string | null;
  findings_holder: number | null;
}

interface Digests {
  size: number | null;
  mtimeMs: number | null;
  md5: string | null;
  sha256: string | null;
}

interface Commit {
  pkg: PackageRow;
  status: ScanStatus;
  source: 'parsed' | 'cache' | null;
  digests: Digests;
  /** Facts or a content error to add to the cache. */
  cacheFacts?: { json: string | null; error: JobError | null };
  /** Complete, or without the parts the entry already stores (see complete()). */
  outcome?: SlimOutcome;
  error?: JobError;
}

interface Runner {
  scan(job: ScanJob): Promise<ScanJobResult>;
  eval(jobs: EvalJob[]): Promise<EvalJobResult[]>;
  close(): Promise<void>;
}

/** Packages read from the database per page: memory stays flat with registry size. */
const PAGE = 500;
/** WAL pages between automatic checkpoints during a run (4 KiB pages: ~64 MiB). */
const WAL_AUTOCHECKPOINT_PAGES = 16_384;
/**
 * Eval jobs per message to a worker in a rules-only run. A worker answers, and gets its next batch, only when
 * this thread looks at its messages (between commit slices): a batch must take much longer than a slice, or
 * the worker waits (50-job batches left it idle 27% of a run, profiled).
 */
const EVAL_BATCH = 200;
/** Batches per worker in a rules-only run: one running, one queued in the pool for the moment it answers. */
const RULES_ONLY_IN_FLIGHT = 2;
/** Worker batches once every entry has been read: the end of the run is not one worker's long last batch. */
const TAIL_BATCH = 25;
/** Packages this thread commits (or checks and commits) before it looks at the workers' messages again (~1-2 ms). */
const COMMIT_SLICE = 8;

const EMPTY_STATUS = (): Record<ScanStatus, number> => ({ ok: 0, error: 0, unchanged: 0, 'no-facts': 0 });

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}


/**
 * Worker threads of a rules-only run: the main thread checks too (see rulesOnly), so one core is left to it
 * unless `exactConcurrency` asks for the given number (benchmarks).
 */
export function rulesOnlyWorkers(opts: Pick<RescanOptions, 'concurrency' | 'exactConcurrency'>): number {
  return opts.exactConcurrency ? opts.concurrency : Math.min(opts.concurrency, availableParallelism() - 1);
}

export async function rescan(db: Db, opts: RescanOptions): Promise<RescanReport> {
  const now = opts.now ?? (() => new Date());
  const t0 = performance.now();
  const { ruleSet, calendar, log } = opts;
  if (opts.concurrency > 0 && !opts.dbPath) throw new EduscanError('E_USAGE', 'worker threads need the database path (dbPath)');

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
  // Checkpoints copy the WAL into the database file and fsync it. With the default (every 1,000 pages) a run
  // that commits once per package spends most of its write time there; every ~64 MB of WAL is enough, and the
  // end of the run checkpoints what is left.
  const autocheckpoint = db.pragma('wal_autocheckpoint', { simple: true }) as number;
  db.pragma(`wal_autocheckpoint = ${WAL_AUTOCHECKPOINT_PAGES}`);
  const today = run.today;
  const runId = run.id;
  const doneBefore = (db.prepare('SELECT COUNT(*) AS n FROM scans WHERE run_id = ?').get(runId) as { n: number }).n;
  log?.info({ event: 'run-start', run: runId, mode: opts.mode, resumed: run.resumed, total: run.total, done: doneBefore, rules: ruleSet.digest, today }, 'rescan started');
  opts.onStart?.({ run: runId, total: run.total, done: doneBefore, resumed: run.resumed });

  // ---- statements ----
  const pageStmt = db.prepare<[number, number, number], PackageRow>(`SELECT p.id, p.path, p.record_id, p.app_name, p.size, p.mtime_ms, p.md5, p.sha256, p.app_id,
      p.last_scan_id, p.issues_state, l.findings_digest AS last_findings_digest, COALESCE(l.findings_from, l.id) AS findings_holder
    FROM packages p LEFT JOIN scans l ON l.id = p.last_scan_id
    WHERE p.id > ? AND NOT EXISTS (SELECT 1 FROM scans s WHERE s.run_id = ? AND s.package_id = p.id) ORDER BY p.id LIMIT ?`);
  const getRecordDigest = db.prepare<[number], { digest: string }>('SELECT digest FROM records WHERE id = ?');
  const getLastScan = db.prepare<[number], { record_digest: string | null; status: string }>('SELECT record_digest, status FROM scans WHERE id = ?');
  const getApp = db.prepare<[number, string, string], { id: number }>('SELECT id FROM apps WHERE record_id = ? AND name = ? AND platform = ?');
  const putFacts = db.prepare('INSERT OR REPLACE INTO facts (sha256, parser_version, facts_json, error_code, error_message, created_at) VALUES (?, ?, ?, ?, ?, ?)');
  const putScan = db.prepare(`INSERT INTO scans (run_id, package_id, status, source, sha256, app_package, version_name, record_id, record_digest, app_id,
      rules_digest, verdict, high, medium, low, info, undeclared_json, findings_json, findings_digest, findings_from, error_code, error_message, scanned_at)
    VALUES (@run, @pkg, @status, @source, @sha256, @appPackage, @versionName, @recordId, @recordDigest, @appId, @rules, @verdict, @high, @medium, @low, @info,
      @undeclared, @findings, @findingsDigest, @findingsFrom, @errorCode, @errorMessage, @at)
    ON CONFLICT (run_id, package_id) DO NOTHING`);
  const updPackage = db.prepare(`UPDATE packages SET size = COALESCE(@size, size), mtime_ms = COALESCE(@mtime, mtime_ms), md5 = COALESCE(@md5, md5),
    sha256 = COALESCE(@sha256, sha256), app_id = COALESCE(@appId, app_id), last_scan_id = COALESCE(@scan, last_scan_id) WHERE id = @id`);
  // The usual case of a re-scan (same digests, same app): only the pointer to the new scan changes.
  const setLastScan = db.prepare('UPDATE packages SET last_scan_id = ? WHERE id = ?');
  const issuesOf = issueReader(db);
  const insIssue = db.prepare(`INSERT INTO issues (package_id, app_id, key, kind, rule, severity, fingerprint, message, first_seen, first_run,
      opened_run, suppressed_reason, suppressed_by, suppressed_until, deadline, deadline_note)
    VALUES (@pkg, @appId, @key, @kind, @rule, @severity, @fingerprint, @message, @today, @run, @run, @sReason, @sBy, @sUntil, @deadline, @note)`);
  const updIssue = db.prepare(`UPDATE issues SET app_id = @appId, severity = @severity, fingerprint = @fingerprint, message = @message,
      suppressed_reason = @sReason, suppressed_by = @sBy, suppressed_until = @sUntil, deadline = @deadline, deadline_note = @note,
      resolved_at = NULL, resolved_run = NULL, opened_run = @openedRun WHERE id = @id`);
  const resolveIssue = db.prepare('UPDATE issues SET resolved_at = ?, resolved_run = ? WHERE id = ?');
  const setIssuesState = db.prepare('UPDATE packages SET issues_state = ? WHERE id = ?');
  const setDeadline = db.prepare('UPDATE issues SET deadline = ?, deadline_note = NULL WHERE id = ?');
  const getVersion = db.prepare<[number, string], { id: number }>('SELECT id FROM app_versions WHERE app_id = ? AND sha256 = ?');
  // The version a new one is compared with: the latest seen by an EARLIER run. Two new versions of one app in
  // the same run are both compared with that baseline, so the outcome does not depend on which worker finished
  // first, nor on where a killed run was resumed.
  const lastVersion = db.prepare<[number, number], { package_id: string | null; version_name: string | null; version_code: string | null; signer: string | null; categories_json: string; rules_json: string }>(
    `SELECT package_id, version_name, version_code, signer, categories_json, rules_json FROM app_versions WHERE app_id = ? AND run_id < ?
     ORDER BY run_id DESC, CAST(version_code AS INTEGER) DESC, sha256 DESC LIMIT 1`);
  const putVersion = db.prepare(`INSERT INTO app_versions (app_id, sha256, package_row, package_id, version_name, version_code, signer, categories_json, rules_json,
      changes_json, first_seen, run_id) VALUES (@appId, @sha256, @pkg, @packageId, @versionName, @versionCode, @signer, @categories, @rules, @changes, @today, @run)`);

  const appIds = new Map<string, number | null>();
  const appIdOf = (o: SlimOutcome): number | null => {
    if (!o.app || o.recordId === null) return null;
    const key = `${o.recordId}\u0000${o.app.name}\u0000${o.app.platform}`;
    if (!appIds.has(key)) appIds.set(key, getApp.get(o.recordId, o.app.name, o.app.platform)?.id ?? null);
    return appIds.get(key)!;
  };

  // ---- lifecycle (inside the package's transaction) ----
  /** Records a new version of the app; false when it opened a filing update whose deadline the calendar cannot give. */
  const applyVersion = (pkg: PackageRow, appId: number, r: SlimResult, recordDigest: string | null, sha256: string): boolean => {
    if (getVersion.get(appId, sha256)) return true;
    const snap = r.snapshot;
    const prevRow = lastVersion.get(appId, runId);
    const prev: VersionSnapshot | undefined = prevRow ? {
      packageId: prevRow.package_id ?? '', signer: prevRow.signer ?? '', categories: JSON.parse(prevRow.categories_json) as string[], rules: JSON.parse(prevRow.rules_json) as string[],
      ...(prevRow.version_name ? { versionName: prevRow.version_name } : {}), ...(prevRow.version_code ? { versionCode: prevRow.version_code } : {}),
    } : undefined;
    const changes = prev ? versionChanges(prev, snap) : [];
    putVersion.run({
      appId, sha256, pkg: pkg.id, packageId: snap.packageId, versionName: snap.versionName ?? null, versionCode: snap.versionCode ?? null,
      signer: snap.signer, categories: JSON.stringify(snap.categories), rules: JSON.stringify(snap.rules), changes: JSON.stringify(changes), today, run: runId,
    });
    if (!changes.length) return true;
    const d = deadlineAfter(calendar, today, FILING_UPDATE_WORKING_DAYS);
    const version = snap.versionName ?? snap.versionCode ?? sha256.slice(0, 12);
    insIssue.run({
      pkg: pkg.id, appId, key: `filing-update:${sha256}`, kind: 'filing-update', rule: FILING_UPDATE_RULE, severity: 'high',
      // The record digest at detection: the issue closes when the record changes (the provider updated it).
      fingerprint: recordDigest, message: JSON.stringify(describeChanges(changes, version)), today, run: runId,
      sReason: null, sBy: null, sUntil: null, deadline: d.deadline, note: d.note,
    });
    return d.deadline !== null;
  };

  /** Writes a plan (issue-plan.ts); false when a deadline is still waiting for the calendar. */
  const applyPlan = (pkg: PackageRow, plan: IssuePlan): boolean => {
    for (const i of plan.inserts) insIssue.run({ pkg: pkg.id, kind: 'finding', today, run: runId, ...i });
    for (const u of plan.updates) updIssue.run(u);
    for (const id of plan.resolves) resolveIssue.run(today, runId, id);
    for (const d of plan.deadlines) setDeadline.run(d.deadline, d.id);
    return plan.settled;
  };
  const openedToday = deadlineAfter(calendar, today, REMEDIATION_WORKING_DAYS);
  /** Brings the package's issues in line with its findings here; false when a deadline is still waiting for the calendar. */
  const applyIssues = (pkg: PackageRow, appId: number | null, tracked: readonly TrackedFinding[], recordDigest: string | null): boolean => {
    const plan = planIssues(issuesOf(pkg.id), tracked, {
      appId, recordDigest, runId, openedToday, after: (from, days) => deadlineAfter(calendar, from, days),
    });
    return applyPlan(pkg, plan!); // never undefined: `after` always answers here
  };

  /** The result's findings are those of the entry's last scan (stored there, or where it points). */
  const sameFindings = (p: PackageRow, r: SlimResult): boolean => p.findings_holder !== null && p.last_findings_digest === r.findingsDigest;

  const commit = db.transaction((c: Commit): boolean => {
    const o = c.outcome;
    const r = o?.result;
    const err = c.error ?? o?.error;
    const status: ScanStatus = c.status === 'ok' && !r ? 'error' : c.status;
    const appId = o ? appIdOf(o) : null;
    // Findings equal to the last scan's are not stored again (a rules-only run of an unchanged registry would
    // otherwise add the whole registry's findings each time): the row points at the scan that holds them.
    const findingsFrom = r && sameFindings(c.pkg, r) ? c.pkg.findings_holder : null;
    if (r && findingsFrom === null && r.findingsJson === undefined) throw new Error(`${c.pkg.path}: a result without its findings reached the commit`); // a bug: complete() stops those
    if (c.cacheFacts && c.digests.sha256) {
      putFacts.run(c.digests.sha256, PARSER_VERSION, c.cacheFacts.json, c.cacheFacts.error?.code ?? null, c.cacheFacts.error?.message ?? null, now().toISOString());
    }
    const info = putScan.run({
      run: runId, pkg: c.pkg.id, status, source: c.source, sha256: c.digests.sha256,
      appPackage: r?.packageId ?? null, versionName: r?.versionName ?? null, recordId: o?.recordId ?? c.pkg.record_id,
      recordDigest: o?.recordDigest ?? null, appId, rules: ruleSet.digest, verdict: r?.verdict ?? null,
      high: r?.counts.high ?? null, medium: r?.counts.medium ?? null, low: r?.counts.low ?? null, info: r?.counts.info ?? null,
      undeclared: r ? JSON.stringify(r.undeclared) : null, findings: findingsFrom === null ? (r?.findingsJson ?? null) : null,
      findingsDigest: r?.findingsDigest ?? null, findingsFrom,
      errorCode: status === 'error' ? (err?.code ?? 'E_INTERNAL') : null, errorMessage: status === 'error' ? (err?.message ?? null) : null, at: now().toISOString(),
    });
    if (info.changes === 0) return false; // committed before (a resumed run): nothing is applied twice
    const scanId = Number(info.lastInsertRowid);
    const counted = status === 'ok' || status === 'error';
    const d = c.digests;
    if (d.size === c.pkg.size && d.mtimeMs === c.pkg.mtime_ms && d.md5 === c.pkg.md5 && d.sha256 === c.pkg.sha256 && (appId === null || appId === c.pkg.app_id)) {
      if (counted) setLastScan.run(scanId, c.pkg.id);
    } else updPackage.run({ id: c.pkg.id, size: d.size, mtime: d.mtimeMs, md5: d.md5, sha256: d.sha256, appId, scan: counted ? scanId : null });
    if (r && o && c.digests.sha256) {
      const versionSettled = appId === null || applyVersion(c.pkg, appId, r, o.recordDigest, c.digests.sha256);
      // The issue rows already say all this (same findings, app, record, no open filing update, no deadline the
      // calendar could not give): nothing to read or write. Any difference re-applies the whole lifecycle.
      const state = issuesState(r.trackedDigest, appId, o.recordDigest);
      if (state !== c.pkg.issues_state) {
        // A worker's plan (made on the rows as they are, for this app), else the tracked findings to plan here.
        let settled: boolean;
        if (r.plan && r.plan.appId === appId) settled = applyPlan(c.pkg, r.plan);
        else if (r.tracked) settled = applyIssues(c.pkg, appId, r.tracked, o.recordDigest);
        else throw new Error(`${c.pkg.path}: a result without its tracked findings reached the commit`); // a bug, as above
        // A filing update applyVersion just opened without a deadline is not in a worker's plan (it read the rows
        // before): it keeps the entry unsettled here, as planning on this thread would.
        setIssuesState.run(settled && versionSettled ? state : null, c.pkg.id);
      }
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
  // A failure of this process (the database, a bug) stops the run: jobs already queued see it and do nothing,
  // so nothing is committed after it, as if the process had died there. The run stays 'running' for a resume.
  let fatal: { error: unknown } | undefined;
  const finish = (c: Commit, ms: number): void => {
    if (fatal) return;
    try {
      if (commit.immediate(c)) {
        processed++;
        done++;
      }
      log?.info({ event: 'package', run: runId, package: c.pkg.path, status: c.status, source: c.source, sha256: c.digests.sha256, verdict: c.outcome?.result?.verdict,
        error: c.error ?? c.outcome?.error, ms: Math.round(ms) });
      opts.onProgress?.(done, total);
    } catch (e) {
      fatal ??= { error: e };
    }
  };
  const known = (p: PackageRow): Digests => ({ size: p.size, mtimeMs: p.mtime_ms, md5: p.md5, sha256: p.sha256 });
  const ref = (p: PackageRow) => ({ recordId: p.record_id, appHint: p.app_name });

  // Evaluates on this thread: every job when there are no worker threads, else the rare result a worker slimmed
  // on a state this thread does not see (another process changed the entry's app in between).
  let local: JobRunner | undefined;
  const localRunner = (): JobRunner => (local ??= new JobRunner(db, new Evaluator(ruleSet, today, now)));
  /** An eval job on this thread; a bug in it is the package's failed result, as in a worker (worker-jobs.ts). */
  const evalHere = (job: EvalJob): EvalJobResult => {
    try {
      return localRunner().evalJob(job);
    } catch (e) {
      return { packageId: job.packageId, error: jobErrorOf(e) };
    }
  };
  /**
   * The eval job of an entry; for a worker thread with what the entry stores, so that an unchanged result does
   * not carry its findings across (EvalJob.known).
   */
  const evalJob = (p: PackageRow, inWorker: boolean): EvalJob => ({
    packageId: p.id, sha256: p.sha256!, ...ref(p), ...(inWorker ? { known: { findingsDigest: p.last_findings_digest, issuesState: p.issues_state } } : {}),
  });
  /** The slimmed parts of the outcome that this commit will need are there. */
  const complete = (p: PackageRow, o: SlimOutcome): boolean => {
    const r = o.result;
    if (!r) return true;
    if (r.findingsJson === undefined && !sameFindings(p, r)) return false;
    const appId = appIdOf(o);
    return r.tracked !== undefined || r.plan?.appId === appId || issuesState(r.trackedDigest, appId, o.recordDigest) === p.issues_state;
  };

  /** The result of an eval job: the outcome, a cached failure, or (undefined) no facts stored. */
  const finishEval = (p: PackageRow, res: EvalJobResult, digests: Digests, t: number): boolean => {
    const r = res.outcome && !complete(p, res.outcome) ? evalHere(evalJob(p, false)) : res;
    if (r.noFacts) return false;
    fromCache++;
    finish({ pkg: p, status: r.outcome?.result ? 'ok' : 'error', source: 'cache', digests, ...(r.outcome ? { outcome: r.outcome } : {}), ...(r.error ? { error: r.error } : {}) }, performance.now() - t);
    return true;
  };

  // Started on the first job: a run with nothing to do (all committed, or --changed-only and nothing changed)
  // does not pay for starting threads that load the rules.
  let started: Runner | undefined;
  const startRunner = (workers = opts.concurrency): Runner => {
    if (started) return started;
    if (workers > 0) {
      started = startJobPool(workers, { dbPath: opts.dbPath!, ...(opts.rulesDir ? { rulesDir: opts.rulesDir } : {}), rulesDigest: ruleSet.digest, today, plan: { runId, openedToday } });
    } else {
      const runner = localRunner();
      started = { scan: (j) => runner.scanJob(j), eval: async (jobs) => jobs.map((j) => runner.evalJob(j)), close: async () => undefined };
    }
    return started;
  };
  const runner: Runner = { scan: (j) => startRunner().scan(j), eval: (j) => startRunner().eval(j), close: async () => started?.close() };

  const scanOne = async (p: PackageRow): Promise<void> => {
    if (fatal) return;
    const t = performance.now();
    let st;
    try {
      st = statSync(p.path);
    } catch (e) {
      finish({ pkg: p, status: 'error', source: null, digests: known(p), error: { code: 'E_IO', message: `cannot read ${p.path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` } }, performance.now() - t);
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
    if (unchanged) {
      const [r] = await runner.eval([evalJob(p, opts.concurrency > 0)]);
      if (r && finishEval(p, r, known(p), t)) return;
    }
    const r = await runner.scan({ path: p.path, ...ref(p), ...(opts.verify ? { verify: true } : {}) });
    const digests = { size: r.size ?? null, mtimeMs: r.mtimeMs ?? null, md5: r.md5 ?? null, sha256: r.sha256 ?? null };
    if (r.cached) fromCache++;
    else if (r.factsJson) {
      parsed++;
      bytesParsed += r.size ?? 0;
    }
    finish({
      pkg: p, status: r.error ? 'error' : 'ok', source: r.cached ? 'cache' : 'parsed', digests,
      ...(r.factsJson ? { cacheFacts: { json: r.factsJson, error: null } } : r.error && r.contentError && !r.cached ? { cacheFacts: { json: null, error: r.error } } : {}),
      ...(r.outcome ? { outcome: r.outcome } : {}), ...(r.error ? { error: r.error } : {}),
    }, performance.now() - t);
  };

  /** Commits a checked batch, one transaction per package. */
  const commitBatch = (batch: readonly PackageRow[], results: readonly EvalJobResult[], t: number): void => {
    const byId = new Map(batch.map((p) => [p.id, p]));
    for (const r of results) {
      const p = byId.get(r.packageId)!;
      if (!finishEval(p, r, known(p), t)) finish({ pkg: p, status: 'no-facts', source: null, digests: known(p) }, performance.now() - t);
    }
  };

  /**
   * --rules-only. This thread commits every result, and whenever no result is waiting it checks a few entries
   * itself; `workers` threads check batches too, each with the next one queued in the pool so that it never
   * waits. Measured on 2 cores (bench/rescan.mjs), a commit costs about as much as a check: a thread that only
   * committed would idle part of the time, and worker threads beyond the other cores only take turns with this
   * one. Work on this thread comes in short slices (COMMIT_SLICE) so that a worker's answer, and with it its
   * next batch, waits little.
   */
  const rulesOnly = async (workers: number): Promise<void> => {
    const pool = workers > 0 ? startRunner(workers) : undefined;
    const waiting: PackageRow[][] = [];
    /** Checked batches, committed from `next` on. */
    const checked: { batch: PackageRow[]; results: EvalJobResult[]; next: number; t: number }[] = [];
    let inFlight = 0;
    let wake: (() => void) | undefined;
    let after = 0;
    let more = true;
    for (;;) {
      if (fatal) return;
      // Read ahead enough batches for every worker, a page at a time.
      while (more && waiting.length < workers * RULES_ONLY_IN_FLIGHT + 2) {
        const page = pageStmt.all(after, runId, PAGE);
        if (page.length < PAGE) more = false;
        if (page.length === 0) break;
        after = page[page.length - 1]!.id;
        const withFacts: PackageRow[] = [];
        for (const p of page) {
          if (p.sha256 === null) finish({ pkg: p, status: 'no-facts', source: null, digests: known(p) }, 0);
          else withFacts.push(p);
        }
        // Worker batches are long; what this thread checks itself it takes a slice at a time.
        const size = pool ? EVAL_BATCH : COMMIT_SLICE;
        for (let i = 0; i < withFacts.length; i += size) waiting.push(withFacts.slice(i, i + size));
      }
      while (pool && inFlight < workers * RULES_ONLY_IN_FLIGHT && waiting.length > 0) {
        // After the last page, short batches: this thread must not sit waiting for a worker's last long one.
        const batch = !more && waiting[0]!.length > TAIL_BATCH ? waiting[0]!.splice(0, TAIL_BATCH) : waiting.shift()!;
        const t = performance.now();
        inFlight++;
        void pool.eval(batch.map((p) => evalJob(p, true))).then((results) => {
          inFlight--;
          checked.push({ batch, results, next: 0, t });
          wake?.();
        });
      }
      const ready = checked[0];
      if (ready) {
        const end = Math.min(ready.next + COMMIT_SLICE, ready.batch.length);
        commitBatch(ready.batch.slice(ready.next, end), ready.results.slice(ready.next, end), ready.t);
        ready.next = end;
        if (end === ready.batch.length) checked.shift();
      } else if (waiting.length > 0) {
        const batch = waiting[0]!.splice(0, COMMIT_SLICE);
        if (waiting[0]!.length === 0) waiting.shift();
        const t = performance.now();
        commitBatch(batch, batch.map((p) => evalHere(evalJob(p, false))), t);
      } else if (inFlight === 0) return;
      else {
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        wake = undefined;
        continue;
      }
      // Let the workers' answers and timers (the progress bar) in.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  };

  /** Full and changed-only runs: every package a job (p-limit keeps the workers fed). */
  const scanAll = async (): Promise<void> => {
    const limit = pLimit(Math.max(1, opts.concurrency * 2));
    let after = 0;
    // The next page is read and sent while the current one is committed, so workers do not wait at page edges.
    let pending: Promise<void> | undefined;
    for (;;) {
      const page = pageStmt.all(after, runId, PAGE);
      if (page.length === 0) break;
      after = page[page.length - 1]!.id;
      const work = Promise.all(page.map((p) => limit(() => scanOne(p)))).then(() => undefined);
      if (pending) await pending;
      pending = work;
      if (fatal) break;
      // Let timers (the progress bar) run between pages.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    if (pending) await pending;
  };

  // With the database's path, checkpoints run on a thread of their own (checkpointer.ts), not in this thread's
  // commits; without it, or if that thread fails, SQLite's own every WAL_AUTOCHECKPOINT_PAGES.
  const checkpointer = opts.dbPath ? startCheckpointer(opts.dbPath, (e) => {
    log?.warn({ event: 'checkpointer-failed', error: e.message }, 'WAL checkpoints are back on the writing thread');
    db.pragma(`wal_autocheckpoint = ${WAL_AUTOCHECKPOINT_PAGES}`);
  }) : undefined;
  if (checkpointer) db.pragma('wal_autocheckpoint = 0');
  try {
    await (opts.mode === 'rules-only' ? rulesOnly(rulesOnlyWorkers(opts)) : scanAll());
  } finally {
    await runner.close();
    // With the workers' read connections gone, the checkpoint thread's last checkpoint copies the whole WAL.
    await checkpointer?.stop();
  }
  if (fatal) throw fatal.error;

  db.prepare("UPDATE runs SET status = 'done', finished_at = ? WHERE id = ? AND status = 'running'").run(now().toISOString(), runId);
  db.pragma(`wal_autocheckpoint = ${autocheckpoint}`);
  db.pragma('wal_checkpoint(PASSIVE)');
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
  // One pass over the run's verdict transitions, keeping the first rows of each list.
  let newFailures = 0;
  let fixed = 0;
  const newFailureList: VerdictChange[] = [];
  const fixedList: VerdictChange[] = [];
  for (const t of db.prepare(`SELECT package, "from", "to", (${newFailWhere}) AS nf FROM (${transitions}) WHERE (${newFailWhere}) OR (${fixedWhere}) ORDER BY package`).iterate(runId) as IterableIterator<VerdictChange & { nf: number }>) {
    const { nf, ...change } = t;
    if (nf) {
      if (newFailures++ < REPORT_LIST_MAX) newFailureList.push(change);
    } else if (fixed++ < REPORT_LIST_MAX) fixedList.push(change);
  }
  const diff: RescanReport['diff'] = {
    newFailures,
    fixed,
    newIssues: count('SELECT COUNT(*) AS n FROM issues WHERE opened_run = ? AND resolved_at IS NULL', runId),
    resolvedIssues: count('SELECT COUNT(*) AS n FROM issues WHERE resolved_run = ?', runId),
    // From the run's scans to each package's open issues (issues_open_package), not from every open issue.
    stillOpen: count(`SELECT COUNT(*) AS n FROM scans s CROSS JOIN issues i
      WHERE s.run_id = ? AND s.status = 'ok' AND i.package_id = s.package_id AND i.resolved_at IS NULL AND i.opened_run < ?`, runId, runId),
    overdue: count('SELECT COUNT(*) AS n FROM issues WHERE resolved_at IS NULL AND suppressed_reason IS NULL AND deadline < ?', today),
    filingUpdatesDue: count("SELECT COUNT(*) AS n FROM issues WHERE resolved_at IS NULL AND kind = 'filing-update'"),
    newFailureList,
    fixedList,
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
