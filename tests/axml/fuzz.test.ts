// Seeded mutation fuzzing of the binary XML decoder and the resources.arsc reader: real documents with
// flipped bits, extreme length/offset fields, truncations and spliced chunks. Whatever comes in, the only
// thing allowed out is a result or an EduscanError, fast. Crashers are kept in tests/fixtures/crashers/
// as <expected code>--<defect>.bin and replayed below.
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseArsc } from '../../src/apk/arsc.js';
import { parseAxml } from '../../src/apk/axml.js';
import type { XmlElement } from '../../src/apk/xml-tree.js';
import { EduscanError, type Anomaly } from '../../src/errors.js';
import { resolveLimits } from '../../src/limits.js';
import { FIXTURES } from '../helpers/corpus.js';
import { parseAaptValues } from './aapt-values.js';
import { rng as prng } from '../helpers/rng.js';

const DIR = join(FIXTURES, 'axml');
const CRASHERS = join(FIXTURES, 'crashers');
// EDUSCAN_FUZZ_CASES / EDUSCAN_FUZZ_SEED allow a longer local run; the defaults keep `npm test` quick.
const SEED = Number(process.env.EDUSCAN_FUZZ_SEED ?? 0x5eed_a11c);
const CASES_PER_KIND = Number(process.env.EDUSCAN_FUZZ_CASES ?? 2500);
/** A single case taking longer than this is a hang for our purposes (inputs are a few KB). */
const MAX_CASE_MS = 250;

/** Offsets of every chunk header reachable by walking sizes from `start` (nested for packages). */
function chunkHeaders(buf: Buffer): number[] {
  const out: number[] = [];
  const walk = (p: number, end: number, depth: number): void => {
    while (p + 8 <= end && out.length < 5000) {
      const type = buf.readUInt16LE(p);
      const hs = buf.readUInt16LE(p + 2);
      const size = buf.readUInt32LE(p + 4);
      out.push(p);
      if (size < 8 || p + size > end) return;
      if (type === 0x0200 && depth < 2 && hs >= 8 && hs < size) walk(p + hs, p + size, depth + 1);
      p += size;
    }
  };
  if (buf.length >= 8) walk(buf.readUInt16LE(2), Math.min(buf.length, buf.readUInt32LE(4)), 0);
  return out;
}

const EXTREMES_32 = [0, 1, 0xffffffff, 0x7fffffff, 0x80000000, 0xfffffff0, 0x10000, 0x100];
const EXTREMES_16 = [0, 1, 0xffff, 0x7fff, 0x8000, 7, 8, 16, 20, 24, 0x100];

function mutate(seed: Buffer, rnd: () => number): Buffer {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  let b = Buffer.from(seed);
  const at = (width: number): number => Math.floor(rnd() * Math.max(1, b.length - width + 1));
  const rounds = 1 + Math.floor(rnd() * 3);
  for (let r = 0; r < rounds && b.length >= 8; r++) {
    switch (Math.floor(rnd() * 8)) {
      case 0: // bit flips
        for (let i = 0, n = 1 + Math.floor(rnd() * 8); i < n; i++) b[at(1)] = (b[at(1)] ?? 0) ^ (1 << Math.floor(rnd() * 8));
        break;
      case 1: // an aligned u32 set to an extreme or random value
        b.writeUInt32LE(rnd() < 0.5 ? pick(EXTREMES_32) : Math.floor(rnd() * 0x100000000), at(4) & ~3);
        break;
      case 2: // a u16 set to an extreme value
        b.writeUInt16LE(pick(EXTREMES_16), at(2) & ~1);
        break;
      case 3: // truncation
        b = b.subarray(0, Math.floor(rnd() * b.length));
        break;
      case 4: {
        // a chunk header field (type, header size or size) set to an extreme
        const heads = chunkHeaders(b);
        if (heads.length === 0) break;
        const h = pick(heads);
        const field = Math.floor(rnd() * 3);
        if (field === 0) b.writeUInt16LE(pick([0, 1, 2, 3, 0x100, 0x102, 0x180, 0x200, 0x201, 0x202, 0xffff]), h);
        else if (field === 1) b.writeUInt16LE(pick(EXTREMES_16), h + 2);
        else if (h + 8 <= b.length) b.writeUInt32LE(pick([...EXTREMES_32, b.length - h, b.length - h + 4]), h + 4);
        break;
      }
      case 5: {
        // a field inside a chunk's header body (counts, offsets, flags)
        const heads = chunkHeaders(b);
        if (heads.length === 0) break;
        const h = pick(heads);
        const off = h + 8 + 4 * Math.floor(rnd() * 8);
        if (off + 4 <= b.length) b.writeUInt32LE(pick(EXTREMES_32), off);
        break;
      }
      case 6: {
        // a slice copied over another place
        const len = Math.floor(rnd() * 64);
        const from = at(len);
        b = Buffer.concat([b.subarray(0, at(0)), b.subarray(from, from + len), b.subarray(at(0))]);
        break;
      }
      default: // random bytes
        for (let i = 0, n = 1 + Math.floor(rnd() * 16); i < n; i++) b[at(1)] = Math.floor(rnd() * 256);
    }
  }
  return b;
}

