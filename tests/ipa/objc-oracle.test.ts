// The class lists, selectors and defined symbols of the corpus executables against LLVM's reading, stored
// raw by tests/oracle/ios-code/make-oracle.py: llvm-objdump --objc-meta-data (class list -> class_ro_t
// names), the __objc_methname strings, llvm-nm --defined-only --extern-only. LLVM 14 does not follow
// chained fixups in --objc-meta-data: for such a binary every name read must be one of the strings a class
// name can point at (__objc_classname, __cstring), and the names plus the unnamed entries must make up the
// class list (its size / 8). The streamed reading must give the same lists.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Anomaly } from '../../src/errors.js';
import { FileSource } from '../../src/io/source.js';
import { readMachOStream } from '../../src/ipa/macho-stream.js';
import { parseMachODetail } from '../../src/ipa/macho.js';
import { DEFAULT_LIMITS } from '../../src/limits.js';
import { entryChunks } from '../../src/zip/entry-stream.js';
import { openZip, readEntry } from '../../src/zip/zip.js';
import { CORPUS } from '../helpers/corpus.js';
import { nmNames, objdumpClassNames, objdumpSectionSize, objdumpSectionStrings } from './helpers/llvm-objc.js';

const dir = join(import.meta.dirname, '..', 'oracle', 'ios-code');
const names = readdirSync(dir).filter((f) => f.endsWith('.objc.txt')).map((f) => f.slice(0, -'.objc.txt'.length));
const read = (name: string, kind: string) => readFileSync(join(dir, `${name}.${kind}.txt`), 'utf8');
const header = (text: string) => ({ entry: /^# entry: (.*)$/m.exec(text)![1]!, arch: /^# arch: (.*)$/m.exec(text)![1]! });

describe.skipIf(!CORPUS)('corpus executables: class lists, selectors and defined symbols vs LLVM', () => {
  it('has an oracle for every corpus IPA with a main executable (15), one of them with chained fixups', () => {
    expect(names.length).toBe(15);
    expect(names.filter((n) => objdumpClassNames(read(n, 'objc')) === undefined)).toEqual(['appinfo__apple-tv.ipa']);
  });
  for (const name of names) {
    it(name, async () => {
      const objc = read(name, 'objc');
      const strings = read(name, 'strings');
      const { entry, arch } = header(objc);
      const zip = openZip(new FileSource(join(CORPUS as string, 'ipa', name)), DEFAULT_LIMITS);
      const e = zip.get(entry)!;
      const anomalies: Anomaly[] = [];
      const { facts, code } = parseMachODetail(readEntry(zip, e, 256 * 1024 * 1024), { anomalies, entry });
      expect(anomalies).toEqual([]);
      expect(code!.arch).toBe(arch);
      expect(facts.code).toMatchObject({ arch, complete: true });

      const classes = objdumpClassNames(objc);
      if (classes !== undefined) {
        expect(code!.classes).toEqual(classes);
        expect(code!.unnamedClasses).toBe(0);
      } else {
        const size = objdumpSectionSize(read(name, 'sections'), '__objc_classlist')!;
        expect(code!.classes.length + code!.unnamedClasses).toBe(size / 8);
        const pool = new Set([...objdumpSectionStrings(strings, '__TEXT,__objc_classname'), ...objdumpSectionStrings(strings, '__TEXT,__cstring')]);
        for (const c of code!.classes) expect(pool.has(c), c).toBe(true);
        // The Swift ones: every _Tt string of __cstring that is a class name is read (one renamed class is not).
        expect(code!.unnamedClasses).toBeLessThanOrEqual(1);
        expect(code!.swiftClasses).toBe(code!.classes.filter((c) => c.startsWith('_Tt')).length);
      }
      expect([...code!.selectors].sort()).toEqual([...new Set(objdumpSectionStrings(strings, '__TEXT,__objc_methname').filter((s) => s !== ''))].sort());
      const defined = nmNames(read(name, 'defined'));
      expect(code!.definedClassSymbols).toEqual(defined.filter((n) => n.startsWith('_OBJC_CLASS_$_')));
      expect(facts.code!.definedSymbolCount).toBe(defined.length);

      // Streamed from the zip entry: the same lists.
      const s = await readMachOStream(entryChunks(zip, e, { maxBytes: 256 * 1024 * 1024, partial: true, crc: false }), e.uncompressedSize, { anomalies: [], entry });
      expect(s.code).toEqual(code);
      expect(s.facts).toEqual(facts);
    });
  }
});
