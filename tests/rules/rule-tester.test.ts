// RuleTester: every rule of rules/ runs on the inline cases it carries — real packages (samples, committed
// fixtures, corpus), some with one fact changed — and must fire on each `trigger` case and stay silent on each
// `pass` case. Plus the meta-lints of the rule files (ESLint RuleTester / semgrep-rules style).
import { describe, expect, it } from 'vitest';
import { loadRuleSet } from '../../src/rules/load.js';
import { checkCase, testContext } from '../../src/rules/tester.js';
import type { Rule } from '../../src/rules/types.js';
import { basePath, scanBase } from './bases.js';

const set = loadRuleSet();
const HAN = /\p{Script=Han}/u;
const MIN_RULES = 50;

function cases(rule: Rule, kind: 'trigger' | 'pass') {
  return rule.tests?.[kind] ?? [];
}

describe('rule files (meta-lints)', () => {
  it(`hold at least ${MIN_RULES} rules with unique ids`, () => {
    expect(set.rules.length).toBeGreaterThanOrEqual(MIN_RULES);
    const ids = set.rules.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('name the platform in the id (EDU-AND-* android, EDU-IOS-* ios)', () => {
    for (const r of set.rules) {
      if (r.id.startsWith('EDU-AND-')) expect(r.platform, r.id).toBe('android');
      if (r.id.startsWith('EDU-IOS-')) expect(r.platform, r.id).toBe('ios');
    }
  });

  it('have Chinese zh texts, English en texts and a basis', () => {
    for (const r of set.rules) {
      for (const t of [r.title, r.message, r.rationale]) {
        expect(t.zh, r.id).toMatch(HAN);
        expect(t.en.trim().length, r.id).toBeGreaterThan(0);
      }
      expect(r.basis.trim().length, r.id).toBeGreaterThan(0);
    }
  });

  it('give every rule a trigger and a pass case that need no corpus (so a fresh clone tests every rule)', () => {
    const missing: string[] = [];
    for (const r of set.rules) {
      for (const kind of ['trigger', 'pass'] as const) {
        if (!cases(r, kind).some((tc) => !tc.base.startsWith('corpus:'))) missing.push(`${r.id} ${kind}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('use trigger-only expectations (severity/evidence/findings) on trigger cases only', () => {
    for (const r of set.rules) {
      for (const tc of cases(r, 'pass')) {
        expect(tc.severity ?? tc.evidence ?? tc.findings, `${r.id} pass case ${tc.base}`).toBeUndefined();
      }
    }
  });

  it('test every severityWhen clause with a case that expects the raised severity', () => {
    for (const r of set.rules) {
      for (const s of r.severityWhen ?? []) {
        expect(cases(r, 'trigger').some((tc) => tc.severity === s.severity), `${r.id} severityWhen ${s.severity}`).toBe(true);
        expect(cases(r, 'trigger').some((tc) => tc.severity === r.severity), `${r.id} base severity ${r.severity}`).toBe(true);
      }
    }
  });
});

for (const rule of set.rules) {
  describe(rule.id, () => {
    for (const kind of ['trigger', 'pass'] as const) {
      cases(rule, kind).forEach((tc, i) => {
        const label = `${kind} #${i + 1} ${tc.base}${tc.note ? ` (${tc.note})` : ''}`;
        it.skipIf(basePath(tc.base) === undefined)(label, async () => {
          const base = await scanBase(tc.base);
          expect(['both', base.platform]).toContain(rule.platform);
          const ctx = testContext(set, base, tc);
          const { problems } = checkCase(set, rule, kind, ctx, tc);
          expect(problems).toEqual([]);
        });
      });
    }
  });
}
