// The Objective-C class list and selector names of one Mach-O slice, read as byte ranges that pass in file
// order, so the same code serves a whole buffer and a streamed (inflating) executable. Nothing is held
// whole: the class-name strings, the Swift class names of __cstring (mangled _Tt… names), the words of
// __objc_const that point at one of them (a class_ro_t's name field, among others), the class list's
// pointers and the class_t.data word of each listed class. The names are joined at the end:
//   __objc_classlist → class_t (data at +32, or +16 in 32-bit) → class_ro_t (name at +24, or +16) → name.
// A range is asked for only when it starts at or after the range whose end revealed it (the load commands,
// or the class list for the class_t words), so one pass always reaches it; whatever lies behind is left
// out with a gap named in the result. Pointers are decoded for the classic layout (plain addresses) and for
// chained fixups (DYLD_CHAINED_PTR_64 / _64_OFFSET, the arm64e formats, DYLD_CHAINED_PTR_32); the formats the
// LC_DYLD_CHAINED_FIXUPS header names are checked once it has passed (it sits in __LINKEDIT, after the data).
import type { Anomaly } from '../errors.js';

/** A segment as its LC_SEGMENT(_64) says, offsets relative to the slice. */
export interface MachOSegment {
  index: number;
  name: string;
  vmaddr: number;
  vmsize: number;
  fileoff: number;
  filesize: number;
}

export interface MachOSection {
  segname: string;
  sectname: string;
  addr: number;
  size: number;
  offset: number;
  /** Section type (low byte of flags): zero-fill sections have no bytes in the file. */
  type: number;
  segIndex: number;
}

export interface ObjcLayout {
  cpu: string;
  is64: boolean;
  little: boolean;
  /** arm64e pointers carry auth/bind bits in 62–63. */
  arm64e: boolean;
  imageLength: number;
  /** End of the load commands: nothing before it is asked for. */
  cmdsEnd: number;
  segments: MachOSegment[];
  sections: MachOSection[];
  chainedFixups?: { dataoff: number; datasize: number };
  encrypted: boolean;
}

/** Bytes [start, end) of the slice, fed in order by take(); done() may name further ranges (never behind end). */
export interface ByteRange {
  start: number;
  end: number;
  take(part: Buffer): void;
  done(): ByteRange[];
  /** The bytes up to end will not come (data ended, a safety limit, or behind a single pass). */
  short(why: string): void;
}

/** Code-level lists of one slice (not part of the JSON facts; see MachOCodeSummary for what is). */
export interface MachOObjc {
  /** Class names from __objc_classlist, in list order (Swift classes as their mangled _TtC… names). */
  classes: string[];
  swiftClasses: number;
  /**
   * Class-list entries whose name could not be followed: damaged pointers, or a name that one pass cannot
   * have kept (a Swift class renamed with @objc(Name) has its plain name among the other __cstring strings).
   */
  unnamedClasses: number;
  /** Distinct selector names of __objc_methname, in section order. */
  selectors: string[];
  /** Why the lists may be incomplete; empty when everything was read. */
  gaps: string[];
}

const S_ZEROFILL = 0x1;
const S_GB_ZEROFILL = 0xc;
const S_THREAD_LOCAL_ZEROFILL = 0x12;
const CLASSLIST = '__objc_classlist';
const CLASSNAME = '__objc_classname';
const METHNAME = '__objc_methname';
const OBJC_CONST = '__objc_const';
/** Swift classes may keep their class_ro_t next to the class in __objc_data. */
const OBJC_DATA = '__objc_data';
const CSTRING = '__cstring';
const TEXT = '__TEXT';
/** class_t: isa, superclass, cache, vtable, data — data is the fifth pointer. */
const CLASS_DATA_INDEX = 4;
/** class_ro_t: flags, instanceStart, instanceSize, (reserved in 64-bit), ivarLayout, name. */
const RO_NAME_OFFSET_64 = 24;
const RO_NAME_OFFSET_32 = 16;
/** Low bits of class_t.data: FAST_IS_SWIFT_LEGACY | FAST_IS_SWIFT_STABLE (and a runtime-only bit in 64-bit). */
const DATA_FLAG_BITS_64 = 8;
const DATA_FLAG_BITS_32 = 4;
const SWIFT_FLAG_BITS = 4;
const SWIFT_NAME_PREFIX = Buffer.from('_Tt', 'latin1');

