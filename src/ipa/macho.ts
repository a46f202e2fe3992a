// Mach-O executables, thin or fat: headers, load commands and the undefined symbols of LC_SYMTAB. Only
// what the facts need is read, every offset is checked against the slice it belongs to, and counts are
// bounded by the bytes that could hold them.
import { EduscanError, type Anomaly } from '../errors.js';
import type { MachOArchFacts, MachOFacts } from '../facts/ios-schema.js';

// Fat header, big-endian:  0 u32 magic | 4 u32 nfat_arch, then nfat_arch records:
//   fat_arch    (20 bytes): 0 cputype | 4 cpusubtype | 8 u32 offset | 12 u32 size | 16 align
//   fat_arch_64 (32 bytes): 0 cputype | 4 cpusubtype | 8 u64 offset | 16 u64 size | 24 align | 28 reserved
const FAT_MAGIC = 0xcafebabe;
const FAT_MAGIC_64 = 0xcafebabf;
const FAT_HEADER_SIZE = 8;
const FAT_ARCH_SIZE = 20;
const FAT_ARCH_64_SIZE = 32;
/** Java class files share 0xcafebabe; their "arch count" is a class-file version (>= 45). */
const MAX_FAT_ARCHS = 32;

// Mach header (byte order given by the magic):
//   0 magic | 4 cputype | 8 cpusubtype | 12 filetype | 16 ncmds | 20 sizeofcmds | 24 flags | 28 reserved (64-bit)
const MH_MAGIC = 0xfeedface;
const MH_MAGIC_64 = 0xfeedfacf;
const MH_HEADER_SIZE = 28;
const MH_HEADER_64_SIZE = 32;
const MH_CPUTYPE = 4;
const MH_CPUSUBTYPE = 8;
const MH_FILETYPE = 12;
const MH_NCMDS = 16;
const MH_SIZEOFCMDS = 20;
const MH_FLAGS = 24;
const MH_PIE = 0x200000;

// Load command: 0 cmd | 4 cmdsize | command-specific fields
const LC_HEADER_SIZE = 8;
const LC_REQ_DYLD = 0x80000000;
const LC_SYMTAB = 0x2; //             8 symoff | 12 nsyms | 16 stroff | 20 strsize
const LC_DYSYMTAB = 0xb; //           24 iundefsym | 28 nundefsym
const LC_LOAD_DYLIB = 0xc; //         8 name offset (lc_str, from the command start)
const LC_LOAD_WEAK_DYLIB = LC_REQ_DYLD + 0x18;
const LC_RPATH = LC_REQ_DYLD + 0x1c; // 8 path offset
const LC_CODE_SIGNATURE = 0x1d; //    8 dataoff | 12 datasize
const LC_REEXPORT_DYLIB = LC_REQ_DYLD + 0x1f;
const LC_LAZY_LOAD_DYLIB = 0x20;
const LC_ENCRYPTION_INFO = 0x21; //   8 cryptoff | 12 cryptsize | 16 cryptid
const LC_LOAD_UPWARD_DYLIB = LC_REQ_DYLD + 0x23;
const LC_VERSION_MIN_MACOSX = 0x24; // 8 version | 12 sdk (xxxx.yy.zz nibbles)
const LC_VERSION_MIN_IPHONEOS = 0x25;
const LC_ENCRYPTION_INFO_64 = 0x2c;
const LC_VERSION_MIN_TVOS = 0x2f;
const LC_VERSION_MIN_WATCHOS = 0x30;
const LC_BUILD_VERSION = 0x32; //     8 platform | 12 minos | 16 sdk | 20 ntools
const DYLIB_COMMANDS = new Set([LC_LOAD_DYLIB, LC_LOAD_WEAK_DYLIB, LC_REEXPORT_DYLIB, LC_LAZY_LOAD_DYLIB, LC_LOAD_UPWARD_DYLIB]);
const VERSION_MIN_COMMANDS = new Set([LC_VERSION_MIN_MACOSX, LC_VERSION_MIN_IPHONEOS, LC_VERSION_MIN_TVOS, LC_VERSION_MIN_WATCHOS]);

