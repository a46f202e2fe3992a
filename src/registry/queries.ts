// Reviewer-facing reads of the registry: entries with their last scan, issues with their clock state (open, due
// soon, overdue, suppressed, resolved), blacklist candidates, and one entry's full history. Row iterators
// keep memory flat for exports of large registries.
import type { WorkCalendar } from '../calendar/calendar.js';
import type { Text, Verdict } from '../check/types.js';
import { EduscanError } from '../errors.js';
import type { Db } from './db.js';
import { issueState, type IssueState } from './lifecycle.js';
import type { ScanStatus } from './rescan.js';

export interface EntryRow {
  id: number;
  path: string;
  record: string | null;
  unit: string | null;
  app: string | null;
  platform: string | null;
  packageId: string | null;
  version: string | null;
  md5: string | null;
  sha256: string | null;
  status: ScanStatus | null;
  verdict: Verdict | null;
  high: number | null;
  medium: number | null;
  low: number | null;
  errorCode: string | null;
  scannedAt: string | null;
  openIssues: number;
  overdue: number;
  nextDeadline: string | null;
}

const ENTRY_SQL = `SELECT p.id, p.path, r.path AS record, r.unit_name AS unit, COALESCE(a.name, p.app_name) AS app, a.platform,
    s.app_package AS packageId, s.version_name AS version, p.md5, p.sha256, s.status, s.verdict, s.high, s.medium, s.low,
    s.error_code AS errorCode, s.scanned_at AS scannedAt,
    (SELECT COUNT(*) FROM issues i WHERE i.package_id = p.id AND i.resolved_at IS NULL AND i.suppressed_reason IS NULL) AS openIssues,
    (SELECT COUNT(*) FROM issues i WHERE i.package_id = p.id AND i.resolved_at IS NULL AND i.suppressed_reason IS NULL AND i.deadline < @today) AS overdue,
    (SELECT MIN(i.deadline) FROM issues i WHERE i.package_id = p.id AND i.resolved_at IS NULL AND i.suppressed_reason IS NULL) AS nextDeadline
  FROM packages p LEFT JOIN records r ON r.id = p.record_id LEFT JOIN apps a ON a.id = p.app_id LEFT JOIN scans s ON s.id = p.last_scan_id`;

export function* iterEntries(db: Db, today: string): Generator<EntryRow> {
  // Paged by id: a long export does not hold a read transaction open, and memory stays flat.
  const stmt = db.prepare<{ today: string; after: number }, EntryRow>(`${ENTRY_SQL} WHERE p.id > @after ORDER BY p.id LIMIT 500`);
  let after = 0;
  for (;;) {
    const page = stmt.all({ today, after });
    if (!page.length) return;
    yield* page;
    after = page[page.length - 1]!.id;
  }
}

export interface IssueRow {
  id: number;
  package: string;
  entry: number;
  unit: string | null;
  app: string | null;
  kind: 'finding' | 'filing-update';
  rule: string;
  severity: string;
  message: Text;
  firstSeen: string;
  deadline: string | null;
  deadlineNote: string | null;
  resolvedAt: string | null;
  suppressed: { reason: string; by: string | null; until: string | null } | null;
  state: IssueState;
  workingDaysLeft: number | null;
}

interface RawIssue {
  id: number;
  package: string;
  entry: number;
  unit: string | null;
  app: string | null;
  kind: 'finding' | 'filing-update';
  rule: string;
  severity: string;
  message: string;
  first_seen: string;
  deadline: string | null;
  deadline_note: string | null;
  resolved_at: string | null;
  suppressed_reason: string | null;
  suppressed_by: string | null;
  suppressed_until: string | null;
}

function parseText(s: string): Text {
  try {
    const v = JSON.parse(s) as Text;
    if (typeof v?.zh === 'string' && typeof v.en === 'string') return v;
  } catch {
    // plain text
  }
  return { zh: s, en: s };
}

export const ISSUE_STATES: readonly IssueState[] = ['open', 'due-soon', 'overdue', 'suppressed', 'resolved'];

