// A DEX file (classes*.dex) read in place: the header, then the id tables (strings, types, protos, fields,
// methods) and the class definitions, each item read when asked for. Strings are decoded lazily; callers
// that only need to know whether a string starts with some bytes compare raw MUTF-8 (startsWith).
// Every offset and count is checked against the bytes there are; structures a hostile file makes overlap
// are paid for from a work budget proportional to the file size, so no input can make reading quadratic.
import { EduscanError, type Anomaly } from '../errors.js';
import { decodeMutf8, isAscii } from './mutf8.js';

// header_item (all little-endian u32 after the 8-byte magic and the 20-byte signature)
//   0x00 magic "dex\n" + 3 version digits + "\0" | 0x08 checksum (adler32) | 0x0c signature (SHA-1, 20)
//   0x20 file_size | 0x24 header_size | 0x28 endian_tag | 0x2c link_size | 0x30 link_off | 0x34 map_off
//   0x38 string_ids_size | 0x3c string_ids_off | 0x40 type_ids_size | 0x44 type_ids_off
//   0x48 proto_ids_size | 0x4c proto_ids_off | 0x50 field_ids_size | 0x54 field_ids_off
//   0x58 method_ids_size | 0x5c method_ids_off | 0x60 class_defs_size | 0x64 class_defs_off
//   0x68 data_size | 0x6c data_off
//   version 041 only: 0x70 container_size | 0x74 header_offset (several dex files in one container)
const HEADER_SIZE_V35 = 0x70;
const HEADER_SIZE_V41 = 0x78;
const OFF_CHECKSUM = 0x08;
const OFF_FILE_SIZE = 0x20;
const OFF_HEADER_SIZE = 0x24;
const OFF_ENDIAN_TAG = 0x28;
const OFF_MAP = 0x34;
const OFF_STRING_IDS = 0x38;
const OFF_TYPE_IDS = 0x40;
const OFF_PROTO_IDS = 0x48;
const OFF_FIELD_IDS = 0x50;
const OFF_METHOD_IDS = 0x58;
const OFF_CLASS_DEFS = 0x60;
const OFF_DATA = 0x68;
const OFF_CONTAINER_SIZE = 0x70;
const OFF_HEADER_OFFSET = 0x74;
const ENDIAN_CONSTANT = 0x12345678;
const REVERSE_ENDIAN_CONSTANT = 0x78563412;
const MAGIC = Buffer.from('dex\n', 'latin1');
const MIN_VERSION = 35;
const MAX_VERSION = 41;
const CONTAINER_VERSION = 41;

// Item sizes: string_id_item u32 string_data_off | type_id_item u32 descriptor_idx |
// proto_id_item u32 shorty_idx, u32 return_type_idx, u32 parameters_off |
// field_id_item u16 class_idx, u16 type_idx, u32 name_idx | method_id_item u16 class_idx, u16 proto_idx, u32 name_idx |
// class_def_item u32 class_idx, access_flags, superclass_idx, interfaces_off, source_file_idx, annotations_off,
// class_data_off, static_values_off.
const STRING_ID_SIZE = 4;
const TYPE_ID_SIZE = 4;
const PROTO_ID_SIZE = 12;
const FIELD_ID_SIZE = 8;
const METHOD_ID_SIZE = 8;
const CLASS_DEF_SIZE = 32;
/** type_ids and proto_ids are indexed by u16 in the other tables. */
const MAX_U16_TABLE = 65536;
const NO_INDEX = 0xffffffff;
/** A uleb128 in a DEX file encodes at most 32 bits: five bytes. */
const MAX_ULEB_BYTES = 5;
/** Work (bytes and code units looked at) allowed per byte of file, beyond a fixed allowance. */
const WORK_PER_BYTE = 4;
const WORK_ALLOWANCE = 1 << 20;

export interface DexTable {
  size: number;
  off: number;
}

