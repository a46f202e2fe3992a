// Truncation at every cut point, bytes missing from the front, and a ByteSource that fails its n-th read
// for every n: the reader ends in a stable EduscanError code each time, never another error.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EduscanError } from '../../src/errors.js';
import { BufferSource, type ByteSource } from '../../src/io/source.js';
import { FIXTURES } from '../helpers/corpus.js';
import { exercise } from './exercise.js';
import { HOSTILE_CASES } from './hostile-cases.js';

const seed = (f: string) => readFileSync(join(FIXTURES, 'zip', f));
const hostile = (f: string) => HOSTILE_CASES.find((c) => c.file === f)!.build();

const INPUTS: [string, Buffer][] = [
  ['apktool__issue1730.apk', seed('apktool__issue1730.apk')],
  ['androguard__v2-only-with-rsa-pkcs1-sha256-2048.apk (APK Signing Block)', seed('androguard__v2-only-with-rsa-pkcs1-sha256-2048.apk')],
  ['zip64.apk', hostile('zip64.apk')],
  ['janus.apk', hostile('janus.apk')],
];

function tally(codes: string[]): Record<string, number> {
  const t: Record<string, number> = {};
  for (const c of codes) t[c] = (t[c] ?? 0) + 1;
  return t;
}

describe('truncation', () => {
  for (const [name, bytes] of INPUTS) {
    it(`${name}: every prefix (${bytes.length} cut points) is E_EMPTY, E_NOT_ZIP or E_ZIP_CORRUPT`, () => {
      const codes: string[] = [];
      for (let cut = 0; cut < bytes.length; cut++) codes.push(exercise(bytes.subarray(0, cut)));
      expect(codes[0]).toBe('E_EMPTY');
      // Without its end record (the last 22 bytes) an archive cannot be opened at all.
      expect(Object.keys(tally(codes.slice(1))).sort()).toEqual(expect.arrayContaining(['E_NOT_ZIP']));
      for (const c of codes.slice(1)) expect(['E_NOT_ZIP', 'E_ZIP_CORRUPT']).toContain(c);
    });

    it(`${name}: dropping 1..n bytes from the front ends in a zip error code, never a crash`, () => {
      const codes: string[] = [];
      for (let cut = 1; cut < bytes.length; cut++) codes.push(exercise(bytes.subarray(cut)));
      for (const c of codes) expect(['E_NOT_ZIP', 'E_ZIP_CORRUPT', 'E_ZIP_ENTRY', 'ok']).toContain(c);
      // With the directory intact but every offset off, entries cannot be read.
      expect(codes.filter((c) => c === 'E_ZIP_CORRUPT' || c === 'E_ZIP_ENTRY').length).toBeGreaterThan(0);
    });
  }

  it('a cut inside a 65535-byte comment leaves no valid end record: E_NOT_ZIP', () => {
    const bytes = hostile('max-comment.apk');
    const commentStart = bytes.length - 0xffff;
    expect(exercise(bytes)).toBe('ok');
    for (const keep of [0, 1, 100, 1030, 30_000, 65_534]) expect(exercise(bytes.subarray(0, commentStart + keep))).toBe('E_NOT_ZIP');
  });
});

/** Fails its n-th read (1-based): throws E_IO like a failing disk, or hands back garbage of the right length. */
class FaultySource implements ByteSource {
  reads = 0;
  readonly size: number;
  constructor(private readonly inner: ByteSource, private readonly failAt: number, private readonly mode: 'throw' | 'garbage' | 'zeros') {
    this.size = inner.size;
  }
  read(offset: number, length: number): Buffer {
    this.reads++;
    const buf = this.inner.read(offset, length);
    if (this.reads !== this.failAt) return buf;
    if (this.mode === 'throw') throw new EduscanError('E_IO', `injected read failure #${this.reads} at offset ${offset}`, { offset });
    const out = Buffer.alloc(length, this.mode === 'zeros' ? 0 : 0xa5);
    if (this.mode === 'garbage') for (let i = 0; i < length; i++) out[i] = (i * 131 + offset) & 0xff;
    return out;
  }
  close(): void {}
}

describe('fault-injecting ByteSource', () => {
  for (const [name, bytes] of INPUTS) {
    it(`${name}: failing the n-th read, for every n, only ever yields EduscanError`, () => {
      // How many reads a full pass makes: every n up to one past that gets a failure.
      const probe = new FaultySource(new BufferSource(bytes), 0, 'throw');
      expect(exercise(probe)).toBe('ok');
      const total = probe.reads;
      expect(total).toBeGreaterThan(3);
      for (let n = 1; n <= total + 1; n++) {
        const thrown = new FaultySource(new BufferSource(bytes), n, 'throw');
        // The injected E_IO must surface as itself, not be swallowed into success or another code.
        expect(exercise(thrown), `read #${n}`).toBe(n <= total ? 'E_IO' : 'ok');
        for (const mode of ['garbage', 'zeros'] as const) {
          const code = exercise(new FaultySource(new BufferSource(bytes), n, mode));
          expect(['ok', 'E_NOT_ZIP', 'E_ZIP_CORRUPT', 'E_ZIP_ENTRY', 'E_LIMIT'], `${mode} read #${n}`).toContain(code);
        }
      }
    });
  }
});