// nlist: 0 u32 n_strx | 4 u8 n_type | 5 u8 n_sect | 6 u16 n_desc | 8 n_value (u32, or u64 in nlist_64)
const NLIST_SIZE = 12;
const NLIST_64_SIZE = 16;
export const NLIST_TYPE = 4;
const N_STAB = 0xe0;
const N_TYPE = 0x0e;
const N_EXT = 0x01;
const N_UNDF = 0x0;
/** Longest symbol name read; longer ones are cut (real mangled Swift names stay well below). */
export const MAX_SYMBOL_NAME = 4096;

const CPU_ARCH_ABI64 = 0x01000000;
const CPU_ARCH_ABI64_32 = 0x02000000;
const CPU_SUBTYPE_MASK = 0xff000000;
const CPU_TYPE_X86 = 7;
const CPU_TYPE_ARM = 12;
const CPU_TYPE_POWERPC = 18;
const ARM_SUBTYPES: Record<number, string> = { 5: 'armv4t', 6: 'armv6', 7: 'armv5', 8: 'xscale', 9: 'armv7', 10: 'armv7f', 11: 'armv7s', 12: 'armv7k', 13: 'armv8', 14: 'armv6m', 15: 'armv7m', 16: 'armv7em' };
const FILE_TYPES: Record<number, string> = { 1: 'object', 2: 'execute', 3: 'fvmlib', 4: 'core', 5: 'preload', 6: 'dylib', 7: 'dylinker', 8: 'bundle', 9: 'dylib_stub', 10: 'dsym', 11: 'kext_bundle', 12: 'fileset' };
const FLAG_NAMES: [number, string][] = [
  [0x1, 'NOUNDEFS'], [0x2, 'INCRLINK'], [0x4, 'DYLDLINK'], [0x8, 'BINDATLOAD'], [0x10, 'PREBOUND'], [0x20, 'SPLIT_SEGS'],
  [0x40, 'LAZY_INIT'], [0x80, 'TWOLEVEL'], [0x100, 'FORCE_FLAT'], [0x200, 'NOMULTIDEFS'], [0x400, 'NOFIXPREBINDING'],
  [0x800, 'PREBINDABLE'], [0x1000, 'ALLMODSBOUND'], [0x2000, 'SUBSECTIONS_VIA_SYMBOLS'], [0x4000, 'CANONICAL'],
  [0x8000, 'WEAK_DEFINES'], [0x10000, 'BINDS_TO_WEAK'], [0x20000, 'ALLOW_STACK_EXECUTION'], [0x40000, 'ROOT_SAFE'],
  [0x80000, 'SETUID_SAFE'], [0x100000, 'NO_REEXPORTED_DYLIBS'], [MH_PIE, 'PIE'], [0x400000, 'DEAD_STRIPPABLE_DYLIB'],
  [0x800000, 'HAS_TLV_DESCRIPTORS'], [0x1000000, 'NO_HEAP_EXECUTION'], [0x2000000, 'APP_EXTENSION_SAFE'],
  [0x4000000, 'NLIST_OUTOFSYNC_WITH_DYLDINFO'], [0x8000000, 'SIM_SUPPORT'], [0x80000000, 'DYLIB_IN_CACHE'],
];
const PLATFORMS: Record<number, string> = { 1: 'macos', 2: 'ios', 3: 'tvos', 4: 'watchos', 5: 'bridgeos', 6: 'maccatalyst', 7: 'iossimulator', 8: 'tvossimulator', 9: 'watchossimulator', 10: 'driverkit', 11: 'xros', 12: 'xrossimulator' };
const PRIMARY_ORDER = ['arm64e', 'arm64', 'arm64_32', 'armv7s', 'armv7k', 'armv7', 'x86_64', 'i386'];
export const STACK_CANARY_SYMBOLS = ['___stack_chk_guard', '___stack_chk_fail'];
export const ARC_SYMBOL = '_objc_release';
/** Imported symbols listed in the facts (per binary); counts stay exact beyond it. */
export const MAX_LISTED_SYMBOLS = 100_000;