// Chained fixups (mach-o/fixup-chains.h).
//   dyld_chained_fixups_header: 0 fixups_version | 4 starts_offset | 8 imports_offset | 12 symbols_offset | ...
//   dyld_chained_starts_in_image: 0 seg_count | 4 seg_info_offset[seg_count] (from this struct; 0 = none)
//   dyld_chained_starts_in_segment: 0 size | 4 u16 page_size | 6 u16 pointer_format | ...
const CHAINED_HEADER_BYTES = 28;
const CHAINED_STARTS_OFFSET = 4;
const CHAINED_SEGMENT_FORMAT = 6;
/** Bytes of the fixups blob read: the header and the per-segment starts lie at its beginning. */
const MAX_CHAINED_BYTES = 1024 * 1024;
const PTR_ARM64E = 1;
const PTR_64 = 2;
const PTR_32 = 3;
const PTR_64_OFFSET = 6;
const PTR_ARM64E_USERLAND = 9;
const PTR_ARM64E_USERLAND24 = 12;
const FORMATS_ARM64E = new Set([PTR_ARM64E, PTR_ARM64E_USERLAND, PTR_ARM64E_USERLAND24]);
const FORMATS_64 = new Set([PTR_64, PTR_64_OFFSET]);
const FORMATS_32 = new Set([PTR_32]);
const TWO_32 = 2 ** 32;
/** DYLD_CHAINED_PTR_64: 36-bit target (bits 0–35 → 4 bits of the high word); arm64e rebase: 43 bits. */
const HIGH_MASK_64 = 0xf;
const HIGH_MASK_ARM64E = 0x7ff;
const BIND_64 = 0x80000000;
const AUTH_ARM64E = 0x80000000;
const BIND_ARM64E = 0x40000000;
const BIND_32 = 0x80000000;
const TARGET_MASK_32 = 0x3ffffff;

/** Caps: a hostile or huge binary costs bounded memory; what is cut is named in gaps. */
// Far above what an app's executable holds; a hostile one costs some tens of MB at most.
export const MAX_OBJC_CLASSES = 300_000;
export const MAX_SELECTORS = 500_000;
export const MAX_SELECTOR_BYTES = 16 * 1024 * 1024;
export const MAX_CLASSNAME_BYTES = 8 * 1024 * 1024;
export const MAX_SWIFT_NAMES = 200_000;
/** Name pointers of __objc_const/__objc_data kept (a class and its metaclass, protocols, categories). */
export const MAX_NAME_WORDS = 1_000_000;
/** Longest class or selector name read; longer strings are skipped. */
export const MAX_OBJC_NAME = 4096;

export class ObjcCollector {
  private readonly imageBase: number;
  private readonly ptr: number;
  private readonly classNames = new Map<number, string>();
  private classNameBytes = 0;
  private readonly swiftNames = new Map<number, string>();
  private readonly selectorSet = new Set<string>();
  private selectorBytes = 0;
  /** Address of a word in __objc_const → the name address it points at. */
  private readonly nameWords = new Map<number, number>();
  /** Decoded class_t.data words, by class-list position (undefined: not read). */
  private readonly classData: (number | undefined)[] = [];
  private classCount = 0;
  private readonly usedSegments = new Set<number>();
  private chainedFormats: Map<number, number> | undefined;
  private readonly gapSet = new Set<string>();
  /** Anomalies wait for result(): the same order whether the slice was whole or streamed. */
  private readonly pending: Anomaly[] = [];
  private readonly nameRanges: { lo: number; hi: number }[] = [];

  constructor(private readonly layout: ObjcLayout, private readonly ctx: { anomalies: Anomaly[]; entry: string }, private readonly base: number) {
    this.ptr = layout.is64 ? 8 : 4;
    const first = layout.segments.find((s) => s.fileoff === 0 && s.filesize > 0) ?? layout.segments.find((s) => s.name === TEXT);
    this.imageBase = first?.vmaddr ?? 0;
  }

