// The Objective-C class list, selectors and defined symbols of built Mach-O images (tests/ipa/helpers/
// build-objc.ts): checked against llvm-objdump --objc-meta-data and llvm-nm where LLVM reads them (plain
// pointers), every chained-fixup format against the plain reading, the streamed reading against the whole
// one for every chunking, and mutated images (only EduscanError, streamed = whole).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EduscanError, type Anomaly } from '../../src/errors.js';
import type { MachOFacts } from '../../src/facts/ios-schema.js';
import { MachOStreamReader } from '../../src/ipa/macho-stream.js';
import { parseMachODetail, type MachOCode } from '../../src/ipa/macho.js';
import { MAX_OBJC_NAME, chainedFormats } from '../../src/ipa/macho-objc.js';
import { hasTool } from '../helpers/tools.js';
import { rng } from '../helpers/rng.js';
import { buildFat } from './helpers/build-macho.js';
import { buildObjcMachO, type ObjcSpec } from './helpers/build-objc.js';
import { nmNames, objdumpClassNames, objdumpSectionStrings } from './helpers/llvm-objc.js';

const SPEC: Omit<ObjcSpec, 'cpu'> = {
  classes: ['GDTSplashAd', 'GDTSDKConfig', 'BUNativeExpressAdManager', 'LessonViewController', 'AppDelegate'],
  swiftClasses: ['_TtC10SmartClass14ViewController', '_TtCC10SmartClass5Outer5Inner'],
  selectors: ['viewDidLoad', 'identifierForVendor', 'systemUptime', 'initWithNibName:bundle:', 'advertisingIdentifier', 'activeInputModes'],
  strings: ['%@ lesson', 'https://example.com/api', '_Tt is not a class here', 'v16@0:8'],
  imports: ['_objc_msgSend', '_OBJC_CLASS_$_UIDevice', '_stat', '___stack_chk_guard', '_objc_release'],
  exports: ['_main', '_GDTVersionString'],
};

type Outcome = { facts: MachOFacts; code?: MachOCode; anomalies: Anomaly[] } | { error: string };

function whole(buf: Buffer): Outcome {
  const anomalies: Anomaly[] = [];
  try {
    const r = parseMachODetail(buf, { anomalies, entry: 'x' });
    return { facts: r.facts, code: r.code, anomalies };
  } catch (e) {
    if (e instanceof EduscanError) return { error: `${e.code}: ${e.message}` };
    throw e;
  }
}

function streamed(buf: Buffer, next: () => number, prefixBytes?: number): Outcome {
  const anomalies: Anomaly[] = [];
  try {
    const r = new MachOStreamReader({ anomalies, entry: 'x' }, buf.length, prefixBytes === undefined ? {} : { prefixBytes });
    for (let p = 0; p < buf.length;) {
      const n = Math.max(1, next());
      const more = r.push(buf.subarray(p, p + n));
      p += n;
      if (!more) break;
    }
    const facts = r.finish();
    return { facts, code: r.code, anomalies };
  } catch (e) {
    if (e instanceof EduscanError) return { error: `${e.code}: ${e.message}` };
    throw e;
  }
}

const ok = (o: Outcome): { facts: MachOFacts; code: MachOCode; anomalies: Anomaly[] } => {
  if ('error' in o) throw new Error(o.error);
  if (!o.code) throw new Error('no code lists');
  return o as { facts: MachOFacts; code: MachOCode; anomalies: Anomaly[] };
};

const IMAGES = {
  'arm64, plain pointers': buildObjcMachO({ cpu: 'arm64', ...SPEC }),
  'armv7, plain pointers': buildObjcMachO({ cpu: 'armv7', ...SPEC }),
  'arm64, DYLD_CHAINED_PTR_64': buildObjcMachO({ cpu: 'arm64', pointers: 'ptr64', ...SPEC }),
  'arm64, DYLD_CHAINED_PTR_64_OFFSET, class_ro_t in __objc_data': buildObjcMachO({ cpu: 'arm64', pointers: 'ptr64-offset', roInData: true, ...SPEC }),
  'arm64e, DYLD_CHAINED_PTR_ARM64E with authenticated rebases': buildObjcMachO({ cpu: 'arm64e', pointers: 'arm64e', ...SPEC }),
};

