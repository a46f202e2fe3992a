// Mach-O facts from the bytes of an executable as they stream past (an inflating zip entry), so that a
// 100 MB executable never sits in memory. The header and load commands come first and say which byte
// ranges matter: each slice's undefined-symbol nlist records and its string table. Only those are looked
// at as they pass, almost nothing is kept (the string indexes of the imports and the names listed in the
// facts), and push() says when the last needed byte has gone by so the caller can stop inflating.
// The facts and anomalies are those parseMachO gives for the whole buffer (tests/ipa/macho-stream.test.ts).
import { EduscanError, LimitError, type Anomaly } from '../errors.js';
import type { MachOFacts } from '../facts/ios-schema.js';
import {
  ARC_SYMBOL, DEFINED_CLASS_PREFIX, MAX_DEFINED_NAME_BYTES, MAX_DEFINED_SYMBOLS, MAX_LISTED_SYMBOLS, MAX_SYMBOL_NAME, NLIST_TYPE, STACK_CANARY_SYMBOLS, badDefinedAnomaly,
  badNamesAnomaly, codeSliceIndex, fatHeaderBytes, isFatSlice, machoCode, machoFacts, noSliceReadable, objcLayout, planImports,
  readFatRecords, readLoadCommands, readMachHeader, recordKind, sliceUnreadable, type FatSlice, type ImportPlan, type MachHeader,
  type MachOArchDetail, type MachOCode, type MachOContext,
} from './macho.js';
import { ObjcCollector, type ByteRange } from './macho-objc.js';

const EMPTY = Buffer.alloc(0);
const FAT_MAGIC_BYTES = 8;
const MACH_HEADER_MAX = 32;
/** The first bytes of the image are kept so a range found late (odd layouts, tiny chunks) can still be read. */
const DEFAULT_PREFIX_BYTES = 64 * 1024;
/** Load commands of one slice (real executables: a few KiB; the whole-buffer parser has no copy to make). */
export const MAX_STREAM_COMMAND_BYTES = 16 * 1024 * 1024;
/** String-table bytes held while the symbol records that index it are still to come (strtab before symtab). */
export const MAX_HELD_STRTAB_BYTES = 32 * 1024 * 1024;
/** Import string indexes kept over all slices (4 bytes each; real apps import tens of thousands). */
export const MAX_KEPT_IMPORTS = 2_000_000;
/** Bytes of listed symbol names over all slices. */
export const MAX_LISTED_NAME_BYTES = 16 * 1024 * 1024;

/** A byte range of the image that someone wants, fed in order as the bytes pass. */
interface Want {
  /** Next absolute offset wanted, and the end (exclusive); done() may move the end further. */
  pos: number;
  end: number;
  cancelled: boolean;
  take(part: Buffer): void;
  /** All bytes up to `end` were taken; returns nothing, may extend `end` to keep going. */
  done(): void;
  /** The bytes up to `end` will not come. */
  short(why: Shortfall): void;
}

/**
 * Why a range cannot be read: the data ended (at `available` bytes), it lay behind bytes already gone (a
 * layout one pass cannot follow), or the source stopped at a safety limit.
 */
type Shortfall = { kind: 'end'; available: number } | { kind: 'behind' } | { kind: 'limit'; error: EduscanError; available: number };

export interface MachOStreamOptions {
  /** How many bytes at the start of the image are kept for late readers (default 64 KiB, at least 8). */
  prefixBytes?: number;
  /** Overrides MAX_HELD_STRTAB_BYTES (tests). */
  maxHeldStrtabBytes?: number;
}

export interface MachOStreamStats {
  /** Bytes pushed so far. */
  seen: number;
  /** Most bytes held at once for parsing (prefix, load commands, string-table parts waiting for their symbols). */
  peakHeld: number;
  /** Import string indexes and listed-name bytes kept for the facts. */
  keptImports: number;
  nameBytes: number;
}

export class MachOStreamReader {
  private readonly wants: Want[] = [];
  private seen = 0;
  private chunk: Buffer = EMPTY;
  private chunkStart = 0;
  private readonly prefix: Buffer;
  private prefixLength = 0;
  private held = 0;
  private peakHeld = 0;
  private keptImports = 0;
  private nameBytes = 0;
  private fat = false;
  /** Fat records (or the thin image's one slice) in header order. */
  private readonly slices: (SliceReader | Anomaly)[] = [];
  /** The code slice's lists, set by finish(). */
  code: MachOCode | undefined;

