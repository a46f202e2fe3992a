// REFERENCE INTERPRETER: the rule engine as it was before rules were compiled into closures, kept verbatim
// (condition.ts evaluate/compare/iterate/lookup, template.ts render, engine.ts evaluateRules) so that
// compiled-equivalence.test.ts can assert that the compiled engine gives the same findings, field for field.
// Do not optimise this file: its value is that it is the plain reading of the rule language. A deliberate
// change of the language changes both.
import { createHash } from 'node:crypto';
import type { Evidence, Severity } from '../../src/check/types.js';
import type { PackageFacts } from '../../src/facts/schema.js';
import { deriveFacts } from '../../src/rules/derived.js';
import type { RuleContext, RuleFinding } from '../../src/rules/engine.js';
import { parsePath, resolveSegments, type Segment } from '../../src/rules/paths.js';
import type { CmpNode, Comparisons, Condition, CountNode, EvidenceSpec, Iteration, Operand, Rule, RuleSet } from '../../src/rules/types.js';

// ---- condition.ts ----
type Bound = Map<string, unknown[]>;
interface EvalResult {
  ok: boolean;
  bound: Bound;
}

/** Roots of the rule context plus names bound by enclosing `some`/`count` nodes. */
interface Scope {
  roots: Record<string, unknown>;
  bindings: Record<string, unknown>;
}

const DEFAULT_BINDING = 'item';
const pathCache = new Map<string, Segment[]>();
const regexCache = new Map<string, RegExp>();

function segments(path: string): Segment[] {
  let s = pathCache.get(path);
  if (!s) {
    s = parsePath(path);
    pathCache.set(path, s);
  }
  return s;
}

function regex(pattern: string, ci: boolean): RegExp {
  const key = `${ci ? 'i' : '-'}${pattern}`;
  let re = regexCache.get(key);
  if (!re) {
    re = new RegExp(pattern, ci ? 'iu' : 'u');
    regexCache.set(key, re);
  }
  return re;
}

function lookup(path: string, scope: Scope): unknown {
  const segs = segments(path);
  const head = segs[0]!;
  if (head.k !== 'key') return undefined;
  const base = Object.hasOwn(scope.bindings, head.key) ? scope.bindings[head.key] : Object.hasOwn(scope.roots, head.key) ? scope.roots[head.key] : undefined;
  return resolveSegments(base, segs, 1);
}

function operand(op: Operand | undefined, scope: Scope): unknown {
  if (op !== null && typeof op === 'object' && !Array.isArray(op)) return lookup(op.ref, scope);
  return op;
}

function fold(v: unknown, ci: boolean): unknown {
  return ci && typeof v === 'string' ? v.toLowerCase() : v;
}

function same(a: unknown, b: unknown, ci: boolean): boolean {
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((x, i) => same(x, b[i], ci));
  }
  return fold(a, ci) === fold(b, ci);
}

function isEmpty(v: unknown): boolean {
  if (v === undefined || v === null) return true;
  if (typeof v === 'string') return v.trim() === '';
  if (Array.isArray(v)) return v.length === 0;
  if (typeof v === 'object') return Object.keys(v).length === 0;
  return false;
}

function ordered(a: unknown, b: unknown): number | undefined {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  return undefined;
}

/** Every comparator present on the node holds for `left`. */
function compare(left: unknown, node: Comparisons, scope: Scope): boolean {
  const ci = node.ci === true;
  if (node.exists !== undefined && (left !== undefined && left !== null) !== node.exists) return false;
  if (node.empty !== undefined && isEmpty(left) !== node.empty) return false;
  const rest = ['eq', 'ne', 'lt', 'lte', 'gt', 'gte', 'in', 'notIn', 'contains', 'matches'] as const;
  for (const c of rest) {
    if (node[c] === undefined) continue;
    if (left === undefined || left === null) return false;
    const right = operand(node[c], scope);
    if (right === undefined) return false;
    switch (c) {
      case 'eq':
        if (!same(left, right, ci)) return false;
        break;
      case 'ne':
        if (same(left, right, ci)) return false;
        break;
      case 'lt':
      case 'lte':
      case 'gt':
      case 'gte': {
        const d = ordered(left, right);
        if (d === undefined) return false;
        if (c === 'lt' ? !(d < 0) : c === 'lte' ? !(d <= 0) : c === 'gt' ? !(d > 0) : !(d >= 0)) return false;
        break;
      }
      case 'in':
      case 'notIn': {
        if (!Array.isArray(right)) return false;
        const member = (x: unknown): boolean => right.some((r) => same(x, r, ci));
        const hit = Array.isArray(left) ? left.some(member) : member(left);
        if (hit !== (c === 'in')) return false;
        break;
      }
      case 'contains':
        if (Array.isArray(left)) {
          if (!left.some((x) => same(x, right, ci))) return false;
        } else if (typeof left === 'string' && typeof right === 'string') {
          if (!fold(left, ci)!.toString().includes(fold(right, ci) as string)) return false;
        } else return false;
        break;
      case 'matches': {
        if (typeof right !== 'string') return false;
        const re = regex(right, ci);
        const test = (x: unknown): boolean => typeof x === 'string' && re.test(x);
        if (!(Array.isArray(left) ? left.some(test) : test(left))) return false;
        break;
      }
    }
  }
  return true;
}

