// The DEX reader against dexdump outputs stored by gen-fixtures.sh (runs without the corpus).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scanCode } from '../../src/dex/code-scan.js';
import { DexFile } from '../../src/dex/dex-file.js';
import { FIXTURES } from '../helpers/corpus.js';
import { parseDexdump } from './dexdump.js';

const DIR = join(FIXTURES, 'dex');
const NAMES = ['androguard-tc-debug', 'androguard-multidex-1', 'androguard-multidex-2', 'apktool-dynamic', 'apktool-library'];

describe('DEX reader vs stored dexdump -d output', () => {
  for (const name of NAMES) {
    it(name, async () => {
      const dex = new DexFile(readFileSync(join(DIR, `${name}.dex`)), { entry: name });
      const oracle = await parseDexdump(readFileSync(join(DIR, `${name}.dexdump.txt`), 'latin1').split('\n'));
      expect(oracle.classes.length).toBeGreaterThan(0);
      expect(Array.from({ length: dex.classCount }, (_, i) => dex.classDescriptor(i))).toEqual(oracle.classes);
      const refs: string[][] = Array.from({ length: dex.classCount }, () => []);
      const all = (n: number): Uint8Array => new Uint8Array(n).fill(1);
      scanCode(dex, { methods: all(dex.methodCount), fields: all(dex.fieldCount), strings: all(dex.stringCount) }, (c, kind, idx) => refs[c]!.push(`${kind[0]}:${idx}`));
      expect(refs).toEqual(oracle.classes.map((_, i) => oracle.refs[i] ?? []));
      for (const [m, printed] of oracle.methodNames) {
        const p = dex.proto(dex.methodProtoIdx(m));
        const ours = `${dex.typeDescriptor(dex.methodClassIdx(m))}.${dex.string(dex.methodNameIdx(m))}:(${p.parameters.map((t) => dex.typeDescriptor(t)).join('')})${dex.typeDescriptor(p.returnTypeIdx)}`;
        expect(ours).toBe(printed);
      }
    });
  }
});
