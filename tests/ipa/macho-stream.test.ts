// The streaming Mach-O reader against the whole-buffer parser (itself checked against llvm-objdump/llvm-nm
// in macho-oracle.test.ts): same facts and anomalies (or the same error) for every chunking, on built,
// generated, corpus and mutated executables; and what streaming is for: it stops before the code
// signature, and a big string table passes without being held.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildBigMachO } from '../../bench/ipa-gen.mjs';
import { EduscanError, LimitError, type Anomaly } from '../../src/errors.js';
import type { MachOFacts } from '../../src/facts/ios-schema.js';
import { FileSource } from '../../src/io/source.js';
import { mainExecutableEntry } from '../../src/ipa/ipa.js';
import { MachOStreamReader, readMachOStream, type MachOStreamOptions, type MachOStreamStats } from '../../src/ipa/macho-stream.js';
import { parseMachO } from '../../src/ipa/macho.js';
import { DEFAULT_LIMITS } from '../../src/limits.js';
import { openZip, readEntry } from '../../src/zip/zip.js';
import { CORPUS, corpusFiles } from '../helpers/corpus.js';
import { hasTool } from './helpers/build-ipa.js';
import { buildFat, buildMachO, type MachOSpec } from './helpers/build-macho.js';
import { rng } from '../helpers/rng.js';

type Outcome = { facts: MachOFacts; anomalies: Anomaly[] } | { error: string };

function whole(buf: Buffer): Outcome {
  const anomalies: Anomaly[] = [];
  try {
    return { facts: parseMachO(buf, { anomalies, entry: 'x' }), anomalies };
  } catch (e) {
    if (e instanceof EduscanError) return { error: `${e.code}: ${e.message}` };
    throw e;
  }
}

/** Pushes `buf` in chunks of next() bytes (declared length `declared`), stopping when the reader says so. */
function streamed(buf: Buffer, next: () => number, opts: MachOStreamOptions = {}, declared = buf.length): Outcome & { stats?: MachOStreamStats } {
  const anomalies: Anomaly[] = [];
  try {
    const r = new MachOStreamReader({ anomalies, entry: 'x' }, declared, opts);
    for (let p = 0; p < buf.length;) {
      const n = Math.max(1, next());
      const more = r.push(buf.subarray(p, p + n));
      p += n;
      if (!more) break;
    }
    return { facts: r.finish(), anomalies, stats: r.stats() };
  } catch (e) {
    if (e instanceof EduscanError) return { error: `${e.code}: ${e.message}` };
    throw e;
  }
}

const fixed = (n: number) => () => n;

function withoutStats(o: ReturnType<typeof streamed>): Outcome {
  const { stats: _s, ...rest } = o;
  return rest;
}

function expectSame(buf: Buffer, chunkings: (() => number)[], opts: MachOStreamOptions = {}): void {
  const expected = whole(buf);
  for (const next of chunkings) expect(withoutStats(streamed(buf, next, opts))).toEqual(expected);
}

const ARM64: MachOSpec = {
  cpu: 'arm64', build: { platform: 2, minos: '13.0', sdk: '17.2' }, cryptid: 1, codeSignature: true,
  dylibs: ['/usr/lib/libSystem.B.dylib', '/System/Library/Frameworks/UIKit.framework/UIKit'], rpaths: ['@executable_path/Frameworks'],
  imports: ['_OBJC_CLASS_$_UIView', '___stack_chk_fail', '___stack_chk_guard', '_objc_msgSend', '_objc_release', '_swift_retain'],
  exports: ['_main', '_OBJC_CLASS_$_LessonView'],
};
const SEEDS: Record<string, Buffer> = {
  'thin arm64': buildMachO(ARM64),
  'thin i386, no canary': buildMachO({ cpu: 'i386', versionMin: { minos: '9.0', sdk: '11.0' }, imports: ['_objc_retain', '_printf'] }),
  'fat armv7 + arm64': buildFat([
    { cpu: 'armv7', bytes: buildMachO({ cpu: 'armv7', versionMin: { minos: '9.0', sdk: '11.0' }, imports: ['___stack_chk_guard'] }) },
    { cpu: 'arm64', bytes: buildMachO(ARM64) },
  ]),
  'fat64, big-endian slice': buildFat([{ cpu: 'arm64', bytes: buildMachO({ ...ARM64, bigEndian: true }) }], { fat64: true }),
};

