// RuleTester support: turn an inline test case of a rule (rules/*.yaml `tests`) into a rule context — a REAL
// scanned package, optionally with a few facts changed, and a filing record's app — and check the findings.
// The package scan itself is the caller's (tests/rules/), so this module stays free of file I/O.
import type { PermissionLabel, Severity } from '../check/types.js';
import { PackageFactsSchema, type PackageFacts } from '../facts/schema.js';
import { compareCategories, detectCategories } from './categories.js';
import { evaluateRules, type RuleContext, type RuleFinding } from './engine.js';
import { parsePath, type Segment } from './paths.js';
import type { Rule, RuleSet, RuleTestCase } from './types.js';

/** `today` of a test case that does not set one: fixed, so expiry rules give the same answer every day. */
export const TEST_TODAY = '2026-06-01';

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function matches(el: unknown, s: Extract<Segment, { k: 'select' }>): boolean {
  if (!isObj(el)) return false;
  const v = el[s.key];
  return (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') && String(v) === s.value;
}

/** Containers reached by `segs` (arrays met by a key are walked element by element, like paths in rules). */
function containers(root: unknown, segs: readonly Segment[]): unknown[] {
  let cur: unknown[] = [root];
  for (const s of segs) {
    const next: unknown[] = [];
    for (const c of cur) {
      if (s.k === 'index') {
        if (Array.isArray(c) && c[s.index] !== undefined) next.push(c[s.index]);
      } else if (s.k === 'select') {
        if (Array.isArray(c)) next.push(...c.filter((el) => matches(el, s)));
      } else if (Array.isArray(c)) {
        for (const el of c) if (isObj(el) && el[s.key] !== undefined) next.push(el[s.key]);
      } else if (isObj(c) && c[s.key] !== undefined) {
        next.push(c[s.key]);
      }
    }
    cur = next;
  }
  return cur;
}

function targets(root: Obj, path: string): { parents: unknown[]; last: Segment } {
  const segs = parsePath(path);
  const last = segs[segs.length - 1]!;
  const parents = containers(root, segs.slice(0, -1));
  if (parents.length === 0) throw new Error(`test mutation: nothing at ${path}`);
  return { parents, last };
}

function setAt(root: Obj, path: string, value: unknown): void {
  const { parents, last } = targets(root, path);
  let done = 0;
  for (const p of parents) {
    const items = Array.isArray(p) && last.k === 'key' ? p : [p];
    for (const it of items) {
      if (last.k === 'key' && isObj(it)) {
        it[last.key] = structuredClone(value);
        done++;
      } else if (last.k === 'index' && Array.isArray(it)) {
        it[last.index] = structuredClone(value);
        done++;
      }
    }
  }
  if (done === 0) throw new Error(`test mutation: cannot set ${path}`);
}

function unsetAt(root: Obj, path: string): void {
  const { parents, last } = targets(root, path);
  for (const p of parents) {
    if (last.k === 'select' && Array.isArray(p)) {
      const keep = p.filter((el) => !matches(el, last));
      if (keep.length === p.length) throw new Error(`test mutation: ${path} selects nothing`);
      p.splice(0, p.length, ...keep);
    } else if (last.k === 'index' && Array.isArray(p)) {
      p.splice(last.index, 1);
    } else if (last.k === 'key') {
      for (const it of Array.isArray(p) ? p : [p]) if (isObj(it)) delete it[last.key];
    }
  }
}

function pushAt(root: Obj, path: string, value: unknown): void {
  const { parents, last } = targets(root, path);
  let done = 0;
  for (const p of parents) {
    const arr = last.k === 'key' && isObj(p) ? p[last.key] : undefined;
    if (Array.isArray(arr)) {
      arr.push(structuredClone(value));
      done++;
    }
  }
  if (done === 0) throw new Error(`test mutation: ${path} is not a list`);
}

/** A copy of `facts` with the case's set/unset/push applied; throws when the result is no valid PackageFacts. */
export function mutateFacts(facts: PackageFacts, tc: RuleTestCase): PackageFacts {
  const root: Obj = { facts: structuredClone(facts) };
  for (const [p, v] of Object.entries(tc.set ?? {})) setAt(root, p, v);
  for (const p of tc.unset ?? []) unsetAt(root, p);
  for (const [p, v] of Object.entries(tc.push ?? {})) pushAt(root, p, v);
  const r = PackageFactsSchema.safeParse(root.facts);
  if (!r.success) {
    const i = r.error.issues[0]!;
    throw new Error(`test mutation makes invalid facts: ${i.path.join('.')}: ${i.message}`);
  }
  return root.facts as PackageFacts;
}

/** The record app a test uses unless the case says otherwise: it files exactly what the package is. */
export function defaultApp(facts: PackageFacts, detected: PermissionLabel[]): Obj {
  return {
    name: facts.labelZh ?? facts.label ?? facts.id,
    version: facts.versionName ?? '',
    platform: facts.platform,
    packageId: facts.id,
    md5: facts.file.md5,
    functionType: '学习类',
    audience: ['学生-高等院校'],
    serviceContent: '在线课程学习',
    permissions: detected,
    features: [],
  };
}

export function testContext(set: RuleSet, base: PackageFacts, tc: RuleTestCase): RuleContext {
  const facts = mutateFacts(base, tc);
  const detected = detectCategories(facts, set.permissionMap);
  let app: Obj | undefined;
  if (tc.app !== null) {
    app = defaultApp(facts, detected.map((d) => d.label));
    for (const [k, v] of Object.entries(tc.app ?? {})) {
      if (v === null) delete app[k];
      else app[k] = structuredClone(v);
    }
  }
  const filed = (Array.isArray(app?.permissions) ? app.permissions : []) as PermissionLabel[];
  const diff = app ? compareCategories(detected, filed) : { undeclared: [], notDetected: [] };
  return { facts, ...(app ? { app } : {}), detected, ...diff, today: tc.today ?? TEST_TODAY, ...(tc.uses ? { uses: structuredClone(tc.uses) } : {}) };
}

const UNFILLED = /\{\{[^}]*\}\}/;

