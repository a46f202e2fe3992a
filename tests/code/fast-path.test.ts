// The code pass's fast path (raw-byte tries, the rewritten instruction sweep) against the straightforward
// previous version kept in tests/code/reference/ (decodes every candidate string and compares strings):
// on the committed dex fixtures and thousands of seeded mutations of them, both must give the same result,
// or fail with the same error. Mutations include overlong MUTF-8 forms, which only decoding can judge.
// Signature data: the frozen shipped set, the wide corpus-drawn set, and a set made from the seeds' own
// classes, members and strings (so that every kind of match happens on these small files).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scanDex, type DexScan } from '../../src/code/dex-scan.js';
import { loadCodeRules } from '../../src/code/load.js';
import type { CodeRules } from '../../src/code/types.js';
import { DexFile } from '../../src/dex/dex-file.js';
import { isEduscanError, type Anomaly } from '../../src/errors.js';
import { FIXTURES } from '../helpers/corpus.js';
import { rng as prng } from '../helpers/rng.js';
import { mutate } from '../dex/mutate.js';
import { FROZEN_RULES, WIDE_RULES } from '../oracle/code/gen-code-oracle.mjs';
import { scanDex as scanDexV1 } from './reference/dex-scan-v1.js';

const SEED = Number(process.env.EDUSCAN_FUZZ_SEED ?? 0xfa57);
const CASES = Number(process.env.EDUSCAN_FUZZ_CASES ?? 3000);
const SEEDS = ['androguard-tc-debug', 'apktool-library', 'apktool-dynamic', 'androguard-multidex-1', 'androguard-multidex-2'];

const javaOf = (desc: string): string => desc.slice(1, -1).replaceAll('/', '.');

/** Signature data drawn from the seeds themselves: every third package, some whole classes, members, strings. */
function seedRules(bufs: Buffer[]): CodeRules {
  const prefixes = new Set<string>();
  const classes = new Set<string>();
  const methods = new Map<string, Set<string>>();
  const fields = new Map<string, Set<string>>();
  const strings = new Set<string>();
  for (const b of bufs) {
    const d = new DexFile(b);
    for (let c = 0; c < d.classCount; c++) {
      const desc = d.classDescriptor(c);
      if (!/^L[\w$/]+;$/.test(desc)) continue;
      const parts = javaOf(desc).split('.');
      for (let k = 2; k < parts.length; k++) if ((c + k) % 3 === 0) prefixes.add(`${parts.slice(0, k).join('.')}.`);
      if (c % 4 === 0) classes.add(parts.join('.').split('$')[0]!);
      if (c % 4 === 1 && parts.at(-1)!.length > 2) classes.add(parts.join('.').split('$')[0]!.slice(0, -1));
    }
    const add = (into: Map<string, Set<string>>, cls: string, name: string): void => {
      if (!/^L[\w$/]+;$/.test(cls)) return;
      const k = javaOf(cls);
      if (!into.has(k)) into.set(k, new Set());
      into.get(k)!.add(name);
    };
    for (let m = 0; m < d.methodCount; m += 5) {
      const name = d.string(d.methodNameIdx(m));
      add(methods, d.typeDescriptor(d.methodClassIdx(m)), name);
      // What the name decodes to when an overlong form eats its last character (see overlong()).
      if (name.length > 2) add(methods, d.typeDescriptor(d.methodClassIdx(m)), name.slice(0, -1));
    }
    for (let f = 0; f < d.fieldCount; f += 3) add(fields, d.typeDescriptor(d.fieldClassIdx(f)), d.string(d.fieldNameIdx(f)));
    for (let s = 0; s < d.stringCount; s += 7) {
      const v = d.string(s);
      if (v.length > 0 && !/[\0\ufffd]/.test(v)) strings.add(v);
      if (v.length > 2 && !/[\0\ufffd]/.test(v)) strings.add(v.slice(0, -1));
    }
  }
  const strs = [...strings];
  return {
    sdks: [
      { id: 'seed-a', name: 'a', vendor: 't', category: 'other', android: { classPrefixes: [...prefixes].filter((_, i) => i % 2 === 0), nativeLibs: [], components: [], metaData: [] }, source: 't' },
      { id: 'seed-b', name: 'b', vendor: 't', category: 'other', android: { classPrefixes: [...prefixes].filter((_, i) => i % 2 === 1), nativeLibs: [], components: [], metaData: [] }, source: 't' },
      { id: 'seed-c', name: 'c', vendor: 't', category: 'other', android: { classPrefixes: [...classes], nativeLibs: [], components: [], metaData: [] }, source: 't' },
    ],
    apis: [
      {
        id: 'seed-api', category: 'device-id', label: 't', source: 't',
        android: {
          methods: [...methods].map(([c, n]) => ({ class: c, names: [...n] })),
          fields: [...fields].map(([c, n]) => ({ class: c, names: [...n] })),
          strings: strs.filter((_, i) => i % 2 === 0),
          stringPrefixes: strs.filter((_, i) => i % 2 === 1 && i % 5 === 1).map((s) => s.slice(0, Math.ceil(s.length / 2))),
        },
      },
    ],
    packers: [{ id: 'seed-packer', name: 'p', vendor: 't', android: { nativeLibs: [], classes: [...classes].filter((_, i) => i % 5 === 0), applicationClasses: [], files: [] }, source: 't' }],
    digest: 'seed',
  };
}

