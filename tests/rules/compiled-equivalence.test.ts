// The compiled rule engine (src/rules/engine.ts, condition.ts, template.ts) against the plain interpreter it
// replaced (reference-engine.ts): the same findings — rule, severity, texts, evidence, fingerprint, order, key
// order — for the whole rule set on every rule test case, on every corpus APK/IPA with several filing records,
// and on seeded damaged facts; and the same {ok, bound} for seeded random conditions over real facts, so that a
// shortcut of the compiler (literal folding, Set membership, predicates that stop early, slots for bound names)
// cannot drift from the language.
import { basename, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkFacts } from '../../src/check/check.js';
import { PERMISSION_LABELS, type PermissionLabel, type Severity } from '../../src/check/types.js';
import { PackageFactsSchema, type PackageFacts } from '../../src/facts/schema.js';
import { compareCategories, detectCategories } from '../../src/rules/categories.js';
import { compare, evaluate } from '../../src/rules/condition.js';
import { evaluateRules, type RuleContext } from '../../src/rules/engine.js';
import { loadRuleSet } from '../../src/rules/load.js';
import { testContext } from '../../src/rules/tester.js';
import type { Comparisons, Condition } from '../../src/rules/types.js';
import { scanPackage } from '../../src/scan.js';
import { CORPUS, corpusFiles } from '../helpers/corpus.js';
import { rng } from '../helpers/rng.js';
import { basePath, REPO, scanBase } from './bases.js';
import { referenceCompare, referenceEvaluate, referenceEvaluateRules } from './reference-engine.js';

const set = loadRuleSet();
const SEED = 0x0c0de_6;
const SAMPLES = ['android/smartclass.apk', 'ios/eduscan-sample.ipa'];

/** Findings of both engines, as JSON (so key order and absent-vs-undefined count too). */
function both(ctx: RuleContext): { compiled: string; reference: string; count: number } {
  const compiled = evaluateRules(set, ctx);
  return { compiled: JSON.stringify(compiled), reference: JSON.stringify(referenceEvaluateRules(set, ctx)), count: compiled.length };
}

function contexts(facts: PackageFacts, label: string): [string, RuleContext][] {
  const detected = detectCategories(facts, set.permissionMap);
  const withApp = (app: Record<string, unknown>): RuleContext => {
    const filed = (app.permissions ?? []) as PermissionLabel[];
    return { facts, app, detected, ...compareCategories(detected, filed), today: '2026-06-01' };
  };
  const honest = testContext(set, facts, { base: 'x' });
  return [
    [`${label} honest record`, honest],
    [`${label} no record`, testContext(set, facts, { base: 'x', app: null })],
    // Nothing filed, for kindergarten: every category undeclared, severityWhen raised.
    [`${label} nothing filed (幼儿园)`, withApp({ ...honest.app, permissions: [], audience: ['学生-幼儿园'], md5: 'x', version: '0', packageId: 'other' })],
    // Everything filed: every undetected category is a notice; a later date for expiry rules.
    [`${label} everything filed`, { ...withApp({ ...honest.app, permissions: [...PERMISSION_LABELS], features: ['直播', '收费'] }), today: '2040-01-01' }],
  ];
}

