// Seeded mutations of real dex files for the fuzz tests (tests/dex/fuzz.test.ts, tests/code/fast-path.test.ts):
// flipped bits, extreme counts and offsets in the header and the id tables, truncations, random bytes,
// long or huge uleb128 values.
import { DexFile } from '../../src/dex/dex-file.js';

const EXTREMES_32 = [0, 1, 0xffffffff, 0x7fffffff, 0x80000000, 0xfffffff0, 0x10000, 0x70, 0x12345678];

/** u32 positions worth hitting: header fields, and the first entries of every id table. */
function interesting(buf: Buffer): number[] {
  const out: number[] = [];
  for (let o = 0x20; o < 0x70; o += 4) out.push(o);
  try {
    const d = new DexFile(buf);
    for (const t of [d.header.stringIds, d.header.typeIds, d.header.methodIds, d.header.fieldIds, d.header.classDefs, d.header.protoIds]) {
      for (let i = 0; i < Math.min(t.size, 8) * 4; i += 4) out.push(t.off + i);
    }
  } catch {
    // seed damaged by an earlier mutation: header positions only
  }
  return out;
}

export function mutate(seed: Buffer, rnd: () => number): Buffer {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  let b = Buffer.from(seed);
  const rounds = 1 + Math.floor(rnd() * 4);
  for (let r = 0; r < rounds; r++) {
    const kind = Math.floor(rnd() * 6);
    if (kind === 0) {
      for (let i = 0; i < 1 + rnd() * 8; i++) {
        const p = Math.floor(rnd() * b.length);
        b[p] = b[p]! ^ (1 << Math.floor(rnd() * 8));
      }
    } else if (kind === 1 || kind === 2) {
      const spots = interesting(b);
      const p = pick(spots);
      if (p + 4 <= b.length) b.writeUInt32LE(kind === 1 ? pick(EXTREMES_32) : Math.floor(rnd() * b.length), p);
    } else if (kind === 3) {
      b = b.subarray(0, Math.floor(rnd() * b.length));
    } else if (kind === 4) {
      const p = Math.floor(rnd() * b.length);
      const n = Math.min(b.length - p, 1 + Math.floor(rnd() * 64));
      for (let i = 0; i < n; i++) b[p + i] = Math.floor(rnd() * 256);
    } else {
      // a uleb128 somewhere in the data made long or huge
      const p = Math.floor(0x70 + rnd() * Math.max(1, b.length - 0x75));
      for (let i = 0; i < 5 && p + i < b.length; i++) b[p + i] = i < 4 ? 0xff : 0x0f;
    }
  }
  return b;
}

