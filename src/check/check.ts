// facts (+ filing record) -> findings -> verdict. Pure: no I/O; the clock is injected (`today`) so
// suppression expiry and deadlines are testable.
import type { PackageFacts } from '../facts/schema.js';
import { chinaToday } from '../calendar/dates.js';
import { globRegExp } from '../code/match.js';
import { compareCategories, detectCategories } from '../rules/categories.js';
import { evaluateRules, type RuleContext } from '../rules/engine.js';
import type { Rule, RuleSet } from '../rules/types.js';
import type { UseContext } from '../filing/use.js';
import { VERSION } from '../version.js';
import { MANUAL_CHECKS } from './manual-checks.js';
import {
  SEVERITIES, VERDICT_ZH, type CheckResult, type Finding, type PermissionLabel, type Severity, type Suppression, type Text, type Verdict,
} from './types.js';

export interface CheckInput {
  facts: PackageFacts;
  ruleSet: RuleSet;
  /** The matched app of a provider filing, and the whole record (rules may look at either). */
  app?: { data: Record<string, unknown>; index: number; file?: string; name: string };
  record?: Record<string, unknown>;
  /** The app's use filings (rules root `uses`), from --use files or the registry. */
  uses?: UseContext[];
  /** From the record's `suppress` list and any ignore file. */
  suppressions?: Suppression[];
  /** yyyy-mm-dd; defaults to the local date. */
  today?: string;
  now?: Date;
}

const SEVERITY_RANK: Record<Severity, number> = { high: 3, medium: 2, low: 1, info: 0 };

interface RuleSetIndex {
  /** Position of each rule id in localeCompare order. */
  ruleRank: Map<string, number>;
  notAssessableRules: Set<string>;
}

const ruleSetIndexes = new WeakMap<readonly Rule[], RuleSetIndex>();

function ruleSetIndex(rules: readonly Rule[]): RuleSetIndex {
  let ix = ruleSetIndexes.get(rules);
  if (!ix) {
    const ids = [...new Set(rules.map((r) => r.id))].sort((a, b) => a.localeCompare(b));
    // Ids that collate equal share a rank, so the order stays what localeCompare gives.
    const ruleRank = new Map<string, number>();
    ids.forEach((id, i) => ruleRank.set(id, i > 0 && ids[i - 1]!.localeCompare(id) === 0 ? ruleRank.get(ids[i - 1]!)! : i));
    ix = { ruleRank, notAssessableRules: new Set(rules.filter((r) => r.notAssessable).map((r) => r.id)) };
    ruleSetIndexes.set(rules, ix);
  }
  return ix;
}

/** a.localeCompare(b), by rank for ids of the rule set (all of them, since findings come from its rules). */
function compareIds(rank: Map<string, number>, a: string, b: string): number {
  const x = rank.get(a);
  const y = rank.get(b);
  return x !== undefined && y !== undefined ? x - y : a.localeCompare(b);
}

export function checkFacts(input: CheckInput): CheckResult {
  const now = input.now ?? new Date();
  // Suppression expiry is counted on the filing calendar's date (China, UTC+8), as the registry does.
  const today = input.today ?? chinaToday(now);
  const { facts, ruleSet } = input;
  const detected = detectCategories(facts, ruleSet.permissionMap);
  const filed = ((input.app?.data.permissions as PermissionLabel[] | undefined) ?? []).slice();
  // Without a record nothing is filed, so nothing can be undeclared.
  const { undeclared, notDetected } = input.app ? compareCategories(detected, filed) : { undeclared: [], notDetected: [] };
  const ctx: RuleContext = { facts, detected, undeclared, notDetected, today };
  if (input.app) ctx.app = input.app.data;
  if (input.record) ctx.record = input.record;
  if (input.uses?.length) ctx.uses = input.uses as unknown as Record<string, unknown>[];
  const raw = evaluateRules(ruleSet, ctx);

  const expired = new Map<string, Suppression>();
  const suppressions = input.suppressions ?? [];
  const findings: Finding[] = suppressions.length === 0 ? raw : raw.map((f) => {
    const applicable = suppressions.filter((s) => s.rule === f.rule && (!s.packages?.length || s.packages.some((g) => globRegExp(g).test(facts.id))));
    const live = applicable.find((s) => !s.until || s.until >= today);
    for (const s of applicable) if (s.until && s.until < today) expired.set(`${s.rule}|${s.until}|${s.by}`, s);
    return live ? { ...f, suppressed: live } : f;
  });
  const { ruleRank, notAssessableRules } = ruleSetIndex(ruleSet.rules);
  // By severity, then by rule id in localeCompare order (ranked once per rule set: collation is slow).
  findings.sort((a, b) => SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity] || compareIds(ruleRank, a.rule, b.rule));

  const counts = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
  for (const f of findings) if (!f.suppressed) counts[f.severity]++;

  const notAssessable = findings.filter((f) => !f.suppressed && notAssessableRules.has(f.rule)).map((f) => f.message);
  const { verdict, reasons } = decide(counts, findings, notAssessable);
  return {
    tool: { name: 'eduscan', version: VERSION },
    rules: { version: ruleSet.version, digest: ruleSet.digest, count: ruleSet.rules.length },
    createdAt: now.toISOString(),
    verdict,
    verdictReasons: reasons,
    counts,
    package: facts,
    ...(input.app ? { record: { ...(input.app.file ? { file: input.app.file } : {}), app: input.app.name, index: input.app.index } } : {}),
    ...(input.uses?.length ? { uses: input.uses.map((u) => ({ unit: u.unit, usage: u.usage, users: [...u.users], ...(u.file !== undefined ? { file: u.file } : {}) })) } : {}),
    detected,
    filed,
    undeclared,
    notDetected,
    findings,
    expiredSuppressions: [...expired.values()],
    notAssessable,
    manual: [...MANUAL_CHECKS],
  };
}

function decide(counts: Record<Severity, number>, findings: Finding[], notAssessable: Text[]): { verdict: Verdict; reasons: Text[] } {
  const live = findings.filter((f) => !f.suppressed);
  const undeclared = live.filter((f) => f.evidence.some((e) => e.kind === 'category')).length;
  if (counts.high > 0) {
    const reasons: Text[] = [{ zh: `${counts.high} 项高风险问题`, en: `${counts.high} high-severity finding(s)` }];
    if (undeclared) reasons.push({ zh: `其中 ${undeclared} 项为备案未勾选的权限类别`, en: `${undeclared} of them: permission categories not ticked in the filing` });
    return { verdict: 'fail', reasons };
  }
  if (notAssessable.length) {
    return { verdict: 'unassessable', reasons: [{ zh: '部分检查无法在此安装包上进行', en: 'some checks cannot be run on this package' }, ...notAssessable] };
  }
  if (counts.medium > 0) return { verdict: 'explain', reasons: [{ zh: `${counts.medium} 项中风险问题需说明`, en: `${counts.medium} medium-severity finding(s) need an explanation` }] };
  return { verdict: 'pass', reasons: [{ zh: '未发现高、中风险问题', en: 'no high or medium findings' }] };
}

/** Exit code of `eduscan check`: 1 when the verdict fails or a finding at or above --fail-on remains. */
export function failsAt(result: CheckResult, failOn: Severity): boolean {
  if (result.verdict === 'fail') return true;
  return SEVERITIES.some((s) => SEVERITY_RANK[s] >= SEVERITY_RANK[failOn] && result.counts[s] > 0);
}

export { VERDICT_ZH };