describe('compiled engine = reference interpreter: whole rule set', () => {
  it('on the context of every rule test case (samples, fixtures, and the corpus when present)', async () => {
    const diffs: string[] = [];
    let n = 0;
    for (const rule of set.rules) {
      for (const kind of ['trigger', 'pass'] as const) {
        for (const tc of rule.tests?.[kind] ?? []) {
          if (!basePath(tc.base)) continue;
          const ctx = testContext(set, await scanBase(tc.base), tc);
          const r = both(ctx);
          if (r.compiled !== r.reference) diffs.push(`${rule.id} ${kind} ${tc.base} ${JSON.stringify(tc.set ?? tc.unset ?? tc.push ?? tc.app ?? '')}`);
          n++;
        }
      }
    }
    expect(diffs).toEqual([]);
    expect(n).toBeGreaterThan(200);
  });

  it('on 300 seeded damaged copies of each sample (the schema-valid ones)', async () => {
    const r = rng(SEED);
    const diffs: string[] = [];
    let evaluated = 0;
    for (const sample of SAMPLES) {
      const facts = await scanPackage(join(REPO, 'samples', sample));
      const pool = leaves(facts);
      for (let i = 0; i < 300; i++) {
        const parsed = PackageFactsSchema.safeParse(damage(facts, r, pool));
        if (!parsed.success) continue;
        for (const [label, ctx] of contexts(parsed.data, `${sample} #${i}`)) {
          const b = both(ctx);
          if (b.compiled !== b.reference) diffs.push(label);
        }
        evaluated++;
      }
    }
    expect(diffs).toEqual([]);
    expect(evaluated).toBeGreaterThan(150);
  });
});

describe.skipIf(!CORPUS)('compiled engine = reference interpreter: every corpus package', () => {
  const all: { file: string; facts: PackageFacts }[] = [];
  beforeAll(async () => {
    for (const file of [...corpusFiles('apk'), ...corpusFiles('ipa')]) {
      try {
        all.push({ file, facts: await scanPackage(file) });
      } catch {
        // unreadable packages have no facts
      }
    }
  });

  it('same findings with four filing records each, and checkFacts orders them as before', () => {
    expect(all.length).toBeGreaterThan(150);
    const diffs: string[] = [];
    let findings = 0;
    for (const { file, facts } of all) {
      for (const [label, ctx] of contexts(facts, basename(file))) {
        const b = both(ctx);
        findings += b.count;
        if (b.compiled !== b.reference) diffs.push(label);
        // checkFacts sorts by severity, then rule id with localeCompare (as it did before ranks were cached).
        const result = checkFacts({ facts, ruleSet: set, today: ctx.today, ...(ctx.app ? { app: { data: ctx.app, index: 0, name: 'x' } } : {}) });
        const expected = [...referenceEvaluateRules(set, { ...ctx, ...(ctx.app ? {} : { undeclared: [], notDetected: [] }) })]
          .sort((x, y) => RANK[y.severity] - RANK[x.severity] || x.rule.localeCompare(y.rule));
        if (JSON.stringify(result.findings) !== JSON.stringify(expected)) diffs.push(`${label}: checkFacts order`);
      }
    }
    expect(diffs).toEqual([]);
    expect(findings).toBeGreaterThan(1000);
  });
});

const RANK: Record<Severity, number> = { high: 3, medium: 2, low: 1, info: 0 };

// ---- seeded random conditions over real facts ----------------------------------------------------------------

type Leaf = string | number | boolean | null;

