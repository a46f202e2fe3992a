// A small bounds-checked ASN.1 reader for the DER met in APK signatures (X.509 certificates, PKCS#7
// SignedData). Old JAR signers wrote BER with indefinite lengths; those are read too and flagged on the
// reader, so the caller can record an anomaly. Every length is checked against the bytes of the enclosing
// element; nesting depth is capped, so a hostile blob cannot recurse without end.
import { EduscanError } from '../errors.js';

// Identifier octet: bits 8-7 class, bit 6 constructed, bits 5-1 tag number (31 = high-tag-number form).
const CLASS_SHIFT = 6;
const CONSTRUCTED_BIT = 0x20;
const TAG_NUMBER_MASK = 0x1f;
const HIGH_TAG_NUMBER = 0x1f;
// Length octet: < 0x80 short form; 0x80 indefinite (BER, constructed only); 0x81-0x84 long form.
const LENGTH_LONG_FORM = 0x80;
const MAX_LENGTH_OCTETS = 4;
/** Tag numbers above this are not used by anything we read; a longer tag is a damaged blob. */
const MAX_HIGH_TAG_OCTETS = 4;
export const DEFAULT_MAX_DER_DEPTH = 64;

export const DER_CLASS = { universal: 0, application: 1, context: 2, private: 3 } as const;

export const DER_TAG = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  UTF8_STRING: 0x0c,
  SEQUENCE: 0x10,
  SET: 0x11,
  NUMERIC_STRING: 0x12,
  PRINTABLE_STRING: 0x13,
  T61_STRING: 0x14,
  IA5_STRING: 0x16,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  VISIBLE_STRING: 0x1a,
  UNIVERSAL_STRING: 0x1c,
  BMP_STRING: 0x1e,
} as const;

export interface DerNode {
  /** 0 universal, 1 application, 2 context-specific, 3 private. */
  cls: number;
  constructed: boolean;
  tag: number;
  /** Offsets in the reader's buffer: the identifier octet, the content, and one past the element. */
  start: number;
  contentStart: number;
  contentEnd: number;
  end: number;
  /** BER indefinite length (terminated by 00 00). */
  indefinite: boolean;
  depth: number;
}

export class DerReader {
  /** Set once any indefinite length was met: the blob is BER, not DER. */
  sawIndefinite = false;

  /**
   * @param buf the bytes
   * @param base absolute offset of buf[0] in the input, only for error messages
   * @param what what the bytes are ("PKCS#7 block META-INF/CERT.RSA"), for error messages
   */
  constructor(
    readonly buf: Buffer,
    readonly base = 0,
    readonly what = 'DER',
    readonly maxDepth = DEFAULT_MAX_DER_DEPTH,
  ) {}

  fail(message: string, at: number): EduscanError {
    return new EduscanError('E_BAD_DER', `${this.what}: ${message} at offset ${this.base + at}`, { offset: this.base + at });
  }

