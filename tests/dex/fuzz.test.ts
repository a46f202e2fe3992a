// Seeded mutation fuzzing of the DEX reader and the code-fact extraction: real dex files with flipped bits,
// extreme counts and offsets in the header and the id tables, truncations and random bytes. Only a result or
// an EduscanError may come out, fast. Crashers are kept in tests/fixtures/crashers/ as
// <expected code>--<defect>.bin (names starting with "dex-") and replayed below.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scanDex } from '../../src/code/dex-scan.js';
import { loadCodeRules } from '../../src/code/load.js';
import { scanCode } from '../../src/dex/code-scan.js';
import { DexFile, dexHeaderOffsets } from '../../src/dex/dex-file.js';
import { EduscanError, type Anomaly } from '../../src/errors.js';
import { FIXTURES } from '../helpers/corpus.js';
import { rng as prng } from '../helpers/rng.js';
import { mutate } from './mutate.js';

const DIR = join(FIXTURES, 'dex');
const CRASHERS = join(FIXTURES, 'crashers');
const SEED = Number(process.env.EDUSCAN_FUZZ_SEED ?? 0xdec0de);
const CASES = Number(process.env.EDUSCAN_FUZZ_CASES ?? 4000);
const SEEDS = ['androguard-tc-debug', 'apktool-library', 'apktool-dynamic', 'androguard-multidex-1'];

/** Everything the code facts read from a dex: classes, method and field names, the instruction sweep. */
export function exercise(buf: Buffer): void {
  const anomalies: Anomaly[] = [];
  for (const at of dexHeaderOffsets(buf)) {
    const dex = new DexFile(buf, { anomalies, headerOffset: at });
    for (let i = 0; i < dex.classCount; i++) dex.classDescriptor(i);
    for (let m = 0; m < dex.methodCount; m++) {
      dex.typeDescriptor(dex.methodClassIdx(m));
      dex.string(dex.methodNameIdx(m));
    }
    for (let f = 0; f < dex.fieldCount; f++) dex.string(dex.fieldNameIdx(f));
    for (let s = 0; s < Math.min(dex.stringCount, 2000); s++) dex.stringStartsWith(s, Buffer.from('content://'));
    const all = (n: number): Uint8Array => new Uint8Array(n).fill(1);
    scanCode(dex, { methods: all(dex.methodCount), fields: all(dex.fieldCount), strings: all(Math.min(dex.stringCount, 1 << 20)) }, () => undefined);
  }
  // The code pass itself, with the shipped signature data.
  scanDex(buf, 'classes.dex', RULES, anomalies);
}

const RULES = loadCodeRules();

function run(buf: Buffer): string {
  try {
    exercise(buf);
    return 'ok';
  } catch (e) {
    if (e instanceof EduscanError) return e.code;
    throw e;
  }
}

describe('DEX fuzz', () => {
  it(`${CASES} mutated dex files give results or EduscanErrors only`, () => {
    const rnd = prng(SEED);
    const seeds = SEEDS.map((n) => readFileSync(join(DIR, `${n}.dex`)));
    const outcomes = new Map<string, number>();
    for (let i = 0; i < CASES; i++) {
      const input = mutate(seeds[i % seeds.length]!, rnd);
      let code: string;
      try {
        code = run(input);
      } catch (e) {
        throw new Error(`case ${i} (seed ${SEED}): ${(e as Error).stack}\ninput (base64): ${input.toString('base64').slice(0, 4000)}`);
      }
      outcomes.set(code, (outcomes.get(code) ?? 0) + 1);
    }
    // Both paths must be exercised, or the fuzzer is not testing anything.
    expect(outcomes.get('ok') ?? 0).toBeGreaterThan(CASES / 20);
    expect(outcomes.get('E_BAD_DEX') ?? 0).toBeGreaterThan(CASES / 20);
    expect([...outcomes.keys()].every((k) => k === 'ok' || k.startsWith('E_'))).toBe(true);
  });

  const crashers = existsSync(CRASHERS) ? readdirSync(CRASHERS).filter((f) => f.startsWith('E_') && f.includes('--dex-')) : [];
  it.runIf(crashers.length > 0)('replays the kept dex crashers', () => {
    for (const f of crashers) expect(run(readFileSync(join(CRASHERS, f))), f).toBe(f.split('--')[0]);
  });
});