/** Issues in the given states (default: everything not resolved), most urgent first. */
export function* iterIssues(db: Db, opts: { today: string; calendar: WorkCalendar; states?: readonly IssueState[]; entry?: number }): Generator<IssueRow> {
  const states = new Set(opts.states ?? ['open', 'due-soon', 'overdue', 'suppressed']);
  const where = [states.has('resolved') ? '1 = 1' : 'i.resolved_at IS NULL'];
  if (opts.entry !== undefined) where.push('i.package_id = @entry');
  const stmt = db.prepare<Record<string, unknown>, RawIssue>(`SELECT i.id, p.path AS package, p.id AS entry, r.unit_name AS unit, COALESCE(a.name, p.app_name) AS app,
      i.kind, i.rule, i.severity, i.message, i.first_seen, i.deadline, i.deadline_note, i.resolved_at, i.suppressed_reason, i.suppressed_by,
      i.suppressed_until
    FROM issues i JOIN packages p ON p.id = i.package_id LEFT JOIN records r ON r.id = p.record_id LEFT JOIN apps a ON a.id = COALESCE(i.app_id, p.app_id)
    WHERE ${where.join(' AND ')} AND i.id > @after
    ORDER BY i.id LIMIT 1000`);
  let after = 0;
  for (;;) {
    const page = stmt.all({ after, ...(opts.entry !== undefined ? { entry: opts.entry } : {}) });
    if (!page.length) return;
    after = page[page.length - 1]!.id;
    for (const r of page) {
      const s = issueState(opts.calendar, r, opts.today);
      if (!states.has(s.state)) continue;
      yield {
        id: r.id, package: r.package, entry: r.entry, unit: r.unit, app: r.app, kind: r.kind, rule: r.rule, severity: r.severity,
        message: parseText(r.message), firstSeen: r.first_seen, deadline: r.deadline, deadlineNote: r.deadline_note,
        resolvedAt: r.resolved_at, suppressed: r.suppressed_reason ? { reason: r.suppressed_reason, by: r.suppressed_by, until: r.suppressed_until } : null,
        state: s.state, workingDaysLeft: s.workingDaysLeft,
      };
    }
  }
}

const STATE_ORDER: Record<IssueState, number> = { overdue: 0, 'due-soon': 1, open: 2, suppressed: 3, resolved: 4 };

/** All matching issues, most urgent first (overdue, due soon, open by deadline). */
export function listIssues(db: Db, opts: Parameters<typeof iterIssues>[1]): IssueRow[] {
  return [...iterIssues(db, opts)].sort((a, b) => STATE_ORDER[a.state] - STATE_ORDER[b.state]
    || (a.deadline ?? '9999') .localeCompare(b.deadline ?? '9999') || a.package.localeCompare(b.package) || a.rule.localeCompare(b.rule));
}

export interface BlacklistCandidate {
  unit: string | null;
  record: string | null;
  overdueIssues: number;
  packages: number;
  oldestDeadline: string;
}

/** Providers with unsuppressed issues past their deadline (管理办法 第二十四条: 整改不及时…列入黑名单). */
export function blacklistCandidates(db: Db, today: string): BlacklistCandidate[] {
  return db.prepare(`SELECT r.unit_name AS unit, r.path AS record, COUNT(*) AS overdueIssues, COUNT(DISTINCT i.package_id) AS packages,
      MIN(i.deadline) AS oldestDeadline
    FROM issues i JOIN packages p ON p.id = i.package_id LEFT JOIN records r ON r.id = p.record_id
    WHERE i.resolved_at IS NULL AND i.suppressed_reason IS NULL AND i.deadline < ?
    GROUP BY r.id ORDER BY oldestDeadline, unit`).all(today) as BlacklistCandidate[];
}

export interface EntryDetail {
  entry: EntryRow;
  record: { path: string; kind: string; digest: string; importedAt: string; changedAt: string; problems: number } | null;
  versions: { sha256: string; packageId: string | null; version: string | null; versionCode: string | null; signer: string | null; categories: string[]; changes: unknown[]; firstSeen: string }[];
  scans: { run: number; status: string; source: string | null; verdict: string | null; high: number | null; medium: number | null; low: number | null; sha256: string | null; errorCode: string | null; errorMessage: string | null; at: string; rulesDigest: string }[];
  issues: IssueRow[];
  /** Every finding of the last successful scan, as stored (rule, severity, fingerprint, evidence, suppressed). */
  findings: unknown[];
}

/** One entry by id, package path (or its unique tail), package id or app name. */
export function findEntry(db: Db, selector: string): number {
  if (/^\d+$/.test(selector)) {
    const row = db.prepare('SELECT id FROM packages WHERE id = ?').get(Number(selector)) as { id: number } | undefined;
    if (row) return row.id;
  }
  const tail = `%${selector.replace(/[\\%_]/g, (c) => `\\${c}`)}`;
  const hits = db.prepare(`SELECT DISTINCT p.id FROM packages p LEFT JOIN apps a ON a.id = p.app_id LEFT JOIN scans s ON s.id = p.last_scan_id
    WHERE p.path = @sel OR p.path LIKE @tail ESCAPE '\\' OR a.name = @sel OR p.app_name = @sel OR s.app_package = @sel ORDER BY p.id LIMIT 11`)
    .all({ sel: selector, tail }) as { id: number }[];
  if (hits.length === 1) return hits[0]!.id;
  if (hits.length === 0) throw new EduscanError('E_USAGE', `no registry entry matches ${JSON.stringify(selector)} (give an id, a package path, a package id or an app name)`);
  throw new EduscanError('E_USAGE', `${hits.length > 10 ? 'more than 10' : hits.length} entries match ${JSON.stringify(selector)}: ids ${hits.slice(0, 10).map((h) => h.id).join(', ')}`);
}