  /** The element at `at`, which must end by `limit`. */
  node(at: number, limit: number = this.buf.length, depth = 0): DerNode {
    const buf = this.buf;
    if (limit > buf.length) limit = buf.length;
    if (depth > this.maxDepth) throw this.fail(`nesting deeper than ${this.maxDepth} levels`, at);
    if (at + 2 > limit) throw this.fail(`element header needs 2 bytes, ${Math.max(0, limit - at)} remain`, at);
    const id = buf[at]!;
    const cls = id >> CLASS_SHIFT;
    const constructed = (id & CONSTRUCTED_BIT) !== 0;
    let tag = id & TAG_NUMBER_MASK;
    let p = at + 1;
    if (tag === HIGH_TAG_NUMBER) {
      tag = 0;
      for (let n = 0; ; n++) {
        if (n >= MAX_HIGH_TAG_OCTETS) throw this.fail(`tag number longer than ${MAX_HIGH_TAG_OCTETS} octets`, at);
        if (p >= limit) throw this.fail('tag number runs past the end of its element', p);
        const b = buf[p++]!;
        tag = tag * 128 + (b & 0x7f);
        if ((b & 0x80) === 0) break;
      }
    }
    if (p >= limit) throw this.fail('length octet missing', p);
    const first = buf[p++]!;
    let length: number;
    let indefinite = false;
    if (first < LENGTH_LONG_FORM) {
      length = first;
    } else if (first === LENGTH_LONG_FORM) {
      if (!constructed) throw this.fail('indefinite length on a primitive element', p - 1);
      indefinite = true;
      this.sawIndefinite = true;
      length = -1;
    } else {
      const octets = first & 0x7f;
      if (octets > MAX_LENGTH_OCTETS) throw this.fail(`length needs ${octets} octets, at most ${MAX_LENGTH_OCTETS} are supported`, p - 1);
      if (p + octets > limit) throw this.fail(`length needs ${octets} octets, ${limit - p} remain`, p);
      length = 0;
      for (let i = 0; i < octets; i++) length = length * 256 + buf[p++]!;
    }
    const contentStart = p;
    if (!indefinite) {
      if (length > limit - contentStart) {
        throw this.fail(`element claims ${length} bytes, only ${limit - contentStart} remain in its parent`, at);
      }
      return { cls, constructed, tag, start: at, contentStart, contentEnd: contentStart + length, end: contentStart + length, indefinite, depth };
    }
    // Indefinite: the content is a run of elements closed by an end-of-contents 00 00.
    let q = contentStart;
    for (;;) {
      if (q + 2 > limit) throw this.fail('indefinite-length element has no end-of-contents marker', at);
      if (buf[q] === 0 && buf[q + 1] === 0) break;
      q = this.node(q, limit, depth + 1).end;
    }
    return { cls, constructed, tag, start: at, contentStart, contentEnd: q, end: q + 2, indefinite, depth };
  }

  /** The elements inside a constructed element. */
  children(parent: DerNode): DerNode[] {
    if (!parent.constructed) throw this.fail('expected a constructed element, found a primitive one', parent.start);
    const out: DerNode[] = [];
    let p = parent.contentStart;
    while (p < parent.contentEnd) {
      const child = this.node(p, parent.contentEnd, parent.depth + 1);
      out.push(child);
      p = child.end;
    }
    return out;
  }

  /** Like node(), but the element must be universal with the given tag. */
  expect(at: number, limit: number, tag: number, what: string, depth = 0): DerNode {
    const n = this.node(at, limit, depth);
    if (n.cls !== DER_CLASS.universal || n.tag !== tag) {
      throw this.fail(`${what}: expected ${tagName(DER_CLASS.universal, tag)}, found ${tagName(n.cls, n.tag)}`, at);
    }
    return n;
  }

  /** Checks a node already read. */
  check(n: DerNode | undefined, tag: number, what: string, cls: number = DER_CLASS.universal): DerNode {
    if (n === undefined) throw this.fail(`${what}: expected ${tagName(cls, tag)}, found nothing`, this.buf.length);
    if (n.cls !== cls || n.tag !== tag) throw this.fail(`${what}: expected ${tagName(cls, tag)}, found ${tagName(n.cls, n.tag)}`, n.start);
    return n;
  }

  content(n: DerNode): Buffer {
    return this.buf.subarray(n.contentStart, n.contentEnd);
  }

  /** The element's bytes, identifier and length included (what gets hashed or compared). */
  raw(n: DerNode): Buffer {
    return this.buf.subarray(n.start, n.end);
  }

  oid(n: DerNode): string {
    this.check(n, DER_TAG.OID, 'object identifier');
    return decodeOid(this.content(n), () => this.fail('malformed object identifier', n.start));
  }

  /** INTEGER content as lowercase hex, without the leading 00 that only marks a positive sign. */
  integerHex(n: DerNode): string {
    this.check(n, DER_TAG.INTEGER, 'integer');
    return integerHex(this.content(n));
  }

  /** Decoded text of any of the string types X.500 names use. */
  string(n: DerNode): string {
    return decodeString(n.tag, this.content(n));
  }