/** Every scalar in `v` (the pool literals and damage values are drawn from). */
function leaves(v: unknown, out: Leaf[] = []): Leaf[] {
  if (v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') out.push(v);
  else if (Array.isArray(v)) for (const x of v) leaves(x, out);
  else if (typeof v === 'object') for (const x of Object.values(v as object)) leaves(x, out);
  return out;
}

/** Key paths of `v` (lists projected, as rule paths are), each with whether it reaches a list. */
function paths(v: unknown, prefix: string, out: Map<string, boolean>, depth = 0): Map<string, boolean> {
  if (depth > 5 || v === null || typeof v !== 'object') return out;
  if (Array.isArray(v)) {
    for (const x of v.slice(0, 20)) paths(x, prefix, out, depth + 1);
    return out;
  }
  for (const [k, x] of Object.entries(v)) {
    const p = prefix ? `${prefix}.${k}` : k;
    out.set(p, (out.get(p) ?? false) || Array.isArray(x));
    paths(x, p, out, depth + 1);
  }
  return out;
}

const pick = <T,>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;

function damage(v: unknown, r: () => number, pool: Leaf[], depth = 0): unknown {
  if (depth > 0 && r() < 0.1) return pick(r, [...pool.slice(0, 50), null, '', 0, [], {}]);
  if (Array.isArray(v)) {
    if (v.length === 0) return v;
    const copy = [...v];
    if (r() < 0.2) copy.push(copy[0]); // duplicates exercise the de-duplication of bindings and evidence
    const i = Math.floor(r() * copy.length);
    copy[i] = damage(copy[i], r, pool, depth + 1);
    return copy;
  }
  if (v !== null && typeof v === 'object') {
    const keys = Object.keys(v);
    if (keys.length === 0) return v;
    const k = pick(r, keys);
    return { ...(v as Record<string, unknown>), [k]: damage((v as Record<string, unknown>)[k], r, pool, depth + 1) };
  }
  return pick(r, pool);
}

const COMPARATORS = ['eq', 'ne', 'lt', 'lte', 'gt', 'gte', 'in', 'notIn', 'contains', 'matches', 'exists', 'empty'] as const;

class Gen {
  constructor(private readonly r: () => number, private readonly roots: Map<string, boolean>, private readonly pool: Leaf[]) {}

  literal(): Leaf {
    const x = pick(this.r, this.pool);
    const k = this.r();
    if (typeof x === 'string' && k < 0.2) return x.toUpperCase();
    if (typeof x === 'string' && k < 0.3) return x.slice(0, Math.max(1, Math.floor(x.length / 2)));
    if (typeof x === 'number' && k < 0.3) return x + 1;
    if (k > 0.97) return pick(this.r, [null, true, false, NaN, '']);
    return x;
  }

  /** A valid regular expression (the loader refuses others, so the language has none). */
  pattern(): string {
    const p = pick(this.r, ['^android\\.', 'CAMERA|SMS', '^[0-9]+$', 'a', '\\.', 'smart(class)?', String(this.literal())]);
    try {
      new RegExp(p, 'u');
      return p;
    } catch {
      return p.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
    }
  }

  /** A path in scope: a root path, or a bound name with one of its element's paths. */
  path(scope: { name: string; of: string }[]): string {
    if (scope.length > 0 && this.r() < 0.6) {
      const b = pick(this.r, scope);
      const sub = [...this.roots.keys()].filter((p) => p.startsWith(`${b.of}.`)).map((p) => p.slice(b.of.length));
      return sub.length === 0 || this.r() < 0.2 ? b.name : `${b.name}${pick(this.r, sub)}`;
    }
    return this.r() < 0.05 ? pick(this.r, ['today', 'facts.nope', 'facts', 'derived.targetSdk']) : pick(this.r, [...this.roots.keys()]);
  }

  comparisons(scope: { name: string; of: string }[]): Comparisons {
    const out: Record<string, unknown> = {};
    const n = 1 + Math.floor(this.r() * 2);
    for (let i = 0; i < n; i++) {
      const c = pick(this.r, COMPARATORS);
      if (c === 'exists' || c === 'empty') out[c] = this.r() < 0.5;
      else if (c === 'matches') out[c] = this.r() < 0.15 ? { ref: this.path(scope) } : this.pattern();
      else if (c === 'in' || c === 'notIn') out[c] = this.r() < 0.15 ? { ref: this.path(scope) } : Array.from({ length: Math.floor(this.r() * 4) }, () => this.literal());
      else out[c] = this.r() < 0.2 ? { ref: this.path(scope) } : this.r() < 0.08 ? [this.literal(), this.literal()] : this.literal();
    }
    if (this.r() < 0.3) out.ci = true;
    return out as Comparisons;
  }

  cond(scope: { name: string; of: string }[], depth: number): Condition {
    const k = depth > 3 ? 0 : this.r();
    if (k < 0.4) return { path: this.path(scope), ...this.comparisons(scope) } as Condition;
    if (k < 0.55) return { all: Array.from({ length: 1 + Math.floor(this.r() * 3) }, () => this.cond(scope, depth + 1)) };
    if (k < 0.7) return { any: Array.from({ length: 1 + Math.floor(this.r() * 3) }, () => this.cond(scope, depth + 1)) };
    if (k < 0.75) return { not: this.cond(scope, depth + 1) };
    const lists = [...this.roots].filter(([, isList]) => isList).map(([p]) => p);
    const of = pick(this.r, lists);
    const name = pick(this.r, ['item', 'a', 'b', 'a', undefined]);
    const it = { path: of, ...(name ? { as: name } : {}), ...(this.r() < 0.8 ? { where: this.cond([...scope, { name: name ?? 'item', of }], depth + 1) } : {}) };
    return k < 0.9 ? { some: it } : ({ count: it, ...this.comparisons(scope) } as Condition);
  }
}

describe('compiled conditions = interpreted conditions', () => {
  it('3,000 seeded random conditions over the samples\' facts give the same {ok, bound}', async () => {
    const r = rng(SEED + 1);
    const diffs: string[] = [];
    let held = 0;
    for (const sample of SAMPLES) {
      const facts = await scanPackage(join(REPO, 'samples', sample));
      const ctx = testContext(set, facts, { base: 'x' });
      const roots = { facts, app: ctx.app, detected: ctx.detected, undeclared: ctx.undeclared, notDetected: ctx.notDetected, today: ctx.today, derived: { targetSdk: 30 } };
      const gen = new Gen(r, paths({ facts, app: ctx.app, detected: ctx.detected }, '', new Map()), leaves(facts));
      for (let i = 0; i < 1500; i++) {
        const c = gen.cond([], 0);
        const scope = { roots, bindings: {} };
        let want: string;
        let got: string;
        try {
          const x = referenceEvaluate(c, scope);
          want = JSON.stringify({ ok: x.ok, bound: [...x.bound] });
        } catch (e) {
          want = `throws ${(e as Error).message}`;
        }
        try {
          const x = evaluate(c, scope);
          got = JSON.stringify({ ok: x.ok, bound: [...x.bound] });
          if (x.ok) held++;
        } catch (e) {
          got = `throws ${(e as Error).message}`;
        }
        if (got !== want) diffs.push(`${JSON.stringify(c)}\n  compiled ${got.slice(0, 300)}\n  reference ${want.slice(0, 300)}`);
      }
    }
    expect(diffs.slice(0, 5)).toEqual([]);
    // Both outcomes are exercised.
    expect(held).toBeGreaterThan(300);
    expect(held).toBeLessThan(2700);
  });

  it('every comparator on seeded left values (lists, case, NaN, null) agrees', () => {
    const r = rng(SEED + 2);
    const pool: Leaf[] = ['a', 'A', 'ab', 'android.permission.CAMERA', 'ANDROID.PERMISSION.CAMERA', '', ' ', '0', 0, 1, -0, 2.5, NaN, true, false, null];
    const gen = new Gen(r, new Map([['facts.x', false]]), pool);
    const scope = { roots: { facts: { x: 'A' }, today: '2026-06-01' }, bindings: { b: ['a', 1] } };
    const diffs: string[] = [];
    for (let i = 0; i < 4000; i++) {
      const node = gen.comparisons([{ name: 'b', of: 'facts.x' }]);
      const left: unknown = r() < 0.3 ? [pick(r, pool), pick(r, pool), ...(r() < 0.3 ? [[pick(r, pool)]] : [])] : r() < 0.05 ? undefined : pick(r, pool);
      let want: string;
      let got: string;
      try {
        want = String(referenceCompare(left, node, scope));
      } catch (e) {
        want = `throws ${(e as Error).message}`;
      }
      try {
        got = String(compare(left, node, scope));
      } catch (e) {
        got = `throws ${(e as Error).message}`;
      }
      if (got !== want) diffs.push(`${JSON.stringify(left)} ${JSON.stringify(node)}: compiled ${got}, reference ${want}`);
    }
    expect(diffs.slice(0, 5)).toEqual([]);
  });
});
