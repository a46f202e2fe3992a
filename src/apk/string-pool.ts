// ResStringPool: the string table at the front of binary XML documents and resources.arsc (and of every
// package's type and key names). Strings are found through the offsets table, never by walking the data
// sequentially, because obfuscators leave gaps and overlaps; each string is decoded the first time it is
// asked for. Styles (span info) are ignored.
import { EduscanError, type ErrorCode } from '../errors.js';
import { chunkProblem, hex, type AnomalyNotes, type ChunkHeader } from './chunk.js';

// ResStringPool_header
//   0 ResChunk_header (8) | 8 u32 stringCount | 12 u32 styleCount | 16 u32 flags
//  20 u32 stringsStart (from chunk start) | 24 u32 stylesStart (from chunk start)
// followed (at headerSize) by u32 offsets[stringCount] (relative to stringsStart), then u32 styleOffsets[styleCount].
const POOL_HEADER_SIZE = 28;
const POOL_STRING_COUNT = 8;
const POOL_STYLE_COUNT = 12;
const POOL_FLAGS = 16;
const POOL_STRINGS_START = 20;
const POOL_STYLES_START = 24;
const UTF8_FLAG = 0x100;

// UTF-8 string: u8 length in UTF-16 units (1 or 2 bytes), u8 length in bytes (1 or 2 bytes), bytes, NUL.
// UTF-16 string: u16 length in units (1 or 2 units), units, NUL. A set high bit means a second length unit.
const UTF8_LONG_LENGTH_BIT = 0x80;
const UTF16_LONG_LENGTH_BIT = 0x8000;

export class StringPool {
  readonly utf8: boolean;
  /** Usable strings: the declared count, capped by the room the offsets table really has. */
  readonly count: number;
  private readonly cache = new Map<number, string | undefined>();

  constructor(
    private readonly buf: Buffer,
    /** Absolute offset of the offsets table. */
    private readonly offsetsStart: number,
    /** Absolute offset and end of the string data. */
    private readonly dataStart: number,
    private readonly dataEnd: number,
    count: number,
    utf8: boolean,
  ) {
    this.count = count;
    this.utf8 = utf8;
  }

  /** The string at `index`, or undefined when the index is out of range or the string runs out of bounds. */
  get(index: number): string | undefined {
    if (!Number.isInteger(index) || index < 0 || index >= this.count) return undefined;
    if (this.cache.has(index)) return this.cache.get(index);
    const s = this.decode(index);
    this.cache.set(index, s);
    return s;
  }

  private decode(index: number): string | undefined {
    const rel = this.buf.readUInt32LE(this.offsetsStart + index * 4);
    let p = this.dataStart + rel;
    const end = this.dataEnd;
    if (rel >= end - this.dataStart) return undefined;
    if (this.utf8) {
      // The UTF-16 length is only a hint; the byte length is what delimits the string.
      const units = readLength8(this.buf, p, end);
      if (!units) return undefined;
      p = units.next;
      const bytes = readLength8(this.buf, p, end);
      if (!bytes) return undefined;
      p = bytes.next;
      if (bytes.value > end - p) return undefined;
      return this.buf.toString('utf8', p, p + bytes.value);
    }
    const units = readLength16(this.buf, p, end);
    if (!units) return undefined;
    p = units.next;
    if (units.value > (end - p) / 2) return undefined;
    return this.buf.toString('utf16le', p, p + units.value * 2);
  }
}

function readLength8(buf: Buffer, p: number, end: number): { value: number; next: number } | undefined {
  if (p + 1 > end) return undefined;
  const first = buf[p]!;
  if (!(first & UTF8_LONG_LENGTH_BIT)) return { value: first, next: p + 1 };
  if (p + 2 > end) return undefined;
  return { value: ((first & 0x7f) << 8) | buf[p + 1]!, next: p + 2 };
}

function readLength16(buf: Buffer, p: number, end: number): { value: number; next: number } | undefined {
  if (p + 2 > end) return undefined;
  const first = buf.readUInt16LE(p);
  if (!(first & UTF16_LONG_LENGTH_BIT)) return { value: first, next: p + 2 };
  if (p + 4 > end) return undefined;
  return { value: (first & 0x7fff) * 0x10000 + buf.readUInt16LE(p + 2), next: p + 4 };
}

/**
 * Reads the string pool in chunk `c` (whose bytes must lie within `buf`). Throws `code` when the pool is
 * unusable: a header too short, or strings that start outside the chunk. A declared string count larger
 * than the offsets table can hold is capped (and noted), as is a styles section that overlaps the strings.
 */
export function parseStringPool(
  buf: Buffer,
  c: ChunkHeader,
  code: ErrorCode,
  notes: AnomalyNotes,
): StringPool {
  const problem = chunkProblem(c, POOL_HEADER_SIZE, buf.length);
  if (problem) throw new EduscanError(code, `string pool: ${problem} at offset ${c.offset}`, { offset: c.offset });
  const chunkEnd = c.offset + c.size;
  const declared = buf.readUInt32LE(c.offset + POOL_STRING_COUNT);
  const styleCount = buf.readUInt32LE(c.offset + POOL_STYLE_COUNT);
  const flags = buf.readUInt32LE(c.offset + POOL_FLAGS);
  const stringsStart = buf.readUInt32LE(c.offset + POOL_STRINGS_START);
  const stylesStart = buf.readUInt32LE(c.offset + POOL_STYLES_START);
  const offsetsStart = c.offset + c.headerSize;

  // Cap the count by the bytes that remain, so a forged count never drives an allocation or a long loop.
  const room = Math.floor((chunkEnd - offsetsStart) / 4);
  let count = declared;
  if (count > room) {
    notes.add(`${notes.prefix}_STRING_COUNT`, `string pool declares ${declared} strings but its offsets table has room for ${room}`, c.offset);
    count = room;
  }
  if (count === 0) return new StringPool(buf, offsetsStart, chunkEnd, chunkEnd, 0, (flags & UTF8_FLAG) !== 0);

  if (stringsStart < c.headerSize || stringsStart >= c.size) {
    throw new EduscanError(
      code,
      `string pool: strings start ${stringsStart} is outside the ${c.size}-byte chunk at offset ${c.offset}`,
      { offset: c.offset },
    );
  }
  let dataEnd = chunkEnd;
  if (styleCount > 0 && stylesStart > stringsStart && stylesStart <= c.size) dataEnd = c.offset + stylesStart;
  else if (styleCount > 0 && stylesStart !== 0) {
    notes.add(
      `${notes.prefix}_STYLES_START`,
      `string pool styles start ${hex(stylesStart, 1)} is not after strings start ${hex(stringsStart, 1)}; styles ignored`,
      c.offset,
    );
  }
  return new StringPool(buf, offsetsStart, c.offset + stringsStart, dataEnd, count, (flags & UTF8_FLAG) !== 0);
}
