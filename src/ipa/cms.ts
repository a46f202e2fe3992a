// Just enough BER/DER to take the signed content out of a CMS SignedData envelope (RFC 5652), which is
// how embedded.mobileprovision wraps its plist. Apple's profiles use definite lengths, some tools emit
// indefinite ones (0x80 ... 00 00) and constructed OCTET STRINGs; all three are handled, with every length
// checked against its enclosing element and the nesting depth capped.
import { EduscanError } from '../errors.js';

// TLV header: tag byte (class 7-6, constructed 5, number 4-0), then length: < 0x80 short form,
// 0x80 indefinite (constructed only, ends with 00 00), 0x81..0x84 long form with 1..4 length bytes.
const TAG_SEQUENCE = 0x30;
const TAG_OID = 0x06;
const TAG_OCTET_STRING = 0x04;
const TAG_OCTET_STRING_CONSTRUCTED = 0x24;
const TAG_CONTEXT_0_CONSTRUCTED = 0xa0;
const CONSTRUCTED_BIT = 0x20;
const HIGH_TAG_NUMBER = 0x1f;
const LENGTH_INDEFINITE = 0x80;
const MAX_LENGTH_BYTES = 4;
const MAX_BER_DEPTH = 32;
/** 1.2.840.113549.1.7.2 signedData, DER content bytes. */
const OID_SIGNED_DATA = Buffer.from([0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02]);

interface Tlv {
  tag: number;
  /** First content byte. */
  start: number;
  /** One past the last content byte (before the 00 00 end marker for indefinite lengths). */
  end: number;
  /** One past the whole element, end marker included. */
  next: number;
}

function derError(what: string, offset: number): EduscanError {
  return new EduscanError('E_BAD_DER', `CMS envelope: ${what} at offset ${offset}`, { offset });
}

function readTlv(buf: Buffer, at: number, limit: number, depth: number): Tlv {
  if (depth > MAX_BER_DEPTH) throw derError(`nesting deeper than ${MAX_BER_DEPTH}`, at);
  if (at + 2 > limit) throw derError(`expected a tag and length, found ${Math.max(0, limit - at)} bytes`, at);
  const tag = buf[at] as number;
  if ((tag & HIGH_TAG_NUMBER) === HIGH_TAG_NUMBER) throw derError(`unsupported high tag number 0x${tag.toString(16)}`, at);
  const first = buf[at + 1] as number;
  let p = at + 2;
  if (first === LENGTH_INDEFINITE) {
    if (!(tag & CONSTRUCTED_BIT)) throw derError('indefinite length on a primitive element', at);
    // Walk the children to find the end-of-contents marker.
    let q = p;
    for (;;) {
      if (q + 2 > limit) throw derError('indefinite-length element without an end marker', at);
      if (buf[q] === 0 && buf[q + 1] === 0) return { tag, start: p, end: q, next: q + 2 };
      q = readTlv(buf, q, limit, depth + 1).next;
    }
  }
  let len = first;
  if (first > LENGTH_INDEFINITE) {
    const n = first & 0x7f;
    if (n > MAX_LENGTH_BYTES) throw derError(`length of ${n} bytes, expected at most ${MAX_LENGTH_BYTES}`, at);
    if (p + n > limit) throw derError('truncated length', at);
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + (buf[p + i] as number);
    p += n;
  }
  if (len > limit - p) throw derError(`element of ${len} bytes runs past its container (${limit - p} bytes remain)`, at);
  return { tag, start: p, end: p + len, next: p + len };
}

function expect(t: Tlv, tag: number, what: string, at: number): void {
  if (t.tag !== tag) throw derError(`expected ${what} (tag 0x${tag.toString(16)}), found tag 0x${t.tag.toString(16)}`, at);
}

/** Concatenated bytes of an OCTET STRING, primitive or constructed from nested chunks. */
function octets(buf: Buffer, t: Tlv, depth: number, out: Buffer[]): void {
  if (t.tag === TAG_OCTET_STRING) {
    out.push(buf.subarray(t.start, t.end));
    return;
  }
  if (t.tag !== TAG_OCTET_STRING_CONSTRUCTED) throw derError(`expected an OCTET STRING, found tag 0x${t.tag.toString(16)}`, t.start);
  for (let p = t.start; p < t.end;) {
    const c = readTlv(buf, p, t.end, depth + 1);
    octets(buf, c, depth + 1, out);
    p = c.next;
  }
}

/**
 * The encapsulated content of a CMS SignedData:
 *   ContentInfo ::= SEQUENCE { contentType OID (signedData), content [0] EXPLICIT SignedData }
 *   SignedData ::= SEQUENCE { version INTEGER, digestAlgorithms SET, encapContentInfo SEQUENCE {
 *                    eContentType OID, eContent [0] EXPLICIT OCTET STRING }, ... }
 */
export function cmsSignedContent(buf: Buffer): Buffer {
  const ci = readTlv(buf, 0, buf.length, 0);
  expect(ci, TAG_SEQUENCE, 'ContentInfo SEQUENCE', 0);
  const oid = readTlv(buf, ci.start, ci.end, 1);
  expect(oid, TAG_OID, 'contentType OID', ci.start);
  if (!buf.subarray(oid.start, oid.end).equals(OID_SIGNED_DATA)) throw derError('contentType is not signedData (1.2.840.113549.1.7.2)', oid.start);
  const explicit = readTlv(buf, oid.next, ci.end, 1);
  expect(explicit, TAG_CONTEXT_0_CONSTRUCTED, 'content [0]', oid.next);
  const sd = readTlv(buf, explicit.start, explicit.end, 2);
  expect(sd, TAG_SEQUENCE, 'SignedData SEQUENCE', explicit.start);
  const version = readTlv(buf, sd.start, sd.end, 3);
  const digestAlgorithms = readTlv(buf, version.next, sd.end, 3);
  const eci = readTlv(buf, digestAlgorithms.next, sd.end, 3);
  expect(eci, TAG_SEQUENCE, 'encapContentInfo SEQUENCE', digestAlgorithms.next);
  const eType = readTlv(buf, eci.start, eci.end, 4);
  expect(eType, TAG_OID, 'eContentType OID', eci.start);
  if (eType.next >= eci.end) throw derError('detached signature: the envelope carries no content', eType.next);
  const eExplicit = readTlv(buf, eType.next, eci.end, 4);
  expect(eExplicit, TAG_CONTEXT_0_CONSTRUCTED, 'eContent [0]', eType.next);
  const content = readTlv(buf, eExplicit.start, eExplicit.end, 5);
  const parts: Buffer[] = [];
  octets(buf, content, 5, parts);
  return parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts);
}