  /** @internal */
  readonly maxHeldStrtab: number;

  constructor(private readonly ctx: MachOContext, readonly imageLength: number, opts: MachOStreamOptions = {}) {
    this.maxHeldStrtab = opts.maxHeldStrtabBytes ?? MAX_HELD_STRTAB_BYTES;
    this.prefix = Buffer.alloc(Math.min(imageLength, Math.max(FAT_MAGIC_BYTES, opts.prefixBytes ?? DEFAULT_PREFIX_BYTES)));
    this.addHold(this.prefix.length);
    // Throws at once when the declared image cannot hold a header.
    if (imageLength < FAT_MAGIC_BYTES) fatHeaderBytes(Buffer.alloc(0), imageLength, ctx);
    this.add(this.headWant());
  }

  /** Feeds the next bytes of the image; returns false once every byte the facts need has passed. */
  push(chunk: Buffer): boolean {
    if (chunk.length === 0) return this.wants.length > 0;
    if (this.seen < this.prefix.length) {
      const n = Math.min(chunk.length, this.prefix.length - this.seen);
      chunk.copy(this.prefix, this.seen, 0, n);
      this.prefixLength = this.seen + n;
    }
    this.chunk = chunk;
    this.chunkStart = this.seen;
    this.pump();
    this.seen += chunk.length;
    this.chunkStart = this.seen;
    this.chunk = EMPTY;
    return this.wants.length > 0;
  }

  /**
   * The facts, once push() returned false or after the last chunk. Ranges still unread then lie past the end
   * of the data (or past the safety limit `stop` that ended it): anomalies for symbol tables, an error for
   * the headers.
   */
  finish(stop?: EduscanError): MachOFacts {
    const why: Shortfall = stop ? { kind: 'limit', error: stop, available: this.seen } : { kind: 'end', available: this.seen };
    while (this.wants.length > 0) {
      const w = this.wants.shift() as Want;
      if (!w.cancelled) w.short(why);
    }
    const archs: MachOArchDetail[] = [];
    for (const s of this.slices) {
      if (!(s instanceof SliceReader)) {
        this.ctx.anomalies.push(s);
        continue;
      }
      const arch = s.result();
      this.ctx.anomalies.push(...s.anomalies);
      if (arch === undefined) {
        const e = s.error ?? new EduscanError('E_BAD_MACHO', `${this.ctx.entry}: the Mach header at offset ${s.base} was not read`, { offset: s.base });
        if (!this.fat) throw e;
        this.ctx.anomalies.push(sliceUnreadable(this.ctx, e, s.base));
      } else {
        archs.push(arch);
      }
    }
    if (archs.length === 0) throw this.fat ? noSliceReadable(this.ctx, this.slices.length) : new EduscanError('E_BAD_MACHO', `${this.ctx.entry}: no Mach-O header was read`);
    const facts = machoFacts(archs, this.fat, this.ctx);
    this.code = machoCode(archs, this.ctx);
    return facts;
  }

  stats(): MachOStreamStats {
    return { seen: this.seen, peakHeld: this.peakHeld, keptImports: this.keptImports, nameBytes: this.nameBytes };
  }

  /** @internal bookkeeping for the slice readers. */
  addHold(n: number): void {
    this.held += n;
    if (this.held > this.peakHeld) this.peakHeld = this.held;
  }

  /** @internal */
  takeImportQuota(n: number): number {
    const granted = Math.max(0, Math.min(n, MAX_KEPT_IMPORTS - this.keptImports));
    this.keptImports += granted;
    return granted;
  }

  /** @internal */
  takeNameBytes(n: number): boolean {
    if (this.nameBytes + n > MAX_LISTED_NAME_BYTES) return false;
    this.nameBytes += n;
    return true;
  }

  private definedNameBytes = 0;

  /** @internal */
  takeDefinedNameBytes(n: number): boolean {
    if (this.definedNameBytes + n > MAX_DEFINED_NAME_BYTES) return false;
    this.definedNameBytes += n;
    return true;
  }

