// Seeded fuzz of the rules loader: byte-level damage to the YAML text and structural damage to the parsed
// rules (a random subtree replaced by a random value). Every outcome is a valid rule set or E_CONFIG problems
// of the form "<file>:<line>:<col> …", one line each — never another exception.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { EduscanError } from '../../src/errors.js';
import { compareCategories, detectCategories } from '../../src/rules/categories.js';
import { evaluateRules } from '../../src/rules/engine.js';
import { loadRuleSet, RULES_DIR, validateRuleDir } from '../../src/rules/load.js';
import { scanPackage } from '../../src/scan.js';
import { PackageFactsSchema } from '../../src/facts/schema.js';
import { REPO } from './bases.js';
import { rng } from '../helpers/rng.js';

const SEED = 0x5eed_4;
/** Each round loads a four-file rules directory (~20 ms). */
const ROUNDS = 120;
const FILES = ['bundle.yaml', 'permissions.yaml', 'filing.yaml', 'android-components.yaml'];

const dir = mkdtempSync(join(tmpdir(), 'eduscan-rules-fuzz-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const originals = new Map(FILES.map((f) => [f, readFileSync(join(RULES_DIR, f), 'utf8')]));

function reset(): void {
  for (const [f, t] of originals) writeFileSync(join(dir, f), t);
}

/** Problems with how a damaged directory was handled; `refused` when it was (rightly or not) rejected. */
function outcome(): { bad: string[]; refused: boolean } {
  let report;
  try {
    report = validateRuleDir(dir);
  } catch (e) {
    if (e instanceof EduscanError && e.code === 'E_CONFIG') return { bad: [], refused: true };
    throw e;
  }
  const bad: string[] = [];
  for (const p of report.problems) {
    if (!(p instanceof EduscanError) || p.code !== 'E_CONFIG') bad.push(`not E_CONFIG: ${String(p)}`);
    else if (!/^[^\n:]+:\d+:\d+ /.test(p.message) || p.message.includes('\n')) bad.push(`badly formed: ${p.message}`);
  }
  return { bad, refused: report.problems.length > 0 };
}

const VALUES: unknown[] = [null, 0, -1, 1e309, '', 'x', '{{facts.nope}}', '(', [], [null], {}, { path: 'facts.id' }, { some: {} }, { ref: 'x' }, true, 'EDU-AND-MAN-001'];

function damageTree(v: unknown, r: () => number, depth = 0): unknown {
  if (depth > 0 && r() < 0.15) return VALUES[Math.floor(r() * VALUES.length)];
  if (Array.isArray(v) && v.length > 0) {
    const i = Math.floor(r() * v.length);
    const copy = [...v];
    copy[i] = damageTree(copy[i], r, depth + 1);
    return copy;
  }
  if (v !== null && typeof v === 'object') {
    const keys = Object.keys(v);
    if (keys.length === 0) return v;
    const k = keys[Math.floor(r() * keys.length)]!;
    return { ...(v as Record<string, unknown>), [k]: damageTree((v as Record<string, unknown>)[k], r, depth + 1) };
  }
  return VALUES[Math.floor(r() * VALUES.length)];
}

describe('rules loader fuzz', () => {
  it(`byte damage: ${ROUNDS} seeded rounds give a rule set or E_CONFIG problems`, () => {
    const r = rng(SEED);
    const bad: string[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      reset();
      const f = FILES[Math.floor(r() * FILES.length)]!;
      const bytes = Buffer.from(originals.get(f)!, 'utf8');
      const mode = Math.floor(r() * 3);
      let out: Buffer;
      if (mode === 0) {
        out = Buffer.from(bytes);
        for (let k = 0; k < 1 + Math.floor(r() * 8); k++) {
          const at = Math.floor(r() * out.length);
          out[at] = out[at]! ^ (1 << Math.floor(r() * 8));
        }
      } else if (mode === 1) {
        out = bytes.subarray(0, Math.floor(r() * bytes.length));
      } else {
        const at = Math.floor(r() * bytes.length);
        out = Buffer.concat([bytes.subarray(0, at), Buffer.from(['{', '[', ':', '&a', '*a', '"', '\t', '- ', '{{'][Math.floor(r() * 9)]!), bytes.subarray(at)]);
      }
      writeFileSync(join(dir, f), out);
      bad.push(...outcome().bad.map((p) => `round ${i} ${f}: ${p}`));
    }
    expect(bad).toEqual([]);
  });

  it(`structural damage: ${ROUNDS} seeded rounds give a rule set or E_CONFIG problems`, () => {
    const r = rng(SEED + 1);
    const bad: string[] = [];
    let refused = 0;
    for (let i = 0; i < ROUNDS; i++) {
      reset();
      const f = FILES[Math.floor(r() * FILES.length)]!;
      writeFileSync(join(dir, f), stringify(damageTree(parse(originals.get(f)!), r)));
      const o = outcome();
      bad.push(...o.bad.map((p) => `round ${i} ${f}: ${p}`));
      if (o.refused) refused++;
    }
    expect(bad).toEqual([]);
    expect(refused).toBeGreaterThan(ROUNDS / 2);
  });
});

describe('engine fuzz', () => {
  it('never throws on any valid PackageFacts: 600 seeded damaged copies per sample, the schema-valid ones evaluated', async () => {
    const set = loadRuleSet();
    const r = rng(SEED + 2);
    let evaluated = 0;
    for (const sample of ['android/smartclass.apk', 'ios/eduscan-sample.ipa']) {
      const facts = await scanPackage(join(REPO, 'samples', sample));
      for (let i = 0; i < 600; i++) {
        // The engine's input contract is PackageFacts: damaged copies that break the schema are not inputs.
        const parsed = PackageFactsSchema.safeParse(damageTree(facts, r));
        if (!parsed.success) continue;
        const damaged = parsed.data;
        const app = damageTree({ version: '1', md5: facts.file.md5, permissions: ['短信'], audience: ['学生-中小学'] }, r) as Record<string, unknown>;
        const detected = detectCategories(damaged, set.permissionMap);
        const diff = compareCategories(detected, Array.isArray(app['permissions']) ? (app['permissions'] as never[]) : []);
        expect(() => evaluateRules(set, { facts: damaged, app, detected, ...diff, today: '2026-06-01' }), `${sample} round ${i}`).not.toThrow();
        evaluated++;
      }
    }
    expect(evaluated).toBeGreaterThan(200);
  });
});