  /** UTCTime / GeneralizedTime as an ISO-8601 string. */
  time(n: DerNode): string {
    if (n.cls !== DER_CLASS.universal || (n.tag !== DER_TAG.UTC_TIME && n.tag !== DER_TAG.GENERALIZED_TIME)) {
      throw this.fail(`time: expected UTCTime or GeneralizedTime, found ${tagName(n.cls, n.tag)}`, n.start);
    }
    const iso = decodeTime(n.tag, this.content(n).toString('latin1'));
    if (iso === undefined) throw this.fail(`malformed time "${this.content(n).toString('latin1').slice(0, 32)}"`, n.start);
    return iso;
  }
}

export function tagName(cls: number, tag: number): string {
  if (cls === DER_CLASS.context) return `[${tag}]`;
  if (cls !== DER_CLASS.universal) return `${cls === DER_CLASS.application ? 'application' : 'private'} tag ${tag}`;
  const name = (Object.keys(DER_TAG) as (keyof typeof DER_TAG)[]).find((k) => DER_TAG[k] === tag);
  return name ?? `universal tag ${tag}`;
}

export function decodeOid(bytes: Buffer, bad: () => Error): string {
  if (bytes.length === 0) throw bad();
  const arcs: string[] = [];
  let value = 0n;
  let inArc = false;
  let first = true;
  for (const b of bytes) {
    value = (value << 7n) | BigInt(b & 0x7f);
    inArc = (b & 0x80) !== 0;
    if (!inArc) {
      if (first) {
        // The first subidentifier packs the first two arcs: 40 * X + Y.
        const x = value < 40n ? 0n : value < 80n ? 1n : 2n;
        arcs.push(x.toString(), (value - 40n * x).toString());
        first = false;
      } else {
        arcs.push(value.toString());
      }
      value = 0n;
    }
  }
  if (inArc) throw bad();
  return arcs.join('.');
}

export function integerHex(bytes: Buffer): string {
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0) i++;
  return bytes.subarray(i).toString('hex');
}

function decodeString(tag: number, bytes: Buffer): string {
  switch (tag) {
    case DER_TAG.BMP_STRING: {
      // UCS-2 big-endian.
      const even = bytes.subarray(0, bytes.length & ~1);
      const swapped = Buffer.from(even);
      swapped.swap16();
      return swapped.toString('utf16le');
    }
    case DER_TAG.UNIVERSAL_STRING: {
      let s = '';
      for (let i = 0; i + 4 <= bytes.length; i += 4) {
        const cp = bytes.readUInt32BE(i);
        s += cp <= 0x10ffff ? String.fromCodePoint(cp) : '\ufffd';
      }
      return s;
    }
    case DER_TAG.T61_STRING:
      // Teletex is in practice Latin-1 in certificates.
      return bytes.toString('latin1');
    default:
      return bytes.toString('utf8');
  }
}

function decodeTime(tag: number, s: string): string | undefined {
  // UTCTime YYMMDDHHMM[SS]Z (years 50-99 are 19xx, RFC 5280); GeneralizedTime YYYYMMDDHHMM[SS][.fff]Z.
  // Offsets (+hhmm) are BER-only but old signers wrote them; they are applied.
  const m = tag === DER_TAG.UTC_TIME
    ? /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})?(Z|[+-]\d{4})$/.exec(s)
    : /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})?(?:[.,]\d+)?(Z|[+-]\d{4})?$/.exec(s);
  if (!m) return undefined;
  let year = Number(m[1]);
  if (tag === DER_TAG.UTC_TIME) year += year < 50 ? 2000 : 1900;
  const [mon, day, hh, mm, ss] = [m[2], m[3], m[4], m[5], m[6] ?? '00'].map(Number) as [number, number, number, number, number];
  if (mon < 1 || mon > 12 || day < 1 || day > 31 || hh > 24 || mm > 59 || ss > 60) return undefined;
  const base = new Date(Date.UTC(year, mon - 1, day, hh, mm, ss));
  if (year < 100) base.setUTCFullYear(year); // Date.UTC maps years 0-99 to 1900-1999
  let ms = base.getTime();
  const zone = m[7];
  if (zone && zone !== 'Z') {
    const sign = zone[0] === '-' ? -1 : 1;
    ms -= sign * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(3, 5))) * 60_000;
  }
  const d = new Date(ms);
  if (Number.isNaN(d.getTime())) return undefined;
  return d.toISOString().replace('.000Z', 'Z');
}