describe('class list, selectors and defined symbols', () => {
  for (const [name, img] of Object.entries(IMAGES)) {
    it(`${name}: the classes in list order, every selector, the defined symbols`, () => {
      const { facts, code, anomalies } = ok(whole(img.bytes));
      expect(anomalies).toEqual([]);
      expect(code.classes).toEqual(img.classes);
      expect(code.swiftClasses).toBe(2);
      expect(code.selectors).toEqual(SPEC.selectors);
      expect(code.definedClassSymbols).toEqual(img.definedSymbols.filter((n) => n.startsWith('_OBJC_CLASS_$_')));
      expect(code.importedSymbols).toEqual([...SPEC.imports!].sort());
      expect(code.gaps).toEqual([]);
      expect(facts.code).toEqual({ arch: facts.primaryArch, classCount: 7, swiftClassCount: 2, unnamedClassCount: 0, selectorCount: 6, definedSymbolCount: img.definedSymbols.length, complete: true });
    });
  }

  it('a fat binary: the lists of the primary slice only (arm64 over armv7)', () => {
    const fat = buildFat([{ cpu: 'armv7', bytes: buildObjcMachO({ cpu: 'armv7', ...SPEC, classes: ['OnlyInArmv7'] }).bytes }, { cpu: 'arm64', bytes: IMAGES['arm64, plain pointers'].bytes }]);
    const { facts, code } = ok(whole(fat));
    expect(code.arch).toBe('arm64');
    expect(code.classes).toEqual(IMAGES['arm64, plain pointers'].classes);
    expect(facts.code?.arch).toBe('arm64');
  });

  it('an encrypted slice: no class or selector names (they sit in the encrypted __TEXT), defined symbols still read', () => {
    const img = buildObjcMachO({ cpu: 'arm64', cryptid: 1, ...SPEC });
    const { facts, code } = ok(whole(img.bytes));
    expect(code).toMatchObject({ encrypted: true, classes: [], selectors: [], definedClassSymbols: img.definedSymbols.filter((n) => n.startsWith('_OBJC_CLASS_$_')) });
    expect(code.gaps.join()).toMatch(/encrypted/);
    expect(facts.code?.complete).toBe(false);
  });

  it('names longer than MAX_OBJC_NAME are skipped, in whole and streamed readings alike', () => {
    const long = `sel${'x'.repeat(MAX_OBJC_NAME)}`;
    const img = buildObjcMachO({ cpu: 'arm64', ...SPEC, selectors: [...SPEC.selectors, long, 'after:'] });
    const w = ok(whole(img.bytes));
    expect(w.code.selectors).toEqual([...SPEC.selectors, 'after:']);
    expect(streamed(img.bytes, () => 1000)).toEqual(whole(img.bytes));
  });

  it('a class list after the classes it lists: one pass cannot follow it, named as such, in both readings', () => {
    const img = buildObjcMachO({ cpu: 'arm64', classListLast: true, ...SPEC });
    const { code, anomalies } = ok(whole(img.bytes));
    expect(anomalies.map((a) => a.code)).toEqual(['MACHO_OBJC_NOT_STREAMABLE']);
    expect(code.classes).toEqual([]);
    expect(code.unnamedClasses).toBe(7);
    expect(code.selectors).toEqual(SPEC.selectors);
    expect(streamed(img.bytes, () => 97)).toEqual(whole(img.bytes));
  });

  it('ctx.code false: no lists, no facts.code', () => {
    const r = parseMachODetail(IMAGES['arm64, plain pointers'].bytes, { anomalies: [], entry: 'x', code: false });
    expect(r.code).toBeUndefined();
    expect(r.facts.code).toBeUndefined();
  });

  it('a chained pointer format the reader does not decode: the class list is dropped with an anomaly', () => {
    const img = Buffer.from(IMAGES['arm64, DYLD_CHAINED_PTR_64'].bytes);
    // pointer_format of each dyld_chained_starts_in_segment: the blob follows LC_DYLD_CHAINED_FIXUPS' dataoff.
    const { dataoff } = findChained(img);
    const blob = img.subarray(dataoff);
    const starts = blob.readUInt32LE(4);
    const count = blob.readUInt32LE(starts);
    for (let i = 0; i < count; i++) {
      const off = blob.readUInt32LE(starts + 4 + 4 * i);
      if (off) blob.writeUInt16LE(7, starts + off + 6); // DYLD_CHAINED_PTR_64_KERNEL_CACHE
    }
    expect([...(chainedFormats(blob, 5)?.values() ?? [])]).toContain(7);
    const { code, anomalies } = ok(whole(img));
    expect(anomalies.map((a) => a.code)).toEqual(['MACHO_CHAINED_FORMAT_UNSUPPORTED', 'MACHO_CHAINED_FORMAT_UNSUPPORTED']);
    expect(code.classes).toEqual([]);
    expect(code.unnamedClasses).toBe(7);
    expect(code.selectors).toEqual(SPEC.selectors);
  });

  it('the streamed reading equals the whole one for every chunk size from 1 to 64 bytes, 4 KiB, random, and an 8-byte prefix', () => {
    const r = rng(3);
    for (const img of Object.values(IMAGES)) {
      const expected = whole(img.bytes);
      for (const next of [...Array.from({ length: 64 }, (_, i) => () => i + 1), () => 4096, () => 1 + Math.floor(r() * 700)]) {
        expect(streamed(img.bytes, next)).toEqual(expected);
      }
      expect(streamed(img.bytes, () => 13, 8)).toEqual(expected);
    }
  });
});

