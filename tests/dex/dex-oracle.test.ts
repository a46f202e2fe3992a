// The DEX reader against Debian's dexdump on every distinct dex file of the corpus: header fields, class
// descriptors in class_def order, and every method/field/string index named by each class's instructions.
import { describe, expect, it } from 'vitest';
import { scanCode } from '../../src/dex/code-scan.js';
import { DexFile } from '../../src/dex/dex-file.js';
import { isEduscanError } from '../../src/errors.js';
import { CORPUS } from '../helpers/corpus.js';
import { hasTool } from '../helpers/tools.js';
import { corpusDexFiles } from './corpus-dex.js';
import { dexdumpCode, dexdumpHeader } from './dexdump.js';

/** dexdump -d prints ~14 bytes of text per dex byte: the biggest files are compared on their header and classes only. */
const CODE_COMPARE_MAX_BYTES = 3_500_000;

function ourRefs(dex: DexFile): string[][] {
  const all = (n: number): Uint8Array => new Uint8Array(n).fill(1);
  const refs: string[][] = Array.from({ length: dex.classCount }, () => []);
  scanCode(dex, { methods: all(dex.methodCount), fields: all(dex.fieldCount), strings: all(dex.stringCount) }, (c, kind, idx) => refs[c]!.push(`${kind[0]}:${idx}`));
  return refs;
}

function methodName(dex: DexFile, m: number): string {
  const p = dex.proto(dex.methodProtoIdx(m));
  return `${dex.typeDescriptor(dex.methodClassIdx(m))}.${dex.string(dex.methodNameIdx(m))}:(${p.parameters.map((t) => dex.typeDescriptor(t)).join('')})${dex.typeDescriptor(p.returnTypeIdx)}`;
}

describe.skipIf(!CORPUS || !hasTool('dexdump'))('DEX reader vs dexdump (corpus)', () => {
  const files = corpusDexFiles();

  it('finds the corpus dex files', () => {
    expect(files.length).toBeGreaterThan(30);
  });

  it('reads the same header fields and class list as dexdump -f / -d', async () => {
    let compared = 0;
    for (const f of files) {
      const h = dexdumpHeader(f.path);
      let dex: DexFile;
      try {
        dex = new DexFile(f.bytes, { entry: f.name });
      } catch (e) {
        // Only files dexdump cannot open either may fail.
        if (!isEduscanError(e)) throw e;
        expect(h.version, `${f.name}: ${e.message}`).toBe('');
        continue;
      }
      const ours = {
        file_size: dex.header.fileSize, header_size: dex.header.headerSize,
        string_ids_size: dex.header.stringIds.size, string_ids_off: dex.header.stringIds.off,
        type_ids_size: dex.header.typeIds.size, type_ids_off: dex.header.typeIds.off,
        proto_ids_size: dex.header.protoIds.size, proto_ids_off: dex.header.protoIds.off,
        field_ids_size: dex.header.fieldIds.size, field_ids_off: dex.header.fieldIds.off,
        method_ids_size: dex.header.methodIds.size, method_ids_off: dex.header.methodIds.off,
        class_defs_size: dex.header.classDefs.size, class_defs_off: dex.header.classDefs.off,
        data_size: dex.header.data.size, data_off: dex.header.data.off,
      };
      expect({ name: f.name, version: String(dex.header.version).padStart(3, '0'), ...ours }).toEqual({ name: f.name, version: h.version, ...h.fields });
      compared++;
    }
    expect(compared).toBeGreaterThan(30);
  });

  it('lists the same classes and the same instruction references per class as dexdump -d', async () => {
    let compared = 0;
    let refsSeen = 0;
    for (const f of files) {
      let dex: DexFile;
      try {
        dex = new DexFile(f.bytes, { entry: f.name });
      } catch (e) {
        if (isEduscanError(e)) continue;
        throw e;
      }
      const classes = Array.from({ length: dex.classCount }, (_, i) => dex.classDescriptor(i));
      const withCode = f.bytes.length <= CODE_COMPARE_MAX_BYTES;
      const oracle = await dexdumpCode(f.path, withCode);
      expect(classes, f.name).toEqual(oracle.classes);
      if (!withCode) continue;
      const refs = ourRefs(dex);
      expect(refs.map((r) => r.join(' ')), f.name).toEqual(oracle.classes.map((_, i) => (oracle.refs[i] ?? []).join(' ')));
      for (const [m, printed] of oracle.methodNames) expect(methodName(dex, m), `${f.name} method@${m}`).toBe(printed);
      refsSeen += refs.reduce((n, r) => n + r.length, 0);
      compared++;
    }
    console.log(`dexdump -d comparison: ${compared} files, ${refsSeen} references`);
    expect(compared).toBeGreaterThan(30);
    expect(refsSeen).toBeGreaterThan(10_000);
  }, 300_000);
});
