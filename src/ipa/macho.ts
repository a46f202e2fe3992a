// Mach-O executables, thin or fat: headers, load commands and the undefined symbols of LC_SYMTAB. Only
// what the facts need is read, every offset is checked against the slice it belongs to, and counts are
// bounded by the bytes that could hold them.
import { EduscanError, type Anomaly } from '../errors.js';
import type { MachOArchFacts, MachOFacts } from '../facts/ios-schema.js';
import { ObjcCollector, readRangesWhole, type MachOObjc, type MachOSection, type MachOSegment, type ObjcLayout } from './macho-objc.js';

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
const LC_SEGMENT = 0x1; //            8 segname[16] | 24 vmaddr | 28 vmsize | 32 fileoff | 36 filesize | 48 nsects (u32 fields)
const LC_SEGMENT_64 = 0x19; //        8 segname[16] | 24 vmaddr | 32 vmsize | 40 fileoff | 48 filesize | 64 nsects (u64 fields)
const LC_SYMTAB = 0x2; //             8 symoff | 12 nsyms | 16 stroff | 20 strsize
const LC_DYSYMTAB = 0xb; //           16 iextdefsym | 20 nextdefsym | 24 iundefsym | 28 nundefsym
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
const LC_DYLD_CHAINED_FIXUPS = LC_REQ_DYLD + 0x34; // 8 dataoff | 12 datasize
// section (68 bytes):    0 sectname[16] | 16 segname[16] | 32 addr | 36 size | 40 offset | 56 flags
// section_64 (80 bytes): 0 sectname[16] | 16 segname[16] | 32 addr (u64) | 40 size (u64) | 48 offset | 64 flags
const SEGMENT_SIZE = 56;
const SEGMENT_64_SIZE = 72;
const SECTION_SIZE = 68;
const SECTION_64_SIZE = 80;
const SECTION_TYPE_MASK = 0xff;
/** Sections listed per slice; real executables have a few dozen. */
const MAX_SECTIONS = 4096;
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
const N_SECT = 0xe;
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
/** Defined external symbols looked at for class symbols (the count stays exact beyond it). */
export const MAX_DEFINED_SYMBOLS = 200_000;
/** Bytes of defined class-symbol names kept. */
export const MAX_DEFINED_NAME_BYTES = 16 * 1024 * 1024;
/**
 * The defined symbols whose names are kept: Objective-C classes (a statically linked SDK's _OBJC_CLASS_$_X).
 * The others (functions, Swift metadata: most of an unstripped binary's exports) say nothing the checks use,
 * and are only counted.
 */
export const DEFINED_CLASS_PREFIX = Buffer.from('_OBJC_CLASS_$_', 'latin1');
/** CPU subtype of arm64e: its chained pointers carry authentication bits. */
const CPU_SUBTYPE_ARM64E = 2;

export interface MachOContext {
  anomalies: Anomaly[];
  entry: string;
  /**
   * Read the code-level lists of the primary slice (Objective-C classes, selectors, defined symbols) for the
   * SDK and API checks; default true. They are not part of the facts, which keep only their counts.
   */
  code?: boolean;
}

/** The code-level lists of one executable's primary slice (see src/code/ios.ts). */
export interface MachOCode {
  entry: string;
  arch: string;
  encrypted: boolean;
  classes: string[];
  swiftClasses: number;
  unnamedClasses: number;
  selectors: string[];
  /** Defined _OBJC_CLASS_$_ symbols (the classes a stripped class list may not name). */
  definedClassSymbols: string[];
  importedSymbols: string[];
  /** What could not be read (encryption, damaged or cut sections); empty when the lists are complete. */
  gaps: string[];
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
  /** The code slice only: defined external symbols (count exact) and the class symbols among them... */
  defined?: { count: number; names: string[] };
  /** ...and its Objective-C lists. */
  objc?: MachOObjc;
  /** Why the slice's symbol tables were not read, when they were not. */
  tablesUnread?: string;
}

/** A fat-header record that lies inside the file. */
export interface FatSlice {
  index: number;
  offset: number;
  size: number;
  cpuType: number;
  cpuSubtype: number;
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
      out.push({ index: i, offset, size, cpuType: head.readInt32BE(r), cpuSubtype: head.readInt32BE(r + 4) });
    }
  }
  return out;
}

/**
 * The slice whose code-level lists are read: the one the facts call primary (arm64e > arm64 > ... > first),
 * chosen from the fat records so that a streaming reader knows it before the slices pass.
 */
