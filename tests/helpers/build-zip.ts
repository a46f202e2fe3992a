// Writes zip archives byte by byte so tests can produce exactly the malformation they need (header
// mismatches, overlapping records, shifted offsets, zip64 records, lying sizes). Plain well-formed archives
// can also come from adm-zip; this builder exists for the ones no zip library would write.
import { crc32, deflateRawSync } from 'node:zlib';

// Local file header
//   0 u32 signature | 4 u16 version needed | 6 u16 flags | 8 u16 method | 10 u16 time | 12 u16 date
//  14 u32 crc | 18 u32 compressed size | 22 u32 uncompressed size | 26 u16 name length | 28 u16 extra length
//  30 name | extra | data
const LOCAL_SIGNATURE = 0x04034b50;
const LOCAL_HEADER_SIZE = 30;
// Central directory file header
//   0 u32 signature | 4 u16 made by | 6 u16 needed | 8 u16 flags | 10 u16 method | 12 u16 time | 14 u16 date
//  16 u32 crc | 20 u32 compressed | 24 u32 uncompressed | 28 u16 name length | 30 u16 extra length
//  32 u16 comment length | 34 u16 disk | 36 u16 internal attrs | 38 u32 external attrs | 42 u32 local offset | 46 name
const CD_SIGNATURE = 0x02014b50;
const CD_HEADER_SIZE = 46;
// End of central directory record
//   0 u32 signature | 4 u16 disk | 6 u16 cd disk | 8 u16 entries on disk | 10 u16 entries total
//  12 u32 cd size | 16 u32 cd offset | 20 u16 comment length | 22 comment
const EOCD_SIGNATURE = 0x06054b50;
const EOCD_SIZE = 22;
// Zip64 end of central directory record (56 bytes as written here)
//   0 u32 signature | 4 u64 size of the rest (44) | 12 u16 made by | 14 u16 needed | 16 u32 disk | 20 u32 cd disk
//  24 u64 entries on disk | 32 u64 entries total | 40 u64 cd size | 48 u64 cd offset
const ZIP64_EOCD_SIGNATURE = 0x06064b50;
const ZIP64_EOCD_SIZE = 56;
// Zip64 end of central directory locator
//   0 u32 signature | 4 u32 disk with the zip64 EOCD | 8 u64 zip64 EOCD offset | 16 u32 total disks
const ZIP64_LOCATOR_SIGNATURE = 0x07064b50;
const ZIP64_LOCATOR_SIZE = 20;
const ZIP64_EXTRA_ID = 0x0001;
const DATA_DESCRIPTOR_SIGNATURE = 0x08074b50;
const DATA_DESCRIPTOR_SIZE = 16;
const FLAG_DATA_DESCRIPTOR = 0x0008;

export const STORED = 0;
export const DEFLATED = 8;
export const U32_MAX = 0xffffffff;
const VERSION_20 = 20;
const VERSION_ZIP64 = 45;
const DOS_DATE_1980_01_01 = 0x0021;

export interface HeaderFields {
  name: string | Buffer;
  flags: number;
  method: number;
  crc: number;
  compressedSize: number;
  uncompressedSize: number;
  extra: Buffer;
}

export interface CentralFields extends HeaderFields {
  localHeaderOffset: number;
  comment: Buffer;
}

export interface BuildEntry {
  name: string | Buffer;
  /** Uncompressed content (default empty). */
  data?: Buffer | string;
  /** Default DEFLATED. DEFLATED deflates `data`; any other method stores `data` as-is unless `raw` is given. */
  method?: number;
  /** Exact bytes written as the entry's data, whatever the method says (sizes/CRC still describe `data`). */
  raw?: Buffer;
  flags?: number;
  /** Overrides in the local header only. */
  local?: Partial<HeaderFields>;
  /** Overrides in the central directory record only. */
  central?: Partial<CentralFields>;
  /** Central record carries 0xffffffff sizes/offset and a zip64 extra field with the real values. */
  zip64?: boolean;
  /** No local header or data of its own: the central record points at entry N's local header (overlap). */
  sameDataAs?: number;
  /** Set flag bit 3, zero the local CRC/sizes and write a data descriptor (with signature) after the data. */
  dataDescriptor?: boolean;
}