function findChained(b: Buffer): { dataoff: number; datasize: number } {
  const ncmds = b.readUInt32LE(16);
  let p = 32;
  for (let i = 0; i < ncmds; i++) {
    if (b.readUInt32LE(p) === 0x80000034) return { dataoff: b.readUInt32LE(p + 8), datasize: b.readUInt32LE(p + 12) };
    p += b.readUInt32LE(p + 4);
  }
  throw new Error('no LC_DYLD_CHAINED_FIXUPS');
}

describe.skipIf(!hasTool('llvm-objdump') || !hasTool('llvm-nm'))('built images as LLVM reads them', () => {
  it('class names (llvm-objdump --objc-meta-data), selectors (__objc_methname) and defined external symbols (llvm-nm)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'eduscan-objc-'));
    try {
      for (const name of ['arm64, plain pointers', 'armv7, plain pointers'] as const) {
        const img = IMAGES[name];
        const path = join(dir, 'exe');
        writeFileSync(path, img.bytes);
        const objc = execFileSync('llvm-objdump', ['--macho', '--objc-meta-data', path], { encoding: 'utf8' });
        const methname = execFileSync('llvm-objdump', ['--macho', '--section=__TEXT,__objc_methname', path], { encoding: 'utf8' });
        const nm = execFileSync('llvm-nm', ['--defined-only', '--extern-only', '--no-sort', path], { encoding: 'utf8' });
        const { code } = ok(whole(img.bytes));
        expect(objdumpClassNames(objc), name).toEqual(code.classes);
        expect(objdumpSectionStrings(methname, '__TEXT,__objc_methname'), name).toEqual(code.selectors);
        const defined = nmNames(nm);
        expect(defined.filter((n) => n.startsWith('_OBJC_CLASS_$_')), name).toEqual(code.definedClassSymbols);
        expect(defined.length, name).toBe(img.definedSymbols.length);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** Mutations aimed at the metadata: pointer words of the data segments, section records, string bytes. */
function mutate(seed: Buffer, r: () => number): Buffer {
  const b = Buffer.from(seed);
  const pick = (n: number) => Math.floor(r() * n);
  const values = [0, 1, 7, 8, 0x7fffffff, 0x80000000, 0xffffffff, b.length, pick(b.length), 0x1000, 0x2000];
  switch (pick(5)) {
    case 0: { // an aligned word anywhere (load commands, pointers, chained-fixup starts)
      const at = (pick(b.length >> 2) << 2);
      if (at + 4 <= b.length) b.writeUInt32LE((values[pick(values.length)] as number) >>> 0, at);
      return b;
    }
    case 1: // bit flips
      for (let i = 0, n = 1 + pick(6); i < n; i++) b[pick(b.length)]! ^= 1 << pick(8);
      return b;
    case 2: // truncation
      return b.subarray(0, pick(b.length + 1));
    case 3: { // a pointer's high word (chained next/bind/auth bits)
      const at = (pick(b.length >> 3) << 3) + 4;
      if (at + 4 <= b.length) b.writeUInt32LE((pick(0x10000) << 16) >>> 0, at);
      return b;
    }
    default: // a run of random bytes
      for (let i = pick(b.length), end = Math.min(b.length, i + 1 + pick(24)); i < end; i++) b[i] = pick(256);
      return b;
  }
}

describe('mutated images', () => {
  const seeds = Object.values(IMAGES).map((i) => i.bytes);
  it('3,000 cases: only EduscanError, and the streamed reading (random chunks) equals the whole one', () => {
    const r = rng(21);
    const outcomes = new Map<string, number>();
    for (let i = 0; i < 3000; i++) {
      const buf = mutate(seeds[i % seeds.length] as Buffer, r);
      const expected = whole(buf);
      const got = streamed(buf, () => 1 + Math.floor(r() * 3000));
      if (JSON.stringify(got) !== JSON.stringify(expected)) {
        expect({ case: i, got }, `input base64: ${buf.toString('base64').slice(0, 3000)}`).toEqual({ case: i, got: expected });
      }
      const k = 'error' in expected ? 'error' : expected.anomalies.length ? 'anomalies' : expected.code && expected.code.classes.length < 7 ? 'fewer classes' : 'clean';
      outcomes.set(k, (outcomes.get(k) ?? 0) + 1);
    }
    expect([...outcomes.keys()].sort()).toEqual(['anomalies', 'clean', 'error', 'fewer classes']);
  });
});
