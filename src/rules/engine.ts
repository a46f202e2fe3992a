// Rules × context → findings. Pure: no I/O, no clock (the caller passes `today`), never throws on facts.
// Each rule is compiled once (kept per Rule object): its condition into closures that collect only the
// bindings its `each` and evidence read, its templates into parts. Evaluating a package then allocates little
// more than its findings. tests/rules/compiled-equivalence.test.ts holds the findings equal to those of the
// plain interpreter (tests/rules/reference-engine.ts) on the whole corpus.
import { hash } from 'node:crypto';
import type { CategoryDetection, Evidence, Finding, PermissionLabel, Severity } from '../check/types.js';
import type { PackageFacts } from '../facts/schema.js';
import { compileBinder, compilePred, type Binder, type Bound, type Env, type Pred } from './condition.js';
import { deriveFacts } from './derived.js';
import { parsePath, resolveSegments, type Segment } from './paths.js';
import { compileTemplate, type CompiledTemplate } from './template.js';
import type { Rule, RuleSet } from './types.js';

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
  /** The app's use filings (src/filing/use.ts UseContext); empty when none is known. */
  uses?: Record<string, unknown>[];
}

export type RuleFinding = Omit<Finding, 'suppressed'>;

/** Lists in Chinese texts are joined with the enumeration comma. */
const ZH_LIST_SEPARATOR = '、';
const EN_LIST_SEPARATOR = ', ';

export function contextRoots(set: RuleSet, ctx: RuleContext): Record<string, unknown> {
  return {
    facts: ctx.facts,
    app: ctx.app,
    record: ctx.record,
    detected: ctx.detected,
    undeclared: ctx.undeclared,
    notDetected: ctx.notDetected,
    today: ctx.today,
    uses: ctx.uses ?? [],
    derived: deriveFacts(ctx.facts, set.permissionMap),
  };
}

function isEvidence(v: unknown): v is Evidence {
  return v !== null && typeof v === 'object' && typeof (v as Evidence).kind === 'string' && typeof (v as Evidence).value === 'string';
}

export function fingerprint(packageSha256: string, rule: string, evidence: Evidence[]): string {
  // One-shot hash of what used to be fed to createHash piece by piece (every piece ends in "\n", so the UTF-8
  // bytes are the same): the digest is unchanged, at a fraction of the cost.
  let text = `${packageSha256}\n${rule}\n`;
  for (const e of evidence) text += `${e.value}\n`;
  return hash('sha256', text);
}

type CompiledEvidence =
  | { copy: true; for: string; segs: () => Segment[] }
  | { copy: false; for?: string; slot: number; kind: string; value: CompiledTemplate; location?: CompiledTemplate; strength?: 'D' | 'I' | 'R' };

interface Texts {
  zh: CompiledTemplate;
  en: CompiledTemplate;
}

interface CompiledRule {
  when: Binder;
  evidence: CompiledEvidence[];
  severityWhen: { when: Pred; severity: Severity }[];
  title: Texts;
  message: Texts;
}

const compiled = new WeakMap<Rule, CompiledRule>();

/** A copy path is parsed when the rule first fires, as it was when interpreted (a bad one throws there). */
function lazySegments(path: string): () => Segment[] {
  let segs: Segment[] | undefined;
  return () => (segs ??= parsePath(path));
}

function compileRule(rule: Rule): CompiledRule {
  // Names in scope after `when`: the `each` element (slot 0) while a finding is built.
  const base = rule.each === undefined ? [] : [rule.each];
  const needed = new Set<string>(base);
  for (const e of rule.evidence) if (e.for !== undefined) needed.add(e.for);
  const texts = (t: { zh: string; en: string }): Texts => ({ zh: compileTemplate(t.zh, base, true), en: compileTemplate(t.en, base, true) });
  return {
    when: compileBinder(rule.when, [], needed),
    evidence: rule.evidence.map((e): CompiledEvidence => {
      if ('copy' in e) return { copy: true, for: e.for, segs: lazySegments(e.copy) };
      const names = e.for === undefined ? base : [...base, e.for];
      return {
        copy: false, ...(e.for === undefined ? {} : { for: e.for }), slot: base.length, kind: e.kind,
        value: compileTemplate(e.value, names, false),
        ...(e.location === undefined ? {} : { location: compileTemplate(e.location, names, false) }),
        ...(e.strength ? { strength: e.strength } : {}),
      };
    }),
    severityWhen: (rule.severityWhen ?? []).map((s) => ({ when: compilePred(s.when, base), severity: s.severity })),
    title: texts(rule.title),
    message: texts(rule.message),
  };
}