  /** The ranges to read once the load commands are known. */
  ranges(): ByteRange[] {
    const L = this.layout;
    if (L.encrypted) {
      this.gap('the slice is FairPlay-encrypted: class and selector names are not readable');
      return [];
    }
    const usable = (s: MachOSection): boolean => {
      const zerofill = s.type === S_ZEROFILL || s.type === S_GB_ZEROFILL || s.type === S_THREAD_LOCAL_ZEROFILL;
      if (zerofill || s.size === 0) return false;
      if (s.offset < L.cmdsEnd || s.offset > L.imageLength || s.size > L.imageLength - s.offset) {
        this.anomaly('MACHO_OBJC_SECTION_OUT_OF_RANGE', `${s.segname},${s.sectname}: ${s.size} bytes at ${s.offset} lie outside ${L.cmdsEnd}..${L.imageLength}; not read`, s.offset);
        this.gap(`${s.sectname} not read`);
        return false;
      }
      return true;
    };
    const named = (name: string, seg?: string): MachOSection[] => L.sections.filter((s) => s.sectname === name && (seg === undefined || s.segname === seg) && usable(s));
    const out: ByteRange[] = [];
    for (const s of named(METHNAME)) out.push(this.stringRange(s, (_addr, name) => this.addSelector(name)));
    const lists = named(CLASSLIST);
    if (lists.length > 0) {
      const classnames = named(CLASSNAME);
      for (const s of classnames) {
        this.nameRanges.push({ lo: s.addr, hi: s.addr + s.size });
        out.push(this.stringRange(s, (addr, name) => this.addClassName(addr, name)));
      }
      const cstrings = named(CSTRING, TEXT);
      for (const s of cstrings) out.push(this.prefixRange(s));
      for (const s of [...named(OBJC_CONST), ...named(OBJC_DATA)]) {
        // Swift names count only from string sections that have passed before this one starts.
        const before = cstrings.filter((c) => c.offset + c.size <= s.offset).map((c) => ({ lo: c.addr, hi: c.addr + c.size }));
        this.usedSegments.add(s.segIndex);
        out.push(this.constRange(s, before));
      }
      for (const s of lists) {
        this.usedSegments.add(s.segIndex);
        out.push(this.classListRange(s));
      }
      const cf = L.chainedFixups;
      if (cf) {
        if (cf.datasize < CHAINED_HEADER_BYTES || cf.dataoff < L.cmdsEnd || cf.dataoff > L.imageLength || cf.datasize > L.imageLength - cf.dataoff) {
          this.gap('the chained-fixups header is outside the image: pointer formats not checked');
        } else {
          out.push(this.chainedRange(cf.dataoff, Math.min(cf.datasize, MAX_CHAINED_BYTES)));
        }
      }
    }
    return out;
  }

  /** The lists, once every range is done or short. */
  result(): MachOObjc {
    const L = this.layout;
    const classes: string[] = [];
    let swift = 0;
    let unnamed = 0;
    let formatOk = true;
    if (this.chainedFormats) {
      const allowed = !L.is64 ? FORMATS_32 : L.arm64e ? FORMATS_ARM64E : FORMATS_64;
      for (const seg of this.usedSegments) {
        const f = this.chainedFormats.get(seg);
        if (f !== undefined && !allowed.has(f)) {
          formatOk = false;
          this.anomaly('MACHO_CHAINED_FORMAT_UNSUPPORTED', `${L.cpu}: segment ${L.segments.find((s) => s.index === seg)?.name ?? seg} uses chained pointer format ${f}; the class list is not read`);
        }
      }
    }
    if (!formatOk) {
      this.gap('an unsupported chained pointer format');
    } else {
      const roName = L.is64 ? RO_NAME_OFFSET_64 : RO_NAME_OFFSET_32;
      const flagBits = L.is64 ? DATA_FLAG_BITS_64 : DATA_FLAG_BITS_32;
      for (let i = 0; i < this.classCount; i++) {
        const data = this.classData[i];
        if (data === undefined) {
          unnamed++;
          continue;
        }
        const ro = data - (data % flagBits);
        const at = this.nameWords.get(ro + roName);
        const name = at === undefined ? undefined : (this.classNames.get(at) ?? this.swiftNames.get(at));
        if (name === undefined) {
          unnamed++;
          continue;
        }
        if (data % SWIFT_FLAG_BITS !== 0 || name.startsWith('_Tt')) swift++;
        classes.push(name);
      }
    }
    this.ctx.anomalies.push(...this.pending);
    this.pending.length = 0;
    return { classes, swiftClasses: swift, unnamedClasses: formatOk ? unnamed : this.classCount, selectors: [...this.selectorSet], gaps: [...this.gapSet] };
  }

