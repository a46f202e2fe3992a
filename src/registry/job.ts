// The job boundary of a re-scan. Two kinds of job, both "one package in, one result out", idempotent by content:
//  - scan: a package path -> digests, facts (parsed now, or found in the cache by SHA-256 + PARSER_VERSION)
//    and the check outcome against the entry's record;
//  - eval: a stored SHA-256 -> the check outcome from cached facts, without opening the package (--rules-only,
//    and unchanged files).
// A JobRunner only READS the registry (facts cache, record text, and with a PlanInit the entry's issue rows, to
// plan their writes); every write is the caller's. So it runs in a worker thread on its own read-only
// connection, on the main thread, or on another machine behind a queue (docs/registry.md); without a PlanInit
// a result carries the tracked findings and the writer plans.
import { hash } from 'node:crypto';
import { statSync } from 'node:fs';
import { isEduscanError } from '../errors.js';
import type { PackageFacts } from '../facts/schema.js';
import { HashError, startHash, takeHash } from '../hash/hash.js';
import type { Limits } from '../limits.js';
import { PARSER_VERSION } from '../facts/version.js';
import type { Db } from './db.js';
import type { CompactResult, EvalOutcome, Evaluator, RecordRow, TrackedFinding } from './evaluate.js';
import { issueReader, planIssues, type IssuePlan, type IssueSource } from './issue-plan.js';
import type { Deadline } from './lifecycle.js';

export interface JobError {
  code: string;
  message: string;
}

interface EntryRef {
  /** The entry's record (its stored text is used, not the file), and the --app hint of the manifest. */
  recordId: number | null;
  appHint: string | null;
}

export interface ScanJob extends EntryRef {
  path: string;
  verify?: boolean;
  limits?: Partial<Limits>;
}

export interface EvalJob extends EntryRef {
  packageId: number;
  sha256: string;
  /**
   * What the caller already stores for the entry: a result equal to it leaves out its bulky parts (the findings
   * JSON, the tracked findings), which are most of what a result weighs when it crosses threads.
   */
  known?: KnownState;
}

export interface KnownState {
  /** findings_digest of the entry's last scan. */
  findingsDigest: string | null;
  /** packages.issues_state: the issuesState() its issue rows were last brought in line with. */
  issuesState: string | null;
}

/** A check result that may lack what the caller said it already has (EvalJob.known). */
export type SlimResult = Omit<CompactResult, 'findingsJson' | 'tracked'> & { findingsJson?: string; tracked?: TrackedFinding[]; plan?: IssuePlan };
export type SlimOutcome = Omit<EvalOutcome, 'result'> & { result?: SlimResult };

export interface ScanJobResult {
  path: string;
  parserVersion: string;
  size?: number;
  mtimeMs?: number;
  md5?: string;
  sha256?: string;
  /** Facts parsed by this job, serialized (absent when cached or failed): the caller stores them. */
  factsJson?: string;
  /** Facts (or a parse failure) for this content and parser version were already stored: nothing parsed. */
  cached: boolean;
  /** The package could not be read or parsed. */
  error?: JobError;
  /** Whether the error belongs to the content (cacheable by sha256) rather than to this attempt (I/O). */
  contentError?: boolean;
  outcome?: EvalOutcome;
  ms: number;
}

export interface EvalJobResult {
  packageId: number;
  /** No facts stored for this content and parser version. */
  noFacts?: boolean;
  /** The cached failure of this content. */
  error?: JobError;
  outcome?: SlimOutcome;
}

/**
 * Everything about an entry's tracked findings that its issue rows hold: the tracked findings (by digest), the
 * app and the record. Equal to packages.issues_state: nothing to read or write for its issues.
 */
export function issuesState(trackedDigest: string, appId: number | null, recordDigest: string | null): string {
  return hash('sha256', `${trackedDigest}\u0000${appId}\u0000${recordDigest}`);
}

/** Codes that describe this attempt, not the bytes: never cached against the content. */
const TRANSIENT_CODES = new Set(['E_IO', 'E_INTERNAL']);
const RECORD_CACHE_MAX = 2000;

function asJobError(e: unknown): JobError {
  if (isEduscanError(e)) return { code: e.code, message: e.message };
  if (e instanceof HashError) return { code: 'E_IO', message: `cannot hash the file: ${e.code}` };
  const err = e as NodeJS.ErrnoException;
  if (typeof err?.code === 'string' && /^E[A-Z]+$/.test(err.code)) return { code: 'E_IO', message: `cannot read the file: ${err.code}` };
  // A bug in a parser: recorded against the package (the run goes on) and visible in the log.
  return { code: 'E_INTERNAL', message: (err?.stack ?? String(e)).split('\n').slice(0, 3).join(' | ') };
}

/**
 * What a worker needs to plan a package's issue writes itself (issue-plan.ts): the run, and the deadline of an
 * issue opened today. Without it a result carries the tracked findings and the writer plans.
 */
export interface PlanInit {
  runId: number;
  openedToday: Deadline;
}

export class JobRunner {
  private readonly factsStmt;
  private readonly issuesOf: (packageId: number) => IssueSource;
  private readonly recordStmt;
  private readonly appStmt;
  private readonly records = new Map<number, RecordRow>();
  private readonly apps = new Map<string, number | null>();

