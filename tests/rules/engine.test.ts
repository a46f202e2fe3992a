// The condition language and the engine: semantics of each node and comparator (on the sample APK's real
// facts where a package is involved), evidence building, `each`, severityWhen, fingerprints, platform filter.
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { PackageFacts } from '../../src/facts/schema.js';
import { compare, evaluate, type Scope } from '../../src/rules/condition.js';
import { evaluateRules, fingerprint } from '../../src/rules/engine.js';
import { loadRuleSet } from '../../src/rules/load.js';
import { parsePath, resolveSegments } from '../../src/rules/paths.js';
import { testContext } from '../../src/rules/tester.js';
import type { Condition, Rule } from '../../src/rules/types.js';
import { scanPackage } from '../../src/scan.js';
import { REPO } from './bases.js';

const set = loadRuleSet();
let apk: PackageFacts;
let ipa: PackageFacts;
beforeAll(async () => {
  apk = await scanPackage(join(REPO, 'samples', 'android', 'smartclass.apk'));
  ipa = await scanPackage(join(REPO, 'samples', 'ios', 'eduscan-sample.ipa'));
});

function scope(extra: Record<string, unknown> = {}): Scope {
  return { roots: { facts: apk, today: '2026-06-01', ...extra }, bindings: {} };
}
const ok = (c: Condition, s = scope()) => evaluate(c, s).ok;

describe('paths', () => {
  it('project over arrays and flatten one level per list', () => {
    const schemes = resolveSegments(apk, parsePath('signing.signers.scheme'));
    expect(schemes).toEqual(apk.signing!.signers.map((s) => s.scheme));
    const debug = resolveSegments(apk, parsePath('signing.signers.certificates.debug'));
    expect(debug).toEqual(apk.signing!.signers.flatMap((s) => s.certificates.map((c) => c.debug)));
  });

  it('select with [key=value] (values may hold dots) and index with numbers', () => {
    const v = resolveSegments(apk, parsePath('permissions[name=android.permission.READ_SMS].name'));
    expect(v).toEqual(['android.permission.READ_SMS']);
    expect(resolveSegments(apk, parsePath('permissions.0.name'))).toBe(apk.permissions[0]!.name);
  });

  it('never read inherited properties', () => {
    expect(resolveSegments({}, parsePath('constructor'))).toBeUndefined();
    expect(resolveSegments({ a: {} }, parsePath('a.toString'))).toBeUndefined();
  });

  it('reject malformed paths', () => {
    for (const bad of ['', 'a..b', 'a.', 'a.[x]', 'a[x', 'a b', 'a[=1]']) expect(() => parsePath(bad), bad).toThrow();
  });
});

describe('comparators', () => {
  // Built when a test runs: the sample's facts are scanned in beforeAll.
  const s: Scope = {
    get roots() {
      return scope().roots;
    },
    bindings: {},
  };
  it('eq/ne on scalars and lists; missing values satisfy nothing but exists:false and empty:true', () => {
    expect(compare('a', { eq: 'a' }, s)).toBe(true);
    expect(compare(['v1', 'v2'], { eq: ['v1', 'v2'] }, s)).toBe(true);
    expect(compare(['v1', 'v2'], { eq: ['v2', 'v1'] }, s)).toBe(false);
    for (const c of [{ eq: 1 }, { ne: 1 }, { lt: 1 }, { in: [1] }, { notIn: [1] }, { contains: 'x' }, { matches: '.' }]) expect(compare(undefined, c, s), JSON.stringify(c)).toBe(false);
    expect(compare(undefined, { exists: false }, s)).toBe(true);
    expect(compare(undefined, { empty: true }, s)).toBe(true);
    expect(compare('  ', { empty: true }, s)).toBe(true);
    expect(compare([], { empty: true }, s)).toBe(true);
    expect(compare(0, { empty: false }, s)).toBe(true);
  });

  it('order numbers with numbers and strings with strings only (ISO dates compare as text)', () => {
    expect(compare(22, { lt: 23 }, s)).toBe(true);
    expect(compare('22', { lt: 23 }, s)).toBe(false);
    expect(compare('2020-01-01T00:00:00Z', { lt: { ref: 'today' } }, s)).toBe(true);
    expect(compare('2036-11-21T21:37:32Z', { lt: { ref: 'today' } }, s)).toBe(false);
  });

  it('in/notIn/contains/matches: a list on the left means "some element"', () => {
    expect(compare(['v1', 'v3'], { in: ['v2', 'v3'] }, s)).toBe(true);
    expect(compare(['v1'], { notIn: ['v2', 'v3'] }, s)).toBe(true);
    expect(compare(['v1', 'v2'], { notIn: ['v2'] }, s)).toBe(false);
    expect(compare(['SHA-1', 'MD5'], { matches: 'SHA-?256' }, s)).toBe(false);
    expect(compare('abc', { contains: 'b' }, s)).toBe(true);
    expect(compare('ABC', { contains: 'b', ci: true }, s)).toBe(true);
    expect(compare(['Localhost'], { in: ['localhost'], ci: true }, s)).toBe(true);
  });

  it('several comparators on one node must all hold; refs read the context', () => {
    expect(compare(25, { gte: 23, lt: 30 }, s)).toBe(true);
    expect(compare(31, { gte: 23, lt: 30 }, s)).toBe(false);
    expect(compare(apk.file.md5.toUpperCase(), { eq: { ref: 'facts.file.md5' }, ci: true }, s)).toBe(true);
    expect(compare('x', { eq: { ref: 'facts.nothing' } }, s)).toBe(false);
  });
});