export interface MachOContext {
  anomalies: Anomaly[];
  entry: string;
}

function machoError(ctx: MachOContext, what: string, offset: number): EduscanError {
  return new EduscanError('E_BAD_MACHO', `${ctx.entry}: ${what} at offset ${offset}`, { offset });
}

export function cpuName(cpuType: number, cpuSubtype: number): string {
  const sub = (cpuSubtype & ~CPU_SUBTYPE_MASK) >>> 0;
  switch (cpuType) {
    case CPU_TYPE_ARM | CPU_ARCH_ABI64:
      return sub === 2 ? 'arm64e' : 'arm64';
    case CPU_TYPE_ARM | CPU_ARCH_ABI64_32:
      return 'arm64_32';
    case CPU_TYPE_ARM:
      return ARM_SUBTYPES[sub] ?? 'arm';
    case CPU_TYPE_X86 | CPU_ARCH_ABI64:
      return sub === 8 ? 'x86_64h' : 'x86_64';
    case CPU_TYPE_X86:
      return 'i386';
    case CPU_TYPE_POWERPC:
      return 'ppc';
    case CPU_TYPE_POWERPC | CPU_ARCH_ABI64:
      return 'ppc64';
    default:
      return `cpu${cpuType}`;
  }
}

/** xxxx.yy.zz packed version as "x.y" or "x.y.z" (patch shown only when non-zero, like otool). */
export function packedVersion(v: number): string {
  const major = v >>> 16;
  const minor = (v >>> 8) & 0xff;
  const patch = v & 0xff;
  return patch ? `${major}.${minor}.${patch}` : `${major}.${minor}`;
}

/** One slice's facts plus the imported names it lists (every one when read from a whole buffer). */
export interface MachOArchDetail extends MachOArchFacts {
  imported: string[];
}

/** A fat-header record that lies inside the file. */
export interface FatSlice {
  index: number;
  offset: number;
  size: number;
}

/**
 * The fat header, from its first 8 bytes: how many bytes its records take (header included), or
 * undefined for a thin image. `imageLength` is the length of the whole file.
 */
export function fatHeaderBytes(first: Buffer, imageLength: number, ctx: MachOContext): number | undefined {
  if (imageLength < FAT_HEADER_SIZE || first.length < FAT_HEADER_SIZE) throw machoError(ctx, `expected a Mach-O header, found ${imageLength} bytes`, 0);
  const be = first.readUInt32BE(0);
  if (be !== FAT_MAGIC && be !== FAT_MAGIC_64) return undefined;
  const n = first.readUInt32BE(4);
  const recSize = be === FAT_MAGIC_64 ? FAT_ARCH_64_SIZE : FAT_ARCH_SIZE;
  if (n === 0 || n > MAX_FAT_ARCHS) throw machoError(ctx, `fat header: expected 1..${MAX_FAT_ARCHS} architectures, found ${n}`, 4);
  const need = FAT_HEADER_SIZE + n * recSize;
  if (need > imageLength) throw machoError(ctx, `fat header: ${n} architecture records need ${need} bytes, the file has ${imageLength}`, FAT_HEADER_SIZE);
  return need;
}

/** The fat records (`head` holds fatHeaderBytes bytes), in header order; records outside the file are anomalies. */
export function readFatRecords(head: Buffer, imageLength: number, ctx: MachOContext): (FatSlice | Anomaly)[] {
  const is64 = head.readUInt32BE(0) === FAT_MAGIC_64;
  const n = head.readUInt32BE(4);
  const recSize = is64 ? FAT_ARCH_64_SIZE : FAT_ARCH_SIZE;
  const out: (FatSlice | Anomaly)[] = [];
  for (let i = 0; i < n; i++) {
    const r = FAT_HEADER_SIZE + i * recSize;
    const offset = is64 ? safeU64(head, r + 8) : head.readUInt32BE(r + 8);
    const size = is64 ? safeU64(head, r + 16) : head.readUInt32BE(r + 12);
    if (!(offset >= FAT_HEADER_SIZE && size > 0 && size <= imageLength - offset)) {
      out.push({ code: 'MACHO_FAT_SLICE_OUT_OF_RANGE', detail: `architecture ${i}: ${size} bytes at ${offset} lie outside the ${imageLength}-byte file`, entry: ctx.entry, offset: r });
    } else {
      out.push({ index: i, offset, size });
    }
  }
  return out;
}