/** Problems with the findings of one rule for one case (empty = the case holds). */
export function checkCase(set: RuleSet, rule: Rule, kind: 'trigger' | 'pass', ctx: RuleContext, tc: RuleTestCase): { problems: string[]; findings: RuleFinding[] } {
  const findings = evaluateRules({ ...set, rules: [rule] }, ctx);
  const problems: string[] = [];
  if (kind === 'pass') {
    if (findings.length > 0) problems.push(`expected no finding, got ${findings.length}: ${findings.map((f) => f.message.en).join(' | ')}`);
    return { problems, findings };
  }
  if (findings.length === 0) problems.push('expected a finding, got none');
  if (tc.findings !== undefined && findings.length !== tc.findings) problems.push(`expected ${tc.findings} findings, got ${findings.length}`);
  for (const f of findings) problems.push(...findingProblems(f, tc.severity));
  const values = new Set(findings.flatMap((f) => f.evidence.map((e) => e.value)));
  for (const v of tc.evidence ?? []) if (!values.has(v)) problems.push(`evidence ${JSON.stringify(v)} missing (have ${[...values].map((x) => JSON.stringify(x)).join(', ')})`);
  return { problems, findings };
}

/** Rendering problems of one finding: unfilled placeholders, no evidence, wrong severity. */
export function findingProblems(f: RuleFinding, severity?: Severity): string[] {
  const out: string[] = [];
  if (severity !== undefined && f.severity !== severity) out.push(`severity ${f.severity}, expected ${severity}`);
  if (f.evidence.length === 0) out.push('finding without evidence');
  const texts = [f.title.zh, f.title.en, f.message.zh, f.message.en, ...f.evidence.flatMap((e) => [e.value, e.location ?? ''])];
  for (const t of texts) if (UNFILLED.test(t)) out.push(`unfilled placeholder in ${JSON.stringify(t)}`);
  return out;
}
