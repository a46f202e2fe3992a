// Binary property list reader ("bplist00"), bounds-checked. Every offset and length is validated against
// the object area before it is used, references are followed with a cycle check, and the number of values
// produced is capped so that shared sub-trees (a DAG) cannot expand exponentially.
import { LimitError } from '../errors.js';
import { PlistBudget, PlistUid, badPlist, newDict, type PlistContext, type PlistDict, type PlistValue } from './plist-value.js';

// File layout
//   0  "bplist00" magic + version
//   8  objects, each starting with a marker byte: high nibble = type, low nibble = info / short length
//   T  offset table: numObjects big-endian unsigned integers of offsetIntSize bytes (object start offsets)
//   trailer, the last 32 bytes:
//      0 u8[5] unused | 5 u8 sort version | 6 u8 offsetIntSize | 7 u8 objectRefSize
//      8 u64 numObjects | 16 u64 topObject | 24 u64 offsetTableOffset (T)
export const BPLIST_MAGIC = Buffer.from('bplist00', 'latin1');
const HEADER_SIZE = 8;
const TRAILER_SIZE = 32;
const TRAILER_OFFSET_INT_SIZE = 6;
const TRAILER_OBJECT_REF_SIZE = 7;
const TRAILER_NUM_OBJECTS = 8;
const TRAILER_TOP_OBJECT = 16;
const TRAILER_OFFSET_TABLE = 24;
const MAX_INT_SIZE = 8;

// Marker high nibbles
const TYPE_SIMPLE = 0x0;
const TYPE_INT = 0x1;
const TYPE_REAL = 0x2;
const TYPE_DATE = 0x3;
const TYPE_DATA = 0x4;
const TYPE_ASCII = 0x5;
const TYPE_UTF16 = 0x6;
const TYPE_UTF8 = 0x7;
const TYPE_UID = 0x8;
const TYPE_ARRAY = 0xa;
const TYPE_ORDSET = 0xb;
const TYPE_SET = 0xc;
const TYPE_DICT = 0xd;
// Simple values (low nibble of TYPE_SIMPLE)
const SIMPLE_NULL = 0x0;
const SIMPLE_FALSE = 0x8;
const SIMPLE_TRUE = 0x9;
const SIMPLE_FILL = 0xf;
/** Low nibble 0xF: the length follows as an integer object (marker 0x1n + 2^n bytes). */
const LENGTH_FOLLOWS = 0xf;
/** Seconds between 1970-01-01 and CoreFoundation's reference date 2001-01-01. */
const CF_EPOCH_SECONDS = 978_307_200;

const TWO_63 = 1n << 63n;
const TWO_64 = 1n << 64n;
const TWO_127 = 1n << 127n;
const TWO_128 = 1n << 128n;

function readUIntBE(buf: Buffer, at: number, size: number): number {
  // size <= 8; values above 2^53 cannot be valid offsets/lengths in a buffer, so they are clamped to +Inf.
  let v = 0;
  for (let i = 0; i < size; i++) v = v * 256 + (buf[at + i] as number);
  return Number.isSafeInteger(v) ? v : Number.POSITIVE_INFINITY;
}

function readBigBE(buf: Buffer, at: number, size: number): bigint {
  let v = 0n;
  for (let i = 0; i < size; i++) v = (v << 8n) | BigInt(buf[at + i] as number);
  return v;
}