describe('streamed = whole buffer', () => {
  for (const [name, buf] of Object.entries(SEEDS)) {
    it(`${name}: every chunk size from 1 to 64 bytes, 4 KiB, random, and a minimal prefix`, () => {
      const r = rng(1);
      const chunkings = [...Array.from({ length: 64 }, (_, i) => fixed(i + 1)), fixed(4096), () => 1 + Math.floor(r() * 300)];
      expectSame(buf, chunkings);
      expectSame(buf, [fixed(1), fixed(13)], { prefixBytes: 8 });
    });
  }

  it('a generated 3 MB executable (6,000 imports, 20,000 exports), in 1-byte to 1 MiB chunks', () => {
    const { bytes, imports } = buildBigMachO({ size: 3e6, seed: 7 });
    const r = rng(2);
    expectSame(bytes, [fixed(1), fixed(777), fixed(65536), fixed(1 << 20), () => 1 + Math.floor(r() * 200_000)], { prefixBytes: 8 });
    const w = whole(bytes) as { facts: MachOFacts };
    expect(w.facts.importedSymbols).toEqual(imports);
    expect({ canary: w.facts.stackCanary, arc: w.facts.arc, pie: w.facts.pie }).toEqual({ canary: true, arc: true, pie: true });
  });

  it('a canary or ARC name that ends the string table without a NUL, or is the tail of a longer name', () => {
    const spec: MachOSpec = { cpu: 'arm64', imports: ['_a', 'x_objc_release', '_objc_release'], exports: ['_main'] };
    const base = buildMachO(spec);
    const symtab = findSymtab(base);
    // Cut the string table right after the last name's characters: no NUL, no padding.
    const strtab = base.subarray(symtab.stroff, symtab.stroff + symtab.strsize);
    const last = strtab.lastIndexOf(Buffer.from('_objc_release\0')) + '_objc_release'.length;
    const cut = Buffer.from(base);
    cut.writeUInt32LE(last, symtab.at + 20);
    // Records: 0 _main, 1 _a, 2 x_objc_release, 3 _objc_release (16 bytes each, n_strx first).
    const aAt = strtab.indexOf(Buffer.from('_a\0'));
    const xAt = strtab.indexOf(Buffer.from('x_objc_release\0'));
    // "x_objc_release" is not _objc_release: only the real import makes it ARC...
    const suffix = Buffer.from(base);
    suffix.writeUInt32LE(aAt, symtab.symoff + 16 * 3);
    // ...but an index into the middle of "x_objc_release" names exactly "_objc_release".
    const inner = Buffer.from(suffix);
    inner.writeUInt32LE(xAt + 1, symtab.symoff + 16 * 1);
    // The cut table moved before the symbol records: held while they pass, its end checked after them.
    const syms = base.subarray(symtab.symoff, symtab.symoff + 16 * symtab.nsyms);
    const strFirst = Buffer.concat([base.subarray(0, symtab.symoff), strtab.subarray(0, last), syms]);
    strFirst.writeUInt32LE(symtab.symoff + last, symtab.at + 8);
    strFirst.writeUInt32LE(symtab.symoff, symtab.at + 16);
    strFirst.writeUInt32LE(last, symtab.at + 20);
    const cases: [Buffer, boolean][] = [[base, true], [cut, true], [inner, true], [suffix, false], [strFirst, true]];
    for (const [buf, arc] of cases) {
      const w = whole(buf) as { facts: MachOFacts };
      expect(w.facts.arc).toBe(arc);
      expectSame(buf, Array.from({ length: 24 }, (_, i) => fixed(i + 1)), { prefixBytes: 8 });
    }
  });

  describe.skipIf(!CORPUS)('corpus executables', () => {
    for (const file of corpusFiles('ipa')) {
      let zip;
      try {
        zip = openZip(new FileSource(file), DEFAULT_LIMITS);
      } catch {
        continue;
      }
      let entry;
      try {
        entry = mainExecutableEntry(zip, DEFAULT_LIMITS);
      } catch {
        continue;
      }
      if (!entry) continue;
      const e = entry;
      const z = zip;
      it(`${file.split('/').pop()}`, () => {
        const buf = readEntry(z, e, 256 * 1024 * 1024);
        const r = rng(buf.length);
        const chunkings = [fixed(4093), fixed(65536), fixed(1 << 20), () => 1 + Math.floor(r() * 100_000)];
        if (buf.length < 200_000) chunkings.push(fixed(1));
        expectSame(buf, chunkings);
        expectSame(buf, [fixed(997)], { prefixBytes: 8 });
      });
    }
  });
});