export function isFatSlice(r: FatSlice | Anomaly): r is FatSlice {
  return (r as FatSlice).size !== undefined;
}

export function noSliceReadable(ctx: MachOContext, n: number): EduscanError {
  return machoError(ctx, `fat binary: none of the ${n} architectures is readable`, FAT_HEADER_SIZE);
}

export function sliceUnreadable(ctx: MachOContext, e: EduscanError, offset: number): Anomaly {
  return { code: 'MACHO_SLICE_UNREADABLE', detail: e.message, entry: ctx.entry, offset };
}

export function parseMachO(buf: Buffer, ctx: MachOContext): MachOFacts {
  const fatBytes = fatHeaderBytes(buf, buf.length, ctx);
  const archs: MachOArchDetail[] = [];
  if (fatBytes !== undefined) {
    const records = readFatRecords(buf.subarray(0, fatBytes), buf.length, ctx);
    for (const r of records) {
      if (!isFatSlice(r)) {
        ctx.anomalies.push(r);
        continue;
      }
      try {
        archs.push(readSlice(buf.subarray(r.offset, r.offset + r.size), r.offset, ctx));
      } catch (e) {
        if (!(e instanceof EduscanError)) throw e;
        ctx.anomalies.push(sliceUnreadable(ctx, e, r.offset));
      }
    }
    if (archs.length === 0) throw noSliceReadable(ctx, records.length);
  } else {
    archs.push(readSlice(buf, 0, ctx));
  }
  return machoFacts(archs, fatBytes !== undefined, ctx);
}

/** The facts of the whole file from its readable slices (in header order). */
export function machoFacts(archs: MachOArchDetail[], fat: boolean, ctx: MachOContext): MachOFacts {
  const primary = pickPrimary(archs);
  const { imported, ...primaryFacts } = primary;
  if (primary.importedSymbolCount > MAX_LISTED_SYMBOLS) {
    ctx.anomalies.push({ code: 'MACHO_SYMBOLS_TRUNCATED', detail: `${primary.importedSymbolCount} imported symbols, the first ${MAX_LISTED_SYMBOLS} are listed`, entry: ctx.entry });
  }
  return {
    entry: ctx.entry,
    fat,
    archs: archs.map(({ imported: _i, ...a }) => a),
    primaryArch: primaryFacts.cpu,
    pie: primaryFacts.pie,
    encrypted: primaryFacts.encrypted,
    stackCanary: primaryFacts.stackCanary,
    arc: primaryFacts.arc,
    importedSymbols: imported.slice(0, MAX_LISTED_SYMBOLS),
  };
}

function pickPrimary(archs: MachOArchDetail[]): MachOArchDetail {
  for (const name of PRIMARY_ORDER) {
    const a = archs.find((x) => x.cpu === name);
    if (a) return a;
  }
  return archs[0] as MachOArchDetail;
}

function safeU64(buf: Buffer, at: number): number {
  const v = buf.readBigUInt64BE(at);
  return v > BigInt(Number.MAX_SAFE_INTEGER) ? Number.POSITIVE_INFINITY : Number(v);
}

export interface MachHeader {
  little: boolean;
  is64: boolean;
  /** 28 or 32: where the load commands start. */
  headerSize: number;
  cpuType: number;
  cpuSubtype: number;
  fileType: number;
  ncmds: number;
  sizeofcmds: number;
  flags: number;
}