export function parseBinaryPlist(buf: Buffer, ctx: PlistContext): PlistValue {
  if (buf.length < HEADER_SIZE + 1 + TRAILER_SIZE) {
    throw badPlist(ctx, `binary plist too short: expected at least ${HEADER_SIZE + 1 + TRAILER_SIZE} bytes, found ${buf.length}`, 0);
  }
  if (!buf.subarray(0, HEADER_SIZE).equals(BPLIST_MAGIC)) {
    throw badPlist(ctx, `binary plist: expected magic "bplist00", found "${buf.subarray(0, HEADER_SIZE).toString('latin1')}"`, 0);
  }
  const t = buf.length - TRAILER_SIZE;
  const offsetIntSize = buf[t + TRAILER_OFFSET_INT_SIZE] as number;
  const refSize = buf[t + TRAILER_OBJECT_REF_SIZE] as number;
  const numObjects = readUIntBE(buf, t + TRAILER_NUM_OBJECTS, 8);
  const topObject = readUIntBE(buf, t + TRAILER_TOP_OBJECT, 8);
  const tableOffset = readUIntBE(buf, t + TRAILER_OFFSET_TABLE, 8);
  if (offsetIntSize < 1 || offsetIntSize > MAX_INT_SIZE) throw badPlist(ctx, `binary plist trailer: expected offset size 1..8, found ${offsetIntSize}`, t + TRAILER_OFFSET_INT_SIZE);
  if (refSize < 1 || refSize > MAX_INT_SIZE) throw badPlist(ctx, `binary plist trailer: expected object reference size 1..8, found ${refSize}`, t + TRAILER_OBJECT_REF_SIZE);
  // The offset table must lie between the objects and the trailer; this also bounds numObjects by the file size.
  if (numObjects < 1 || tableOffset < HEADER_SIZE + 1 || tableOffset > t || numObjects > (t - tableOffset) / offsetIntSize) {
    throw badPlist(ctx, `binary plist trailer: ${numObjects} objects with an offset table at ${tableOffset} do not fit before the trailer at ${t}`, t + TRAILER_NUM_OBJECTS);
  }
  if (topObject >= numObjects) throw badPlist(ctx, `binary plist trailer: top object ${topObject} is not below the object count ${numObjects}`, t + TRAILER_TOP_OBJECT);
  if (numObjects > ctx.limits.maxXmlElements) {
    throw new LimitError('maxXmlElements', `${ctx.entry ?? 'plist'}: binary plist declares ${numObjects} objects, the limit is ${ctx.limits.maxXmlElements}`);
  }
  const budget = new PlistBudget(ctx);
  /** Object indices on the current path from the top object: a repeat is a cycle. */
  const onPath = new Set<number>();

  const objectOffset = (index: number, from: number): number => {
    if (index >= numObjects) throw badPlist(ctx, `binary plist: reference to object ${index}, only ${numObjects} exist`, from);
    const at = readUIntBE(buf, tableOffset + index * offsetIntSize, offsetIntSize);
    if (at < HEADER_SIZE || at >= tableOffset) throw badPlist(ctx, `binary plist: object ${index} offset ${at} is outside the object area ${HEADER_SIZE}..${tableOffset}`, tableOffset + index * offsetIntSize);
    return at;
  };

  /** Reads the length of a string/data/array/dict and returns [length, first content byte]. */
  const readLength = (at: number, info: number): [number, number] => {
    if (info !== LENGTH_FOLLOWS) return [info, at + 1];
    const marker = buf[at + 1];
    if (at + 2 > tableOffset || marker === undefined || marker >> 4 !== TYPE_INT || (marker & 0xf) > 3) {
      throw badPlist(ctx, `binary plist: expected an integer length marker 0x10..0x13, found 0x${(marker ?? 0).toString(16)}`, at + 1);
    }
    const size = 1 << (marker & 0xf);
    if (at + 2 + size > tableOffset) throw badPlist(ctx, `binary plist: length of ${size} bytes at ${at + 2} runs into the offset table`, at + 2);
    return [readUIntBE(buf, at + 2, size), at + 2 + size];
  };

  /** Checks that `count` units of `unit` bytes starting at `start` end before the offset table. */
  const fits = (start: number, count: number, unit: number, what: string): void => {
    if (!(count <= (tableOffset - start) / unit)) {
      throw badPlist(ctx, `binary plist: ${what} of ${count} × ${unit} bytes at ${start} runs past the object area end ${tableOffset}`, start);
    }
  };

  const readRef = (at: number): number => readUIntBE(buf, at, refSize);

  const parseObject = (index: number, depth: number, from: number): PlistValue => {
    const at = objectOffset(index, from);
    budget.node(at);
    const marker = buf[at] as number;
    const type = marker >> 4;
    const info = marker & 0xf;
    switch (type) {
      case TYPE_SIMPLE:
        if (info === SIMPLE_NULL || info === SIMPLE_FILL) return null;
        if (info === SIMPLE_FALSE) return false;
        if (info === SIMPLE_TRUE) return true;
        throw badPlist(ctx, `binary plist: unknown simple value 0x${marker.toString(16)}`, at);
      case TYPE_INT: {
        if (info > 4) throw badPlist(ctx, `binary plist: integer of 2^${info} bytes, expected at most 16`, at);
        const size = 1 << info;
        fits(at + 1, size, 1, 'integer');
        // Like CF and plistlib: 1, 2 and 4-byte integers are unsigned, 8 and 16-byte ones signed.
        let v = readBigBE(buf, at + 1, size);
        if (size === 8 && v >= TWO_63) v -= TWO_64;
        if (size === 16 && v >= TWO_127) v -= TWO_128;
        return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
      }
      case TYPE_REAL: {
        if (info !== 2 && info !== 3) throw badPlist(ctx, `binary plist: real of 2^${info} bytes, expected 4 or 8`, at);
        fits(at + 1, 1 << info, 1, 'real');
        return info === 2 ? buf.readFloatBE(at + 1) : buf.readDoubleBE(at + 1);
      }
      case TYPE_DATE: {
        if (info !== 3) throw badPlist(ctx, `binary plist: date marker 0x${marker.toString(16)}, expected 0x33`, at);
        fits(at + 1, 8, 1, 'date');
        return new Date((CF_EPOCH_SECONDS + buf.readDoubleBE(at + 1)) * 1000);
      }
      case TYPE_DATA: {
        const [len, start] = readLength(at, info);
        fits(start, len, 1, 'data');
        return Buffer.from(buf.subarray(start, start + len));
      }
      case TYPE_ASCII: {
        const [len, start] = readLength(at, info);
        fits(start, len, 1, 'ASCII string');
        return buf.toString('latin1', start, start + len);
      }
      case TYPE_UTF8: {
        const [len, start] = readLength(at, info);
        fits(start, len, 1, 'UTF-8 string');
        return buf.toString('utf8', start, start + len);
      }
      case TYPE_UTF16: {
        const [len, start] = readLength(at, info);
        fits(start, len, 2, 'UTF-16 string');
        return Buffer.from(buf.subarray(start, start + len * 2)).swap16().toString('utf16le');
      }
      case TYPE_UID: {
        fits(at + 1, info + 1, 1, 'UID');
        const v = readUIntBE(buf, at + 1, Math.min(info + 1, MAX_INT_SIZE));
        if (info + 1 > MAX_INT_SIZE || !Number.isFinite(v)) throw badPlist(ctx, `binary plist: UID of ${info + 1} bytes is too large`, at);
        return new PlistUid(v);
      }
      case TYPE_ARRAY:
      case TYPE_ORDSET:
      case TYPE_SET: {
        const [count, start] = readLength(at, info);
        fits(start, count, refSize, 'array');
        budget.depth(depth + 1, at);
        enter(index, at);
        const out: PlistValue[] = [];
        for (let i = 0; i < count; i++) out.push(parseObject(readRef(start + i * refSize), depth + 1, start + i * refSize));
        onPath.delete(index);
        return out;
      }
      case TYPE_DICT: {
        const [count, start] = readLength(at, info);
        fits(start, count, refSize * 2, 'dictionary');
        budget.depth(depth + 1, at);
        enter(index, at);
        const out: PlistDict = newDict();
        for (let i = 0; i < count; i++) {
          const keyAt = start + i * refSize;
          const key = parseObject(readRef(keyAt), depth + 1, keyAt);
          if (typeof key !== 'string') throw badPlist(ctx, `binary plist: dictionary key ${i} is a ${describe(key)}, expected a string`, keyAt);
          const valueAt = start + (count + i) * refSize;
          out[key] = parseObject(readRef(valueAt), depth + 1, valueAt);
        }
        onPath.delete(index);
        return out;
      }
      default:
        throw badPlist(ctx, `binary plist: unknown object type 0x${marker.toString(16)}`, at);
    }
  };

  const enter = (index: number, at: number): void => {
    if (onPath.has(index)) throw badPlist(ctx, `binary plist: object ${index} contains itself (reference cycle)`, at);
    onPath.add(index);
  };

  return parseObject(topObject, 0, t + TRAILER_TOP_OBJECT);
}

function describe(v: PlistValue): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (Buffer.isBuffer(v)) return 'data';
  if (v instanceof Date) return 'date';
  return typeof v;
}