function compiledRule(rule: Rule): CompiledRule {
  let c = compiled.get(rule);
  if (!c) {
    c = compileRule(rule);
    compiled.set(rule, c);
  }
  return c;
}

function buildEvidence(specs: CompiledEvidence[], env: Env, bound: Bound): Evidence[] {
  const out: Evidence[] = [];
  const push = (e: Evidence): void => {
    if (e.value === '') return;
    if (!out.some((x) => x.kind === e.kind && x.value === e.value && x.location === e.location)) out.push(e);
  };
  const one = (spec: Extract<CompiledEvidence, { copy: false }>): void => {
    // An evidence item about a fact the package does not have is left out (a location without it is dropped).
    const value = spec.value(env, EN_LIST_SEPARATOR, true);
    if (value === undefined) return;
    const location = spec.location?.(env, EN_LIST_SEPARATOR, true);
    push({ kind: spec.kind, value, ...(location ? { location } : {}), ...(spec.strength ? { strength: spec.strength } : {}) });
  };
  for (const spec of specs) {
    if (spec.copy) {
      const segs = spec.segs();
      for (const item of bound.get(spec.for) ?? []) {
        const v = resolveSegments(item, segs);
        for (const e of Array.isArray(v) ? v : [v]) {
          if (isEvidence(e)) push({ kind: e.kind, value: e.value, ...(e.location ? { location: e.location } : {}), ...(e.strength ? { strength: e.strength } : {}) });
        }
      }
      continue;
    }
    if (spec.for === undefined) {
      one(spec);
      continue;
    }
    for (const item of bound.get(spec.for) ?? []) {
      env.vals[spec.slot] = item;
      one(spec);
    }
  }
  return out;
}

function finding(rule: Rule, c: CompiledRule, env: Env, bound: Bound, facts: PackageFacts): RuleFinding {
  const evidence = buildEvidence(c.evidence, env, bound);
  const text = (t: Texts) => ({ zh: t.zh(env, ZH_LIST_SEPARATOR, false, evidence)!, en: t.en(env, EN_LIST_SEPARATOR, false, evidence)! });
  let severity = rule.severity;
  for (const s of c.severityWhen) {
    if (s.when(env)) {
      severity = s.severity;
      break;
    }
  }
  return {
    rule: rule.id,
    severity,
    title: text(c.title),
    message: text(c.message),
    rationale: { zh: rule.rationale.zh, en: rule.rationale.en },
    basis: rule.basis,
    evidence,
    fingerprint: fingerprint(facts.file.sha256, rule.id, evidence),
  };
}

/** Findings of every rule whose platform fits the package and whose condition holds, in rule order. */
export function evaluateRules(set: RuleSet, ctx: RuleContext): RuleFinding[] {
  const env: Env = { roots: contextRoots(set, ctx), vals: [] };
  const platform = ctx.facts.platform;
  const out: RuleFinding[] = [];
  for (const rule of set.rules) {
    if (rule.platform !== 'both' && rule.platform !== platform) continue;
    const c = compiledRule(rule);
    const bound = c.when(env);
    if (!bound) continue;
    if (rule.each === undefined) {
      out.push(finding(rule, c, env, bound, ctx.facts));
      continue;
    }
    for (const item of bound.get(rule.each) ?? []) {
      const one: Bound = new Map(bound);
      one.set(rule.each, [item]);
      env.vals[0] = item;
      out.push(finding(rule, c, env, one, ctx.facts));
    }
  }
  return out;
}