export function codeSliceIndex(records: (FatSlice | Anomaly)[]): number | undefined {
  const slices = records.filter(isFatSlice);
  for (const name of PRIMARY_ORDER) {
    const s = slices.find((x) => cpuName(x.cpuType, x.cpuSubtype) === name);
    if (s) return s.index;
  }
  return slices[0]?.index;
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
  return parseMachODetail(buf, ctx).facts;
}

/** The facts and, unless ctx.code is false, the primary slice's code-level lists. */
export function parseMachODetail(buf: Buffer, ctx: MachOContext): { facts: MachOFacts; code?: MachOCode } {
  const fatBytes = fatHeaderBytes(buf, buf.length, ctx);
  const archs: MachOArchDetail[] = [];
  const wantCode = ctx.code ?? true;
  if (fatBytes !== undefined) {
    const records = readFatRecords(buf.subarray(0, fatBytes), buf.length, ctx);
    const codeIndex = wantCode ? codeSliceIndex(records) : undefined;
    for (const r of records) {
      if (!isFatSlice(r)) {
        ctx.anomalies.push(r);
        continue;
      }
      try {
        archs.push(readSlice(buf.subarray(r.offset, r.offset + r.size), r.offset, ctx, r.index === codeIndex));
      } catch (e) {
        if (!(e instanceof EduscanError)) throw e;
        ctx.anomalies.push(sliceUnreadable(ctx, e, r.offset));
      }
    }
    if (archs.length === 0) throw noSliceReadable(ctx, records.length);
  } else {
    archs.push(readSlice(buf, 0, ctx, wantCode));
  }
  return { facts: machoFacts(archs, fatBytes !== undefined, ctx), code: machoCode(archs, ctx) };
}

/** The facts of the whole file from its readable slices (in header order). */
export function machoFacts(archs: MachOArchDetail[], fat: boolean, ctx: MachOContext): MachOFacts {
  const primary = pickPrimary(archs);
  const { imported, ...primaryFacts } = primary;
  if (primary.importedSymbolCount > MAX_LISTED_SYMBOLS) {
    ctx.anomalies.push({ code: 'MACHO_SYMBOLS_TRUNCATED', detail: `${primary.importedSymbolCount} imported symbols, the first ${MAX_LISTED_SYMBOLS} are listed`, entry: ctx.entry });
  }
  const c = archs.find((a) => a.defined !== undefined || a.objc !== undefined);
  const facts: MachOFacts = {
    entry: ctx.entry,
    fat,
    archs: archs.map(({ imported: _i, defined: _d, objc: _o, tablesUnread: _t, ...a }) => a),
    primaryArch: primaryFacts.cpu,
    pie: primaryFacts.pie,
    encrypted: primaryFacts.encrypted,
    stackCanary: primaryFacts.stackCanary,
    arc: primaryFacts.arc,
    importedSymbols: imported.slice(0, MAX_LISTED_SYMBOLS),
  };
  if (c) {
    const gaps = codeGaps(c);
    facts.code = {
      arch: c.cpu,
      classCount: c.objc?.classes.length ?? 0,
      swiftClassCount: c.objc?.swiftClasses ?? 0,
      unnamedClassCount: c.objc?.unnamedClasses ?? 0,
      selectorCount: c.objc?.selectors.length ?? 0,
      definedSymbolCount: c.defined?.count ?? 0,
      complete: gaps.length === 0,
      ...(gaps.length > 0 ? { gaps } : {}),
    };
  }
  return facts;
}

function codeGaps(a: MachOArchDetail): string[] {
  const gaps = [...(a.objc?.gaps ?? [])];
  if (a.tablesUnread) gaps.push(a.tablesUnread);
  if (a.defined && a.defined.count > MAX_DEFINED_SYMBOLS) gaps.push(`only the first ${MAX_DEFINED_SYMBOLS} of ${a.defined.count} defined symbols looked at`);
  return gaps;
}