/** Touches every element and attribute, as a consumer of the tree would. */
function walk(e: XmlElement): number {
  let n = e.name.length + (e.text?.length ?? 0);
  for (const a of e.attributes) n += a.name.length + (a.rawValue?.length ?? 0) + (a.value.string?.length ?? 0);
  for (const c of e.children) n += walk(c);
  return n;
}

interface Failure {
  kind: string;
  index: number;
  error: string;
  file: string;
}

function keep(kind: string, index: number, input: Buffer, e: unknown): Failure {
  const dir = mkdtempSync(join(tmpdir(), 'eduscan-fuzz-'));
  const file = join(dir, `${kind}-${index}.bin`);
  writeFileSync(file, input);
  return { kind, index, error: e instanceof Error ? `${e.name}: ${e.message}` : String(e), file };
}

const LIMITS = resolveLimits({ maxXmlElements: 5000, maxNestingDepth: 64 });

function runAxml(input: Buffer): void {
  const anomalies: Anomaly[] = [];
  walk(parseAxml(input, { limits: LIMITS, anomalies }));
  if (anomalies.length > 51) throw new Error(`anomalies not capped: ${anomalies.length}`);
}

function runArsc(input: Buffer, ids: number[]): void {
  const t = parseArsc(input, { anomalies: [] });
  for (const id of ids) {
    t.resolve(id, ['zh-CN', 'zh-Hans', 'zh', '']);
    t.nameOf(id);
    t.variants(id);
  }
}

describe('fuzzing (fixed seed)', () => {
  const manifests = ['compact-entry', 'offset16', 'sparse', 'locales'].map((d) => readFileSync(join(DIR, d, 'AndroidManifest.xml')));
  manifests.push(readFileSync(join(DIR, 'locales', 'res', 'xml', 'network_security_config.xml')));
  const tables = ['compact-entry', 'offset16', 'sparse', 'locales'].map((d) => readFileSync(join(DIR, d, 'resources.arsc')));
  const ids = [
    ...new Set(
      ['sparse', 'locales', 'compact-entry']
        .flatMap((d) => parseAaptValues(readFileSync(join(DIR, d, 'values.txt'), 'utf8')))
        .map((v) => v.id),
    ),
    0x7f010000,
    0x7f0103e9,
    0x00010000,
    0x7fff0000,
    0xffffffff,
  ];

  it(`binary XML: ${CASES_PER_KIND} mutations, only EduscanError escapes`, () => {
    const rnd = prng(SEED);
    const failures: Failure[] = [];
    let errors = 0;
    for (let i = 0; i < CASES_PER_KIND; i++) {
      const input = mutate(manifests[i % manifests.length]!, rnd);
      const t0 = performance.now();
      try {
        runAxml(input);
      } catch (e) {
        if (e instanceof EduscanError) errors++;
        else failures.push(keep('axml', i, input, e));
      }
      if (performance.now() - t0 > MAX_CASE_MS) failures.push(keep('axml-slow', i, input, 'slow'));
    }
    expect(failures).toEqual([]);
    // Most mutations must still decode (tolerance), some must fail (the mutations bite).
    expect(errors).toBeGreaterThan(CASES_PER_KIND * 0.02);
    expect(errors).toBeLessThan(CASES_PER_KIND * 0.8);
  });

  it(`resources.arsc: ${CASES_PER_KIND} mutations, only EduscanError escapes`, () => {
    const rnd = prng(SEED ^ 0xa5c);
    const failures: Failure[] = [];
    let errors = 0;
    for (let i = 0; i < CASES_PER_KIND; i++) {
      const input = mutate(tables[i % tables.length]!, rnd);
      const t0 = performance.now();
      try {
        runArsc(input, ids);
      } catch (e) {
        if (e instanceof EduscanError) errors++;
        else failures.push(keep('arsc', i, input, e));
      }
      if (performance.now() - t0 > MAX_CASE_MS) failures.push(keep('arsc-slow', i, input, 'slow'));
    }
    expect(failures).toEqual([]);
    expect(errors).toBeGreaterThan(0);
    expect(errors).toBeLessThan(CASES_PER_KIND * 0.8);
  });
});

describe('kept crashers', () => {
  const files = existsSync(CRASHERS) ? readdirSync(CRASHERS).filter((f) => /^(E_BAD_AXML|E_BAD_ARSC|OK_AXML|OK_ARSC)--.+\.bin$/.test(f)) : [];
  if (files.length === 0) it.skip('none kept yet', () => {});
  else it.each(files)('%s', (file) => {
    const input = readFileSync(join(CRASHERS, file));
    const expected = file.split('--')[0]!;
    const run = (): void => (expected.endsWith('AXML') ? runAxml(input) : runArsc(input, [0x7f010000, 0x7f020000, 0x7f040000]));
    if (expected.startsWith('OK_')) {
      run();
      return;
    }
    let err: unknown;
    try {
      run();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(EduscanError);
    expect((err as EduscanError).code).toBe(expected);
  });
});
