// Minimal Mach-O images built byte by byte for tests and the sample IPA: header, __LINKEDIT segment,
// LC_SYMTAB + LC_DYSYMTAB with undefined external symbols, dylibs, rpaths, version/encryption/signature
// commands. Laid out as in <mach-o/loader.h>; llvm-objdump and llvm-nm read them (see ipa-build.test.ts).

export type Cpu = 'arm64' | 'arm64e' | 'armv7' | 'x86_64' | 'i386';

export interface MachOSpec {
  cpu: Cpu;
  bigEndian?: boolean;
  /** MH_EXECUTE (2) by default. */
  fileType?: number;
  /** Header flags; default NOUNDEFS | DYLDLINK | TWOLEVEL | PIE. */
  flags?: number;
  /** Adds LC_ENCRYPTION_INFO(_64) with this cryptid. */
  cryptid?: number;
  /** LC_BUILD_VERSION (platform 2 = ios). */
  build?: { platform: number; minos: string; sdk: string };
  /** LC_VERSION_MIN_IPHONEOS. */
  versionMin?: { minos: string; sdk: string };
  dylibs?: string[];
  weakDylibs?: string[];
  rpaths?: string[];
  codeSignature?: boolean;
  /** Undefined external symbols (what the binary imports). */
  imports?: string[];
  /** Defined external symbols. */
  exports?: string[];
}

export const DEFAULT_FLAGS = 0x1 | 0x4 | 0x80 | 0x200000;
const CPUS: Record<Cpu, { type: number; subtype: number; is64: boolean }> = {
  arm64: { type: 0x0100000c, subtype: 0, is64: true },
  arm64e: { type: 0x0100000c, subtype: 2, is64: true },
  armv7: { type: 12, subtype: 9, is64: false },
  x86_64: { type: 0x01000007, subtype: 3, is64: true },
  i386: { type: 7, subtype: 3, is64: false },
};
const LC_SEGMENT = 0x1;
const LC_SEGMENT_64 = 0x19;
const LC_SYMTAB = 0x2;
const LC_DYSYMTAB = 0xb;
const LC_LOAD_DYLIB = 0xc;
const LC_LOAD_WEAK_DYLIB = 0x80000018;
const LC_RPATH = 0x8000001c;
const LC_CODE_SIGNATURE = 0x1d;
const LC_ENCRYPTION_INFO = 0x21;
const LC_ENCRYPTION_INFO_64 = 0x2c;
const LC_VERSION_MIN_IPHONEOS = 0x25;
const LC_BUILD_VERSION = 0x32;
const N_EXT = 0x1;
const N_ABS = 0x2;
const N_UNDF = 0x0;

export function packVersion(v: string): number {
  const [a = 0, b = 0, c = 0] = v.split('.').map(Number);
  return ((a << 16) | (b << 8) | c) >>> 0;
}

class Writer {
  private parts: Buffer[] = [];
  length = 0;
  constructor(private readonly be: boolean) {}
  u32(v: number): this {
    const b = Buffer.alloc(4);
    if (this.be) b.writeUInt32BE(v >>> 0);
    else b.writeUInt32LE(v >>> 0);
    return this.raw(b);
  }
  u64(v: number): this {
    const b = Buffer.alloc(8);
    if (this.be) b.writeBigUInt64BE(BigInt(v));
    else b.writeBigUInt64LE(BigInt(v));
    return this.raw(b);
  }
  u16(v: number): this {
    const b = Buffer.alloc(2);
    if (this.be) b.writeUInt16BE(v);
    else b.writeUInt16LE(v);
    return this.raw(b);
  }
  u8(v: number): this {
    return this.raw(Buffer.from([v]));
  }
  raw(b: Buffer): this {
    this.parts.push(b);
    this.length += b.length;
    return this;
  }
  name16(s: string): this {
    const b = Buffer.alloc(16);
    b.write(s, 'latin1');
    return this.raw(b);
  }
  buffer(): Buffer {
    return Buffer.concat(this.parts);
  }
}

/** A NUL-terminated string padded so that a command of `headerLen` bytes plus it is a multiple of `align`. */
function padded(s: string, align: number, headerLen: number): Buffer {
  const len = headerLen + Buffer.byteLength(s) + 1;
  return Buffer.concat([Buffer.from(s), Buffer.alloc(Math.ceil(len / align) * align - len + 1)]);
}

