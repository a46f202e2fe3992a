// MUTF-8, the string encoding of DEX files: UTF-8 except that U+0000 is written as C0 80 and characters
// above U+FFFF are written as two 3-byte surrogates (CESU-8). Decoded to a JS string code unit by code unit,
// so surrogate pairs come out as the pairs they encode. Malformed bytes become U+FFFD, never an exception:
// names are evidence, a damaged one is still worth showing.

const REPLACEMENT = 0xfffd;
/** Code units collected before they are turned into a string (String.fromCharCode takes an argument list). */
const FLUSH_UNITS = 4096;

/** True when every byte in [start, end) is ASCII: then latin1 decoding is exact and much faster. */
export function isAscii(buf: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (buf[i]! >= 0x80) return false;
  return true;
}

export function decodeMutf8(buf: Buffer, start: number, end: number): string {
  if (isAscii(buf, start, end)) return buf.toString('latin1', start, end);
  let out = '';
  const units: number[] = [];
  let i = start;
  while (i < end) {
    const a = buf[i]!;
    if (a < 0x80) {
      units.push(a);
      i += 1;
    } else if ((a & 0xe0) === 0xc0 && i + 1 < end && (buf[i + 1]! & 0xc0) === 0x80) {
      units.push(((a & 0x1f) << 6) | (buf[i + 1]! & 0x3f));
      i += 2;
    } else if ((a & 0xf0) === 0xe0 && i + 2 < end && (buf[i + 1]! & 0xc0) === 0x80 && (buf[i + 2]! & 0xc0) === 0x80) {
      units.push(((a & 0x0f) << 12) | ((buf[i + 1]! & 0x3f) << 6) | (buf[i + 2]! & 0x3f));
      i += 3;
    } else {
      units.push(REPLACEMENT);
      i += 1;
    }
    if (units.length >= FLUSH_UNITS) {
      out += String.fromCharCode(...units);
      units.length = 0;
    }
  }
  return out + String.fromCharCode(...units);
}

/** MUTF-8 bytes of `s`, code unit by code unit (the inverse of decodeMutf8 for well-formed input). */
export function encodeMutf8(s: string): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const u = s.charCodeAt(i);
    if (u !== 0 && u < 0x80) out.push(u);
    else if (u < 0x800) out.push(0xc0 | (u >> 6), 0x80 | (u & 0x3f));
    else out.push(0xe0 | (u >> 12), 0x80 | ((u >> 6) & 0x3f), 0x80 | (u & 0x3f));
  }
  return Uint8Array.from(out);
}

/**
 * Lead bytes after which decodeMutf8 may produce a character that a different, canonical byte sequence
 * also produces (overlong forms: C0/C1 xx and E0 80..9F xx). A raw byte comparison that stops at such a byte
 * cannot conclude "different string": the caller decodes instead.
 */
export function mayBeOverlong(b: number): boolean {
  return b === 0xc0 || b === 0xc1 || b === 0xe0;
}
