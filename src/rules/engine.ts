// Rules × context → findings. Pure: no I/O, no clock (the caller passes `today`), never throws on facts.
import { createHash } from 'node:crypto';
import type { CategoryDetection, Evidence, Finding, PermissionLabel, Severity } from '../check/types.js';
import type { PackageFacts } from '../facts/schema.js';
import { evaluate, type Bound, type Scope } from './condition.js';
import { deriveFacts } from './derived.js';
import { parsePath, resolveSegments } from './paths.js';
import { render } from './template.js';
import type { EvidenceSpec, Rule, RuleSet } from './types.js';

export interface RuleContext {
  facts: PackageFacts;
  /** The filing record's app the package is compared with (FiledApp); absent for a package-only check. */
  app?: Record<string, unknown>;
  /** The whole filing record, for rules that read provider-level fields. */
  record?: Record<string, unknown>;
  detected: CategoryDetection[];
  undeclared: CategoryDetection[];
  notDetected: PermissionLabel[];
  /** yyyy-mm-dd, the date expiry rules compare with. */
  today: string;
}

export type RuleFinding = Omit<Finding, 'suppressed'>;

/** Lists in Chinese texts are joined with the enumeration comma. */
const ZH_LIST_SEPARATOR = '、';

export function contextRoots(set: RuleSet, ctx: RuleContext): Record<string, unknown> {
  return {
    facts: ctx.facts,
    app: ctx.app,
    record: ctx.record,
    detected: ctx.detected,
    undeclared: ctx.undeclared,
    notDetected: ctx.notDetected,
    today: ctx.today,
    derived: deriveFacts(ctx.facts, set.permissionMap),
  };
}

function applies(rule: Rule, facts: PackageFacts): boolean {
  return rule.platform === 'both' || rule.platform === facts.platform;
}

function isEvidence(v: unknown): v is Evidence {
  return v !== null && typeof v === 'object' && typeof (v as Evidence).kind === 'string' && typeof (v as Evidence).value === 'string';
}

function buildEvidence(specs: EvidenceSpec[], scope: Scope, bound: Bound): Evidence[] {
  const out: Evidence[] = [];
  const push = (e: Evidence): void => {
    if (e.value === '') return;
    if (!out.some((x) => x.kind === e.kind && x.value === e.value && x.location === e.location)) out.push(e);
  };
  for (const spec of specs) {
    if ('copy' in spec) {
      const segs = parsePath(spec.copy);
      for (const item of bound.get(spec.for) ?? []) {
        const v = resolveSegments(item, segs);
        for (const e of Array.isArray(v) ? v : [v]) {
          if (isEvidence(e)) push({ kind: e.kind, value: e.value, ...(e.location ? { location: e.location } : {}), ...(e.strength ? { strength: e.strength } : {}) });
        }
      }
      continue;
    }
    const items = spec.for === undefined ? [undefined] : bound.get(spec.for) ?? [];
    for (const item of items) {
      const s: Scope = spec.for === undefined ? scope : { roots: scope.roots, bindings: { ...scope.bindings, [spec.for]: item } };
      // An evidence item about a fact the package does not have is left out (a location without it is dropped).
      const missing: string[] = [];
      const value = render(spec.value, s, {}, missing);
      if (missing.length > 0) continue;
      const locMissing: string[] = [];
      const location = spec.location === undefined ? undefined : render(spec.location, s, {}, locMissing);
      push({ kind: spec.kind, value, ...(location && locMissing.length === 0 ? { location } : {}), ...(spec.strength ? { strength: spec.strength } : {}) });
    }
  }
  return out;
}

function severityOf(rule: Rule, scope: Scope): Severity {
  for (const s of rule.severityWhen ?? []) if (evaluate(s.when, scope).ok) return s.severity;
  return rule.severity;
}

export function fingerprint(packageSha256: string, rule: string, evidence: Evidence[]): string {
  const h = createHash('sha256');
  h.update(`${packageSha256}\n${rule}\n`);
  for (const e of evidence) h.update(`${e.value}\n`);
  return h.digest('hex');
}

function finding(rule: Rule, scope: Scope, bound: Bound, facts: PackageFacts): RuleFinding {
  const evidence = buildEvidence(rule.evidence, scope, bound);
  const builtins = { count: evidence.length, value: evidence[0]?.value, values: evidence.map((e) => e.value) };
  const text = (t: { zh: string; en: string }) => ({ zh: render(t.zh, scope, builtins, undefined, ZH_LIST_SEPARATOR), en: render(t.en, scope, builtins) });
  return {
    rule: rule.id,
    severity: severityOf(rule, scope),
    title: text(rule.title),
    message: text(rule.message),
    rationale: { zh: rule.rationale.zh, en: rule.rationale.en },
    basis: rule.basis,
    evidence,
    fingerprint: fingerprint(facts.file.sha256, rule.id, evidence),
  };
}

/** Findings of every rule whose platform fits the package and whose condition holds, in rule order. */
export function evaluateRules(set: RuleSet, ctx: RuleContext): RuleFinding[] {
  const scope: Scope = { roots: contextRoots(set, ctx), bindings: {} };
  const out: RuleFinding[] = [];
  for (const rule of set.rules) {
    if (!applies(rule, ctx.facts)) continue;
    const r = evaluate(rule.when, scope);
    if (!r.ok) continue;
    if (rule.each === undefined) {
      out.push(finding(rule, scope, r.bound, ctx.facts));
      continue;
    }
    for (const item of r.bound.get(rule.each) ?? []) {
      const bound: Bound = new Map(r.bound);
      bound.set(rule.each, [item]);
      out.push(finding(rule, { roots: scope.roots, bindings: { [rule.each]: item } }, bound, ctx.facts));
    }
  }
  return out;
}