export function buildMachO(spec: MachOSpec): Buffer {
  const cpu = CPUS[spec.cpu];
  const be = spec.bigEndian === true;
  const align = cpu.is64 ? 8 : 4;
  const headerSize = cpu.is64 ? 32 : 28;
  const imports = spec.imports ?? [];
  const exports = spec.exports ?? ['_main'];

  // Load commands whose size does not depend on file offsets.
  const fixed: Buffer[] = [];
  const cmd = (build: (w: Writer) => void): void => {
    const w = new Writer(be);
    build(w);
    fixed.push(w.buffer());
  };
  if (spec.build) cmd((w) => w.u32(LC_BUILD_VERSION).u32(24).u32(spec.build!.platform).u32(packVersion(spec.build!.minos)).u32(packVersion(spec.build!.sdk)).u32(0));
  if (spec.versionMin) cmd((w) => w.u32(LC_VERSION_MIN_IPHONEOS).u32(16).u32(packVersion(spec.versionMin!.minos)).u32(packVersion(spec.versionMin!.sdk)));
  for (const [list, id] of [[spec.dylibs ?? [], LC_LOAD_DYLIB], [spec.weakDylibs ?? [], LC_LOAD_WEAK_DYLIB]] as const) {
    for (const d of list) {
      const name = padded(d, align, 24);
      cmd((w) => w.u32(id).u32(24 + name.length).u32(24).u32(2).u32(0x10000).u32(0x10000).raw(name));
    }
  }
  for (const r of spec.rpaths ?? []) {
    const path = padded(r, align, 12);
    cmd((w) => w.u32(LC_RPATH).u32(12 + path.length).u32(12).raw(path));
  }
  if (spec.cryptid !== undefined) {
    // cryptoff/cryptsize 0: there is no __TEXT to encrypt in these images.
    if (cpu.is64) cmd((w) => w.u32(LC_ENCRYPTION_INFO_64).u32(24).u32(0).u32(0).u32(spec.cryptid!).u32(0));
    else cmd((w) => w.u32(LC_ENCRYPTION_INFO).u32(20).u32(0).u32(0).u32(spec.cryptid!));
  }

  const segSize = cpu.is64 ? 72 : 56;
  const sigCmdSize = spec.codeSignature ? 16 : 0;
  const sizeofcmds = segSize + 24 + 80 + fixed.reduce((n, b) => n + b.length, 0) + sigCmdSize;
  const ncmds = 3 + fixed.length + (spec.codeSignature ? 1 : 0);
  const linkeditOff = Math.ceil((headerSize + sizeofcmds) / 16) * 16;

  // Symbols: defined externals first, then undefined ones (the order LC_DYSYMTAB describes).
  const names = [...exports, ...imports];
  const strtab = new Writer(be).raw(Buffer.from([0x20, 0])); // index 0 is " \0" as ld64 writes it
  const strx: number[] = [];
  for (const n of names) {
    strx.push(strtab.length);
    strtab.raw(Buffer.from(n + '\0'));
  }
  while (strtab.length % align) strtab.u8(0);
  const syms = new Writer(be);
  names.forEach((_, i) => {
    const defined = i < exports.length;
    syms.u32(strx[i] as number).u8(defined ? N_ABS | N_EXT : N_UNDF | N_EXT).u8(0).u16(defined ? 0 : 0x100);
    if (cpu.is64) syms.u64(defined ? 0x1000 : 0);
    else syms.u32(defined ? 0x1000 : 0);
  });
  const symoff = linkeditOff;
  const stroff = symoff + syms.length;
  const sigOff = stroff + strtab.length;
  // An empty code-signature SuperBlob (magic 0xfade0cc0, length 12, count 0), always big-endian.
  const sig = spec.codeSignature ? Buffer.from([0xfa, 0xde, 0x0c, 0xc0, 0, 0, 0, 12, 0, 0, 0, 0]) : Buffer.alloc(0);
  const linkeditSize = sigOff + sig.length - linkeditOff;

  const w = new Writer(be);
  w.u32(cpu.is64 ? 0xfeedfacf : 0xfeedface).u32(cpu.type).u32(cpu.subtype).u32(spec.fileType ?? 2).u32(ncmds).u32(sizeofcmds).u32(spec.flags ?? DEFAULT_FLAGS);
  if (cpu.is64) w.u32(0);
  if (cpu.is64) w.u32(LC_SEGMENT_64).u32(segSize).name16('__LINKEDIT').u64(0x100000000).u64(0x4000).u64(linkeditOff).u64(linkeditSize).u32(1).u32(1).u32(0).u32(0);
  else w.u32(LC_SEGMENT).u32(segSize).name16('__LINKEDIT').u32(0x4000).u32(0x4000).u32(linkeditOff).u32(linkeditSize).u32(1).u32(1).u32(0).u32(0);
  w.u32(LC_SYMTAB).u32(24).u32(symoff).u32(names.length).u32(stroff).u32(strtab.length);
  w.u32(LC_DYSYMTAB).u32(80).u32(0).u32(0).u32(0).u32(exports.length).u32(exports.length).u32(imports.length);
  for (let i = 0; i < 12; i++) w.u32(0);
  for (const b of fixed) w.raw(b);
  if (spec.codeSignature) w.u32(LC_CODE_SIGNATURE).u32(16).u32(sigOff).u32(sig.length);
  w.raw(Buffer.alloc(linkeditOff - w.length));
  w.raw(syms.buffer()).raw(strtab.buffer()).raw(sig);
  return w.buffer();
}

/** A universal binary: FAT_MAGIC (or FAT_MAGIC_64) header, slices aligned to 2^12. */
export function buildFat(slices: { cpu: Cpu; bytes: Buffer }[], opts: { fat64?: boolean } = {}): Buffer {
  const ALIGN = 12;
  const recSize = opts.fat64 ? 32 : 20;
  const header = Buffer.alloc(8 + slices.length * recSize);
  header.writeUInt32BE(opts.fat64 ? 0xcafebabf : 0xcafebabe, 0);
  header.writeUInt32BE(slices.length, 4);
  const parts: Buffer[] = [header];
  let at = header.length;
  slices.forEach((s, i) => {
    const offset = Math.ceil(at / (1 << ALIGN)) * (1 << ALIGN);
    parts.push(Buffer.alloc(offset - at), s.bytes);
    at = offset + s.bytes.length;
    const r = 8 + i * recSize;
    header.writeUInt32BE(CPUS[s.cpu].type, r);
    header.writeUInt32BE(CPUS[s.cpu].subtype, r + 4);
    if (opts.fat64) {
      header.writeBigUInt64BE(BigInt(offset), r + 8);
      header.writeBigUInt64BE(BigInt(s.bytes.length), r + 16);
      header.writeUInt32BE(ALIGN, r + 24);
    } else {
      header.writeUInt32BE(offset, r + 8);
      header.writeUInt32BE(s.bytes.length, r + 12);
      header.writeUInt32BE(ALIGN, r + 16);
    }
  });
  return Buffer.concat(parts);
}