export interface DexHeader {
  /** 35 … 41 */
  version: number;
  checksum: number;
  fileSize: number;
  headerSize: number;
  mapOff: number;
  stringIds: DexTable;
  typeIds: DexTable;
  protoIds: DexTable;
  fieldIds: DexTable;
  methodIds: DexTable;
  classDefs: DexTable;
  data: DexTable;
  /** Version 041: where this header sits in the container, and the container's size. */
  headerOffset: number;
  containerSize?: number;
}

export interface ClassDef {
  classIdx: number;
  accessFlags: number;
  superclassIdx: number;
  classDataOff: number;
}

export interface DexOpenOptions {
  anomalies?: Anomaly[];
  /** Zip entry the bytes came from, for messages and anomalies. */
  entry?: string;
  /** Version 041 containers: offset of the header to read (default 0). */
  headerOffset?: number;
}

export function dexError(entry: string | undefined, what: string, offset?: number): EduscanError {
  return new EduscanError('E_BAD_DEX', `${entry ?? 'dex'}: ${what}`, offset === undefined ? {} : { offset });
}

export function looksLikeDex(buf: Uint8Array): boolean {
  return buf.length >= 8 && buf[0] === 0x64 && buf[1] === 0x65 && buf[2] === 0x78 && buf[3] === 0x0a;
}

export class DexFile {
  readonly header: DexHeader;
  readonly entry: string | undefined;
  /** End of the bytes this dex may refer to (the file, or the whole container for 041). */
  readonly end: number;
  private work = 0;
  private readonly workBudget: number;
  private readonly strings = new Map<number, string>();

  constructor(readonly buf: Buffer, opts: DexOpenOptions = {}) {
    this.entry = opts.entry;
    this.header = readHeader(buf, opts.headerOffset ?? 0, opts);
    this.end = this.header.containerSize ?? this.header.headerOffset + this.header.fileSize;
    this.workBudget = WORK_ALLOWANCE + WORK_PER_BYTE * this.end;
  }

  get stringCount(): number {
    return this.header.stringIds.size;
  }
  get typeCount(): number {
    return this.header.typeIds.size;
  }
  get fieldCount(): number {
    return this.header.fieldIds.size;
  }
  get methodCount(): number {
    return this.header.methodIds.size;
  }
  get classCount(): number {
    return this.header.classDefs.size;
  }

  fail(what: string, offset?: number): never {
    throw dexError(this.entry, what, offset);
  }

  /** Charges `n` units of work; throws once the file has cost more than its size allows. */
  charge(n: number): void {
    this.work += n;
    if (this.work > this.workBudget) {
      this.fail(`overlapping or repeated structures: reading needs more than ${this.workBudget} steps for ${this.end} bytes`);
    }
  }

  u16(p: number): number {
    if (p < 0 || p + 2 > this.end) this.fail(`expected a u16 at offset ${p}, the file has ${this.end} bytes`, p);
    return this.buf[p]! | (this.buf[p + 1]! << 8);
  }

  u32(p: number): number {
    if (p < 0 || p + 4 > this.end) this.fail(`expected a u32 at offset ${p}, the file has ${this.end} bytes`, p);
    return this.buf.readUInt32LE(p);
  }

  /** Offset after the last uleb128 read by readUleb (no object per value: class data holds millions). */
  ulebEnd = 0;

