// Facts + the entry's filing record + the rules -> what the registry keeps of a check: verdict, counts, the
// tracked findings with their lifecycle keys, and the version snapshot. Pure apart from reading record text it
// is given; the same code runs in a worker thread (reading facts and records through its own read-only
// connection) or on the main thread.
import { hash } from 'node:crypto';
import { checkFacts } from '../check/check.js';
import type { CheckResult, Finding, Severity, Suppression, Verdict } from '../check/types.js';
import { isEduscanError } from '../errors.js';
import type { PackageFacts } from '../facts/schema.js';
import { FACTS_SCHEMA_VERSION } from '../facts/version.js';
import { parseFilingText, type FilingDocument } from '../filing/load.js';
import { namesApps, selectApp } from '../filing/match.js';
import { useContext, useIsFor, type UseContext } from '../filing/use.js';
import type { RuleSet } from '../rules/types.js';
import type { JobError } from './job.js';
import { issueKey, snapshot, TRACKED, type VersionSnapshot } from './lifecycle.js';

export interface RecordRow {
  id: number;
  path: string;
  format: 'json' | 'yaml';
  text: string;
  digest: string;
}

export interface TrackedFinding {
  rule: string;
  severity: Severity;
  fingerprint: string;
  /** Lifecycle key: rule + evidence, without the package hash. */
  key: string;
  /** JSON of the finding's {zh, en} message. */
  message: string;
  suppressed?: { reason: string; by: string; until?: string };
}

export interface CompactResult {
  verdict: Verdict;
  counts: Record<Severity, number>;
  undeclared: string[];
  /** The findings that become issues (high, medium, low). */
  tracked: TrackedFinding[];
  /** Every finding as the scan row keeps it (JSON, serialized where the check ran), and its SHA-256. */
  findingsJson: string;
  findingsDigest: string;
  /** Digest of everything about `tracked` the issue table holds: equal digests mean nothing to write. */
  trackedDigest: string;
  snapshot: VersionSnapshot;
  packageId: string;
  versionName: string | null;
}

export interface EvalOutcome {
  recordId: number | null;
  recordDigest: string | null;
  /** The app of the record the package was matched with (looked up in `apps` by the caller). */
  app: { name: string; platform: string } | null;
  result?: CompactResult;
  error?: JobError;
}

interface RecordCtx {
  digest: string;
  doc?: FilingDocument;
  error?: JobError;
  suppressions: Suppression[];
  /** selectApp answers by (app hint, package id, platform): a record does not change within a run. */
  matches: Map<string, { index: number; name: string; platform: string; data: Record<string, unknown> } | JobError>;
}

/** Parsed records kept at most. */
const RECORD_CACHE_MAX = 2000;

function suppression(f: Finding): TrackedFinding['suppressed'] | undefined {
  return f.suppressed ? { reason: f.suppressed.reason, by: f.suppressed.by, ...(f.suppressed.until ? { until: f.suppressed.until } : {}) } : undefined;
}

export function compact(result: CheckResult): CompactResult {
  const tracked: TrackedFinding[] = result.findings.filter((f) => TRACKED.includes(f.severity)).map((f) => {
    const s = suppression(f);
    return { rule: f.rule, severity: f.severity, fingerprint: f.fingerprint, key: issueKey(f), message: JSON.stringify(f.message), ...(s ? { suppressed: s } : {}) };
  });
  // What a scan row keeps of each finding: enough to tell findings apart; texts live in the rules and in issues.
  const findingsJson = JSON.stringify(result.findings.map((f) => {
    const s = suppression(f);
    return {
      rule: f.rule, severity: f.severity, fingerprint: f.fingerprint,
      evidence: f.evidence.map((e) => ({ kind: e.kind, value: e.value, ...(e.location ? { location: e.location } : {}) })), ...(s ? { suppressed: s } : {}),
    };
  }));
  const trackedDigest = hash('sha256', tracked.map((f) => `${f.key}\u0000${f.severity}\u0000${f.fingerprint}\u0000${f.message}\u0000${JSON.stringify(f.suppressed ?? null)}`).join('\u0001'));
  return {
    verdict: result.verdict,
    counts: result.counts,
    undeclared: result.undeclared.map((u) => u.label),
    tracked,
    findingsJson,
    findingsDigest: hash('sha256', findingsJson),
    trackedDigest,
    snapshot: snapshot(result),
    packageId: result.package.id,
    versionName: result.package.versionName ?? result.package.versionCode ?? null,
  };
}

export class Evaluator {
  private readonly records = new Map<number, RecordCtx>();
  private useSource: () => RecordRow[] = () => [];
  /** Every valid use filing in the registry by app name, read once per evaluator (a run): records do not change within one. */
  private useFilings?: Map<string, UseContext[]>;

  /** Where the registry's use filings come from (JobRunner wires its database). */
  setUseSource(load: () => RecordRow[]): void {
    this.useSource = load;
    delete this.useFilings;
  }

