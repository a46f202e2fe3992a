// The main executable of every corpus IPA against llvm-objdump / llvm-nm (raw output stored by
// tests/oracle/ipa/make-oracle.py in tests/oracle/ipa/macho/).
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Anomaly } from '../../src/errors.js';
import { FileSource } from '../../src/io/source.js';
import { parseMachO } from '../../src/ipa/macho.js';
import { DEFAULT_LIMITS } from '../../src/limits.js';
import { openZip, readEntry } from '../../src/zip/zip.js';
import { CORPUS } from '../helpers/corpus.js';
import { parseNm, parseObjdump, type OracleSlice } from './helpers/llvm-text.js';

const dir = join(import.meta.dirname, '..', 'oracle', 'ipa', 'macho');
const names = readdirSync(dir).filter((f) => f.endsWith('.objdump.txt')).map((f) => f.slice(0, -'.objdump.txt'.length));
const THIN_ARCH: Record<string, string> = { 'ARM64 ALL': 'arm64', 'ARM64 E': 'arm64e', 'X86_64 ALL': 'x86_64', 'ARM V7': 'armv7', 'I386 ALL': 'i386' };
const DYLIB_CMDS = new Set(['LC_LOAD_DYLIB', 'LC_LOAD_WEAK_DYLIB', 'LC_REEXPORT_DYLIB', 'LC_LAZY_LOAD_DYLIB', 'LC_LOAD_UPWARD_DYLIB']);

const lcName = (v: string) => v.replace(/ \(offset \d+\)$/, '');

function expectedFor(s: OracleSlice) {
  const build = s.commands.find((c) => c.cmd === 'LC_BUILD_VERSION');
  const vmin = s.commands.find((c) => c.cmd.startsWith('LC_VERSION_MIN_'));
  const enc = s.commands.find((c) => c.cmd === 'LC_ENCRYPTION_INFO' || c.cmd === 'LC_ENCRYPTION_INFO_64');
  return {
    fileType: s.filetype.toLowerCase(),
    flags: s.flags.map((f) => f.replace(/^MH_/, '')), // llvm-objdump 14 prints one flag as MH_NO_HEAP_EXECUTION
    pie: s.flags.includes('PIE'),
    cryptid: enc ? Number(enc.fields.cryptid) : undefined,
    platform: build?.fields.platform,
    minOs: build ? build.fields.minos : vmin?.fields.version,
    sdk: build ? build.fields.sdk : vmin?.fields.sdk,
    codeSignature: s.commands.some((c) => c.cmd === 'LC_CODE_SIGNATURE'),
    dylibs: s.commands.filter((c) => DYLIB_CMDS.has(c.cmd)).map((c) => lcName(c.fields.name as string)),
    rpaths: s.commands.filter((c) => c.cmd === 'LC_RPATH').map((c) => lcName(c.fields.path as string)),
  };
}

describe.skipIf(!CORPUS)('corpus executables vs llvm-objdump and llvm-nm', () => {
  it('has an oracle for every corpus IPA with a main executable (15)', () => {
    expect(names.length).toBe(15);
  });
  for (const name of names) {
    it(name, () => {
      const od = parseObjdump(readFileSync(join(dir, `${name}.objdump.txt`), 'utf8'));
      const nm = parseNm(readFileSync(join(dir, `${name}.nm.txt`), 'utf8'));
      const zip = openZip(new FileSource(join(CORPUS as string, 'ipa', name)), DEFAULT_LIMITS);
      const entry = zip.get(od.entry);
      expect(entry).toBeDefined();
      const anomalies: Anomaly[] = [];
      const m = parseMachO(readEntry(zip, entry!, 256 * 1024 * 1024), { anomalies, entry: od.entry });
      expect(anomalies).toEqual([]);
      expect(m.fat).toBe(od.fat.length > 0);
      if (m.fat) expect(m.archs.map((a) => ({ arch: a.cpu, offset: a.offset, size: a.size }))).toEqual(od.fat);
      expect(m.archs.length).toBe(od.slices.length);
      od.slices.forEach((s, i) => {
        const a = m.archs[i]!;
        const archName = s.arch ?? THIN_ARCH[`${s.cputype} ${s.cpusubtype}`];
        expect(a.cpu).toBe(archName);
        const e = expectedFor(s);
        expect({ fileType: a.fileType, flags: a.flags, pie: a.pie, cryptid: a.cryptid, platform: a.platform, minOs: a.minOs, sdk: a.sdk, codeSignature: a.codeSignature, dylibs: a.dylibs, rpaths: a.rpaths }).toEqual(e);
        expect(a.encrypted).toBe((e.cryptid ?? 0) !== 0);
        const undef = (nm.size === 1 ? [...nm.values()][0] : nm.get(s.arch ?? '')) ?? [];
        expect(a.importedSymbolCount).toBe(undef.length);
        expect(a.stackCanary).toBe(undef.includes('___stack_chk_guard') || undef.includes('___stack_chk_fail'));
        expect(a.arc).toBe(undef.includes('_objc_release'));
        if (a.cpu === m.primaryArch) expect([...m.importedSymbols].sort()).toEqual([...undef].sort());
      });
    });
  }
});
