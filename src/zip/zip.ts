// Random-access zip reader over a ByteSource. The central directory is authoritative, as it is for
// Android's libziparchive: local headers are consulted only for the offset of the data. Everything Android
// would still install (header mismatches, a bogus encryption bit, odd compression methods, bytes before
// the archive, a maximum-size comment) becomes an anomaly instead of an error.
import { crc32, inflateRawSync } from 'node:zlib';
import { EduscanError, LimitError, type Anomaly } from '../errors.js';
import type { ByteSource } from '../io/source.js';
import { DEFAULT_LIMITS, type Limits } from '../limits.js';

// End of central directory record
//   0 u32 signature | 4 u16 this disk | 6 u16 cd disk | 8 u16 entries here | 10 u16 entries total
//  12 u32 cd size   | 16 u32 cd offset | 20 u16 comment length | 22 comment
const EOCD_SIGNATURE = 0x06054b50;
const EOCD_MIN_SIZE = 22;
const EOCD_ENTRIES_TOTAL = 10;
const EOCD_CD_SIZE = 12;
const EOCD_CD_OFFSET = 16;
const EOCD_COMMENT_LENGTH = 20;
const MAX_COMMENT_SIZE = 0xffff;

// Zip64 end of central directory locator (20 bytes, right before the EOCD)
//   0 u32 signature | 4 u32 disk | 8 u64 zip64 EOCD offset | 16 u32 disks
const ZIP64_LOCATOR_SIGNATURE = 0x07064b50;
const ZIP64_LOCATOR_SIZE = 20;
const ZIP64_LOCATOR_EOCD_OFFSET = 8;
// Zip64 EOCD record: 0 u32 signature | 32 u64 entries total | 40 u64 cd size | 48 u64 cd offset
const ZIP64_EOCD_SIGNATURE = 0x06064b50;
const ZIP64_EOCD_SIZE = 56;
const ZIP64_EOCD_ENTRIES_TOTAL = 32;
const ZIP64_EOCD_CD_SIZE = 40;
const ZIP64_EOCD_CD_OFFSET = 48;

// Central directory file header
//   0 u32 signature | 8 u16 flags | 10 u16 method | 16 u32 crc | 20 u32 compressed | 24 u32 uncompressed
//  28 u16 name length | 30 u16 extra length | 32 u16 comment length | 42 u32 local header offset | 46 name
const CD_SIGNATURE = 0x02014b50;
const CD_HEADER_SIZE = 46;
const CD_FLAGS = 8;
const CD_METHOD = 10;
const CD_CRC = 16;
const CD_COMPRESSED = 20;
const CD_UNCOMPRESSED = 24;
const CD_NAME_LENGTH = 28;
const CD_EXTRA_LENGTH = 30;
const CD_COMMENT_LENGTH = 32;
const CD_LOCAL_OFFSET = 42;

// Local file header
//   0 u32 signature | 6 u16 flags | 8 u16 method | 14 u32 crc | 18 u32 compressed | 22 u32 uncompressed
//  26 u16 name length | 28 u16 extra length | 30 name
const LOCAL_SIGNATURE = 0x04034b50;
const LOCAL_HEADER_SIZE = 30;
const LOCAL_FLAGS = 6;
const LOCAL_METHOD = 8;
const LOCAL_CRC = 14;
const LOCAL_COMPRESSED = 18;
const LOCAL_UNCOMPRESSED = 22;
const LOCAL_NAME_LENGTH = 26;
const LOCAL_EXTRA_LENGTH = 28;

const ZIP64_EXTRA_ID = 0x0001;
const U32_MAX = 0xffffffff;
const FLAG_ENCRYPTED = 0x0001;
const FLAG_DATA_DESCRIPTOR = 0x0008;
const FLAG_UTF8 = 0x0800;
export const METHOD_STORED = 0;
export const METHOD_DEFLATED = 8;

/** Deflate worst case: a stored block (5-byte header) per 65535 bytes, plus slack for headers/padding. */
const DEFLATE_STORED_BLOCK = 65535;
const DEFLATE_BLOCK_OVERHEAD = 5;
const DEFLATE_SLACK_BYTES = 1024;

/** Reads larger than this are split so a single huge entry never needs one giant buffer. */
const MAX_SINGLE_READ_BYTES = 16 * 1024 * 1024;