  /** Registers a range. Bytes already gone are served from the kept prefix when it covers them. */
  add(w: Want): void {
    for (;;) {
      if (w.cancelled) return;
      if (w.pos >= w.end) {
        w.done();
        if (w.cancelled || w.end <= w.pos) return;
        continue;
      }
      if (w.pos >= this.chunkStart) break;
      const behindEnd = Math.min(w.end, this.chunkStart);
      if (behindEnd > this.prefixLength) {
        w.short({ kind: 'behind' });
        return;
      }
      const part = this.prefix.subarray(w.pos, behindEnd);
      w.pos = behindEnd;
      w.take(part);
    }
    this.wants.push(w);
  }

  /** Feeds the current chunk to every range it overlaps, in file order, until none can take more. */
  private pump(): void {
    const end = this.chunkStart + this.chunk.length;
    for (;;) {
      let next: Want | undefined;
      for (let i = 0; i < this.wants.length; i++) {
        const w = this.wants[i] as Want;
        if (w.cancelled || w.pos >= w.end) {
          this.wants.splice(i--, 1);
          continue;
        }
        if (w.pos < end && (next === undefined || w.pos < next.pos)) next = w;
      }
      if (next === undefined) return;
      const w = next;
      // add() served anything behind this chunk, so w.pos >= chunkStart here.
      const to = Math.min(w.end, end);
      const part = this.chunk.subarray(w.pos - this.chunkStart, to - this.chunkStart);
      w.pos = to;
      w.take(part);
      // A finished range is dropped by the next scan unless done() moved its end.
      if (w.pos >= w.end && !w.cancelled) w.done();
    }
  }

  /** The first bytes: a fat header and its records, or the thin image's own header. */
  private headWant(): Want {
    const parts = new Collector(this);
    let fatBytes: number | undefined;
    const w: Want = {
      pos: 0,
      end: FAT_MAGIC_BYTES,
      cancelled: false,
      take: (part) => parts.add(part),
      done: () => {
        if (fatBytes === undefined) {
          const first = parts.bytes();
          fatBytes = fatHeaderBytes(first, this.imageLength, this.ctx) ?? 0;
          if (fatBytes === 0) {
            parts.clear();
            const s = new SliceReader(this, { index: 0, offset: 0, size: this.imageLength, cpuType: 0, cpuSubtype: 0 }, this.ctx.entry, this.ctx.code ?? true);
            this.slices.push(s);
            s.start();
            return;
          }
          this.fat = true;
          if (fatBytes > w.end) {
            w.end = fatBytes;
            return;
          }
        }
        const head = parts.bytes();
        parts.clear();
        const records = readFatRecords(head, this.imageLength, this.ctx);
        const codeIndex = (this.ctx.code ?? true) ? codeSliceIndex(records) : undefined;
        const readers: SliceReader[] = [];
        for (const r of records) {
          if (!isFatSlice(r)) {
            this.slices.push(r);
            continue;
          }
          const s = new SliceReader(this, r, this.ctx.entry, r.index === codeIndex);
          this.slices.push(s);
          readers.push(s);
        }
        for (const s of readers) s.start();
      },
      short: (why) => {
        parts.clear();
        if (why.kind === 'limit') throw why.error;
        const available = why.kind === 'end' ? why.available : 0;
        if (fatBytes === undefined) throw new EduscanError('E_BAD_MACHO', `${this.ctx.entry}: expected a Mach-O header, found ${available} bytes at offset 0`, { offset: 0 });
        throw new EduscanError('E_BAD_MACHO', `${this.ctx.entry}: fat header: the records need ${fatBytes} bytes, the data ends at ${available} at offset ${FAT_MAGIC_BYTES}`, { offset: FAT_MAGIC_BYTES });
      },
    };
    return w;
  }
}

/** Parts of one range as they pass; a range inside one part is not copied. */
class Collector {
  private parts: Buffer[] = [];
  length = 0;
  constructor(private readonly owner: MachOStreamReader) {}
  add(part: Buffer): void {
    this.parts.push(part);
    this.length += part.length;
    this.owner.addHold(part.length);
  }
  bytes(): Buffer {
    if (this.parts.length !== 1) this.parts = [Buffer.concat(this.parts, this.length)];
    return this.parts[0] as Buffer;
  }
  clear(): void {
    this.owner.addHold(-this.length);
    this.parts = [];
    this.length = 0;
  }
}