  /** uleb128 at `p`; the offset after it is left in ulebEnd. */
  readUleb(p: number): number {
    const buf = this.buf;
    if (p >= 0 && p + MAX_ULEB_BYTES <= this.end) {
      // Unrolled, with integer shifts: class data is millions of these (a loop with 2 ** n was a fifth of a scan).
      let b = buf[p]!;
      if (b < 0x80) {
        this.ulebEnd = p + 1;
        return b;
      }
      let v = b & 0x7f;
      b = buf[p + 1]!;
      v |= (b & 0x7f) << 7;
      if (b < 0x80) {
        this.ulebEnd = p + 2;
        return v;
      }
      b = buf[p + 2]!;
      v |= (b & 0x7f) << 14;
      if (b < 0x80) {
        this.ulebEnd = p + 3;
        return v;
      }
      b = buf[p + 3]!;
      v |= (b & 0x7f) << 21;
      if (b < 0x80) {
        this.ulebEnd = p + 4;
        return v;
      }
      b = buf[p + 4]!;
      if (b < 0x80) {
        this.ulebEnd = p + 5;
        // Bits above 32 fall away, as in the general loop below.
        return (v | (b << 28)) >>> 0;
      }
      this.fail(`uleb128 at offset ${p} is longer than ${MAX_ULEB_BYTES} bytes`, p);
    }
    if (p < this.end && buf[p]! < 0x80) {
      this.ulebEnd = p + 1;
      return buf[p]!;
    }
    let value = 0;
    for (let i = 0; i < MAX_ULEB_BYTES; i++) {
      if (p + i >= this.end) this.fail(`uleb128 at offset ${p} runs past the end of the file (${this.end} bytes)`, p);
      const b = buf[p + i]!;
      value += (b & 0x7f) * 2 ** (7 * i);
      if ((b & 0x80) === 0) {
        this.ulebEnd = p + i + 1;
        return value >>> 0;
      }
    }
    this.fail(`uleb128 at offset ${p} is longer than ${MAX_ULEB_BYTES} bytes`, p);
  }

  /** uleb128 at `p`: its value and the offset after it. */
  uleb(p: number): { value: number; next: number } {
    const value = this.readUleb(p);
    return { value, next: this.ulebEnd };
  }

  /** Offset of string `idx`'s MUTF-8 bytes, and the UTF-16 length the file declares for it. */
  stringDataAt(idx: number): { start: number; utf16Size: number } {
    if (idx < 0 || idx >= this.header.stringIds.size) this.fail(`string index ${idx} out of range (${this.header.stringIds.size} strings)`);
    const off = this.buf.readUInt32LE(this.header.stringIds.off + idx * STRING_ID_SIZE);
    const utf16Size = this.readUleb(off);
    return { start: this.ulebEnd, utf16Size };
  }

  /** UTF-16 length declared by the string last located with stringStart (or stringEnd). */
  lastUtf16Size = 0;
  /** Start of the string last located with stringEnd. */
  lastStringStart = 0;

  /** Offset of string `idx`'s MUTF-8 bytes (stringDataAt without the object; the size goes to lastUtf16Size). */
  stringStart(idx: number): number {
    if (idx < 0 || idx >= this.header.stringIds.size) this.fail(`string index ${idx} out of range (${this.header.stringIds.size} strings)`);
    this.lastUtf16Size = this.readUleb(this.buf.readUInt32LE(this.header.stringIds.off + idx * STRING_ID_SIZE));
    return this.ulebEnd;
  }

  /**
   * Offset of string `idx`'s NUL terminator, checked and charged exactly as stringBytes does, without a
   * subarray per call (the fast paths check thousands of strings they never decode).
   */
  stringEnd(idx: number): number {
    const start = this.stringStart(idx);
    this.lastStringStart = start;
    const limit = Math.min(this.end, start + this.lastUtf16Size * 3 + 1);
    const buf = this.buf;
    let p = start;
    while (p < limit && buf[p] !== 0) p++;
    this.charge(p < limit ? p - start + 1 : limit - start);
    if (p >= limit) this.fail(`string ${idx} at offset ${start}: no NUL within the ${this.lastUtf16Size} UTF-16 units it declares`, start);
    return p;
  }

  /** [start, end) of string `idx`'s MUTF-8 bytes (end is its NUL terminator). */
  stringBytes(idx: number): { start: number; end: number } {
    const { start, utf16Size } = this.stringDataAt(idx);
    // One UTF-16 unit takes at most 3 MUTF-8 bytes, so the NUL is no further than that.
    const limit = Math.min(this.end, start + utf16Size * 3 + 1);
    const rel = this.buf.subarray(start, limit).indexOf(0);
    this.charge(rel < 0 ? limit - start : rel + 1);
    if (rel < 0) this.fail(`string ${idx} at offset ${start}: no NUL within the ${utf16Size} UTF-16 units it declares`, start);
    return { start, end: start + rel };
  }