export interface ZipEntry {
  /** Index in the central directory. */
  index: number;
  name: string;
  flags: number;
  method: number;
  crc: number;
  compressedSize: number;
  uncompressedSize: number;
  /** Absolute offset of the local header (after any prepended-data shift). */
  localHeaderOffset: number;
}

export interface ZipArchive {
  readonly source: ByteSource;
  readonly entries: readonly ZipEntry[];
  /** Offset of the central directory, of the EOCD record, and the number of bytes before the first entry
   *  when the file does not start with a local header (0 when it does). */
  readonly cdOffset: number;
  readonly cdSize: number;
  readonly eocdOffset: number;
  readonly prependedBytes: number;
  readonly comment: Buffer;
  readonly anomalies: Anomaly[];
  readonly limits: Limits;
  /** Bytes inflated so far, counted against limits.maxTotalInflatedBytes. */
  inflatedTotal: number;
  /** First entry with this exact name (Android rejects duplicates; we keep the first and note the rest). */
  get(name: string): ZipEntry | undefined;
}

function notZip(message: string, offset?: number): EduscanError {
  return new EduscanError('E_NOT_ZIP', message, offset === undefined ? {} : { offset });
}

function corrupt(message: string, offset?: number): EduscanError {
  return new EduscanError('E_ZIP_CORRUPT', message, offset === undefined ? {} : { offset });
}

function u64(buf: Buffer, at: number, what: string): number {
  const v = buf.readBigUInt64LE(at);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw corrupt(`${what} is too large: ${v}`);
  return Number(v);
}

interface EndRecord {
  eocdOffset: number;
  /** Where the central directory must end: the zip64 end record when there is one, else the EOCD. */
  cdEndLimit: number;
  entries: number;
  cdSize: number;
  cdOffset: number;
  comment: Buffer;
}

function findEnd(source: ByteSource, anomalies: Anomaly[]): EndRecord {
  if (source.size === 0) throw new EduscanError('E_EMPTY', 'the file is empty (0 bytes)');
  if (source.size < EOCD_MIN_SIZE) throw notZip(`too short for a zip: ${source.size} bytes, the end record alone needs ${EOCD_MIN_SIZE}`);
  const tailLength = Math.min(source.size, EOCD_MIN_SIZE + MAX_COMMENT_SIZE);
  const tailStart = source.size - tailLength;
  const tail = source.read(tailStart, tailLength);
  // Scan backwards. The record whose comment runs exactly to the end of the file is the real one
  // (apksig insists on that); a record whose comment only fits is accepted as Android does, with a note.
  let loose: number | undefined;
  // libziparchive takes the last signature in the file whatever follows it: a decoy signature inside the
  // comment makes Android read a different (usually broken) directory than the one we read.
  let last: number | undefined;
  const noteDecoy = (chosen: number): void => {
    if (last !== undefined && last !== chosen) {
      anomalies.push({ code: 'ZIP_EOCD_DECOY', detail: 'an end-of-central-directory signature inside the archive comment; Android would read that one instead', offset: tailStart + last });
    }
  };
  for (let i = tailLength - EOCD_MIN_SIZE; i >= 0; i--) {
    if (tail.readUInt32LE(i) !== EOCD_SIGNATURE) continue;
    last ??= i;
    const commentLength = tail.readUInt16LE(i + EOCD_COMMENT_LENGTH);
    const remaining = tailLength - i - EOCD_MIN_SIZE;
    if (commentLength === remaining) {
      noteDecoy(i);
      return readEnd(source, tail, tailStart, i, anomalies);
    }
    if (commentLength < remaining && loose === undefined) loose = i;
  }
  if (loose !== undefined) {
    anomalies.push({
      code: 'ZIP_EOCD_COMMENT_LENGTH',
      detail: 'the end record comment length does not reach the end of the file (trailing bytes after the archive; libziparchive refuses this)',
      offset: tailStart + loose,
    });
    noteDecoy(loose);
    return readEnd(source, tail, tailStart, loose, anomalies);
  }
  throw notZip(`no end-of-central-directory record in the last ${tailLength} bytes`);
}