/** LC_SYMTAB of a thin little-endian image: where the command is, and its fields. */
function findSymtab(b: Buffer): { at: number; symoff: number; nsyms: number; stroff: number; strsize: number } {
  const ncmds = b.readUInt32LE(16);
  let p = b.readUInt32LE(0) === 0xfeedfacf ? 32 : 28;
  for (let i = 0; i < ncmds; i++) {
    if (b.readUInt32LE(p) === 0x2) return { at: p, symoff: b.readUInt32LE(p + 8), nsyms: b.readUInt32LE(p + 12), stroff: b.readUInt32LE(p + 16), strsize: b.readUInt32LE(p + 20) };
    p += b.readUInt32LE(p + 4);
  }
  throw new Error('no LC_SYMTAB');
}

/** Mutations aimed at what the stream reader keys on: header fields, load-command sizes and offsets, symbol records. */
function mutate(seed: Buffer, r: () => number): Buffer {
  const b = Buffer.from(seed);
  const pick = (n: number) => Math.floor(r() * n);
  const values = [0, 1, 7, 8, 0x7fffffff, 0x80000000, 0xffffffff, b.length, b.length - 1, b.length + 1, pick(b.length), pick(4096)];
  const u32 = (at: number, v: number) => {
    if (at + 4 <= b.length) (r() < 0.8 ? b.writeUInt32LE(v >>> 0, at) : b.writeUInt32BE(v >>> 0, at));
  };
  const head = Math.min(b.length, 4096);
  switch (pick(6)) {
    case 0: // an aligned field of the headers or load commands
      u32(pick(head >> 2) << 2, values[pick(values.length)] as number);
      return b;
    case 1: // bit flips, mostly in the headers
      for (let i = 0, n = 1 + pick(6); i < n; i++) {
        const at = r() < 0.7 ? pick(head) : pick(b.length);
        b[at]! ^= 1 << pick(8);
      }
      return b;
    case 2: // truncation
      return b.subarray(0, pick(b.length + 1));
    case 3: { // a symbol record's string index or type
      try {
        const st = findSymtab(b);
        const rec = st.symoff + 16 * pick(Math.max(1, st.nsyms));
        if (r() < 0.5) u32(rec, r() < 0.5 ? pick(st.strsize + 8) : values[pick(values.length)] as number);
        else if (rec + 4 < b.length) b[rec + 4] = pick(256);
      } catch {
        u32(pick(head >> 2) << 2, pick(0x10000));
      }
      return b;
    }
    case 4: { // LC_SYMTAB / LC_DYSYMTAB fields moved around (tables overlapping, before the commands, strtab first)
      try {
        const st = findSymtab(b);
        u32(st.at + 8 + 4 * pick(4), [0, 32, st.stroff, st.symoff, st.strsize, pick(b.length)][pick(6)] as number);
      } catch {
        u32(pick(head >> 2) << 2, pick(b.length));
      }
      return b;
    }
    default: // a run of random bytes
      for (let i = pick(b.length), end = Math.min(b.length, i + 1 + pick(24)); i < end; i++) b[i] = pick(256);
      return b;
  }
}