/**
 * The Mach header of one slice. `h` holds at least min(imageLength, 32) bytes of the slice;
 * `imageLength` is the slice's length and `base` its offset in the file (for messages).
 */
export function readMachHeader(h: Buffer, imageLength: number, base: number, ctx: MachOContext): MachHeader {
  if (imageLength < MH_HEADER_SIZE || h.length < MH_HEADER_SIZE) throw machoError(ctx, `expected a ${MH_HEADER_SIZE}-byte Mach header, found ${imageLength} bytes`, base);
  const le = h.readUInt32LE(0);
  const bem = h.readUInt32BE(0);
  let little: boolean;
  let is64: boolean;
  if (le === MH_MAGIC || le === MH_MAGIC_64) {
    little = true;
    is64 = le === MH_MAGIC_64;
  } else if (bem === MH_MAGIC || bem === MH_MAGIC_64) {
    little = false;
    is64 = bem === MH_MAGIC_64;
  } else {
    throw machoError(ctx, `expected Mach-O magic 0xfeedface/0xfeedfacf (or a fat header), found 0x${bem.toString(16).padStart(8, '0')}`, base);
  }
  const headerSize = is64 ? MH_HEADER_64_SIZE : MH_HEADER_SIZE;
  if (imageLength < headerSize || h.length < headerSize) throw machoError(ctx, `expected a ${headerSize}-byte Mach header, found ${imageLength} bytes`, base);
  const u32 = (at: number): number => (little ? h.readUInt32LE(at) : h.readUInt32BE(at));
  const ncmds = u32(MH_NCMDS);
  const sizeofcmds = u32(MH_SIZEOFCMDS);
  if (sizeofcmds > imageLength - headerSize) {
    throw machoError(ctx, `load commands: sizeofcmds ${sizeofcmds} runs past the ${imageLength}-byte image`, base + MH_SIZEOFCMDS);
  }
  if (ncmds > sizeofcmds / LC_HEADER_SIZE) {
    throw machoError(ctx, `load commands: ${ncmds} commands cannot fit in ${sizeofcmds} bytes`, base + MH_NCMDS);
  }
  return {
    little, is64, headerSize, ncmds, sizeofcmds,
    cpuType: u32(MH_CPUTYPE) | 0,
    cpuSubtype: u32(MH_CPUSUBTYPE) | 0,
    fileType: u32(MH_FILETYPE),
    flags: u32(MH_FLAGS),
  };
}

/** LC_SYMTAB and LC_DYSYMTAB as the load commands give them (offsets from the slice start). */
export interface SymbolTables {
  symtab?: { symoff: number; nsyms: number; stroff: number; strsize: number };
  undefRange?: { first: number; count: number };
}

/**
 * Everything the load commands say. `s` holds the slice's first headerSize + sizeofcmds bytes at least.
 * The arch comes back without imports (importedSymbolCount 0, no canary, no ARC).
 */