function readEnd(source: ByteSource, tail: Buffer, tailStart: number, at: number, anomalies: Anomaly[]): EndRecord {
  const eocdOffset = tailStart + at;
  let entries = tail.readUInt16LE(at + EOCD_ENTRIES_TOTAL);
  let cdSize = tail.readUInt32LE(at + EOCD_CD_SIZE);
  let cdOffset = tail.readUInt32LE(at + EOCD_CD_OFFSET);
  const commentLength = tail.readUInt16LE(at + EOCD_COMMENT_LENGTH);
  const comment = Buffer.from(tail.subarray(at + EOCD_MIN_SIZE, at + EOCD_MIN_SIZE + commentLength));
  const needs64 = entries === 0xffff || cdSize === U32_MAX || cdOffset === U32_MAX;
  let cdEndLimit = eocdOffset;
  const loc = eocdOffset >= ZIP64_LOCATOR_SIZE ? source.read(eocdOffset - ZIP64_LOCATOR_SIZE, ZIP64_LOCATOR_SIZE) : undefined;
  // Checked even when the file is too short for a locator: 0xffff entries must then not be taken literally.
  if (loc && loc.readUInt32LE(0) === ZIP64_LOCATOR_SIGNATURE) {
    const z64 = u64(loc, ZIP64_LOCATOR_EOCD_OFFSET, 'zip64 end record offset');
    if (z64 + ZIP64_EOCD_SIZE > source.size) throw corrupt(`zip64 end record at ${z64} lies beyond the file (${source.size} bytes)`, z64);
    const rec = source.read(z64, ZIP64_EOCD_SIZE);
    if (rec.readUInt32LE(0) !== ZIP64_EOCD_SIGNATURE) throw corrupt(`zip64 end record signature missing at offset ${z64}`, z64);
    entries = u64(rec, ZIP64_EOCD_ENTRIES_TOTAL, 'zip64 entry count');
    cdSize = u64(rec, ZIP64_EOCD_CD_SIZE, 'zip64 central directory size');
    cdOffset = u64(rec, ZIP64_EOCD_CD_OFFSET, 'zip64 central directory offset');
    anomalies.push({ code: 'ZIP_ZIP64', detail: 'the archive uses zip64 records (Android reads them only since API 30)', offset: z64 });
    // The zip64 record and its locator sit between the directory and the EOCD: not a gap.
    if (z64 < eocdOffset) cdEndLimit = z64;
  } else if (needs64) {
    throw corrupt('the end record points to zip64 records but no zip64 locator precedes it', eocdOffset);
  }
  return { eocdOffset, cdEndLimit, entries, cdSize, cdOffset, comment };
}