  private gap(why: string): void {
    this.gapSet.add(why);
  }

  private anomaly(code: string, detail: string, offset?: number): void {
    this.pending.push({ code, detail, entry: this.ctx.entry, ...(offset === undefined ? {} : { offset: this.base + offset }) });
  }

  private shortOf(s: MachOSection): (why: string) => void {
    return (why) => {
      this.anomaly('MACHO_OBJC_SECTION_UNREAD', `${s.segname},${s.sectname} at ${s.offset}: ${why}`, s.offset);
      this.gap(`${s.sectname} not fully read`);
    };
  }

  private addSelector(name: string): void {
    if (name === '' || this.selectorSet.has(name)) return;
    if (this.selectorSet.size >= MAX_SELECTORS || this.selectorBytes + name.length > MAX_SELECTOR_BYTES) {
      this.gap(`more than ${MAX_SELECTORS} selectors or ${MAX_SELECTOR_BYTES} bytes of them`);
      return;
    }
    this.selectorBytes += name.length;
    this.selectorSet.add(name);
  }

  private addClassName(addr: number, name: string): void {
    if (this.classNameBytes + name.length > MAX_CLASSNAME_BYTES) {
      this.gap(`more than ${MAX_CLASSNAME_BYTES} bytes of class names`);
      return;
    }
    this.classNameBytes += name.length;
    this.classNames.set(addr, name);
  }

  /** Decodes a pointer-sized word (lo/hi halves) to an address, or undefined for null and binds. */
  private decode(lo: number, hi: number): number | undefined {
    const L = this.layout;
    let t: number;
    if (!L.is64) {
      if (L.chainedFixups) {
        if ((lo & BIND_32) !== 0) return undefined;
        t = lo & TARGET_MASK_32;
      } else {
        t = lo;
      }
    } else if (L.arm64e) {
      if ((hi & BIND_ARM64E) !== 0) return undefined;
      // Authenticated rebases hold a 32-bit offset from the image base; plain ones 43 bits (address or offset).
      t = (hi & AUTH_ARM64E) !== 0 ? lo : (hi & HIGH_MASK_ARM64E) * TWO_32 + lo;
    } else {
      if (L.chainedFixups && (hi & BIND_64) !== 0) return undefined;
      t = (hi & HIGH_MASK_64) * TWO_32 + lo;
    }
    if (t === 0) return undefined;
    // DYLD_CHAINED_PTR_64_OFFSET and the userland arm64e formats store offsets from the image base.
    return t < this.imageBase ? t + this.imageBase : t;
  }

  /** Slice file offset of `len` bytes at a VM address, when a segment maps them from the file. */
  private fileOffset(addr: number, len: number): { offset: number; seg: number } | undefined {
    for (const s of this.layout.segments) {
      if (addr >= s.vmaddr && addr + len <= s.vmaddr + s.filesize) {
        const offset = s.fileoff + (addr - s.vmaddr);
        if (offset + len <= this.layout.imageLength) return { offset, seg: s.index };
      }
    }
    return undefined;
  }

  private stringRange(s: MachOSection, emit: (addr: number, name: string) => void): ByteRange {
    const scan = new StringScanner(s.addr, emit);
    return { start: s.offset, end: s.offset + s.size, take: (p) => scan.feed(p), done: () => (scan.end(), []), short: this.shortOf(s) };
  }

  private prefixRange(s: MachOSection): ByteRange {
    const scan = new PrefixScanner(s.addr, SWIFT_NAME_PREFIX, (addr, name) => {
      if (this.swiftNames.size >= MAX_SWIFT_NAMES) {
        this.gap(`more than ${MAX_SWIFT_NAMES} Swift class names`);
        return;
      }
      this.swiftNames.set(addr, name);
    });
    return { start: s.offset, end: s.offset + s.size, take: (p) => scan.feed(p), done: () => (scan.end(), []), short: this.shortOf(s) };
  }