  string(idx: number): string {
    const cached = this.strings.get(idx);
    if (cached !== undefined) return cached;
    const { start, end } = this.stringBytes(idx);
    const s = decodeMutf8(this.buf, start, end);
    this.strings.set(idx, s);
    return s;
  }

  /** Whether string `idx` starts with `prefix` (raw MUTF-8 bytes); reads no more than the prefix. */
  stringStartsWith(idx: number, prefix: Uint8Array): boolean {
    const { start } = this.stringDataAt(idx);
    if (start + prefix.length > this.end) return false;
    this.charge(1);
    for (let i = 0; i < prefix.length; i++) if (this.buf[start + i] !== prefix[i]) return false;
    return true;
  }

  /** Whether string `idx` is exactly `bytes` (raw MUTF-8). */
  stringEquals(idx: number, bytes: Uint8Array): boolean {
    const { start, utf16Size } = this.stringDataAt(idx);
    if (start + bytes.length + 1 > this.end) return false;
    this.charge(1);
    if (this.buf[start + bytes.length] !== 0) return false;
    for (let i = 0; i < bytes.length; i++) if (this.buf[start + i] !== bytes[i]) return false;
    // An ASCII string's UTF-16 length is its byte length; a mismatch means the bytes are not what they seem.
    return !isAscii(bytes, 0, bytes.length) || utf16Size === bytes.length;
  }

  typeStringIdx(typeIdx: number): number {
    if (typeIdx < 0 || typeIdx >= this.header.typeIds.size) this.fail(`type index ${typeIdx} out of range (${this.header.typeIds.size} types)`);
    return this.buf.readUInt32LE(this.header.typeIds.off + typeIdx * TYPE_ID_SIZE);
  }

  /** Type descriptor, e.g. "Landroid/telephony/TelephonyManager;". */
  typeDescriptor(typeIdx: number): string {
    return this.string(this.typeStringIdx(typeIdx));
  }

  methodClassIdx(m: number): number {
    const p = this.methodAt(m);
    return this.buf[p]! | (this.buf[p + 1]! << 8);
  }
  methodProtoIdx(m: number): number {
    const p = this.methodAt(m) + 2;
    return this.buf[p]! | (this.buf[p + 1]! << 8);
  }
  methodNameIdx(m: number): number {
    return this.buf.readUInt32LE(this.methodAt(m) + 4);
  }

  fieldClassIdx(f: number): number {
    const p = this.fieldAt(f);
    return this.buf[p]! | (this.buf[p + 1]! << 8);
  }
  fieldTypeIdx(f: number): number {
    const p = this.fieldAt(f) + 2;
    return this.buf[p]! | (this.buf[p + 1]! << 8);
  }
  fieldNameIdx(f: number): number {
    return this.buf.readUInt32LE(this.fieldAt(f) + 4);
  }

  /** Return type and parameter type indexes of proto `p`. */
  proto(p: number): { returnTypeIdx: number; parameters: number[] } {
    if (p < 0 || p >= this.header.protoIds.size) this.fail(`proto index ${p} out of range (${this.header.protoIds.size} protos)`);
    const at = this.header.protoIds.off + p * PROTO_ID_SIZE;
    const returnTypeIdx = this.buf.readUInt32LE(at + 4);
    const paramsOff = this.buf.readUInt32LE(at + 8);
    const parameters: number[] = [];
    if (paramsOff !== 0) {
      // type_list: u32 size, then u16 type_idx[size]
      const n = this.u32(paramsOff);
      if (paramsOff + 4 + n * 2 > this.end) this.fail(`proto ${p}: ${n} parameters at offset ${paramsOff} run past the end of the file`, paramsOff);
      this.charge(n);
      for (let i = 0; i < n; i++) parameters.push(this.u16(paramsOff + 4 + i * 2));
    }
    return { returnTypeIdx, parameters };
  }