export function openZip(source: ByteSource, limits: Limits = DEFAULT_LIMITS): ZipArchive {
  const anomalies: Anomaly[] = [];
  const end = findEnd(source, anomalies);
  if (end.entries > limits.maxEntries) {
    throw new LimitError('maxEntries', `the archive declares ${end.entries} entries, the limit is ${limits.maxEntries}`);
  }
  // Bytes glued in front of an archive whose offsets were not adjusted (cat stub.bin app.zip): the
  // directory sits right before the end record, not where the end record says. Info-ZIP shifts every
  // offset by the difference; Android does not, so such a file would not install, but we can still read it.
  let shift = 0;
  const expectedCdEnd = end.cdOffset + end.cdSize;
  if (expectedCdEnd > end.cdEndLimit) {
    throw corrupt(`central directory (${end.cdSize} bytes at ${end.cdOffset}) overlaps the end record at ${end.cdEndLimit}`, end.cdOffset);
  }
  if (expectedCdEnd < end.cdEndLimit) {
    const gap = end.cdEndLimit - expectedCdEnd;
    const atStated = end.cdSize >= 4 && source.read(end.cdOffset, 4).readUInt32LE(0) === CD_SIGNATURE;
    const shifted = end.cdEndLimit - end.cdSize;
    if (!atStated && end.cdSize >= 4 && source.read(shifted, 4).readUInt32LE(0) === CD_SIGNATURE) {
      shift = gap;
      anomalies.push({
        code: 'ZIP_OFFSETS_SHIFTED',
        detail: `${gap} bytes were prepended without adjusting the zip offsets; Android would reject this file`,
        offset: 0,
      });
    } else {
      // APK Signing Block lives exactly here; anything else between the directory and the end is odd.
      anomalies.push({ code: 'ZIP_GAP_BEFORE_EOCD', detail: `${gap} bytes between the central directory and the end record`, offset: expectedCdEnd });
    }
  }
  const cdOffset = end.cdOffset + shift;
  if (end.entries === 0 && end.cdSize === 0) {
    return makeArchive(source, [], cdOffset, 0, end, anomalies, limits);
  }
  const cd = source.read(cdOffset, end.cdSize);
  const entries: ZipEntry[] = [];
  let p = 0;
  while (entries.length < end.entries) {
    if (p + CD_HEADER_SIZE > cd.length) {
      throw corrupt(`central directory record ${entries.length} of ${end.entries} is truncated: needs ${CD_HEADER_SIZE} bytes at offset ${cdOffset + p}, the directory ends at ${cdOffset + cd.length}`, cdOffset + p);
    }
    const sig = cd.readUInt32LE(p);
    if (sig !== CD_SIGNATURE) {
      throw corrupt(`central directory record ${entries.length}: expected signature 0x${CD_SIGNATURE.toString(16)}, found 0x${sig.toString(16)} at offset ${cdOffset + p}`, cdOffset + p);
    }
    const nameLength = cd.readUInt16LE(p + CD_NAME_LENGTH);
    const extraLength = cd.readUInt16LE(p + CD_EXTRA_LENGTH);
    const commentLength = cd.readUInt16LE(p + CD_COMMENT_LENGTH);
    const recordLength = CD_HEADER_SIZE + nameLength + extraLength + commentLength;
    if (p + recordLength > cd.length) {
      throw corrupt(`central directory record ${entries.length} is truncated: needs ${recordLength} bytes at offset ${cdOffset + p}, ${cd.length - p} remain`, cdOffset + p);
    }
    const flags = cd.readUInt16LE(p + CD_FLAGS);
    const nameBytes = cd.subarray(p + CD_HEADER_SIZE, p + CD_HEADER_SIZE + nameLength);
    // Android treats every name as UTF-8 whatever bit 11 says.
    const name = nameBytes.toString('utf8');
    let compressedSize = cd.readUInt32LE(p + CD_COMPRESSED);
    let uncompressedSize = cd.readUInt32LE(p + CD_UNCOMPRESSED);
    let localHeaderOffset = cd.readUInt32LE(p + CD_LOCAL_OFFSET);
    if (compressedSize === U32_MAX || uncompressedSize === U32_MAX || localHeaderOffset === U32_MAX) {
      const extra = cd.subarray(p + CD_HEADER_SIZE + nameLength, p + CD_HEADER_SIZE + nameLength + extraLength);
      const z = readZip64Extra(extra, uncompressedSize === U32_MAX, compressedSize === U32_MAX, localHeaderOffset === U32_MAX);
      if (z.uncompressed !== undefined) uncompressedSize = z.uncompressed;
      if (z.compressed !== undefined) compressedSize = z.compressed;
      if (z.offset !== undefined) localHeaderOffset = z.offset;
    }
    const entry: ZipEntry = {
      index: entries.length,
      name,
      flags,
      method: cd.readUInt16LE(p + CD_METHOD),
      crc: cd.readUInt32LE(p + CD_CRC),
      compressedSize,
      uncompressedSize,
      localHeaderOffset: localHeaderOffset + shift,
    };
    if (nameBytes.includes(0)) anomalies.push({ code: 'ZIP_NUL_IN_NAME', detail: 'an entry name contains a NUL byte', entry: name, offset: cdOffset + p });
    if (flags & FLAG_ENCRYPTED) anomalies.push({ code: 'ZIP_ENCRYPTED_FLAG', detail: 'the encryption bit is set; Android ignores it, many analysis tools refuse the file', entry: name });
    if (!(flags & FLAG_UTF8) && /[^\x00-\x7f]/.test(name)) {
      // Not an issue for Android; noted because other tools may show a different name.
      anomalies.push({ code: 'ZIP_NAME_NOT_FLAGGED_UTF8', detail: 'a non-ASCII entry name without the UTF-8 flag', entry: name });
    }
    if (entry.localHeaderOffset + LOCAL_HEADER_SIZE > end.eocdOffset + shift || entry.localHeaderOffset >= cdOffset) {
      anomalies.push({ code: 'ZIP_BAD_LOCAL_OFFSET', detail: `local header offset ${entry.localHeaderOffset} is outside the data area`, entry: name });
    }
    entries.push(entry);
    p += recordLength;
  }
  if (p !== cd.length) {
    anomalies.push({ code: 'ZIP_CD_TRAILING_BYTES', detail: `${cd.length - p} bytes after the last of ${end.entries} central directory records`, offset: cdOffset + p });
  }
  return makeArchive(source, entries, cdOffset, end.cdSize, end, anomalies, limits);
}