/** The code-level lists of the code slice, when one was read. */
export function machoCode(archs: MachOArchDetail[], ctx: MachOContext): MachOCode | undefined {
  const c = archs.find((a) => a.defined !== undefined || a.objc !== undefined);
  if (!c) return undefined;
  return {
    entry: ctx.entry,
    arch: c.cpu,
    encrypted: c.encrypted,
    classes: c.objc?.classes ?? [],
    swiftClasses: c.objc?.swiftClasses ?? 0,
    unnamedClasses: c.objc?.unnamedClasses ?? 0,
    selectors: c.objc?.selectors ?? [],
    definedClassSymbols: c.defined?.names ?? [],
    importedSymbols: c.imported.slice(0, MAX_LISTED_SYMBOLS),
    gaps: codeGaps(c),
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

/** LC_SYMTAB, LC_DYSYMTAB and the segments as the load commands give them (offsets from the slice start). */
export interface SymbolTables {
  symtab?: { symoff: number; nsyms: number; stroff: number; strsize: number };
  undefRange?: { first: number; count: number };
  extdefRange?: { first: number; count: number };
  segments: MachOSegment[];
  sections: MachOSection[];
  chainedFixups?: { dataoff: number; datasize: number };
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
  const tables: SymbolTables = { segments: [], sections: [] };
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
      tables.extdefRange = { first: u32(p + 16), count: u32(p + 20) };
      tables.undefRange = { first: u32(p + 24), count: u32(p + 28) };
    } else if (cmd === LC_SEGMENT_64 && need(SEGMENT_64_SIZE)) {
      readSegment(s, p, cmdsize, true, little, tables, ctx, base, i);
    } else if (cmd === LC_SEGMENT && need(SEGMENT_SIZE)) {
      readSegment(s, p, cmdsize, false, little, tables, ctx, base, i);
    } else if (cmd === LC_DYLD_CHAINED_FIXUPS && need(16)) {
      tables.chainedFixups = { dataoff: u32(p + 8), datasize: u32(p + 12) };
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

/** A segment command and its section records (those that fit in the command). */
function readSegment(s: Buffer, p: number, cmdsize: number, is64: boolean, little: boolean, tables: SymbolTables, ctx: MachOContext, base: number, i: number): void {
  const u32 = (at: number): number => (little ? s.readUInt32LE(at) : s.readUInt32BE(at));
  const u64 = (at: number): number => {
    const v = little ? s.readBigUInt64LE(at) : s.readBigUInt64BE(at);
    return v > BigInt(Number.MAX_SAFE_INTEGER) ? Number.POSITIVE_INFINITY : Number(v);
  };
  const word = is64 ? u64 : u32;
  const ws = is64 ? 8 : 4;
  const index = tables.segments.length;
  tables.segments.push({
    index,
    name: fixedName(s, p + 8),
    vmaddr: word(p + 24),
    vmsize: word(p + 24 + ws),
    fileoff: word(p + 24 + 2 * ws),
    filesize: word(p + 24 + 3 * ws),
  });
  const headSize = is64 ? SEGMENT_64_SIZE : SEGMENT_SIZE;
  const secSize = is64 ? SECTION_64_SIZE : SECTION_SIZE;
  const nsects = u32(p + headSize - 8);
  const fits = Math.floor((cmdsize - headSize) / secSize);
  if (nsects > fits) {
    ctx.anomalies.push({ code: 'MACHO_SHORT_LOAD_COMMAND', detail: `load command ${i} (segment ${tables.segments[index]!.name}): ${nsects} sections need ${headSize + nsects * secSize} bytes, the command has ${cmdsize}`, entry: ctx.entry, offset: base + p });
  }
  for (let k = 0; k < Math.min(nsects, fits); k++) {
    if (tables.sections.length >= MAX_SECTIONS) {
      ctx.anomalies.push({ code: 'MACHO_SECTIONS_TRUNCATED', detail: `more than ${MAX_SECTIONS} sections; the rest are not read`, entry: ctx.entry, offset: base + p });
      return;
    }
    const q = p + headSize + k * secSize;
    tables.sections.push({
      sectname: fixedName(s, q),
      segname: fixedName(s, q + 16),
      addr: word(q + 32),
      size: word(q + 32 + ws),
      offset: u32(q + 32 + 2 * ws),
      type: u32(q + 32 + 2 * ws + 24) & SECTION_TYPE_MASK,
      segIndex: index,
    });
  }
}

/** A char[16] name, NUL-padded (or not, when it uses all 16 bytes). */
function fixedName(s: Buffer, at: number): string {
  const b = s.subarray(at, at + 16);
  const nul = b.indexOf(0);
  return b.toString('latin1', 0, nul < 0 ? 16 : nul);
}

/** What the Objective-C reader needs of a slice. */
export function objcLayout(hdr: MachHeader, arch: MachOArchDetail, tables: SymbolTables, imageLength: number): ObjcLayout {
  return {
    cpu: arch.cpu,
    is64: hdr.is64,
    little: hdr.little,
    arm64e: arch.cpu === 'arm64e' && (hdr.cpuSubtype & ~CPU_SUBTYPE_MASK) === CPU_SUBTYPE_ARM64E,
    imageLength,
    cmdsEnd: hdr.headerSize + hdr.sizeofcmds,
    segments: tables.segments,
    sections: tables.sections,
    ...(tables.chainedFixups ? { chainedFixups: tables.chainedFixups } : {}),
    encrypted: arch.encrypted,
  };
}

/** An lc_str: NUL-terminated string at `offset` from the start of its load command. */
function lcString(s: Buffer, cmdStart: number, cmdsize: number, offset: number): string | undefined {
  if (offset < LC_HEADER_SIZE || offset >= cmdsize) return undefined;
  const start = cmdStart + offset;
  const end = cmdStart + cmdsize;
  const nul = s.subarray(start, end).indexOf(0);
  return s.toString('utf8', start, nul < 0 ? end : start + nul);
}

/**
 * Where a slice's undefined (and, for the code slice, defined external) symbols are: the nlist records to
 * scan and the string table, slice-relative.
 */
export interface ImportPlan {
  /** First nlist byte and record count: the LC_DYSYMTAB ranges wanted (the span that holds them), or every symbol. */
  nlistOffset: number;
  count: number;
  entrySize: number;
  little: boolean;
  stroff: number;
  strsize: number;
  /** Record indexes [from, to) within the span of the undefined symbols... */
  undef: [number, number];
  /** ...and of the defined external ones, when wanted. */
  def?: [number, number];
}

/** Checks the tables against the slice (anomalies when they do not fit) and says what to read. */
export function planImports(tables: SymbolTables, hdr: MachHeader, imageLength: number, base: number, arch: MachOArchDetail, ctx: MachOContext, wantDefined = false): ImportPlan | undefined {
  const st = tables.symtab;
  if (st === undefined) return undefined;
  const entrySize = hdr.is64 ? NLIST_64_SIZE : NLIST_SIZE;
  // The tables of a slice are addressed from the slice start; check them against the slice, not the file.
  if (st.symoff > imageLength || st.nsyms > (imageLength - st.symoff) / entrySize) {
    ctx.anomalies.push({ code: 'MACHO_SYMTAB_OUT_OF_RANGE', detail: `${arch.cpu}: ${st.nsyms} symbols at ${st.symoff} run past the ${imageLength}-byte image; imports not read`, entry: ctx.entry, offset: base + st.symoff });
    arch.tablesUnread = 'the symbol table lies outside the image';
    return undefined;
  }
  if (st.stroff > imageLength || st.strsize > imageLength - st.stroff) {
    ctx.anomalies.push({ code: 'MACHO_STRTAB_OUT_OF_RANGE', detail: `${arch.cpu}: string table of ${st.strsize} bytes at ${st.stroff} runs past the ${imageLength}-byte image; imports not read`, entry: ctx.entry, offset: base + st.stroff });
    arch.tablesUnread = 'the string table lies outside the image';
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
  let def: [number, number] | undefined;
  if (wantDefined) {
    const e = tables.extdefRange;
    if (!u || !e) {
      def = [0, st.nsyms];
    } else if (e.first <= st.nsyms && e.count <= st.nsyms - e.first) {
      def = [e.first, e.first + e.count];
    } else {
      ctx.anomalies.push({ code: 'MACHO_DYSYMTAB_OUT_OF_RANGE', detail: `${arch.cpu}: defined external symbols ${e.first}+${e.count} exceed the ${st.nsyms} symbols; not read`, entry: ctx.entry });
      arch.tablesUnread = 'the defined-symbol range lies outside the symbol table';
    }
  }
  // One span of records covers both ranges (in ld64 output they are adjacent: locals, defined, undefined).
  let lo = first;
  let hi = first + count;
  if (def && def[1] > def[0]) {
    lo = Math.min(lo, def[0]);
    hi = Math.max(hi, def[1]);
  }
  return {
    nlistOffset: st.symoff + lo * entrySize,
    count: hi - lo,
    entrySize,
    little: hdr.little,
    stroff: st.stroff,
    strsize: st.strsize,
    undef: [first - lo, first + count - lo],
    ...(def ? { def: [Math.max(0, def[0] - lo), Math.max(0, def[1] - lo)] as [number, number] } : {}),
  };
}

/** An nlist record's n_type says: an undefined external symbol, not a debugging entry. */
export function isImportType(type: number): boolean {
  return (type & N_STAB) === 0 && (type & N_TYPE) === N_UNDF && (type & N_EXT) !== 0;
}

/** ...a defined external symbol (N_SECT | N_EXT): a class or function the binary itself provides. */
export function isDefinedType(type: number): boolean {
  return (type & N_STAB) === 0 && (type & N_TYPE) === N_SECT && (type & N_EXT) !== 0;
}

/** What one symbol record of a plan is: 'import', 'defined' or nothing to read. */
export function recordKind(plan: ImportPlan, index: number, type: number): 'import' | 'defined' | undefined {
  // Debugging entries and local symbols first: most of an unstripped table.
  if ((type & N_STAB) !== 0 || (type & N_EXT) === 0) return undefined;
  const t = type & N_TYPE;
  if (t === N_UNDF) return index >= plan.undef[0] && index < plan.undef[1] ? 'import' : undefined;
  if (t === N_SECT && plan.def) return index >= plan.def[0] && index < plan.def[1] ? 'defined' : undefined;
  return undefined;
}

export function badNamesAnomaly(arch: MachOArchDetail, badNames: number, ctx: MachOContext): Anomaly {
  return { code: 'MACHO_SYMBOL_NAME_OUT_OF_RANGE', detail: `${arch.cpu}: ${badNames} undefined symbols name strings outside the string table`, entry: ctx.entry };
}

export function badDefinedAnomaly(arch: MachOArchDetail, bad: number, ctx: MachOContext): Anomaly {
  return { code: 'MACHO_SYMBOL_NAME_OUT_OF_RANGE', detail: `${arch.cpu}: ${bad} defined external symbols name strings outside the string table`, entry: ctx.entry };
}

/** One thin Mach-O image held whole; `base` is its offset in the file, for messages. */
function readSlice(s: Buffer, base: number, ctx: MachOContext, isCode: boolean): MachOArchDetail {
  const hdr = readMachHeader(s, s.length, base, ctx);
  const { arch, tables } = readLoadCommands(s, hdr, s.length, base, ctx);
  let objc: ObjcCollector | undefined;
  if (isCode) {
    objc = new ObjcCollector(objcLayout(hdr, arch, tables, s.length), ctx, base);
    readRangesWhole(s, objc.ranges());
    arch.defined = { count: 0, names: [] };
  }
  const plan = planImports(tables, hdr, s.length, base, arch, ctx, isCode);
  if (plan) readImports(s, plan, arch, ctx);
  if (objc) arch.objc = objc.result();
  arch.importedSymbolCount = arch.imported.length;
  const names = new Set(arch.imported);
  arch.stackCanary = STACK_CANARY_SYMBOLS.some((x) => names.has(x));
  arch.arc = names.has(ARC_SYMBOL);
  return arch;
}

function readImports(s: Buffer, plan: ImportPlan, arch: MachOArchDetail, ctx: MachOContext): void {
  const strEnd = plan.stroff + plan.strsize;
  let badNames = 0;
  let badDefined = 0;
  let definedBytes = 0;
  let definedSeen = 0;
  const nameAt = (strx: number): string => {
    const start = plan.stroff + strx;
    const limit = Math.min(strEnd, start + MAX_SYMBOL_NAME);
    const nul = s.subarray(start, limit).indexOf(0);
    return s.toString('utf8', start, nul < 0 ? limit : start + nul);
  };
  for (let i = 0; i < plan.count; i++) {
    const e = plan.nlistOffset + i * plan.entrySize;
    const kind = recordKind(plan, i, s[e + NLIST_TYPE] as number);
    if (kind === undefined) continue;
    const strx = plan.little ? s.readUInt32LE(e) : s.readUInt32BE(e);
    if (strx >= plan.strsize) {
      if (kind === 'import') badNames++;
      else badDefined++;
      continue;
    }
    if (kind === 'import') {
      arch.imported.push(nameAt(strx));
    } else {
      const d = arch.defined as { count: number; names: string[] };
      d.count++;
      // The first MAX_DEFINED_SYMBOLS records are looked at (as the streaming reader keeps them).
      if (definedSeen++ >= MAX_DEFINED_SYMBOLS || definedBytes > MAX_DEFINED_NAME_BYTES) continue;
      const start = plan.stroff + strx;
      if (strEnd - start < DEFINED_CLASS_PREFIX.length) continue;
      let same = true;
      for (let k = 0; k < DEFINED_CLASS_PREFIX.length && same; k++) same = s[start + k] === DEFINED_CLASS_PREFIX[k];
      if (!same) continue;
      const name = nameAt(strx);
      definedBytes += Buffer.byteLength(name);
      if (definedBytes <= MAX_DEFINED_NAME_BYTES) d.names.push(name);
    }
  }
  if (badNames > 0) ctx.anomalies.push(badNamesAnomaly(arch, badNames, ctx));
  if (badDefined > 0) ctx.anomalies.push(badDefinedAnomaly(arch, badDefined, ctx));
}
