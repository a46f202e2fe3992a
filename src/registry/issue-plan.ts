// Bringing a package's issue rows in line with its tracked findings, as a plan: the rows to insert, update,
// resolve, and deadlines to fill in. planIssues is pure (rows in, plan out), so it runs wherever the rows can be
// read (issueReader): in a rules-only run a worker thread plans on its read-only connection and the thread that
// writes only applies the plan (reading a package's issues alone was ≈ 26 µs of the ≈ 175 µs per package on that
// thread, measured). Each package is committed once per run and only the re-scan writes issues, so the rows a
// worker read are still the rows when the plan is applied.
import { FILING_UPDATE_WORKING_DAYS, REMEDIATION_WORKING_DAYS, type Deadline } from './lifecycle.js';
import type { Db } from './db.js';
import type { TrackedFinding } from './evaluate.js';

export interface IssueRow {
  id: number;
  key: string;
  kind: string;
  app_id: number | null;
  severity: string;
  fingerprint: string | null;
  message: string;
  first_seen: string;
  resolved_at: string | null;
  deadline: string | null;
  deadline_note: string | null;
  opened_run: number;
  suppressed_reason: string | null;
  suppressed_by: string | null;
  suppressed_until: string | null;
}

/** The columns of IssueRow, for SELECTs. */
const ISSUE_COLUMNS = `id, key, kind, app_id, severity, fingerprint, message, first_seen, resolved_at, deadline, deadline_note, opened_run,
  suppressed_reason, suppressed_by, suppressed_until`;

/** What an inserted or updated finding issue says (named as the statements' parameters). */
export interface IssueFields {
  appId: number | null;
  severity: string;
  fingerprint: string;
  message: string;
  sReason: string | null;
  sBy: string | null;
  sUntil: string | null;
  deadline: string | null;
  note: string | null;
}

export interface IssuePlan {
  /** The app the plan was made for: applied only where the writer finds the same one. */
  appId: number | null;
  inserts: (IssueFields & { key: string; rule: string })[];
  updates: (IssueFields & { id: number; openedRun: number })[];
  resolves: number[];
  deadlines: { id: number; deadline: string }[];
  /** False when a deadline is still waiting for the calendar (packages.issues_state is then left unset). */
  settled: boolean;
}

export interface PlanContext {
  appId: number | null;
  recordDigest: string | null;
  runId: number;
  /** The remediation deadline of an issue (re)opened today: one value for a whole run. */
  openedToday: Deadline;
  /** A deadline counted from another day; undefined where it cannot be computed here (no plan is made then). */
  after(from: string, days: number): Deadline | undefined;
}

/** Reads a package's open issues and, by key, any other one (a resolved issue whose finding is back). */
export interface IssueSource {
  open(): IssueRow[];
  byKey(key: string): IssueRow | undefined;
}

/**
 * A package's issues on `db`, statements prepared once per connection: its open ones through the partial index
 * issues_open_package, and a resolved one only by key when its finding is back (resolved rows pile up over the
 * runs and are otherwise never read again).
 */
export function issueReader(db: Db): (packageId: number) => IssueSource {
  const open = db.prepare<[number], IssueRow>(`SELECT ${ISSUE_COLUMNS} FROM issues WHERE package_id = ? AND resolved_at IS NULL`);
  const byKey = db.prepare<[number, string], IssueRow>(`SELECT ${ISSUE_COLUMNS} FROM issues WHERE package_id = ? AND key = ?`);
  return (packageId) => ({ open: () => open.all(packageId), byKey: (key) => byKey.get(packageId, key) });
}

/** The plan, or undefined when it needs a deadline `ctx` cannot give. */
export function planIssues(source: IssueSource, tracked: readonly TrackedFinding[], ctx: PlanContext): IssuePlan | undefined {
  const { appId, runId } = ctx;
  const plan: IssuePlan = { appId, inserts: [], updates: [], resolves: [], deadlines: [], settled: true };
  const open = source.open();
  const existing = new Map(open.map((row) => [row.key, row]));
  const seen = new Set<string>();
  for (const f of tracked) {
    if (seen.has(f.key)) continue;
    seen.add(f.key);
    const row = existing.get(f.key) ?? source.byKey(f.key);
    const clocked = f.severity === 'high' && !f.suppressed;
    const s = { sReason: f.suppressed?.reason ?? null, sBy: f.suppressed?.by ?? null, sUntil: f.suppressed?.until ?? null };
    if (!row) {
      const d = clocked ? ctx.openedToday : { deadline: null, note: null };
      if (d.note !== null) plan.settled = false;
      plan.inserts.push({ appId, key: f.key, rule: f.rule, severity: f.severity, fingerprint: f.fingerprint, message: f.message, ...s, deadline: d.deadline, note: d.note });
      continue;
    }
    const reopened = row.resolved_at !== null;
    let d: Deadline | undefined = { deadline: row.deadline, note: row.deadline_note };
    // The clock starts when the problem is (re)opened as a live high finding, and keeps running while it stays.
    if (f.severity !== 'high') d = { deadline: null, note: null };
    // The clock starts today when the finding becomes a live high one: reopened, out of a suppression, raised to high.
    else if (clocked && (reopened || (row.deadline === null && row.deadline_note === null))) d = ctx.openedToday;
    // It had started but the calendar did not reach its end: counted again from then (the calendar may have grown).
    else if (clocked && row.deadline === null) d = ctx.after(row.first_seen, REMEDIATION_WORKING_DAYS);
    if (!d) return undefined;
    if (d.note !== null) plan.settled = false;
    const same = !reopened && row.app_id === appId && row.severity === f.severity && row.fingerprint === f.fingerprint && row.message === f.message
      && row.suppressed_reason === s.sReason && row.suppressed_by === s.sBy && row.suppressed_until === s.sUntil && row.deadline === d.deadline && row.deadline_note === d.note;
    if (same) continue; // still open as it was: nothing to write
    plan.updates.push({ id: row.id, appId, severity: f.severity, fingerprint: f.fingerprint, message: f.message, ...s, deadline: d.deadline, note: d.note, openedRun: reopened ? runId : row.opened_run });
  }
  for (const row of open) {
    if (row.kind === 'finding' && !seen.has(row.key)) plan.resolves.push(row.id);
    if (row.kind === 'filing-update' && ctx.recordDigest !== null && row.fingerprint !== ctx.recordDigest) plan.resolves.push(row.id);
    else if (row.kind === 'filing-update' && row.deadline === null) {
      // The calendar did not reach the deadline when the update was detected: try again (it may have been extended).
      const d = ctx.after(row.first_seen, FILING_UPDATE_WORKING_DAYS);
      if (!d) return undefined;
      if (d.deadline !== null) plan.deadlines.push({ id: row.id, deadline: d.deadline });
      else plan.settled = false;
    }
  }
  return plan;
}