/** One slice: header, load commands, then its undefined-symbol records and string table. */
class SliceReader {
  readonly anomalies: Anomaly[] = [];
  readonly base: number;
  readonly length: number;
  error: EduscanError | undefined;
  private readonly ctx: MachOContext;
  private arch: MachOArchDetail | undefined;
  private readonly wants: Want[] = [];
  private readonly tableWants: Want[] = [];
  private held: Collector | undefined;
  // Imports: string indexes of the undefined external symbols, in record order.
  private strx = new Uint32Array(0);
  private kept = 0;
  private count = 0;
  private importsCut = false;
  private importsLost = false;
  private strtab: StrtabScanner | undefined;
  // The code slice: defined external symbols (string indexes in record order) and the Objective-C reader.
  private definedStrx = new Uint32Array(0);
  private definedKept = 0;
  private definedCount = 0;
  private objc: ObjcCollector | undefined;

  constructor(private readonly reader: MachOStreamReader, slice: FatSlice, entry: string, private readonly isCode: boolean) {
    this.base = slice.offset;
    this.length = slice.size;
    this.ctx = { anomalies: this.anomalies, entry };
  }

  start(): void {
    this.guard(() => this.reader.add(this.frontWant()));
  }

  /** Runs a step of this slice; a damaged slice stops here, the others go on (the thin image's error is fatal). */
  private guard(step: () => void): void {
    if (this.error) return;
    try {
      step();
    } catch (e) {
      if (!(e instanceof EduscanError)) throw e;
      this.error = e;
      for (const w of this.wants) w.cancelled = true;
    }
  }

  private track(w: Want): Want {
    this.wants.push(w);
    return w;
  }

  /** Header, then load commands, from one range that grows as the header tells how long the commands are. */
  private frontWant(): Want {
    const parts = new Collector(this.reader);
    let hdr: MachHeader | undefined;
    const need = (n: number, what: string): number => {
      if (n > MAX_STREAM_COMMAND_BYTES) throw new EduscanError('E_BAD_MACHO', `${this.ctx.entry}: ${what}: ${n} bytes of header and load commands, more than the ${MAX_STREAM_COMMAND_BYTES} read while streaming at offset ${this.base}`, { offset: this.base });
      return this.base + n;
    };
    const w: Want = {
      pos: this.base,
      end: this.base + Math.min(this.length, MACH_HEADER_MAX),
      cancelled: false,
      take: (part) => parts.add(part),
      done: () => this.guard(() => {
        if (hdr === undefined) {
          hdr = readMachHeader(parts.bytes(), this.length, this.base, this.ctx);
          const cmdsEnd = need(hdr.headerSize + hdr.sizeofcmds, 'load commands');
          if (cmdsEnd > w.end) {
            w.end = cmdsEnd;
            return;
          }
        }
        const bytes = parts.bytes();
        const { arch, tables } = readLoadCommands(bytes, hdr, this.length, this.base, this.ctx);
        parts.clear();
        this.arch = arch;
        if (this.isCode) {
          this.objc = new ObjcCollector(objcLayout(hdr, arch, tables, this.length), this.ctx, this.base);
          arch.defined = { count: 0, names: [] };
          for (const r of this.objc.ranges()) this.reader.add(this.track(this.rangeWant(r)));
        }
        const plan = planImports(tables, hdr, this.length, this.base, arch, this.ctx, this.isCode);
        if (plan) this.readImports(plan);
      }),
      short: (why) => {
        parts.clear();
        const what = hdr === undefined ? 'Mach header' : 'load commands';
        this.guard(() => {
          if (why.kind === 'limit') throw why.error;
          throw new EduscanError('E_BAD_MACHO', why.kind === 'behind'
            ? `${this.ctx.entry}: ${what} at offset ${this.base} lie behind bytes already read; one pass cannot read this layout`
            : `${this.ctx.entry}: ${what}: expected ${w.end - this.base} bytes at offset ${this.base}, the data ends at ${why.available}`, { offset: this.base });
        });
      },
    };
    return this.track(w);
  }