function readZip64Extra(extra: Buffer, needUncompressed: boolean, needCompressed: boolean, needOffset: boolean) {
  const out: { uncompressed?: number; compressed?: number; offset?: number } = {};
  let p = 0;
  while (p + 4 <= extra.length) {
    const id = extra.readUInt16LE(p);
    const size = extra.readUInt16LE(p + 2);
    const body = extra.subarray(p + 4, Math.min(extra.length, p + 4 + size));
    if (id === ZIP64_EXTRA_ID) {
      let q = 0;
      const take = (what: string): number => {
        if (q + 8 > body.length) throw corrupt(`zip64 extra field too short for the ${what}`);
        const v = u64(body, q, what);
        q += 8;
        return v;
      };
      if (needUncompressed) out.uncompressed = take('uncompressed size');
      if (needCompressed) out.compressed = take('compressed size');
      if (needOffset) out.offset = take('local header offset');
      return out;
    }
    p += 4 + size;
  }
  throw corrupt('an entry needs zip64 sizes but has no zip64 extra field');
}

function makeArchive(source: ByteSource, entries: ZipEntry[], cdOffset: number, cdSize: number, end: EndRecord,
  anomalies: Anomaly[], limits: Limits): ZipArchive {
  const byName = new Map<string, ZipEntry>();
  let firstLocal = cdOffset;
  for (const e of entries) {
    if (byName.has(e.name)) {
      anomalies.push({ code: 'ZIP_DUPLICATE_ENTRY', detail: 'two central directory records share this name; Android refuses such a package, other tools may read the other copy', entry: e.name });
    } else {
      byName.set(e.name, e);
    }
    if (e.localHeaderOffset < firstLocal) firstLocal = e.localHeaderOffset;
  }
  noteOverlaps(entries, anomalies);
  // Android (libziparchive, since the Janus fix) only asks that the file start with a local header. Local
  // headers no directory record points at are normal there: zipflinger (AGP) writes "virtual entries" with
  // an empty name to pad for alignment, so the first referenced entry may sit well after offset 0.
  const startsWithLocal = source.size >= 4 && source.read(0, 4).readUInt32LE(0) === LOCAL_SIGNATURE;
  const prependedBytes = entries.length === 0 || startsWithLocal ? 0 : firstLocal;
  if (prependedBytes > 0) {
    anomalies.push({
      code: 'ZIP_PREPENDED_DATA',
      detail: `${prependedBytes} bytes precede the first zip entry (the Janus trick prepends a DEX here)`,
      offset: 0,
    });
  }
  return {
    source,
    entries,
    cdOffset,
    cdSize,
    eocdOffset: end.eocdOffset,
    prependedBytes,
    comment: end.comment,
    anomalies,
    limits,
    inflatedTotal: 0,
    get: (name: string) => byName.get(name),
  };
}

/**
 * Central records whose local data ranges overlap: several names sharing one compressed stream is how
 * non-recursive zip bombs multiply their output, and a way to show different tools different files.
 * The extent used (local header without name/extra, plus compressed size) is a lower bound, so a hit is real.
 */
function noteOverlaps(entries: readonly ZipEntry[], anomalies: Anomaly[]): void {
  const byOffset = [...entries].sort((a, b) => a.localHeaderOffset - b.localHeaderOffset);
  let overlaps = 0;
  let first: ZipEntry | undefined;
  for (let i = 1; i < byOffset.length; i++) {
    const prev = byOffset[i - 1]!;
    const cur = byOffset[i]!;
    if (cur.localHeaderOffset < prev.localHeaderOffset + LOCAL_HEADER_SIZE + prev.compressedSize) {
      overlaps++;
      first ??= cur;
    }
  }
  if (first) {
    anomalies.push({
      code: 'ZIP_OVERLAPPING_ENTRIES',
      detail: `${overlaps} central directory record(s) point into another entry's local data (zip bomb or parser-confusion trick)`,
      entry: first.name,
      offset: first.localHeaderOffset,
    });
  }
}