  private constRange(s: MachOSection, swiftFrom: { lo: number; hi: number }[]): ByteRange {
    const words = new WordScanner(this.ptr, this.layout.little, (i, lo, hi) => {
      const t = this.decode(lo, hi);
      if (t === undefined) return;
      const isName = this.nameRanges.some((r) => t >= r.lo && t < r.hi) || (swiftFrom.some((r) => t >= r.lo && t < r.hi) && this.swiftNames.has(t));
      if (!isName) return;
      if (this.nameWords.size >= MAX_NAME_WORDS) {
        this.gap(`more than ${MAX_NAME_WORDS} name pointers in ${OBJC_CONST}`);
        return;
      }
      this.nameWords.set(s.addr + i * this.ptr, t);
    });
    return { start: s.offset, end: s.offset + s.size, take: (p) => words.feed(p), done: () => [], short: this.shortOf(s) };
  }

  private classListRange(s: MachOSection): ByteRange {
    const first = this.classCount;
    const targets: (number | undefined)[] = [];
    const words = new WordScanner(this.ptr, this.layout.little, (_i, lo, hi) => {
      if (this.classCount >= MAX_OBJC_CLASSES) {
        this.gap(`more than ${MAX_OBJC_CLASSES} classes`);
        return;
      }
      this.classCount++;
      targets.push(this.decode(lo, hi));
    });
    const end = s.offset + s.size;
    return {
      start: s.offset,
      end,
      take: (p) => words.feed(p),
      short: this.shortOf(s),
      done: () => {
        // Each listed class's data word, where a single pass can still reach it: at or after the list's end.
        const picks: { offset: number; index: number }[] = [];
        let behind = 0;
        targets.forEach((t, k) => {
          const where = t === undefined ? undefined : this.fileOffset(t + CLASS_DATA_INDEX * this.ptr, this.ptr);
          if (where === undefined) return;
          if (where.offset < end) {
            behind++;
            return;
          }
          this.usedSegments.add(where.seg);
          picks.push({ offset: where.offset, index: first + k });
        });
        if (behind > 0) {
          this.anomaly('MACHO_OBJC_NOT_STREAMABLE', `${this.layout.cpu}: ${behind} class structures lie before the class list that names them; one pass cannot read them`, s.offset);
        }
        if (picks.length === 0) return [];
        picks.sort((a, b) => a.offset - b.offset);
        return [this.pickRange(picks, s)];
      },
    };
  }

  private pickRange(picks: { offset: number; index: number }[], list: MachOSection): ByteRange {
    // One word per distinct offset (two list entries may name one class); words that overlap the one before
    // (only in damaged input) stay unread.
    const offsets: number[] = [];
    const owners: number[][] = [];
    for (const p of picks) {
      const last = offsets[offsets.length - 1];
      if (last !== undefined && p.offset === last) (owners[owners.length - 1] as number[]).push(p.index);
      else if (last === undefined || p.offset >= last + this.ptr) {
        offsets.push(p.offset);
        owners.push([p.index]);
      }
    }
    const start = offsets[0] as number;
    const end = (offsets[offsets.length - 1] as number) + this.ptr;
    const picker = new WordPicker(start, this.ptr, this.layout.little, offsets, (k, lo, hi) => {
      const t = this.decode(lo, hi);
      for (const i of owners[k] as number[]) this.classData[i] = t;
    });
    return {
      start,
      end,
      take: (p) => picker.feed(p),
      done: () => [],
      short: (why) => {
        this.anomaly('MACHO_OBJC_SECTION_UNREAD', `class structures listed in ${list.segname},${list.sectname}: ${why}`, start);
        this.gap('class structures not fully read');
      },
    };
  }

  private chainedRange(dataoff: number, length: number): ByteRange {
    const parts: Buffer[] = [];
    return {
      start: dataoff,
      end: dataoff + length,
      take: (p) => parts.push(Buffer.from(p)),
      short: () => this.gap('the chained-fixups header was not read: pointer formats not checked'),
      done: () => {
        this.chainedFormats = chainedFormats(Buffer.concat(parts), this.layout.segments.length);
        if (this.chainedFormats === undefined) {
          this.anomaly('MACHO_CHAINED_FIXUPS_UNREADABLE', `${this.layout.cpu}: the LC_DYLD_CHAINED_FIXUPS header does not parse; pointer formats not checked`, dataoff);
          this.gap('the chained-fixups header does not parse');
        }
        return [];
      },
    };
  }
}