  /** A range of the Objective-C reader as a Want (slice-relative offsets made absolute). */
  private rangeWant(r: ByteRange): Want {
    return {
      pos: this.base + r.start,
      end: this.base + r.end,
      cancelled: false,
      take: (part) => r.take(part),
      done: () => {
        for (const next of r.done()) this.reader.add(this.track(this.rangeWant(next)));
      },
      short: (why) => r.short(why.kind === 'behind'
        ? 'lies behind bytes already read; one pass cannot read this layout'
        : why.kind === 'limit' ? `lies past the ${why.available} bytes read (${why.error.message})` : `runs past the end of the data (${why.available} bytes)`),
    };
  }

  private readImports(plan: ImportPlan): void {
    const arch = this.arch as MachOArchDetail;
    const nlistStart = this.base + plan.nlistOffset;
    const recordsEnd = nlistStart + plan.count * plan.entrySize;
    const carry = Buffer.alloc(plan.entrySize);
    let carried = 0;
    let badNames = 0;
    let badDefined = 0;
    let index = 0;
    let recordsDone = false;
    let stringsDone = false;
    const scanner = new StrtabScanner(this.reader, plan.strsize);
    this.strtab = scanner;
    const { little, strsize } = plan;
    const record = (r: Buffer, at: number): void => {
      const kind = recordKind(plan, index++, r[at + NLIST_TYPE] as number);
      if (kind === undefined) return;
      const x = little ? r.readUInt32LE(at) : r.readUInt32BE(at);
      if (x >= strsize) {
        if (kind === 'import') badNames++;
        else badDefined++;
        return;
      }
      if (kind === 'defined') {
        this.keepDefined(x);
        return;
      }
      this.count++;
      this.keep(x);
    };
    const records: Want = {
      pos: nlistStart,
      end: recordsEnd,
      cancelled: false,
      take: (part) => {
        let p = 0;
        if (carried > 0) {
          const n = Math.min(plan.entrySize - carried, part.length);
          part.copy(carry, carried, 0, n);
          carried += n;
          p = n;
          if (carried < plan.entrySize) return;
          record(carry, 0);
          carried = 0;
        }
        for (; p + plan.entrySize <= part.length; p += plan.entrySize) record(part, p);
        if (p < part.length) {
          part.copy(carry, 0, p);
          carried = part.length - p;
        }
      },
      done: () => {
        recordsDone = true;
        if (badNames > 0) this.anomalies.push(badNamesAnomaly(arch, badNames, this.ctx));
        if (badDefined > 0) this.anomalies.push(badDefinedAnomaly(arch, badDefined, this.ctx));
        scanner.setImports(this.strx.subarray(0, this.kept), Math.min(this.count, MAX_LISTED_SYMBOLS));
        scanner.setDefined(this.definedStrx.subarray(0, this.definedKept));
        if (held.length > 0) {
          const bytes = held.bytes();
          held.clear();
          scanner.feed(bytes);
        }
        if (stringsDone) scanner.end();
      },
      short: (why) => this.loseImports(why, 'MACHO_SYMTAB_OUT_OF_RANGE', `${plan.count} symbol records at ${nlistStart}`, nlistStart),
    };
    // String-table bytes that pass before all the records have been seen wait here (not the usual layout).
    const held = new Collector(this.reader);
    this.held = held;
    const strStart = this.base + plan.stroff;
    const strings: Want = {
      pos: strStart,
      end: strStart + plan.strsize,
      cancelled: false,
      take: (part) => {
        if (recordsDone) {
          scanner.feed(part);
          return;
        }
        if (held.length + part.length > this.reader.maxHeldStrtab) {
          this.loseImports('held', 'MACHO_STRTAB_BEFORE_SYMBOLS', `string table of ${plan.strsize} bytes at ${strStart}`, strStart);
          return;
        }
        held.add(part);
      },
      done: () => {
        stringsDone = true;
        // Held bytes are scanned when the records are complete; the table's end is checked after them.
        if (recordsDone) scanner.end();
      },
      short: (why) => this.loseImports(why, 'MACHO_STRTAB_OUT_OF_RANGE', `string table of ${plan.strsize} bytes at ${strStart}`, strStart),
    };
    this.tableWants.push(records, strings);
    this.reader.add(this.track(records));
    if (!this.importsLost) this.reader.add(this.track(strings));
  }