export function readLoadCommands(s: Buffer, hdr: MachHeader, imageLength: number, base: number, ctx: MachOContext): { arch: MachOArchDetail; tables: SymbolTables } {
  const { little, headerSize, ncmds, sizeofcmds } = hdr;
  const u32 = (at: number): number => (little ? s.readUInt32LE(at) : s.readUInt32BE(at));
  const cmdsEnd = headerSize + sizeofcmds;
  const arch: MachOArchDetail = {
    cpu: cpuName(hdr.cpuType, hdr.cpuSubtype),
    cpuType: hdr.cpuType,
    cpuSubtype: hdr.cpuSubtype,
    offset: base,
    size: imageLength,
    bits: hdr.is64 ? 64 : 32,
    fileType: FILE_TYPES[hdr.fileType] ?? `filetype${hdr.fileType}`,
    flags: FLAG_NAMES.filter(([bit]) => (hdr.flags & bit) >>> 0 === bit >>> 0).map(([, name]) => name),
    pie: (hdr.flags & MH_PIE) !== 0,
    encrypted: false,
    codeSignature: false,
    dylibs: [],
    rpaths: [],
    importedSymbolCount: 0,
    stackCanary: false,
    arc: false,
    imported: [],
  };
  const tables: SymbolTables = {};
  let p = headerSize;
  for (let i = 0; i < ncmds; i++) {
    if (p + LC_HEADER_SIZE > cmdsEnd) throw machoError(ctx, `load command ${i} of ${ncmds}: header runs past sizeofcmds`, base + p);
    const cmd = u32(p);
    const cmdsize = u32(p + 4);
    if (cmdsize < LC_HEADER_SIZE || cmdsize > cmdsEnd - p) {
      throw machoError(ctx, `load command ${i} (0x${cmd.toString(16)}): cmdsize ${cmdsize} is outside 8..${cmdsEnd - p}`, base + p + 4);
    }
    const need = (n: number): boolean => {
      if (cmdsize >= n) return true;
      ctx.anomalies.push({ code: 'MACHO_SHORT_LOAD_COMMAND', detail: `load command ${i} (0x${cmd.toString(16)}) has ${cmdsize} bytes, expected ${n}`, entry: ctx.entry, offset: base + p });
      return false;
    };
    if (cmd === LC_SYMTAB && need(24)) {
      tables.symtab = { symoff: u32(p + 8), nsyms: u32(p + 12), stroff: u32(p + 16), strsize: u32(p + 20) };
    } else if (cmd === LC_DYSYMTAB && need(32)) {
      tables.undefRange = { first: u32(p + 24), count: u32(p + 28) };
    } else if (DYLIB_COMMANDS.has(cmd) && need(24)) {
      const name = lcString(s, p, cmdsize, u32(p + 8));
      if (name !== undefined) arch.dylibs.push(name);
    } else if (cmd === LC_RPATH && need(12)) {
      const path = lcString(s, p, cmdsize, u32(p + 8));
      if (path !== undefined) arch.rpaths.push(path);
    } else if (cmd === LC_CODE_SIGNATURE) {
      arch.codeSignature = true;
    } else if ((cmd === LC_ENCRYPTION_INFO || cmd === LC_ENCRYPTION_INFO_64) && need(20)) {
      arch.cryptid = u32(p + 16);
      arch.encrypted = arch.cryptid !== 0;
    } else if (VERSION_MIN_COMMANDS.has(cmd) && need(16)) {
      // LC_BUILD_VERSION wins when both exist (it is the newer, authoritative one).
      if (arch.platform === undefined) {
        arch.minOs = packedVersion(u32(p + 8));
        arch.sdk = packedVersion(u32(p + 12));
      }
    } else if (cmd === LC_BUILD_VERSION && need(24)) {
      const platform = u32(p + 8);
      arch.platform = PLATFORMS[platform] ?? `platform${platform}`;
      arch.minOs = packedVersion(u32(p + 12));
      arch.sdk = packedVersion(u32(p + 16));
    }
    p += cmdsize;
  }
  return { arch, tables };
}

/** An lc_str: NUL-terminated string at `offset` from the start of its load command. */
function lcString(s: Buffer, cmdStart: number, cmdsize: number, offset: number): string | undefined {
  if (offset < LC_HEADER_SIZE || offset >= cmdsize) return undefined;
  const start = cmdStart + offset;
  const end = cmdStart + cmdsize;
  const nul = s.subarray(start, end).indexOf(0);
  return s.toString('utf8', start, nul < 0 ? end : start + nul);
}

/** Where a slice's undefined symbols are: the nlist records to scan and the string table, slice-relative. */
export interface ImportPlan {
  /** First nlist byte and record count (the LC_DYSYMTAB undefined range, or every symbol). */
  nlistOffset: number;
  count: number;
  entrySize: number;
  little: boolean;
  stroff: number;
  strsize: number;
}