describe('mutated executables: the streamed reading equals the whole-buffer one', () => {
  const seeds = [...Object.values(SEEDS), buildBigMachO({ size: 150_000, imports: 300, exports: 200, signatureBytes: 3000, seed: 3 }).bytes,
    buildBigMachO({ size: 90_000, imports: 200, exports: 100, signatureBytes: 1000, strtabFirst: true, seed: 4 }).bytes];

  it('3,000 cases with random chunk sizes (any layout: bytes behind the reader come from the kept prefix)', () => {
    const r = rng(11);
    const outcomes = new Map<string, number>();
    for (let i = 0; i < 3000; i++) {
      const buf = mutate(seeds[i % seeds.length] as Buffer, r);
      const expected = whole(buf);
      const got = withoutStats(streamed(buf, () => 1 + Math.floor(r() * 5000)));
      if (JSON.stringify(got) !== JSON.stringify(expected)) {
        expect({ case: i, got }, `input base64: ${buf.toString('base64').slice(0, 3000)}`).toEqual({ case: i, got: expected });
      }
      const k = 'error' in expected ? expected.error.split(':')[0] as string : expected.anomalies.length ? 'anomalies' : 'clean';
      outcomes.set(k, (outcomes.get(k) ?? 0) + 1);
    }
    // The mutations must reach clean readings, anomalies and errors alike.
    expect([...outcomes.keys()].sort()).toEqual(['E_BAD_MACHO', 'anomalies', 'clean']);
  });

  it('1,000 cases with a minimal prefix: equal, or the one layout a single pass cannot follow is named', () => {
    const r = rng(12);
    let notStreamable = 0;
    for (let i = 0; i < 1000; i++) {
      const buf = mutate(seeds[i % seeds.length] as Buffer, r);
      const expected = whole(buf);
      const got = withoutStats(streamed(buf, () => 1 + Math.floor(r() * 3000), { prefixBytes: 8 }));
      if (JSON.stringify(got) === JSON.stringify(expected)) continue;
      const text = JSON.stringify(got);
      expect(text, `case ${i}`).toMatch(/MACHO_NOT_STREAMABLE|one pass cannot read this layout/);
      notStreamable++;
    }
    // Rare (a table or slice starting behind the reader, past the kept prefix), but reached.
    expect(notStreamable).toBeGreaterThan(0);
    expect(notStreamable).toBeLessThan(100);
  });
});