  private keepDefined(x: number): void {
    this.definedCount++;
    if (this.definedKept >= MAX_DEFINED_SYMBOLS) return;
    if (this.definedKept === this.definedStrx.length) {
      const next = new Uint32Array(Math.min(MAX_DEFINED_SYMBOLS, Math.max(1024, this.definedStrx.length * 2)));
      next.set(this.definedStrx);
      this.definedStrx = next;
    }
    this.definedStrx[this.definedKept++] = x;
  }

  private keep(x: number): void {
    if (this.importsCut) return;
    if (this.kept === this.strx.length) {
      const grow = this.reader.takeImportQuota(Math.max(1024, this.strx.length));
      if (grow === 0) {
        this.importsCut = true;
        return;
      }
      const next = new Uint32Array(this.strx.length + grow);
      next.set(this.strx);
      this.strx = next;
    }
    this.strx[this.kept++] = x;
  }

  /** The tables cannot be read in this pass: the slice's imports are left out, with an anomaly. */
  private loseImports(why: Shortfall | 'held', endCode: string, what: string, offset: number): void {
    if (this.importsLost) return;
    this.importsLost = true;
    for (const w of this.tableWants) w.cancelled = true;
    this.held?.clear();
    const cpu = this.arch?.cpu ?? 'slice';
    let code = endCode;
    let reason: string;
    if (why === 'held') {
      code = 'MACHO_STRTAB_BEFORE_SYMBOLS';
      reason = `comes before the symbol records and is larger than the ${this.reader.maxHeldStrtab} bytes held while streaming`;
    } else if (why.kind === 'behind') {
      code = 'MACHO_NOT_STREAMABLE';
      reason = 'lies behind bytes already read; one pass cannot read this layout';
    } else if (why.kind === 'limit') {
      code = 'MACHO_TABLES_PAST_LIMIT';
      reason = `lies past the ${why.available} bytes read (${why.error.message})`;
    } else {
      reason = `runs past the end of the data (${why.available} bytes)`;
    }
    this.anomalies.push({ code, detail: `${cpu}: ${what} ${reason}; imports not read`, entry: this.ctx.entry, offset });
    if (this.arch) this.arch.tablesUnread = `the symbol tables were not read (${code})`;
  }

  /** The slice's facts, or undefined when it could not be read (see error). */
  result(): MachOArchDetail | undefined {
    const arch = this.arch;
    const s = this.strtab;
    if (this.error || arch === undefined) return undefined;
    if (this.objc) arch.objc = this.objc.result();
    if (this.importsLost || s === undefined) return arch;
    if (arch.defined) {
      arch.defined.count = this.definedCount;
      const names = s.definedNames;
      // Names not kept: not a class symbol (or past the byte budget).
      if (names.size > 0) {
        for (let i = 0; i < this.definedKept; i++) {
          const name = names.get(this.definedStrx[i] as number);
          if (name !== undefined) arch.defined.names.push(name);
        }
      }
    }
    arch.importedSymbolCount = this.count;
    arch.stackCanary = s.found.has('canary');
    arch.arc = s.found.has('arc');
    const listed = Math.min(this.count, MAX_LISTED_SYMBOLS, this.kept);
    for (let i = 0; i < listed; i++) {
      const name = s.names.get(this.strx[i] as number);
      if (name === undefined) break;
      arch.imported.push(name);
    }
    if (this.importsCut) {
      this.anomalies.push({ code: 'MACHO_IMPORTS_TRUNCATED', detail: `${arch.cpu}: ${this.count} imported symbols, only the first ${this.kept} are checked for the stack canary and ARC`, entry: this.ctx.entry });
    }
    if (arch.imported.length < Math.min(this.count, MAX_LISTED_SYMBOLS)) {
      this.anomalies.push({ code: 'MACHO_SYMBOL_NAMES_TRUNCATED', detail: `${arch.cpu}: names of ${arch.imported.length} of ${this.count} imported symbols listed (names are kept up to ${MAX_LISTED_NAME_BYTES} bytes)`, entry: this.ctx.entry });
    }
    return arch;
  }
}