describe('nodes', () => {
  it('some binds the matching elements (default name item); not drops bindings', () => {
    const r = evaluate({ some: { path: 'facts.permissions', where: { path: 'item.name', matches: 'CAMERA|RECORD_AUDIO' } } }, scope());
    expect(r.ok).toBe(true);
    expect((r.bound.get('item') as { name: string }[]).map((p) => p.name).sort()).toEqual(['android.permission.CAMERA', 'android.permission.RECORD_AUDIO']);
    const n = evaluate({ not: { some: { path: 'facts.permissions', as: 'p', where: { path: 'p.name', eq: 'nope' } } } }, scope());
    expect(n.ok).toBe(true);
    expect(n.bound.size).toBe(0);
  });

  it('any evaluates every branch so that all matches are bound; all fails as a whole', () => {
    const c: Condition = {
      any: [
        { some: { path: 'facts.permissions', as: 'a', where: { path: 'a.name', eq: 'android.permission.CAMERA' } } },
        { some: { path: 'facts.permissions', as: 'b', where: { path: 'b.name', eq: 'android.permission.READ_SMS' } } },
      ],
    };
    const r = evaluate(c, scope());
    expect([...r.bound.keys()].sort()).toEqual(['a', 'b']);
    const f = evaluate({ all: [c, { path: 'facts.platform', eq: 'ios' }] }, scope());
    expect(f).toEqual({ ok: false, bound: new Map() });
  });

  it('count compares the number of (matching) elements; nested some sees the outer binding', () => {
    expect(ok({ count: { path: 'facts.permissions' }, eq: apk.permissions.length })).toBe(true);
    expect(ok({ count: { path: 'facts.permissions', where: { path: 'item.maxSdkVersion', exists: true } }, eq: 1 })).toBe(true);
    const nested: Condition = {
      some: {
        path: 'facts.manifest.components',
        as: 'c',
        where: { some: { path: 'derived.launcherActivities', as: 'l', where: { path: 'l', eq: { ref: 'c.name' } } } },
      },
    };
    expect(ok(nested, scope({ derived: { launcherActivities: ['cn.example.smartclass.MainActivity'] } }))).toBe(true);
    expect(ok(nested, scope({ derived: { launcherActivities: ['x'] } }))).toBe(false);
  });

  it('iterates a scalar as one element and a missing list as none', () => {
    expect(ok({ some: { path: 'facts.platform', as: 'p', where: { path: 'p', eq: 'android' } } })).toBe(true);
    expect(ok({ some: { path: 'facts.nothing' } })).toBe(false);
  });
});

describe('evaluateRules', () => {
  const only = (id: string): Rule[] => set.rules.filter((r) => r.id === id);

  it('fills messages and evidence from the match, with a stable fingerprint', () => {
    const ctx = testContext(set, apk, { base: 'x' });
    const [f] = evaluateRules({ ...set, rules: only('EDU-AND-PRV-001') }, ctx);
    expect(f!.message.en).toContain('android.permission.READ_SMS');
    expect(f!.evidence).toEqual([{ kind: 'permission', value: 'android.permission.READ_SMS', location: 'AndroidManifest.xml <uses-permission>' }]);
    expect(f!.fingerprint).toBe(fingerprint(apk.file.sha256, 'EDU-AND-PRV-001', f!.evidence));
    expect(f!.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    const again = evaluateRules({ ...set, rules: only('EDU-AND-PRV-001') }, testContext(set, apk, { base: 'x' }));
    expect(again[0]!.fingerprint).toBe(f!.fingerprint);
  });

  it('gives one finding per bound element with `each`, each with its own evidence', () => {
    const ctx = testContext(set, apk, { base: 'x', app: { permissions: [] } });
    const findings = evaluateRules({ ...set, rules: only('EDU-PKG-005') }, ctx);
    expect(findings.map((f) => f.title.zh)).toEqual(ctx.detected.map((d) => `未备案的权限类别：${d.label}`));
    findings.forEach((f, i) => expect(f.evidence).toEqual(ctx.detected[i]!.evidence));
    expect(new Set(findings.map((f) => f.fingerprint)).size).toBe(findings.length);
  });

  it('raises severity with severityWhen from the record audience', () => {
    const rules = only('EDU-AND-PRV-005');
    expect(evaluateRules({ ...set, rules }, testContext(set, apk, { base: 'x' }))[0]!.severity).toBe('medium');
    expect(evaluateRules({ ...set, rules }, testContext(set, apk, { base: 'x', app: { audience: ['学生-幼儿园'] } }))[0]!.severity).toBe('high');
  });

  it('applies a rule only to its platform', () => {
    const android = set.rules.filter((r) => r.platform === 'android');
    expect(evaluateRules({ ...set, rules: android }, testContext(set, ipa, { base: 'x' }))).toEqual([]);
    const ios = set.rules.filter((r) => r.platform === 'ios');
    expect(evaluateRules({ ...set, rules: ios }, testContext(set, apk, { base: 'x' }))).toEqual([]);
  });

  it('without a record, no filing rule fires', () => {
    const filing = set.rules.filter((r) => r.category === 'filing');
    const ctx = testContext(set, apk, { base: 'x', app: null, set: {} });
    expect(evaluateRules({ ...set, rules: filing }, { ...ctx, undeclared: [], notDetected: [] })).toEqual([]);
  });
});
