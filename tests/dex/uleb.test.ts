// DexFile.readUleb (unrolled, with integer shifts) against the uleb128 definition written out plainly:
// values of 1 to 5 bytes, bits above 32 in a fifth byte, values too long, and values cut by the end of the
// file at every position — same value and end offset, or the same E_BAD_DEX message.
import { describe, expect, it } from 'vitest';
import { DexFile } from '../../src/dex/dex-file.js';
import { isEduscanError } from '../../src/errors.js';
import { rng } from '../helpers/rng.js';

/** The smallest valid version 035 dex: a header and nothing else; `tail` is appended and file_size covers it. */
function dexWith(tail: number[]): DexFile {
  const size = 0x70 + tail.length;
  const b = Buffer.alloc(size);
  b.write('dex\n035\0', 0, 'latin1');
  b.writeUInt32LE(size, 0x20);
  b.writeUInt32LE(0x70, 0x24);
  b.writeUInt32LE(0x12345678, 0x28);
  Buffer.from(tail).copy(b, 0x70);
  return new DexFile(b);
}

/** uleb128 as the DEX format defines it (at most 5 bytes, 32 bits kept). */
function reference(bytes: number[], p: number, end: number): { value: number; next: number } | string {
  let value = 0;
  for (let i = 0; i < 5; i++) {
    if (p + i >= end) return `uleb128 at offset ${p} runs past the end of the file (${end} bytes)`;
    const b = bytes[p + i]!;
    value += (b & 0x7f) * 2 ** (7 * i);
    if ((b & 0x80) === 0) return { value: value % 2 ** 32, next: p + i + 1 };
  }
  return `uleb128 at offset ${p} is longer than 5 bytes`;
}

describe('DexFile.readUleb', () => {
  it('matches the definition on random bytes at every position, up to the end of the file', () => {
    const rnd = rng(0x1eb);
    let long = 0;
    let five = 0;
    for (let k = 0; k < 300; k++) {
      // Mostly continuation bytes, so that long and cut-off values are common.
      const tail = Array.from({ length: 1 + Math.floor(rnd() * 12) }, () => (rnd() < 0.7 ? 0x80 : 0) | Math.floor(rnd() * 128));
      const dex = dexWith(tail);
      const bytes = [...dex.buf];
      for (let p = 0x70; p <= dex.end; p++) {
        const want = reference(bytes, p, dex.end);
        let got: { value: number; next: number } | string;
        try {
          got = { value: dex.readUleb(p), next: dex.ulebEnd };
        } catch (e) {
          if (!isEduscanError(e)) throw e;
          got = e.message.replace(/^dex: /, '');
        }
        expect(got, `bytes ${tail.map((x) => x.toString(16)).join(' ')} at ${p}`).toEqual(want);
        if (typeof want === 'string' && want.includes('longer')) long++;
        if (typeof want !== 'string' && want.next - p === 5) five++;
      }
    }
    expect(long).toBeGreaterThan(20);
    expect(five).toBeGreaterThan(20);
  });
});