/** pointer_format per segment index from the start of a chained-fixups blob, or undefined when it does not parse. */
export function chainedFormats(b: Buffer, segmentCount: number): Map<number, number> | undefined {
  if (b.length < CHAINED_HEADER_BYTES) return undefined;
  const starts = b.readUInt32LE(CHAINED_STARTS_OFFSET);
  if (starts > b.length - 4) return undefined;
  const count = b.readUInt32LE(starts);
  if (count > segmentCount || count > (b.length - starts - 4) / 4) return undefined;
  const out = new Map<number, number>();
  for (let i = 0; i < count; i++) {
    const off = b.readUInt32LE(starts + 4 + 4 * i);
    if (off === 0) continue;
    const at = starts + off;
    // Starts beyond the bytes read (a huge page_start array before them) stay unchecked.
    if (at + CHAINED_SEGMENT_FORMAT + 2 > b.length) continue;
    out.set(i, b.readUInt16LE(at + CHAINED_SEGMENT_FORMAT));
  }
  return out;
}

/**
 * A string of a section that the current part ends inside: its pieces are kept (copied: parts are reused)
 * until its NUL arrives in a later part; past MAX_OBJC_NAME bytes it is only counted, then dropped.
 */
abstract class OpenString {
  protected open: Buffer[] | undefined;
  protected openStart = 0;
  protected openLength = 0;
  constructor(protected readonly addr: number, protected readonly emit: (addr: number, s: string) => void) {}

  protected append(piece: Buffer): void {
    this.openLength += piece.length;
    if (this.openLength > MAX_OBJC_NAME) this.open = [];
    else (this.open as Buffer[]).push(Buffer.from(piece));
  }

  protected close(): void {
    if (this.openLength <= MAX_OBJC_NAME) this.emit(this.addr + this.openStart, Buffer.concat(this.open as Buffer[]).toString('utf8'));
    this.open = undefined;
  }
}

/** Every NUL-terminated string of a section, with its VM address; over-long ones are skipped. */
class StringScanner extends OpenString {
  private offset = 0;

  feed(part: Buffer): void {
    let p = 0;
    if (this.open !== undefined) {
      const nul = part.indexOf(0);
      const piece = part.subarray(0, nul < 0 ? part.length : nul);
      this.append(piece);
      if (nul < 0) {
        this.offset += part.length;
        return;
      }
      this.close();
      p = nul + 1;
    }
    for (;;) {
      const nul = part.indexOf(0, p);
      if (nul < 0) {
        if (p < part.length) {
          this.open = [];
          this.openStart = this.offset + p;
          this.openLength = 0;
          this.append(part.subarray(p));
        }
        break;
      }
      if (nul - p <= MAX_OBJC_NAME) this.emit(this.addr + this.offset + p, part.toString('utf8', p, nul));
      p = nul + 1;
    }
    this.offset += part.length;
  }

  /** A string the section's end cuts off is dropped (it has no terminator). */
  end(): void {
    this.open = undefined;
  }

}

/**
 * The strings of a section that begin with `prefix` (found with a substring search for NUL + prefix, so
 * the other strings cost nothing), with their VM addresses.
 */
class PrefixScanner extends OpenString {
  private readonly needle: Buffer;
  private offset = 0;
  /** The last needle-1 bytes before the current part; a virtual NUL stands before the section. */
  private tail: Buffer = Buffer.from([0]);

  constructor(addr: number, prefix: Buffer, emit: (addr: number, s: string) => void) {
    super(addr, emit);
    this.needle = Buffer.concat([Buffer.from([0]), prefix]);
  }

  feed(part: Buffer): void {
    let from = 0;
    if (this.open !== undefined) {
      const nul = part.indexOf(0);
      this.append(part.subarray(0, nul < 0 ? part.length : nul));
      if (nul < 0) {
        this.advance(part);
        return;
      }
      this.close();
      from = nul;
    } else {
      // A needle that begins in the tail and ends in this part.
      const joint = Buffer.concat([this.tail, part.subarray(0, this.needle.length - 1)]);
      for (let j = joint.indexOf(this.needle); j >= 0 && j < this.tail.length; j = joint.indexOf(this.needle, j + 1)) {
        if (j + this.needle.length <= this.tail.length) continue;
        const start = this.offset - this.tail.length + j + 1;
        this.begin(start, this.tail.subarray(j + 1), part, 0);
        if (this.open !== undefined) {
          this.advance(part);
          return;
        }
        from = part.indexOf(0);
        break;
      }
    }
    for (let i = part.indexOf(this.needle, from); i >= 0; i = part.indexOf(this.needle, i + 1)) {
      this.begin(this.offset + i + 1, Buffer.alloc(0), part, i + 1);
      if (this.open !== undefined) break;
    }
    this.advance(part);
  }