export function showEntry(db: Db, id: number, opts: { today: string; calendar: WorkCalendar }): EntryDetail {
  const entry = db.prepare<{ today: string; id: number }, EntryRow>(`${ENTRY_SQL} WHERE p.id = @id`).get({ today: opts.today, id });
  if (!entry) throw new EduscanError('E_USAGE', `no registry entry ${id}`);
  const rec = db.prepare(`SELECT r.path, r.kind, r.digest, r.imported_at AS importedAt, r.changed_at AS changedAt, r.problems
    FROM records r JOIN packages p ON p.record_id = r.id WHERE p.id = ?`).get(id) as EntryDetail['record'] | undefined;
  const appId = (db.prepare('SELECT app_id FROM packages WHERE id = ?').get(id) as { app_id: number | null }).app_id;
  const versions = appId === null ? [] : (db.prepare(`SELECT sha256, package_id AS packageId, version_name AS version, version_code AS versionCode, signer,
      categories_json, changes_json, first_seen AS firstSeen FROM app_versions WHERE app_id = ? ORDER BY id`).all(appId) as (Omit<EntryDetail['versions'][number], 'categories' | 'changes'> & { categories_json: string; changes_json: string })[])
    .map(({ categories_json, changes_json, ...v }) => ({ ...v, categories: JSON.parse(categories_json) as string[], changes: JSON.parse(changes_json) as unknown[] }));
  const scans = db.prepare(`SELECT run_id AS run, status, source, verdict, high, medium, low, sha256, error_code AS errorCode, error_message AS errorMessage,
      scanned_at AS at, rules_digest AS rulesDigest FROM scans WHERE package_id = ? ORDER BY id DESC LIMIT 20`).all(id) as EntryDetail['scans'];
  const issues = listIssues(db, { today: opts.today, calendar: opts.calendar, states: ISSUE_STATES, entry: id });
  const last = db.prepare(`SELECT COALESCE(s.findings_json, (SELECT h.findings_json FROM scans h WHERE h.id = s.findings_from)) AS json FROM scans s
    WHERE s.package_id = ? AND s.status = 'ok' ORDER BY s.id DESC LIMIT 1`).get(id) as { json: string | null } | undefined;
  return { entry, record: rec ?? null, versions, scans, issues, findings: last?.json ? (JSON.parse(last.json) as unknown[]) : [] };
}

export interface RegistrySummary {
  entries: number;
  records: number;
  verdicts: Record<string, number>;
  errors: number;
  neverScanned: number;
  issues: Record<IssueState, number>;
  blacklistCandidates: number;
  lastRun: { id: number; mode: string; status: string; startedAt: string; finishedAt: string | null; today: string } | null;
}

export function summary(db: Db, opts: { today: string; calendar: WorkCalendar }): RegistrySummary {
  const n = (sql: string, ...p: unknown[]) => (db.prepare(sql).get(...p) as { n: number }).n;
  const verdicts: Record<string, number> = {};
  for (const r of db.prepare("SELECT s.verdict, COUNT(*) AS n FROM packages p JOIN scans s ON s.id = p.last_scan_id WHERE s.status = 'ok' GROUP BY s.verdict").all() as { verdict: string; n: number }[]) verdicts[r.verdict] = r.n;
  const issues: Record<IssueState, number> = { open: 0, 'due-soon': 0, overdue: 0, suppressed: 0, resolved: 0 };
  for (const i of iterIssues(db, { ...opts, states: ISSUE_STATES })) issues[i.state]++;
  const lastRun = db.prepare('SELECT id, mode, status, started_at AS startedAt, finished_at AS finishedAt, today FROM runs ORDER BY id DESC LIMIT 1').get() as RegistrySummary['lastRun'] | undefined;
  return {
    entries: n('SELECT COUNT(*) AS n FROM packages'),
    records: n('SELECT COUNT(*) AS n FROM records'),
    verdicts,
    errors: n("SELECT COUNT(*) AS n FROM packages p JOIN scans s ON s.id = p.last_scan_id WHERE s.status = 'error'"),
    neverScanned: n('SELECT COUNT(*) AS n FROM packages WHERE last_scan_id IS NULL'),
    issues,
    blacklistCandidates: blacklistCandidates(db, opts.today).length,
    lastRun: lastRun ?? null,
  };
}