  /** The use filings about an app (by 教APP备 number, else name); a use filing's own entry counts itself. */
  private usesFor(app: { name?: unknown; filingNo?: unknown } | undefined): UseContext[] {
    if (!app) return [];
    if (!this.useFilings) {
      this.useFilings = new Map();
      for (const row of this.useSource()) {
        try {
          const doc = parseFilingText(row.text, { format: row.format, file: row.path });
          // An invalid use filing was reported at import; it cannot raise a severity.
          if (doc.kind !== 'use' || !doc.data) continue;
          const u = useContext(doc);
          // Keyed by 教APP备 number when it has one, else by name: the two ways useIsFor can match.
          for (const key of [u.app, ...(u.filingNo !== undefined ? [`#${u.filingNo}`] : [])]) this.useFilings.set(key, [...(this.useFilings.get(key) ?? []), u]);
        } catch (e) {
          if (!isEduscanError(e)) throw e;
        }
      }
    }
    const candidates = new Set([...(typeof app.name === 'string' ? this.useFilings.get(app.name) ?? [] : []), ...(typeof app.filingNo === 'string' ? this.useFilings.get(`#${app.filingNo}`) ?? [] : [])]);
    return [...candidates].filter((u) => useIsFor(u, app));
  }

  constructor(private readonly ruleSet: RuleSet, private readonly today: string, private readonly now: () => Date = () => new Date()) {}

  private recordCtx(row: RecordRow): RecordCtx {
    const hit = this.records.get(row.id);
    if (hit && hit.digest === row.digest) return hit;
    const ctx: RecordCtx = { digest: row.digest, suppressions: [], matches: new Map() };
    try {
      const doc = parseFilingText(row.text, { format: row.format, file: row.path });
      if (!doc.data) {
        const p = doc.problems[0];
        ctx.error = { code: 'E_RECORD', message: `${row.path}: the filing record has ${doc.problems.length} problem(s)${p ? `, first: ${p.path} ${p.en}` : ''}` };
      } else {
        ctx.doc = doc;
        ctx.suppressions = (doc.data.suppress ?? []) as Suppression[];
      }
    } catch (e) {
      if (!isEduscanError(e)) throw e;
      ctx.error = { code: e.code, message: `${row.path}: ${e.message}` };
    }
    if (this.records.size >= RECORD_CACHE_MAX) this.records.clear();
    this.records.set(row.id, ctx);
    return ctx;
  }

  evaluate(facts: PackageFacts, record: RecordRow | undefined, appHint: string | null): EvalOutcome {
    const rec = record ? this.recordCtx(record) : undefined;
    const base = { recordId: record?.id ?? null, recordDigest: record?.digest ?? null };
    // Stored facts are not parsed with zod again (that costs more than the whole check): the cache row was
    // written by this PARSER_VERSION (its key), whose output is typed PackageFacts; the facts schema version
    // is the cheap guard against a row of another shape.
    if (facts.schemaVersion !== FACTS_SCHEMA_VERSION) {
      return { ...base, app: null, error: { code: 'E_DB', message: `stored facts have schema version ${String(facts.schemaVersion)}, this eduscan reads version ${FACTS_SCHEMA_VERSION}: re-scan the package` } };
    }
    if (rec?.error) return { ...base, app: null, error: rec.error };
    let app: Parameters<typeof checkFacts>[0]['app'];
    let matched: EvalOutcome['app'] = null;
    // A use filing without self-developed apps names no app: the package gets a package-only check.
    if (rec?.doc && namesApps(rec.doc)) {
      const key = `${appHint ?? ''}\u0000${facts.id}\u0000${facts.platform}`;
      let m = rec.matches.get(key);
      if (!m) {
        try {
          const sel = selectApp(rec.doc, facts, appHint === null ? {} : { app: appHint });
          m = { index: sel.index, name: sel.app.name, platform: sel.app.platform, data: sel.app as unknown as Record<string, unknown> };
        } catch (e) {
          if (!isEduscanError(e)) throw e;
          m = { code: e.code, message: e.message };
        }
        rec.matches.set(key, m);
      }
      if ('code' in m) return { ...base, app: null, error: m };
      app = { data: m.data, index: m.index, name: m.name, ...(rec.doc.file ? { file: rec.doc.file } : {}) };
      matched = { name: m.name, platform: m.platform };
    }
    const useDoc = rec?.doc?.kind === 'use' ? rec.doc.data : undefined;
    const uses = this.usesFor(app ? app.data : useDoc ? { name: useDoc.app.name, filingNo: useDoc.app.filingNo } : undefined);
    try {
      const result = checkFacts({
        facts, ruleSet: this.ruleSet, today: this.today, now: this.now(), suppressions: rec?.suppressions ?? [],
        ...(app ? { app } : {}), ...(rec?.doc ? { record: rec.doc.data as unknown as Record<string, unknown> } : {}),
        ...(uses.length ? { uses } : {}),
      });
      return { ...base, app: matched, result: compact(result) };
    } catch (e) {
      if (!isEduscanError(e)) throw e;
      return { ...base, app: matched, error: { code: e.code, message: e.message } };
    }
  }
}