  end(): void {
    this.open = undefined;
  }

  /** A string starting at `start` whose first bytes are `head`, continuing in part at `at`. */
  private begin(start: number, head: Buffer, part: Buffer, at: number): void {
    const nul = part.indexOf(0, at);
    const body = part.subarray(at, nul < 0 ? part.length : nul);
    if (nul >= 0) {
      if (head.length + body.length <= MAX_OBJC_NAME) this.emit(this.addr + start, Buffer.concat([head, body]).toString('utf8'));
      return;
    }
    this.open = [];
    this.openStart = start;
    this.openLength = 0;
    this.append(head);
    this.append(body);
  }

  private advance(part: Buffer): void {
    const keep = this.needle.length - 1;
    this.tail = part.length >= keep ? Buffer.from(part.subarray(part.length - keep)) : Buffer.concat([this.tail, part]).subarray(-keep);
    this.offset += part.length;
  }

}

/** Every pointer-sized word of a range, in order: (index, low 32 bits, high 32 bits). */
class WordScanner {
  private readonly carry: Buffer;
  private carried = 0;
  private index = 0;
  constructor(private readonly size: number, private readonly little: boolean, private readonly emit: (i: number, lo: number, hi: number) => void) {
    this.carry = Buffer.alloc(size);
  }

  feed(part: Buffer): void {
    let p = 0;
    if (this.carried > 0) {
      const n = Math.min(this.size - this.carried, part.length);
      part.copy(this.carry, this.carried, 0, n);
      this.carried += n;
      p = n;
      if (this.carried < this.size) return;
      this.word(this.carry, 0);
      this.carried = 0;
    }
    for (; p + this.size <= part.length; p += this.size) this.word(part, p);
    if (p < part.length) {
      part.copy(this.carry, 0, p);
      this.carried = part.length - p;
    }
  }

  private word(b: Buffer, at: number): void {
    if (this.size === 4) this.emit(this.index++, this.little ? b.readUInt32LE(at) : b.readUInt32BE(at), 0);
    else if (this.little) this.emit(this.index++, b.readUInt32LE(at), b.readUInt32LE(at + 4));
    else this.emit(this.index++, b.readUInt32BE(at + 4), b.readUInt32BE(at));
  }
}

/** Words at given offsets (sorted, at least a word apart) of a range that starts at `start`: (pick index, low, high). */
class WordPicker {
  private pos: number;
  private next = 0;
  private readonly word: Buffer;
  private filled = 0;
  constructor(start: number, private readonly size: number, private readonly little: boolean, private readonly offsets: number[], private readonly emit: (k: number, lo: number, hi: number) => void) {
    this.pos = start;
    this.word = Buffer.alloc(size);
  }

  feed(part: Buffer): void {
    const end = this.pos + part.length;
    while (this.next < this.offsets.length) {
      const at = (this.offsets[this.next] as number) + this.filled;
      if (at >= end) break;
      const n = Math.min(this.size - this.filled, end - at);
      part.copy(this.word, this.filled, at - this.pos, at - this.pos + n);
      this.filled += n;
      if (this.filled < this.size) break;
      this.filled = 0;
      const w = this.word;
      if (this.size === 4) this.emit(this.next, this.little ? w.readUInt32LE(0) : w.readUInt32BE(0), 0);
      else if (this.little) this.emit(this.next, w.readUInt32LE(0), w.readUInt32LE(4));
      else this.emit(this.next, w.readUInt32BE(4), w.readUInt32BE(0));
      this.next++;
    }
    this.pos = end;
  }
}

/** Drives ranges over a whole slice held in memory, in the order a single pass would meet them. */
export function readRangesWhole(s: Buffer, initial: ByteRange[]): void {
  const queue = [...initial];
  while (queue.length > 0) {
    let k = 0;
    for (let i = 1; i < queue.length; i++) if ((queue[i] as ByteRange).start < (queue[k] as ByteRange).start) k = i;
    const r = queue.splice(k, 1)[0] as ByteRange;
    const stop = Math.min(r.end, s.length);
    if (r.start < stop) r.take(s.subarray(r.start, stop));
    if (stop < r.end) r.short(`the data ends at ${s.length}`);
    else queue.push(...r.done());
  }
}