function merge(into: Bound, from: Bound): void {
  for (const [k, v] of from) {
    const have = into.get(k);
    if (!have) into.set(k, [...v]);
    else for (const x of v) if (!have.includes(x)) have.push(x);
  }
}

function iterate(it: Iteration, scope: Scope): { matched: unknown[]; bound: Bound } {
  const v = lookup(it.path, scope);
  const items = v === undefined || v === null ? [] : Array.isArray(v) ? v : [v];
  const name = it.as ?? DEFAULT_BINDING;
  const matched: unknown[] = [];
  const bound: Bound = new Map();
  for (const item of items) {
    if (!it.where) {
      matched.push(item);
      continue;
    }
    const r = evaluate(it.where, { roots: scope.roots, bindings: { ...scope.bindings, [name]: item } });
    if (r.ok) {
      matched.push(item);
      merge(bound, r.bound);
    }
  }
  bound.set(name, matched);
  return { matched, bound };
}

function evaluate(c: Condition, scope: Scope): EvalResult {
  if ('all' in c) {
    const bound: Bound = new Map();
    for (const sub of c.all) {
      const r = evaluate(sub, scope);
      if (!r.ok) return { ok: false, bound: new Map() };
      merge(bound, r.bound);
    }
    return { ok: true, bound };
  }
  if ('any' in c) {
    const bound: Bound = new Map();
    let ok = false;
    for (const sub of c.any) {
      const r = evaluate(sub, scope);
      if (r.ok) {
        ok = true;
        merge(bound, r.bound);
      }
    }
    return { ok, bound };
  }
  if ('not' in c) return { ok: !evaluate(c.not, scope).ok, bound: new Map() };
  if ('some' in c) {
    const r = iterate(c.some, scope);
    return r.matched.length > 0 ? { ok: true, bound: r.bound } : { ok: false, bound: new Map() };
  }
  if ('count' in c) {
    const node = c as CountNode;
    const r = iterate(node.count, scope);
    return compare(r.matched.length, node, scope) ? { ok: true, bound: r.bound } : { ok: false, bound: new Map() };
  }
  const node = c as CmpNode;
  return { ok: compare(lookup(node.path, scope), node, scope), bound: new Map() };
}

// ---- template.ts ----
const PLACEHOLDER_RE = /\{\{\s*([^{}\s]+)\s*\}\}/g;
const BUILTINS = ['count', 'value', 'values'] as const;

function show(v: unknown, sep: string): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (Array.isArray(v)) {
    const parts = v.map((x) => show(x, sep)).filter((x): x is string => x !== undefined);
    return parts.length === 0 ? undefined : parts.join(sep);
  }
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/** `missing`, when given, receives the placeholders that had no value; `sep` joins list values (、 in Chinese). */
function render(text: string, scope: Scope, builtins: Partial<Record<(typeof BUILTINS)[number], unknown>> = {}, missing?: string[], sep = ', '): string {
  return text.replace(PLACEHOLDER_RE, (whole, name: string) => {
    const v = Object.hasOwn(builtins, name) ? builtins[name as (typeof BUILTINS)[number]] : lookup(name, scope);
    const s = show(v, sep);
    if (s === undefined) missing?.push(name);
    return s ?? whole;
  });
}

// ---- engine.ts ----
/** Lists in Chinese texts are joined with the enumeration comma. */
const ZH_LIST_SEPARATOR = '、';

function contextRoots(set: RuleSet, ctx: RuleContext): Record<string, unknown> {
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

function fingerprint(packageSha256: string, rule: string, evidence: Evidence[]): string {
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
export function referenceEvaluateRules(set: RuleSet, ctx: RuleContext): RuleFinding[] {
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

export { evaluate as referenceEvaluate, compare as referenceCompare, type Scope as ReferenceScope };
