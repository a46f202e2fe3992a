// Zip fuzz: thousands of seeded mutations of small real APKs. openZip + readEntry of every entry, with small
// caps, may only ever throw EduscanError (and must not hang). Crashers found here are kept in
// tests/fixtures/crashers/zip--*.bin and replayed below; set FUZZ_SAVE=1 to write new ones there.
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CORPUS, corpusFiles, FIXTURES } from '../helpers/corpus.js';
import { exercise } from './exercise.js';
import { buildZip } from '../helpers/build-zip.js';
import { baseEntries, HOSTILE_CASES } from './hostile-cases.js';
import { mutate } from './mutate.js';

const SEED_DIR = join(FIXTURES, 'zip');
const CRASHERS = join(FIXTURES, 'crashers');
const CASES_PER_SEED = Number(process.env.FUZZ_CASES ?? 2000);
const BASE_SEED = Number(process.env.FUZZ_SEED ?? 20240601);
/** A single case that takes longer than this is treated as a hang. */
const MAX_CASE_MS = 1000;

interface Finding { seed: string; caseSeed: number; steps: string; error: string; bytes: Buffer }

function fuzz(name: string, input: Buffer, cases: number, findings: Finding[]): { codes: Map<string, number>; slowest: number } {
  const codes = new Map<string, number>();
  let slowest = 0;
  for (let i = 0; i < cases; i++) {
    const caseSeed = (BASE_SEED + i * 7919) >>> 0;
    const { bytes, steps } = mutate(input, caseSeed ^ hash(name));
    const t0 = performance.now();
    try {
      const code = exercise(bytes);
      codes.set(code, (codes.get(code) ?? 0) + 1);
    } catch (e) {
      findings.push({ seed: name, caseSeed, steps: steps.join('+'), error: e instanceof Error ? `${e.name}: ${e.message}` : String(e), bytes });
    }
    slowest = Math.max(slowest, performance.now() - t0);
  }
  return { codes, slowest };
}

function hash(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

function report(findings: Finding[]): string[] {
  if (process.env.FUZZ_SAVE === '1') {
    mkdirSync(CRASHERS, { recursive: true });
    for (const f of findings) writeFileSync(join(CRASHERS, `zip--${f.seed.replace(/[^\w.-]/g, '_')}-${f.caseSeed}.bin`), f.bytes);
  }
  return findings.map((f) => `${f.seed} case ${f.caseSeed} (${f.steps}): ${f.error}`);
}

const seeds = (): [string, Buffer][] => [
  ...readdirSync(SEED_DIR).filter((f) => f.endsWith('.apk')).sort().map((f): [string, Buffer] => [f, readFileSync(join(SEED_DIR, f))]),
  // Structures the real seeds lack: zip64 records, a prefix, streamed entries, and (smaller than the hostile
  // fixture, to keep each case fast) an overlap.
  ...['zip64.apk', 'janus.apk', 'data-descriptor.apk'].map((f): [string, Buffer] => [`hostile/${f}`, HOSTILE_CASES.find((c) => c.file === f)!.build()]),
  ['overlap-small', buildZip([
    ...baseEntries(),
    { name: 'assets/payload', data: Buffer.alloc(64 * 1024, 0x41) },
    ...Array.from({ length: 8 }, (_, i) => ({ name: `assets/alias${i}`, sameDataAs: 4 })),
  ])],
];

describe('zip fuzz', () => {
  it(`seeded mutations of committed seeds (${CASES_PER_SEED} per seed) throw only EduscanError, never hang`, () => {
    const findings: Finding[] = [];
    const t0 = performance.now();
    let total = 0;
    let slowest = 0;
    const codes = new Map<string, number>();
    for (const [name, bytes] of seeds()) {
      const r = fuzz(name, bytes, CASES_PER_SEED, findings);
      total += CASES_PER_SEED;
      slowest = Math.max(slowest, r.slowest);
      for (const [k, v] of r.codes) codes.set(k, (codes.get(k) ?? 0) + v);
    }
    const ms = performance.now() - t0;
    console.log(`zip fuzz: ${total} cases in ${ms.toFixed(0)} ms, slowest ${slowest.toFixed(1)} ms; outcomes ${JSON.stringify(Object.fromEntries([...codes].sort()))}`);
    expect(report(findings)).toEqual([]);
    expect(slowest).toBeLessThan(MAX_CASE_MS);
    // The mutations must reach past the first checks: successes and several distinct error codes.
    expect(codes.get('ok') ?? 0).toBeGreaterThan(total / 20);
    expect([...codes.keys()].filter((k) => k !== 'ok').length).toBeGreaterThanOrEqual(4);
  });

  it.skipIf(!CORPUS)('seeded mutations of small corpus APKs throw only EduscanError', () => {
    const small = corpusFiles('apk').filter((f) => statSync(f).size < 64 * 1024);
    const findings: Finding[] = [];
    for (const f of small) fuzz(f.split('/').pop()!, readFileSync(f), 100, findings);
    expect(small.length).toBeGreaterThan(20);
    expect(report(findings)).toEqual([]);
  });

  it('kept crashers (tests/fixtures/crashers/zip--*.bin) throw only EduscanError', () => {
    const files = (existsSync(CRASHERS) ? readdirSync(CRASHERS) : []).filter((f) => f.startsWith('zip--') && f.endsWith('.bin'));
    for (const f of files) expect(() => exercise(readFileSync(join(CRASHERS, f))), f).not.toThrow();
  });
});