/** Absolute offset of an entry's data, from its local header. Mismatches are noted, not fatal. */
export function entryDataOffset(zip: ZipArchive, entry: ZipEntry): number {
  const at = entry.localHeaderOffset;
  if (at + LOCAL_HEADER_SIZE > zip.source.size) {
    throw new EduscanError('E_ZIP_ENTRY', `entry ${entry.name}: local header at ${at} lies beyond the file (${zip.source.size} bytes)`, { offset: at });
  }
  const h = zip.source.read(at, LOCAL_HEADER_SIZE);
  const sig = h.readUInt32LE(0);
  if (sig !== LOCAL_SIGNATURE) {
    throw new EduscanError('E_ZIP_ENTRY', `entry ${entry.name}: expected local header signature 0x${LOCAL_SIGNATURE.toString(16)}, found 0x${sig.toString(16)} at offset ${at}`, { offset: at });
  }
  const nameLength = h.readUInt16LE(LOCAL_NAME_LENGTH);
  const extraLength = h.readUInt16LE(LOCAL_EXTRA_LENGTH);
  const localMethod = h.readUInt16LE(LOCAL_METHOD);
  if (localMethod !== entry.method) {
    noteOnce(zip, 'ZIP_LOCAL_METHOD_MISMATCH', `local header says method ${localMethod}, central directory says ${entry.method}; the central directory wins, as on Android`, entry.name);
  }
  // Without a data descriptor the local header repeats CRC and sizes; libziparchive refuses the entry when
  // they differ (zip64 entries carry 0xffffffff there and their sizes in an extra field: not compared).
  const localCrc = h.readUInt32LE(LOCAL_CRC);
  const localCompressed = h.readUInt32LE(LOCAL_COMPRESSED);
  const localUncompressed = h.readUInt32LE(LOCAL_UNCOMPRESSED);
  if (!(h.readUInt16LE(LOCAL_FLAGS) & FLAG_DATA_DESCRIPTOR) && localCompressed !== U32_MAX && localUncompressed !== U32_MAX
    && (localCrc !== entry.crc >>> 0 || localCompressed !== entry.compressedSize || localUncompressed !== entry.uncompressedSize)) {
    noteOnce(zip, 'ZIP_LOCAL_SIZE_MISMATCH', `local header says crc ${localCrc.toString(16)} sizes ${localCompressed}/${localUncompressed}, central directory crc ${(entry.crc >>> 0).toString(16)} sizes ${entry.compressedSize}/${entry.uncompressedSize}; Android refuses such an entry`, entry.name);
  }
  if (nameLength !== Buffer.byteLength(entry.name)) {
    noteOnce(zip, 'ZIP_LOCAL_NAME_MISMATCH', 'local header name differs from the central directory name', entry.name);
  } else if (nameLength > 0) {
    const localName = zip.source.read(at + LOCAL_HEADER_SIZE, nameLength).toString('utf8');
    if (localName !== entry.name) noteOnce(zip, 'ZIP_LOCAL_NAME_MISMATCH', `local header name "${localName}" differs from the central directory name`, entry.name);
  }
  return at + LOCAL_HEADER_SIZE + nameLength + extraLength;
}

function noteOnce(zip: ZipArchive, code: string, detail: string, entry: string): void {
  if (!zip.anomalies.some((a) => a.code === code && a.entry === entry)) zip.anomalies.push({ code, detail, entry });
}

/** zlib's default output chunk, the floor for entries that declare less. */
const INFLATE_CHUNK_MIN = 16 * 1024;
/** The largest output buffer allocated ahead of inflating, whatever an entry declares. */
const INFLATE_CHUNK_MAX = 64 * 1024 * 1024;

/**
 * The inflated bytes of one entry, read whole. For the small files a scan needs (manifest, resources,
 * plists, signatures); caps on the entry and on the scan's total stop zip bombs before any allocation.
 */
