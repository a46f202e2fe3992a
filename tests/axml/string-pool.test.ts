// ResStringPool round trips through pools written here by the format's rules (ResourceTypes.h): both
// encodings, one- and two-unit lengths, strings placed out of order, and broken offsets and counts.
import { describe, expect, it } from 'vitest';
import { AnomalyNotes, readChunkHeader } from '../../src/apk/chunk.js';
import { parseStringPool } from '../../src/apk/string-pool.js';
import { EduscanError, type Anomaly } from '../../src/errors.js';

function length8(n: number): number[] {
  if (n > 0x7fff) throw new Error('UTF-8 pool lengths stop at 0x7fff');
  return n < 0x80 ? [n] : [(n >> 8) | 0x80, n & 0xff];
}

function length16(n: number): number[] {
  return n < 0x8000 ? [n] : [(n >>> 16) | 0x8000, n & 0xffff];
}

function encode(s: string, utf8: boolean): Buffer {
  if (utf8) {
    const bytes = Buffer.from(s, 'utf8');
    return Buffer.concat([Buffer.from([...length8(s.length), ...length8(bytes.length)]), bytes, Buffer.from([0])]);
  }
  const units = Buffer.from(s, 'utf16le');
  const len = Buffer.alloc(length16(s.length).length * 2);
  length16(s.length).forEach((u, i) => len.writeUInt16LE(u, i * 2));
  return Buffer.concat([len, units, Buffer.alloc(2)]);
}

/** A pool chunk; strings are stored in reverse order so only the offsets table can find them. */
function pool(strings: string[], utf8: boolean, opts: { declaredCount?: number; offsets?: number[] } = {}): Buffer {
  const encoded = strings.map((s) => encode(s, utf8));
  const offsets: number[] = new Array(strings.length);
  let at = 0;
  for (let i = strings.length - 1; i >= 0; i--) {
    offsets[i] = at;
    at += encoded[i]!.length;
  }
  let data = Buffer.concat([...encoded].reverse());
  if (data.length % 4) data = Buffer.concat([data, Buffer.alloc(4 - (data.length % 4))]);
  const table = Buffer.alloc(strings.length * 4);
  (opts.offsets ?? offsets).forEach((o, i) => table.writeUInt32LE(o, i * 4));
  const header = Buffer.alloc(28);
  header.writeUInt16LE(0x0001, 0);
  header.writeUInt16LE(28, 2);
  header.writeUInt32LE(28 + table.length + data.length, 4);
  header.writeUInt32LE(opts.declaredCount ?? strings.length, 8);
  header.writeUInt32LE(utf8 ? 0x100 : 0, 16);
  header.writeUInt32LE(28 + table.length, 20);
  return Buffer.concat([header, table, data]);
}

function open(buf: Buffer, anomalies: Anomaly[] = []) {
  return parseStringPool(buf, readChunkHeader(buf, 0, buf.length)!, 'E_BAD_AXML', new AnomalyNotes(anomalies, 'AXML'));
}

const SAMPLES = [
  '',
  'a',
  'x'.repeat(127),
  'x'.repeat(128), // two-byte UTF-8 lengths start here
  'é'.repeat(100), // 100 units, 200 bytes
  '教育移动互联网应用程序备案',
  'emoji 😀 takes two UTF-16 units',
  'quote " backslash \\ newline \n',
];

describe.each([
  ['UTF-8', true],
  ['UTF-16', false],
])('%s pool', (_name, utf8) => {
  it('reads every string by the offsets table', () => {
    const p = open(pool(SAMPLES, utf8));
    expect(p.utf8).toBe(utf8);
    expect(p.count).toBe(SAMPLES.length);
    SAMPLES.forEach((s, i) => expect(p.get(i)).toBe(s));
    expect(p.get(SAMPLES.length)).toBeUndefined();
    expect(p.get(-1)).toBeUndefined();
    expect(p.get(0.5)).toBeUndefined();
  });

  it('reads the longest lengths', () => {
    const long = utf8 ? 'y'.repeat(0x7fff) : 'z'.repeat(40_000); // UTF-16: two-unit length
    expect(open(pool(['short', long], utf8)).get(1)).toBe(long);
  });

  it('an offset past the data gives undefined, the others still read', () => {
    const buf = pool(['one', 'two'], utf8, { offsets: [0x7ffffff0, 0] });
    const p = open(buf);
    expect(p.get(0)).toBeUndefined();
    expect(p.get(1)).toBe('two'); // stored in reverse order: offset 0 holds the last string
  });

  it('a declared count larger than the offsets table is capped, with an anomaly', () => {
    const anomalies: Anomaly[] = [];
    const p = open(pool(['a', 'b'], utf8, { declaredCount: 0x10000000 }), anomalies);
    expect(p.count).toBeLessThan(0x100);
    expect(p.get(0)).toBe('a');
    expect(anomalies.map((a) => a.code)).toEqual(['AXML_STRING_COUNT']);
  });

  it('a string whose length runs past the pool gives undefined', () => {
    const buf = pool(['abc'], utf8);
    // The length unit(s) right after the offsets table: claim far more than is there.
    const at = 28 + 4;
    if (utf8) buf[at + 1] = 0x7f;
    else buf.writeUInt16LE(0x7fff, at);
    expect(open(buf).get(0)).toBeUndefined();
  });
});

describe('unusable pools', () => {
  it('strings start outside the chunk', () => {
    const buf = pool(['a'], true);
    buf.writeUInt32LE(0xffff, 20);
    expect(() => open(buf)).toThrow(EduscanError);
  });

  it('header shorter than ResStringPool_header', () => {
    const buf = pool(['a'], true);
    buf.writeUInt16LE(20, 2);
    expect(() => open(buf)).toThrow(/string pool: header size 20/);
  });
});