export interface BuildOptions {
  /** Bytes before the archive (a DEX for the Janus trick, a self-extractor stub...). */
  prefix?: Buffer;
  /** Offsets count the prefix (as `zip -A` fixes them); false leaves them relative to the archive start. */
  adjustOffsets?: boolean;
  comment?: Buffer;
  /** Overrides of EOCD fields. */
  eocd?: Partial<{ entriesHere: number; entriesTotal: number; cdSize: number; cdOffset: number; commentLength: number }>;
  /** Write a zip64 EOCD record and locator; the classic EOCD then holds 0xffff/0xffffffff markers. */
  zip64?: boolean;
  /** Overrides of zip64 EOCD fields. */
  zip64Eocd?: Partial<{ entriesTotal: bigint; cdSize: bigint; cdOffset: bigint }>;
  /** Bytes between the central directory and the end record(s) (where an APK Signing Block must NOT be). */
  beforeEocd?: Buffer;
  /** Bytes between the last entry's data and the central directory (where the APK Signing Block lives). */
  beforeCd?: Buffer;
  /** Bytes after the end record. */
  trailing?: Buffer;
}

export interface BuiltZip {
  bytes: Buffer;
  /** Absolute offsets of each entry's local header (as pointed at, including overlaps). */
  localOffsets: number[];
  cdOffset: number;
  cdSize: number;
  eocdOffset: number;
}

const asBuffer = (b: string | Buffer): Buffer => (typeof b === 'string' ? Buffer.from(b, 'utf8') : b);

function localHeader(f: HeaderFields): Buffer {
  const name = asBuffer(f.name);
  const h = Buffer.alloc(LOCAL_HEADER_SIZE);
  h.writeUInt32LE(LOCAL_SIGNATURE, 0);
  h.writeUInt16LE(VERSION_20, 4);
  h.writeUInt16LE(f.flags, 6);
  h.writeUInt16LE(f.method, 8);
  h.writeUInt16LE(0, 10);
  h.writeUInt16LE(DOS_DATE_1980_01_01, 12);
  h.writeUInt32LE(f.crc >>> 0, 14);
  h.writeUInt32LE(f.compressedSize >>> 0, 18);
  h.writeUInt32LE(f.uncompressedSize >>> 0, 22);
  h.writeUInt16LE(name.length, 26);
  h.writeUInt16LE(f.extra.length, 28);
  return Buffer.concat([h, name, f.extra]);
}

function centralHeader(f: CentralFields, zip64: boolean): Buffer {
  const name = asBuffer(f.name);
  let { extra } = f;
  let compressed = f.compressedSize;
  let uncompressed = f.uncompressedSize;
  let offset = f.localHeaderOffset;
  if (zip64) {
    // Zip64 extended information: the values whose classic field is 0xffffffff, in this order.
    const body = Buffer.alloc(24);
    body.writeBigUInt64LE(BigInt(uncompressed), 0);
    body.writeBigUInt64LE(BigInt(compressed), 8);
    body.writeBigUInt64LE(BigInt(offset), 16);
    const head = Buffer.alloc(4);
    head.writeUInt16LE(ZIP64_EXTRA_ID, 0);
    head.writeUInt16LE(body.length, 2);
    extra = Buffer.concat([head, body, extra]);
    compressed = U32_MAX;
    uncompressed = U32_MAX;
    offset = U32_MAX;
  }
  const h = Buffer.alloc(CD_HEADER_SIZE);
  h.writeUInt32LE(CD_SIGNATURE, 0);
  h.writeUInt16LE(zip64 ? VERSION_ZIP64 : VERSION_20, 4);
  h.writeUInt16LE(zip64 ? VERSION_ZIP64 : VERSION_20, 6);
  h.writeUInt16LE(f.flags, 8);
  h.writeUInt16LE(f.method, 10);
  h.writeUInt16LE(0, 12);
  h.writeUInt16LE(DOS_DATE_1980_01_01, 14);
  h.writeUInt32LE(f.crc >>> 0, 16);
  h.writeUInt32LE(compressed >>> 0, 20);
  h.writeUInt32LE(uncompressed >>> 0, 24);
  h.writeUInt16LE(name.length, 28);
  h.writeUInt16LE(extra.length, 30);
  h.writeUInt16LE(f.comment.length, 32);
  h.writeUInt32LE(offset >>> 0, 42);
  return Buffer.concat([h, name, extra, f.comment]);
}