export function readEntry(zip: ZipArchive, entry: ZipEntry, maxBytes: number = zip.limits.maxEntryInflatedBytes): Buffer {
  const { limits } = zip;
  // A stored entry is as long as its uncompressed size says: libziparchive copies uncompressed_length bytes.
  const stored = entry.method === METHOD_STORED;
  const declared = entry.uncompressedSize;
  if (declared > maxBytes) {
    throw new LimitError('maxEntryInflatedBytes', `entry ${entry.name} declares ${declared} bytes, the limit is ${maxBytes}`);
  }
  // Deflate never needs much more input than output (stored blocks cost 5 bytes per 64 KiB), so a
  // compressed size far above the cap cannot yield an acceptable entry: refuse before reading it into memory.
  if (!stored && entry.compressedSize > maxBytes + DEFLATE_SLACK_BYTES + Math.ceil(maxBytes / DEFLATE_STORED_BLOCK) * DEFLATE_BLOCK_OVERHEAD) {
    throw new LimitError('maxEntryInflatedBytes', `entry ${entry.name}: ${entry.compressedSize} compressed bytes, more than any deflate stream of at most ${maxBytes} bytes needs`);
  }
  const dataOffset = entryDataOffset(zip, entry);
  const dataLength = stored ? entry.uncompressedSize : entry.compressedSize;
  if (dataOffset + dataLength > zip.source.size) {
    throw new EduscanError('E_ZIP_ENTRY', `entry ${entry.name}: ${dataLength} bytes of data at ${dataOffset} run past the end of the file (${zip.source.size} bytes)`, { offset: dataOffset });
  }
  const raw = readRange(zip.source, dataOffset, dataLength);
  let data: Buffer;
  if (stored) {
    if (entry.uncompressedSize !== entry.compressedSize) {
      noteOnce(zip, 'ZIP_STORED_SIZE_MISMATCH', `stored entry with compressed size ${entry.compressedSize} and uncompressed size ${entry.uncompressedSize}; read ${entry.uncompressedSize} bytes, as Android does`, entry.name);
    }
    data = raw;
  } else {
    // libziparchive inflates every entry that is not stored, whatever the method number says.
    if (entry.method !== METHOD_DEFLATED) {
      noteOnce(zip, 'ZIP_UNKNOWN_METHOD', `compression method ${entry.method} is treated as deflate, as Android does`, entry.name);
    }
    // Name the cap that binds, so the message says which limit to raise.
    const caps: [keyof Limits, number][] = [
      ['maxEntryInflatedBytes', maxBytes],
      ['maxTotalInflatedBytes', limits.maxTotalInflatedBytes - zip.inflatedTotal],
      ['maxCompressionRatio', Math.max(entry.compressedSize, 1) * limits.maxCompressionRatio],
    ];
    const [capName, cap] = caps.reduce((a, b) => (b[1] < a[1] ? b : a));
    if (cap <= 0) {
      throw new LimitError('maxTotalInflatedBytes', `reading ${entry.name} would pass the limit of ${limits.maxTotalInflatedBytes} inflated bytes per scan`);
    }
    try {
      // One output chunk of the declared size (within the cap, and at most INFLATE_CHUNK_MAX) instead of zlib's
      // 16 KiB chunks concatenated at the end: measured ~40 ms less CPU per 37 MB of dex. A size that lies
      // costs at most that one allocation; the cap still bounds the output.
      const chunkSize = Math.max(INFLATE_CHUNK_MIN, Math.min(declared + 1, cap, INFLATE_CHUNK_MAX));
      data = inflateRawSync(raw, { maxOutputLength: Math.max(1, cap), chunkSize });
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      if (err.code === 'ERR_BUFFER_TOO_LARGE') {
        throw new LimitError(capName, `entry ${entry.name} inflates past ${cap} bytes (${capName}; declared ${entry.uncompressedSize}, compressed ${entry.compressedSize}): zip bomb?`);
      }
      throw new EduscanError('E_ZIP_ENTRY', `entry ${entry.name}: cannot inflate ${entry.compressedSize} bytes at offset ${dataOffset}: ${err.message}`, { offset: dataOffset, cause: e });
    }
    if (data.length !== entry.uncompressedSize) {
      noteOnce(zip, 'ZIP_SIZE_MISMATCH', `inflated to ${data.length} bytes, the central directory says ${entry.uncompressedSize}`, entry.name);
    }
  }
  zip.inflatedTotal += data.length;
  if (zip.inflatedTotal > limits.maxTotalInflatedBytes) {
    throw new LimitError('maxTotalInflatedBytes', `the scan inflated more than ${limits.maxTotalInflatedBytes} bytes`);
  }
  if (crc32(data) >>> 0 !== entry.crc >>> 0) {
    noteOnce(zip, 'ZIP_CRC_MISMATCH', `CRC-32 of the data is ${(crc32(data) >>> 0).toString(16)}, the central directory says ${(entry.crc >>> 0).toString(16)}`, entry.name);
  }
  return data;
}

function readRange(source: ByteSource, offset: number, length: number): Buffer {
  if (length <= MAX_SINGLE_READ_BYTES) return source.read(offset, length);
  const parts: Buffer[] = [];
  for (let p = 0; p < length; p += MAX_SINGLE_READ_BYTES) parts.push(source.read(offset + p, Math.min(MAX_SINGLE_READ_BYTES, length - p)));
  return Buffer.concat(parts, length);
}