  classDef(i: number): ClassDef {
    if (i < 0 || i >= this.header.classDefs.size) this.fail(`class_def ${i} out of range (${this.header.classDefs.size} classes)`);
    const at = this.header.classDefs.off + i * CLASS_DEF_SIZE;
    return {
      classIdx: this.buf.readUInt32LE(at),
      accessFlags: this.buf.readUInt32LE(at + 4),
      superclassIdx: this.buf.readUInt32LE(at + 8),
      classDataOff: this.buf.readUInt32LE(at + 24),
    };
  }

  /** class_data_off of class_def `i` (0: no fields or methods). */
  classDataOff(i: number): number {
    if (i < 0 || i >= this.header.classDefs.size) this.fail(`class_def ${i} out of range (${this.header.classDefs.size} classes)`);
    return this.buf.readUInt32LE(this.header.classDefs.off + i * CLASS_DEF_SIZE + 24);
  }

  /** Type index of the class defined by class_def `i`. */
  classDefTypeIdx(i: number): number {
    if (i < 0 || i >= this.header.classDefs.size) this.fail(`class_def ${i} out of range (${this.header.classDefs.size} classes)`);
    return this.buf.readUInt32LE(this.header.classDefs.off + i * CLASS_DEF_SIZE);
  }

  classDescriptor(i: number): string {
    return this.typeDescriptor(this.classDefTypeIdx(i));
  }

  private methodAt(m: number): number {
    if (m < 0 || m >= this.header.methodIds.size) this.fail(`method index ${m} out of range (${this.header.methodIds.size} methods)`);
    return this.header.methodIds.off + m * METHOD_ID_SIZE;
  }

  private fieldAt(f: number): number {
    if (f < 0 || f >= this.header.fieldIds.size) this.fail(`field index ${f} out of range (${this.header.fieldIds.size} fields)`);
    return this.header.fieldIds.off + f * FIELD_ID_SIZE;
  }
}