/** Checks the tables against the slice (anomalies when they do not fit) and says what to read. */
export function planImports(tables: SymbolTables, hdr: MachHeader, imageLength: number, base: number, arch: MachOArchDetail, ctx: MachOContext): ImportPlan | undefined {
  const st = tables.symtab;
  if (st === undefined) return undefined;
  const entrySize = hdr.is64 ? NLIST_64_SIZE : NLIST_SIZE;
  // The tables of a slice are addressed from the slice start; check them against the slice, not the file.
  if (st.symoff > imageLength || st.nsyms > (imageLength - st.symoff) / entrySize) {
    ctx.anomalies.push({ code: 'MACHO_SYMTAB_OUT_OF_RANGE', detail: `${arch.cpu}: ${st.nsyms} symbols at ${st.symoff} run past the ${imageLength}-byte image; imports not read`, entry: ctx.entry, offset: base + st.symoff });
    return undefined;
  }
  if (st.stroff > imageLength || st.strsize > imageLength - st.stroff) {
    ctx.anomalies.push({ code: 'MACHO_STRTAB_OUT_OF_RANGE', detail: `${arch.cpu}: string table of ${st.strsize} bytes at ${st.stroff} runs past the ${imageLength}-byte image; imports not read`, entry: ctx.entry, offset: base + st.stroff });
    return undefined;
  }
  let first = 0;
  let count = st.nsyms;
  const u = tables.undefRange;
  if (u) {
    if (u.first <= st.nsyms && u.count <= st.nsyms - u.first) {
      first = u.first;
      count = u.count;
    } else {
      ctx.anomalies.push({ code: 'MACHO_DYSYMTAB_OUT_OF_RANGE', detail: `${arch.cpu}: undefined symbols ${u.first}+${u.count} exceed the ${st.nsyms} symbols; all symbols scanned`, entry: ctx.entry });
    }
  }
  return { nlistOffset: st.symoff + first * entrySize, count, entrySize, little: hdr.little, stroff: st.stroff, strsize: st.strsize };
}

/** An nlist record's n_type says: an undefined external symbol, not a debugging entry. */
export function isImportType(type: number): boolean {
  return (type & N_STAB) === 0 && (type & N_TYPE) === N_UNDF && (type & N_EXT) !== 0;
}

export function badNamesAnomaly(arch: MachOArchDetail, badNames: number, ctx: MachOContext): Anomaly {
  return { code: 'MACHO_SYMBOL_NAME_OUT_OF_RANGE', detail: `${arch.cpu}: ${badNames} undefined symbols name strings outside the string table`, entry: ctx.entry };
}

/** One thin Mach-O image held whole; `base` is its offset in the file, for messages. */
function readSlice(s: Buffer, base: number, ctx: MachOContext): MachOArchDetail {
  const hdr = readMachHeader(s, s.length, base, ctx);
  const { arch, tables } = readLoadCommands(s, hdr, s.length, base, ctx);
  const plan = planImports(tables, hdr, s.length, base, arch, ctx);
  if (plan) readImports(s, plan, arch, ctx);
  arch.importedSymbolCount = arch.imported.length;
  const names = new Set(arch.imported);
  arch.stackCanary = STACK_CANARY_SYMBOLS.some((x) => names.has(x));
  arch.arc = names.has(ARC_SYMBOL);
  return arch;
}

function readImports(s: Buffer, plan: ImportPlan, arch: MachOArchDetail, ctx: MachOContext): void {
  const strEnd = plan.stroff + plan.strsize;
  let badNames = 0;
  for (let i = 0; i < plan.count; i++) {
    const e = plan.nlistOffset + i * plan.entrySize;
    if (!isImportType(s[e + NLIST_TYPE] as number)) continue;
    const strx = plan.little ? s.readUInt32LE(e) : s.readUInt32BE(e);
    if (strx >= plan.strsize) {
      badNames++;
      continue;
    }
    const start = plan.stroff + strx;
    const limit = Math.min(strEnd, start + MAX_SYMBOL_NAME);
    const nul = s.subarray(start, limit).indexOf(0);
    arch.imported.push(s.toString('utf8', start, nul < 0 ? limit : start + nul));
  }
  if (badNames > 0) ctx.anomalies.push(badNamesAnomaly(arch, badNames, ctx));
}
