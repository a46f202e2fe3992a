// Seeded mutations of real zip files for the zip fuzz test: bit flips, byte stores, "interesting" values
// written into zip header fields (found by their signatures), truncation, chunk deletion/duplication.
// Deterministic: the same seed gives the same mutant, so any failure can be replayed from its seed.

import { rng } from '../helpers/rng.js';

export { rng };

// Field offsets (within each record) worth corrupting, by record signature. Comments give the field.
const FIELDS: Record<number, { at: number; width: 2 | 4 | 8 }[]> = {
  // local header: flags, method, crc, compressed, uncompressed, name length, extra length
  0x04034b50: [{ at: 6, width: 2 }, { at: 8, width: 2 }, { at: 14, width: 4 }, { at: 18, width: 4 }, { at: 22, width: 4 }, { at: 26, width: 2 }, { at: 28, width: 2 }],
  // central header: flags, method, crc, compressed, uncompressed, name/extra/comment length, local offset
  0x02014b50: [{ at: 8, width: 2 }, { at: 10, width: 2 }, { at: 16, width: 4 }, { at: 20, width: 4 }, { at: 24, width: 4 }, { at: 28, width: 2 }, { at: 30, width: 2 }, { at: 32, width: 2 }, { at: 42, width: 4 }],
  // EOCD: entries here/total, cd size, cd offset, comment length
  0x06054b50: [{ at: 8, width: 2 }, { at: 10, width: 2 }, { at: 12, width: 4 }, { at: 16, width: 4 }, { at: 20, width: 2 }],
  // zip64 EOCD: entries total, cd size, cd offset
  0x06064b50: [{ at: 32, width: 8 }, { at: 40, width: 8 }, { at: 48, width: 8 }],
  // zip64 locator: zip64 EOCD offset
  0x07064b50: [{ at: 8, width: 8 }],
  // APK Signing Block is found by its magic at the end ("APK Sig Block 42"); size fields sit around it.
};

function signaturePositions(buf: Buffer): { pos: number; sig: number }[] {
  const out: { pos: number; sig: number }[] = [];
  for (let i = buf.indexOf('PK'); i >= 0 && i + 4 <= buf.length; i = buf.indexOf('PK', i + 1)) {
    const sig = buf.readUInt32LE(i);
    if (FIELDS[sig]) out.push({ pos: i, sig });
  }
  return out;
}

function interesting(size: number, width: 2 | 4 | 8, r: () => number): bigint {
  const max = width === 2 ? 0xffffn : width === 4 ? 0xffffffffn : 0xffffffffffffffffn;
  const values = [0n, 1n, 2n, max, max - 1n, max >> 1n, (max >> 1n) + 1n, BigInt(size), BigInt(Math.max(0, size - 1)), BigInt(size + 1), 0x7fffn, 46n, 30n, 22n];
  const v = values[Math.floor(r() * values.length)]!;
  return v > max ? max : v;
}

function writeField(buf: Buffer, at: number, width: 2 | 4 | 8, v: bigint): void {
  if (at + width > buf.length) return;
  if (width === 2) buf.writeUInt16LE(Number(v & 0xffffn), at);
  else if (width === 4) buf.writeUInt32LE(Number(v & 0xffffffffn), at);
  else buf.writeBigUInt64LE(v, at);
}

export const MUTATORS = ['bitflip', 'byte', 'field', 'field-random-offset', 'truncate', 'delete', 'duplicate', 'splice-record'] as const;
export type Mutator = (typeof MUTATORS)[number];

function applyOne(input: Buffer, kind: Mutator, r: () => number): Buffer {
  const n = input.length;
  if (n === 0) return input;
  const pick = (m: number) => Math.floor(r() * m);
  switch (kind) {
    case 'bitflip': {
      const b = Buffer.from(input);
      for (let k = 1 + pick(4); k > 0; k--) {
        const i = pick(n);
        b[i] = b[i]! ^ (1 << pick(8));
      }
      return b;
    }
    case 'byte': {
      const b = Buffer.from(input);
      for (let k = 1 + pick(8); k > 0; k--) b[pick(n)] = pick(256);
      return b;
    }
    case 'field': {
      const sigs = signaturePositions(input);
      if (sigs.length === 0) return applyOne(input, 'byte', r);
      const b = Buffer.from(input);
      const s = sigs[pick(sigs.length)]!;
      const fields = FIELDS[s.sig]!;
      const f = fields[pick(fields.length)]!;
      writeField(b, s.pos + f.at, f.width, interesting(n, f.width, r));
      return b;
    }
    case 'field-random-offset': {
      const b = Buffer.from(input);
      const width = ([2, 4, 8] as const)[pick(3)]!;
      writeField(b, pick(n), width, interesting(n, width, r));
      return b;
    }
    case 'truncate':
      return input.subarray(0, pick(n));
    case 'delete': {
      const at = pick(n);
      const len = 1 + pick(Math.min(64, n - at));
      return Buffer.concat([input.subarray(0, at), input.subarray(at + len)]);
    }
    case 'duplicate': {
      const at = pick(n);
      const len = 1 + pick(Math.min(256, n - at));
      const to = pick(n);
      return Buffer.concat([input.subarray(0, to), input.subarray(at, at + len), input.subarray(to)]);
    }
    case 'splice-record': {
      // Copy one record's first 46 bytes over another's: crossed names, sizes and offsets.
      const sigs = signaturePositions(input);
      if (sigs.length < 2) return applyOne(input, 'bitflip', r);
      const a = sigs[pick(sigs.length)]!;
      const c = sigs[pick(sigs.length)]!;
      const b = Buffer.from(input);
      input.copy(b, c.pos, a.pos, Math.min(n, a.pos + 46));
      return b;
    }
  }
}

/** A mutant of `input` made from `seed`: 1 to 3 mutations. */
export function mutate(input: Buffer, seed: number): { bytes: Buffer; steps: Mutator[] } {
  const r = rng(seed);
  let b = input;
  const steps: Mutator[] = [];
  for (let k = 1 + Math.floor(r() * 3); k > 0; k--) {
    const kind = MUTATORS[Math.floor(r() * MUTATORS.length)]!;
    steps.push(kind);
    b = applyOne(b, kind, r);
  }
  return { bytes: b, steps };
}