export function buildZipLayout(entries: BuildEntry[], opts: BuildOptions = {}): BuiltZip {
  const prefix = opts.prefix ?? Buffer.alloc(0);
  // Offsets written into the archive are relative to this base.
  const base = opts.adjustOffsets === false ? 0 : prefix.length;
  const parts: Buffer[] = [prefix];
  let pos = prefix.length;
  const localOffsets: number[] = [];
  const fields: HeaderFields[] = [];
  for (const e of entries) {
    const data = asBuffer(e.data ?? '');
    const method = e.method ?? DEFLATED;
    const body = e.raw ?? (method === DEFLATED ? deflateRawSync(data) : data);
    const f: HeaderFields = {
      name: e.name,
      flags: e.flags ?? 0,
      method,
      crc: crc32(data),
      compressedSize: body.length,
      uncompressedSize: data.length,
      extra: Buffer.alloc(0),
    };
    fields.push(f);
    if (e.sameDataAs !== undefined) {
      const target = localOffsets[e.sameDataAs];
      const targetFields = fields[e.sameDataAs];
      if (target === undefined || targetFields === undefined) throw new Error(`sameDataAs ${e.sameDataAs} must name an earlier entry`);
      localOffsets.push(target);
      fields[fields.length - 1] = { ...targetFields, name: e.name };
      continue;
    }
    localOffsets.push(pos);
    let descriptor = Buffer.alloc(0);
    if (e.dataDescriptor) {
      // Data descriptor: 0 u32 signature 0x08074b50 | 4 u32 crc | 8 u32 compressed | 12 u32 uncompressed
      f.flags |= FLAG_DATA_DESCRIPTOR;
      descriptor = Buffer.alloc(DATA_DESCRIPTOR_SIZE);
      descriptor.writeUInt32LE(DATA_DESCRIPTOR_SIGNATURE, 0);
      descriptor.writeUInt32LE(f.crc >>> 0, 4);
      descriptor.writeUInt32LE(f.compressedSize, 8);
      descriptor.writeUInt32LE(f.uncompressedSize, 12);
    }
    const lh = localHeader({ ...f, ...(e.dataDescriptor ? { crc: 0, compressedSize: 0, uncompressedSize: 0 } : {}), ...e.local });
    parts.push(lh, body, descriptor);
    pos += lh.length + body.length + descriptor.length;
  }
  if (opts.beforeCd) {
    parts.push(opts.beforeCd);
    pos += opts.beforeCd.length;
  }
  const cdOffset = pos;
  entries.forEach((e, i) => {
    const f = fields[i]!;
    const rec = centralHeader({ ...f, localHeaderOffset: localOffsets[i]! - prefix.length + base, comment: Buffer.alloc(0), ...e.central }, e.zip64 === true);
    parts.push(rec);
    pos += rec.length;
  });
  const cdSize = pos - cdOffset;
  if (opts.beforeEocd) {
    parts.push(opts.beforeEocd);
    pos += opts.beforeEocd.length;
  }
  const comment = opts.comment ?? Buffer.alloc(0);
  const ov = opts.eocd ?? {};
  if (opts.zip64) {
    const z = Buffer.alloc(ZIP64_EOCD_SIZE);
    z.writeUInt32LE(ZIP64_EOCD_SIGNATURE, 0);
    z.writeBigUInt64LE(BigInt(ZIP64_EOCD_SIZE - 12), 4);
    z.writeUInt16LE(VERSION_ZIP64, 12);
    z.writeUInt16LE(VERSION_ZIP64, 14);
    z.writeBigUInt64LE(BigInt(entries.length), 24);
    z.writeBigUInt64LE(opts.zip64Eocd?.entriesTotal ?? BigInt(entries.length), 32);
    z.writeBigUInt64LE(opts.zip64Eocd?.cdSize ?? BigInt(cdSize), 40);
    z.writeBigUInt64LE(opts.zip64Eocd?.cdOffset ?? BigInt(cdOffset - prefix.length + base), 48);
    const loc = Buffer.alloc(ZIP64_LOCATOR_SIZE);
    loc.writeUInt32LE(ZIP64_LOCATOR_SIGNATURE, 0);
    loc.writeBigUInt64LE(BigInt(pos - prefix.length + base), 8);
    loc.writeUInt32LE(1, 16);
    parts.push(z, loc);
    pos += z.length + loc.length;
  }
  const eocdOffset = pos;
  const end = Buffer.alloc(EOCD_SIZE);
  end.writeUInt32LE(EOCD_SIGNATURE, 0);
  end.writeUInt16LE(ov.entriesHere ?? (opts.zip64 ? 0xffff : entries.length), 8);
  end.writeUInt16LE(ov.entriesTotal ?? (opts.zip64 ? 0xffff : entries.length), 10);
  end.writeUInt32LE((ov.cdSize ?? (opts.zip64 ? U32_MAX : cdSize)) >>> 0, 12);
  end.writeUInt32LE((ov.cdOffset ?? (opts.zip64 ? U32_MAX : cdOffset - prefix.length + base)) >>> 0, 16);
  end.writeUInt16LE(ov.commentLength ?? comment.length, 20);
  parts.push(end, comment, opts.trailing ?? Buffer.alloc(0));
  return { bytes: Buffer.concat(parts), localOffsets, cdOffset, cdSize, eocdOffset };
}

export function buildZip(entries: BuildEntry[], opts: BuildOptions = {}): Buffer {
  return buildZipLayout(entries, opts).bytes;
}