function readHeader(buf: Buffer, base: number, opts: DexOpenOptions): DexHeader {
  const entry = opts.entry;
  const fail = (what: string, offset?: number): never => {
    throw dexError(entry, what, offset);
  };
  if (!Number.isInteger(base) || base < 0 || base + HEADER_SIZE_V35 > buf.length) {
    fail(`expected a ${HEADER_SIZE_V35}-byte header at offset ${base}, found ${Math.max(0, buf.length - base)} bytes`, base);
  }
  if (!buf.subarray(base, base + 4).equals(MAGIC) || buf[base + 7] !== 0) {
    fail(`expected the magic "dex\\n0NN\\0", found ${JSON.stringify(buf.toString('latin1', base, base + 8))}`, base);
  }
  const digits = buf.toString('latin1', base + 4, base + 7);
  const version = /^\d{3}$/.test(digits) ? Number(digits) : NaN;
  if (!(version >= MIN_VERSION && version <= MAX_VERSION)) {
    fail(`expected DEX version 035 to 041, found ${JSON.stringify(digits)}`, base + 4);
  }
  const u32 = (o: number): number => buf.readUInt32LE(base + o);
  const endian = u32(OFF_ENDIAN_TAG);
  if (endian !== ENDIAN_CONSTANT) {
    fail(`expected endian_tag 0x12345678, found 0x${endian.toString(16)}${endian === REVERSE_ENDIAN_CONSTANT ? ' (big-endian DEX, which Android does not load)' : ''}`, base + OFF_ENDIAN_TAG);
  }
  const headerSize = u32(OFF_HEADER_SIZE);
  const fileSize = u32(OFF_FILE_SIZE);
  let containerSize: number | undefined;
  if (version >= CONTAINER_VERSION) {
    if (headerSize < HEADER_SIZE_V41 || base + headerSize > buf.length) fail(`expected header_size ≥ ${HEADER_SIZE_V41} for version ${version}, found ${headerSize}`, base + OFF_HEADER_SIZE);
    containerSize = u32(OFF_CONTAINER_SIZE);
    const headerOffset = u32(OFF_HEADER_OFFSET);
    if (headerOffset !== base) fail(`header_offset says ${headerOffset}, the header is at ${base}`, base + OFF_HEADER_OFFSET);
    if (containerSize > buf.length) fail(`container_size is ${containerSize}, only ${buf.length} bytes are there`, base + OFF_CONTAINER_SIZE);
    if (containerSize < buf.length) note(opts, 'DEX_TRAILING_BYTES', `${buf.length - containerSize} bytes after the ${containerSize}-byte container`);
    if (base + fileSize > containerSize || fileSize < headerSize) fail(`file_size ${fileSize} at header offset ${base} does not fit the ${containerSize}-byte container`, base + OFF_FILE_SIZE);
  } else {
    if (headerSize !== HEADER_SIZE_V35) fail(`expected header_size ${HEADER_SIZE_V35}, found ${headerSize}`, OFF_HEADER_SIZE);
    if (fileSize > buf.length) fail(`file_size says ${fileSize} bytes, only ${buf.length} are there (truncated)`, OFF_FILE_SIZE);
    if (fileSize < headerSize) fail(`file_size ${fileSize} is smaller than the header`, OFF_FILE_SIZE);
    if (fileSize < buf.length) note(opts, 'DEX_TRAILING_BYTES', `${buf.length - fileSize} bytes after the ${fileSize} bytes file_size declares`);
  }
  // Offsets are from the start of the file; in a 041 container, from the start of the container.
  const end = containerSize ?? fileSize;
  const table = (o: number, itemSize: number, name: string, maxSize = Infinity): DexTable => {
    const size = u32(o);
    const off = u32(o + 4);
    if (size === 0) return { size, off };
    if (size > maxSize) fail(`${name}_size ${size} is more than ${maxSize - 1} + 1`, base + o);
    if (off < base + headerSize || off + size * itemSize > end) {
      fail(`${name}: ${size} items of ${itemSize} bytes at offset ${off} do not fit between the header and the end of the file (${end} bytes)`, base + o + 4);
    }
    return { size, off };
  };
  const data = { size: u32(OFF_DATA), off: u32(OFF_DATA + 4) };
  if (data.off + data.size > end) note(opts, 'DEX_DATA_OUT_OF_RANGE', `data section (${data.size} bytes at ${data.off}) runs past the end of the file (${end} bytes)`);
  return {
    version,
    checksum: u32(OFF_CHECKSUM),
    fileSize,
    headerSize,
    mapOff: u32(OFF_MAP),
    stringIds: table(OFF_STRING_IDS, STRING_ID_SIZE, 'string_ids'),
    typeIds: table(OFF_TYPE_IDS, TYPE_ID_SIZE, 'type_ids', MAX_U16_TABLE),
    protoIds: table(OFF_PROTO_IDS, PROTO_ID_SIZE, 'proto_ids', MAX_U16_TABLE),
    fieldIds: table(OFF_FIELD_IDS, FIELD_ID_SIZE, 'field_ids'),
    methodIds: table(OFF_METHOD_IDS, METHOD_ID_SIZE, 'method_ids'),
    classDefs: table(OFF_CLASS_DEFS, CLASS_DEF_SIZE, 'class_defs'),
    data,
    headerOffset: base,
    ...(containerSize === undefined ? {} : { containerSize }),
  };
}

function note(opts: DexOpenOptions, code: string, detail: string): void {
  opts.anomalies?.push({ code, detail, ...(opts.entry === undefined ? {} : { entry: opts.entry }) });
}

/** Offsets of every dex header in a buffer: one for versions up to 040, each file of a 041 container. */
export function dexHeaderOffsets(buf: Buffer, opts: DexOpenOptions = {}): number[] {
  const first = new DexFile(buf, { ...opts, anomalies: [] });
  if (first.header.containerSize === undefined) return [0];
  const out: number[] = [];
  let at = 0;
  while (at < first.header.containerSize) {
    const h = at === 0 ? first.header : new DexFile(buf, { ...opts, anomalies: [], headerOffset: at }).header;
    out.push(at);
    // file_size of a 041 header is the distance to the next header (or to the end of the container).
    at += h.fileSize;
    if (h.fileSize === 0) break;
  }
  return out;
}

export { NO_INDEX };