  constructor(private readonly db: Db, private readonly evaluator: Evaluator, private readonly planInit?: PlanInit) {
    this.issuesOf = issueReader(db);
    this.factsStmt = db.prepare<[string, string], { facts_json: string | null; error_code: string | null; error_message: string | null }>(
      'SELECT facts_json, error_code, error_message FROM facts WHERE sha256 = ? AND parser_version = ?');
    this.recordStmt = db.prepare<[number], RecordRow>('SELECT id, path, format, text, digest FROM records WHERE id = ?');
    this.appStmt = db.prepare<[number, string, string], { id: number }>('SELECT id FROM apps WHERE record_id = ? AND name = ? AND platform = ?');
    // The schools' use filings: rules raise ad findings when one requires the app (要求使用).
    const useStmt = db.prepare<[], RecordRow>("SELECT id, path, format, text, digest FROM records WHERE kind = 'use' ORDER BY id");
    evaluator.setUseSource(() => useStmt.all());
  }

  private record(id: number | null): RecordRow | undefined {
    if (id === null) return undefined;
    const hit = this.records.get(id);
    if (hit) return hit;
    const row = this.recordStmt.get(id);
    if (!row) return undefined;
    if (this.records.size >= RECORD_CACHE_MAX) this.records.clear();
    this.records.set(id, row);
    return row;
  }

  private evaluate(facts: PackageFacts, ref: EntryRef): EvalOutcome {
    return this.evaluator.evaluate(facts, this.record(ref.recordId), ref.appHint);
  }

  /** Cached facts of a content: evaluated, or its cached failure; undefined when nothing is cached. */
  private fromCache(sha256: string, ref: EntryRef): { outcome?: EvalOutcome; error?: JobError } | undefined {
    const row = this.factsStmt.get(sha256, PARSER_VERSION);
    if (!row) return undefined;
    if (row.facts_json === null) return { error: { code: row.error_code ?? 'E_INTERNAL', message: row.error_message ?? '' } };
    return { outcome: this.evaluate(JSON.parse(row.facts_json) as PackageFacts, ref) };
  }

  /** The apps row the outcome's app is (the caller's appIdOf, on this connection). */
  private appId(o: EvalOutcome): number | null {
    if (!o.app || o.recordId === null) return null;
    const key = `${o.recordId}\u0000${o.app.name}\u0000${o.app.platform}`;
    if (!this.apps.has(key)) {
      if (this.apps.size >= RECORD_CACHE_MAX) this.apps.clear();
      this.apps.set(key, this.appStmt.get(o.recordId, o.app.name, o.app.platform)?.id ?? null);
    }
    return this.apps.get(key)!;
  }

  /**
   * The outcome without the parts `known` says the caller has; with a PlanInit, the issue writes planned here
   * instead of the tracked findings.
   */
  private slim(o: EvalOutcome, known: KnownState, packageId: number): SlimOutcome {
    if (!o.result) return o;
    const { findingsJson, tracked, ...rest } = o.result;
    const result: SlimResult = rest;
    if (o.result.findingsDigest !== known.findingsDigest) result.findingsJson = findingsJson;
    const appId = this.appId(o);
    if (issuesState(o.result.trackedDigest, appId, o.recordDigest) !== known.issuesState) {
      const plan = this.planInit && planIssues(this.issuesOf(packageId), tracked, {
        appId, recordDigest: o.recordDigest, runId: this.planInit.runId, openedToday: this.planInit.openedToday,
        after: () => undefined, // another day's deadline needs the calendar: planned by the writer
      });
      if (plan) result.plan = plan;
      else result.tracked = tracked;
    }
    return { ...o, result };
  }

  evalJob(job: EvalJob): EvalJobResult {
    const hit = this.fromCache(job.sha256, job);
    if (!hit) return { packageId: job.packageId, noFacts: true };
    return { packageId: job.packageId, ...(hit.error ? { error: hit.error } : {}), ...(hit.outcome ? { outcome: job.known ? this.slim(hit.outcome, job.known, job.packageId) : hit.outcome } : {}) };
  }

  /**
   * A batch of eval jobs in one read transaction: a reader's page cache is dropped whenever another connection
   * has committed since its last read, which during a re-scan is before every statement. `onError` turns a
   * job's thrown error into its result.
   */
  evalJobs(jobs: readonly EvalJob[], onError: (job: EvalJob, e: unknown) => EvalJobResult): EvalJobResult[] {
    return this.db.transaction(() => jobs.map((j) => {
      try {
        return this.evalJob(j);
      } catch (e) {
        return onError(j, e);
      }
    }))();
  }

  async scanJob(job: ScanJob): Promise<ScanJobResult> {
    const t0 = performance.now();
    const out: ScanJobResult = { path: job.path, parserVersion: PARSER_VERSION, cached: false, ms: 0 };
    try {
      const st = statSync(job.path);
      out.size = st.size;
      out.mtimeMs = st.mtimeMs;
      // Hash first: content already parsed by this parser version (a copy, a touched file) is not parsed again.
      const d = await startHash(job.path);
      Object.assign(out, { md5: d.md5, sha256: d.sha256, size: d.size });
      const hit = this.fromCache(d.sha256, job);
      if (hit) {
        void takeHash(job.path); // drop the memoized hash: the next job on this path must hash again
        out.cached = true;
        if (hit.error) {
          out.error = hit.error;
          out.contentError = true;
        } else out.outcome = hit.outcome!;
      } else {
        // scanPackage takes the hash started above instead of reading the file once more. The parsers are loaded
        // on the first package parsed: a worker of a rules-only run never needs them.
        const { scanPackage } = await import('../scan.js');
        const facts = await scanPackage(job.path, { ...(job.verify ? { verify: true } : {}), ...(job.limits ? { limits: job.limits } : {}) });
        out.factsJson = JSON.stringify(facts);
        out.outcome = this.evaluate(facts, job);
      }
    } catch (e) {
      void takeHash(job.path).catch(() => undefined);
      out.error = asJobError(e);
      out.contentError = out.sha256 !== undefined && !TRANSIENT_CODES.has(out.error.code);
    }
    out.ms = performance.now() - t0;
    return out;
  }
}