/**
 * Overlong MUTF-8 forms that decode to a string a signature names: a class descriptor's "/", "$" or ";"
 * written as C0 xx (the next byte is lost), or a string's last two characters replaced by the overlong form
 * of the first of them (it decodes to the string without its last character, which seedRules also lists).
 */
function overlong(seed: Buffer, rnd: () => number): Buffer {
  const b = Buffer.from(seed);
  let d: DexFile;
  try {
    d = new DexFile(b);
  } catch {
    return b;
  }
  const form = (c: number, three: boolean): number[] => (three ? [0xe0, 0x80 | (c >> 6), 0x80 | (c & 0x3f)] : [0xc0 | (c >> 6), 0x80 | (c & 0x3f)]);
  for (let k = 0; k < 1 + rnd() * 3; k++) {
    if (rnd() < 0.5 && d.classCount > 0) {
      const { start, end } = d.stringBytes(d.typeStringIdx(d.classDefTypeIdx(Math.floor(rnd() * d.classCount))));
      const spots: number[] = [];
      for (let p = start + 1; p < end - 1; p++) if (b[p] === 0x2f || b[p] === 0x24 || b[p] === 0x3b) spots.push(p);
      if (spots.length === 0) continue;
      const p = spots[Math.floor(rnd() * spots.length)]!;
      b.set(form(b[p]!, false), p);
    } else {
      const { start, end } = d.stringBytes(Math.floor(rnd() * d.stringCount));
      if (end - start < 3 || b[end - 2]! >= 0x80 || b[end - 1]! >= 0x80) continue;
      const three = rnd() < 0.3 && end - start >= 4;
      b.set(form(b[end - 2]!, three), end - (three ? 3 : 2));
    }
  }
  return b;
}

function outcome(fn: typeof scanDex, buf: Buffer, rules: CodeRules): unknown {
  const anomalies: Anomaly[] = [];
  try {
    const scans: DexScan[] = fn(buf, 'classes.dex', rules, anomalies);
    return { scans: scans.map((s) => ({ ...s, sdkClasses: [...s.sdkClasses], packerClasses: [...s.packerClasses] })), anomalies };
  } catch (e) {
    if (!isEduscanError(e)) throw e;
    // The work budget is charged a little differently (the fast path reads less): only its code must agree.
    return { error: e.code, message: /more than \d+ steps/.test(e.message) ? 'work budget' : e.message };
  }
}

describe('code pass fast path = previous version', () => {
  const seeds = SEEDS.map((n) => readFileSync(join(FIXTURES, 'dex', `${n}.dex`)));
  const ruleSets: [string, CodeRules][] = [
    ['shipped (frozen)', loadCodeRules(FROZEN_RULES)],
    ['wide', JSON.parse(readFileSync(WIDE_RULES, 'utf8')) as CodeRules],
    ['seed', seedRules(seeds)],
  ];

  for (const [name, rules] of ruleSets) {
    it(`${name} signatures: same facts on the fixtures`, () => {
      for (const s of seeds) expect(outcome(scanDex, s, rules)).toEqual(outcome(scanDexV1, s, rules));
    });
  }

  it('the seed signatures find SDK classes, packers and API references in the fixtures (not vacuous)', () => {
    const scans = seeds.flatMap((s) => scanDex(s, 'classes.dex', ruleSets[2]![1], []));
    expect(scans.some((s) => s.sdkClasses.size >= 2)).toBe(true);
    expect(scans.some((s) => s.packerClasses.size > 0)).toBe(true);
    expect(scans.reduce((n, s) => n + s.apiHits.length, 0)).toBeGreaterThan(50);
  });

  it(`${CASES} mutated fixtures (bytes, tables, overlong forms): same result or same error`, () => {
    const rnd = prng(SEED);
    let differentFromSeed = 0;
    for (let i = 0; i < CASES; i++) {
      const seed = seeds[i % seeds.length]!;
      const input = i % 3 === 0 ? overlong(seed, rnd) : mutate(seed, rnd);
      const [, rules] = ruleSets[Math.floor(i / 3) % ruleSets.length]!;
      const ours = outcome(scanDex, input, rules);
      const before = outcome(scanDexV1, input, rules);
      expect(ours, `case ${i} (seed ${SEED})`).toEqual(before);
      if (JSON.stringify(ours) !== JSON.stringify(outcome(scanDex, seed, rules))) differentFromSeed++;
    }
    expect(differentFromSeed).toBeGreaterThan(CASES / 4);
  });
});