describe('what streaming buys', () => {
  it('stops before the code signature: the last bytes are never needed', () => {
    const m = buildBigMachO({ size: 6e6, seed: 5 });
    const got = streamed(m.bytes, fixed(65536));
    expect(withoutStats(got)).toEqual(whole(m.bytes));
    const seen = got.stats!.seen;
    expect(seen).toBeLessThanOrEqual(m.sigOff + 65536);
    expect(seen).toBeGreaterThanOrEqual(m.stroff);
    expect(seen).toBeLessThan(m.bytes.length);
  });

  it('an unstripped executable: a 20 MB string table passes, only the listed names are kept', () => {
    const m = buildBigMachO({ size: 40e6, locals: 400_000, imports: 4000, seed: 6 });
    const strsize = m.sigOff - m.stroff;
    expect(strsize).toBeGreaterThan(15e6);
    const got = streamed(m.bytes, fixed(1 << 20));
    expect(withoutStats(got)).toEqual(whole(m.bytes));
    const { peakHeld, nameBytes, keptImports } = got.stats!;
    // The 64 KiB prefix and the load commands; names and indexes of the 4,000 imports only.
    expect(peakHeld).toBeLessThan(80 * 1024);
    expect(nameBytes).toBeLessThan(4000 * 120);
    expect(keptImports).toBeLessThan(8192 + 1);
  });

  it('string table before the symbol table: held until the records pass (or given up past the cap)', () => {
    const m = buildBigMachO({ size: 2e6, strtabFirst: true, locals: 20_000, seed: 8 });
    expect(m.stroff).toBeLessThan(m.symoff);
    const got = streamed(m.bytes, fixed(65536));
    expect(withoutStats(got)).toEqual(whole(m.bytes));
    const strsize = m.symoff - m.stroff;
    expect(got.stats!.peakHeld).toBeGreaterThan(strsize);
    const capped = streamed(m.bytes, fixed(65536), { maxHeldStrtabBytes: 100_000 });
    if ('error' in capped) throw new Error(capped.error);
    expect(capped.anomalies.map((a) => a.code)).toEqual(['MACHO_STRTAB_BEFORE_SYMBOLS']);
    expect(capped.facts).toMatchObject({ importedSymbols: [], stackCanary: false, arc: false, pie: true });
    expect(capped.facts.archs[0]!.importedSymbolCount).toBe(0);
  });

  it('data shorter than declared: headers cut are an error, tables cut an anomaly', () => {
    const m = buildBigMachO({ size: 1e6, seed: 9 });
    const cut = (n: number) => streamed(m.bytes.subarray(0, n), fixed(4096), {}, m.bytes.length);
    expect(cut(4)).toEqual({ error: 'E_BAD_MACHO: x: expected a Mach-O header, found 4 bytes at offset 0' });
    expect(cut(30)).toMatchObject({ error: expect.stringMatching(/^E_BAD_MACHO: x: Mach header: expected 32 bytes at offset 0, the data ends at 30$/) });
    expect(cut(500)).toMatchObject({ error: expect.stringMatching(/^E_BAD_MACHO: x: load commands: expected \d+ bytes at offset 0, the data ends at 500$/) });
    const tables = cut(m.symoff + 100) as { anomalies: Anomaly[]; facts: MachOFacts };
    expect(tables.anomalies.map((a) => a.code)).toEqual(['MACHO_SYMTAB_OUT_OF_RANGE']);
    expect(tables.facts.pie).toBe(true);
    expect(tables.facts.importedSymbols).toEqual([]);
    const strings = cut(m.stroff + 100) as { anomalies: Anomaly[] };
    expect(strings.anomalies.map((a) => a.code)).toEqual(['MACHO_STRTAB_OUT_OF_RANGE']);
  });

  it('a source stopped by a safety limit: the headers read so far are kept', async () => {
    const m = buildBigMachO({ size: 1e6, seed: 10 });
    async function* upTo(n: number): AsyncGenerator<Buffer> {
      for (let p = 0; p < n; p += 8192) yield m.bytes.subarray(p, Math.min(n, p + 8192));
      throw new LimitError('maxTotalInflatedBytes', `stopped at ${n}`);
    }
    const anomalies: Anomaly[] = [];
    const { facts } = await readMachOStream(upTo(m.textSize), m.bytes.length, { anomalies, entry: 'x' });
    expect(facts).toMatchObject({ pie: true, encrypted: false, importedSymbols: [] });
    expect(facts.archs[0]!.dylibs.length).toBeGreaterThan(0);
    expect(anomalies.map((a) => a.code)).toEqual(['MACHO_TABLES_PAST_LIMIT']);
    await expect(readMachOStream(upTo(16), m.bytes.length, { anomalies: [], entry: 'x' })).rejects.toBeInstanceOf(LimitError);
  });
});

describe.skipIf(!hasTool('llvm-nm') || !hasTool('llvm-objdump'))('the generated executables are real Mach-O (llvm-nm, llvm-objdump)', () => {
  it('undefined symbols, dylibs, encryption and code signature as LLVM reads them', () => {
    const dir = mkdtempSync(join(tmpdir(), 'eduscan-big-macho-'));
    try {
      for (const opts of [{ size: 2e6, seed: 21 }, { size: 1e6, strtabFirst: true, locals: 3000, seed: 22 }]) {
        const m = buildBigMachO(opts);
        const path = join(dir, 'exe');
        writeFileSync(path, m.bytes);
        const undef = execFileSync('llvm-nm', ['-u', path], { encoding: 'utf8' }).trim().split('\n');
        const od = execFileSync('llvm-objdump', ['--macho', '--private-headers', path], { encoding: 'utf8', maxBuffer: 64 << 20 });
        const dylibs = [...od.matchAll(/cmd LC_LOAD_DYLIB\n\s+cmdsize \d+\n\s+name (\S+) \(offset \d+\)/g)].map((x) => x[1]);
        const got = streamed(m.bytes, fixed(65536)) as { facts: MachOFacts };
        expect([...got.facts.importedSymbols].sort()).toEqual([...undef].sort());
        expect(got.facts.archs[0]!.dylibs).toEqual(dylibs);
        expect(od).toMatch(/cmd LC_ENCRYPTION_INFO_64[\s\S]*?cryptid 0/);
        expect(got.facts.archs[0]).toMatchObject({ cryptid: 0, codeSignature: /LC_CODE_SIGNATURE/.test(od), platform: 'ios', minOs: '13.0' });
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