type TargetKind = 'canary' | 'arc';
const TARGETS: { kind: TargetKind; pattern: Buffer }[] = [
  ...STACK_CANARY_SYMBOLS.map((s) => ({ kind: 'canary' as const, pattern: Buffer.from(s + '\0', 'latin1') })),
  { kind: 'arc', pattern: Buffer.from(ARC_SYMBOL + '\0', 'latin1') },
];
const CARRY_BYTES = Math.max(...TARGETS.map((t) => t.pattern.length)) - 1;

/**
 * One string table as it passes: the names of the listed imports (the first MAX_LISTED_SYMBOLS, by index)
 * and of the code slice's defined symbols, and whether any import names one of the canary/ARC symbols. The
 * latter does not need every name: the positions where such a name is spelled are found with a substring
 * search, then looked up among the (sorted) import indexes.
 */
class StrtabScanner {
  readonly found = new Set<TargetKind>();
  private sortedAll = new Uint32Array(0);
  private readonly imports: NameReader;
  private readonly defined: NameReader;
  private offset = 0;
  private carry = Buffer.alloc(0);

  constructor(reader: MachOStreamReader, private readonly size: number) {
    this.imports = new NameReader(size, (n) => reader.takeNameBytes(n));
    this.defined = new NameReader(size, (n) => reader.takeDefinedNameBytes(n), DEFINED_CLASS_PREFIX);
  }

  get names(): Map<number, string> {
    return this.imports.names;
  }

  get definedNames(): Map<number, string> {
    return this.defined.names;
  }

  setImports(strx: Uint32Array, listed: number): void {
    this.sortedAll = Uint32Array.from(strx).sort();
    this.imports.setStarts(strx.subarray(0, listed));
  }

  setDefined(strx: Uint32Array): void {
    this.defined.setStarts(strx);
  }

  /** The next bytes of the table (in order). */
  feed(part: Buffer): void {
    const off = this.offset;
    this.findTargets(part, off);
    this.imports.feed(part, off);
    this.defined.feed(part, off);
    this.offset += part.length;
  }

  /** The table is complete: a target name may end exactly at its end, without a NUL. */
  end(): void {
    for (const t of TARGETS) {
      const name = t.pattern.subarray(0, t.pattern.length - 1);
      const at = this.size - name.length;
      if (at >= 0 && this.carry.length >= name.length && this.carry.subarray(this.carry.length - name.length).equals(name)) this.hit(t.kind, at);
    }
    this.imports.end();
    this.defined.end();
  }

  private hit(kind: TargetKind, at: number): void {
    if (this.found.has(kind)) return;
    // Binary search among the sorted import indexes.
    let lo = 0;
    let hi = this.sortedAll.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.sortedAll[mid] as number) < at) lo = mid + 1;
      else hi = mid;
    }
    if (this.sortedAll[lo] === at) this.found.add(kind);
  }

  private findTargets(part: Buffer, off: number): void {
    if (this.found.size === 2) return;
    // Matches that start in the carried tail of the previous part and end in this one.
    if (this.carry.length > 0) {
      const joint = Buffer.concat([this.carry, part.subarray(0, CARRY_BYTES)]);
      for (const t of TARGETS) {
        for (let i = joint.indexOf(t.pattern); i >= 0 && i < this.carry.length; i = joint.indexOf(t.pattern, i + 1)) {
          if (i + t.pattern.length > this.carry.length) this.hit(t.kind, off - this.carry.length + i);
        }
      }
    }
    for (const t of TARGETS) {
      for (let i = part.indexOf(t.pattern); i >= 0; i = part.indexOf(t.pattern, i + 1)) this.hit(t.kind, off + i);
    }
    this.carry = part.length >= CARRY_BYTES
      ? Buffer.from(part.subarray(part.length - CARRY_BYTES))
      : Buffer.concat([this.carry, part]).subarray(-CARRY_BYTES);
  }
}

/**
 * Whether b[at..end) can start with `prefix`: a byte loop, not Buffer#compare, whose argument checks cost
 * more than the few bytes most names take to differ. A prefix cut by `end` counts as a match (name() checks it
 * once the name is whole).
 */
function startsWithPrefix(b: Buffer, at: number, end: number, prefix: Buffer): boolean {
  const n = Math.min(prefix.length, end - at);
  for (let i = 0; i < n; i++) if (b[at + i] !== prefix[i]) return false;
  return true;
}

/** The names at a set of string-table indexes, read as the table passes, within a byte budget. */
class NameReader {
  readonly names = new Map<number, string>();
  /** Sorted distinct indexes whose names are read, and the next one to read. */
  private starts = new Uint32Array(0);
  private next = 0;
  private open: { start: number; limit: number; parts: Buffer[] }[] = [];
  private cut = false;

  /** `prefix`: only names that start with it are kept (the others cost a byte comparison). */
  constructor(private readonly size: number, private readonly budget: (n: number) => boolean, private readonly prefix?: Buffer) {}

  setStarts(strx: Uint32Array): void {
    const sorted = Uint32Array.from(strx).sort();
    let n = 0;
    for (let i = 0; i < sorted.length; i++) if (i === 0 || sorted[i] !== sorted[i - 1]) sorted[n++] = sorted[i] as number;
    this.starts = sorted.subarray(0, n);
  }

  end(): void {
    this.open = [];
  }

  feed(part: Buffer, off: number): void {
    const end = off + part.length;
    // Names begun in an earlier part.
    const still: typeof this.open = [];
    for (const o of this.open) {
      const stop = Math.min(part.length, o.limit - off);
      const nul = part.subarray(0, stop).indexOf(0);
      if (nul >= 0) this.name(o.start, [...o.parts, part.subarray(0, nul)]);
      else if (off + stop >= o.limit) this.name(o.start, [...o.parts, part.subarray(0, stop)]);
      else {
        o.parts.push(part.subarray(0, stop));
        still.push(o);
      }
    }
    this.open = still;
    while (this.next < this.starts.length && (this.starts[this.next] as number) < end && !this.cut) {
      const start = this.starts[this.next++] as number;
      const limit = Math.min(this.size, start + MAX_SYMBOL_NAME);
      const rel = start - off;
      if (this.prefix && !startsWithPrefix(part, rel, Math.min(part.length, limit - off), this.prefix)) continue;
      const stop = Math.min(part.length, limit - off);
      const nul = part.subarray(rel, stop).indexOf(0);
      if (nul >= 0) this.name(start, [part.subarray(rel, rel + nul)]);
      else if (off + stop >= limit) this.name(start, [part.subarray(rel, stop)]);
      else this.open.push({ start, limit, parts: [part.subarray(rel, stop)] });
    }
  }

  private name(start: number, parts: Buffer[]): void {
    if (this.cut) return;
    const bytes = parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts);
    if (this.prefix && (bytes.length < this.prefix.length || bytes.compare(this.prefix, 0, this.prefix.length, 0, this.prefix.length) !== 0)) return;
    if (!this.budget(bytes.length)) {
      this.cut = true;
      this.open = [];
      return;
    }
    this.names.set(start, bytes.toString('utf8'));
  }
}

/**
 * Reads the facts from chunks of the image in order, and stops consuming them (ending the iteration, so an
 * inflating source can stop) as soon as the last needed byte has passed. `imageLength` is the declared size.
 */
export async function readMachOStream(chunks: AsyncIterable<Buffer>, imageLength: number, ctx: MachOContext, opts: MachOStreamOptions = {}): Promise<{ facts: MachOFacts; stats: MachOStreamStats; code?: MachOCode }> {
  const reader = new MachOStreamReader(ctx, imageLength, opts);
  let stop: LimitError | undefined;
  try {
    for await (const chunk of chunks) {
      if (!reader.push(chunk)) break;
    }
  } catch (e) {
    // A source that stops at a safety limit still leaves the headers read so far: keep what they say.
    if (!(e instanceof LimitError)) throw e;
    stop = e;
  }
  const facts = reader.finish(stop);
  return { facts, stats: reader.stats(), ...(reader.code ? { code: reader.code } : {}) };
}
