// Digests against coreutils md5sum/sha256sum, on both paths: inline (small) and the two hashing threads.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { closeHashPool, INLINE_HASH_MAX_BYTES, SPLIT_MIN_BYTES, startHashes, takeHash } from '../../src/hash/hash.js';

const dir = mkdtempSync(join(tmpdir(), 'eduscan-hash-'));
afterAll(async () => {
  await closeHashPool();
  rmSync(dir, { recursive: true, force: true });
});

function coreutils(path: string): { md5: string; sha256: string } {
  const md5 = execFileSync('md5sum', [path]).toString().split(' ')[0]!;
  const sha256 = execFileSync('sha256sum', [path]).toString().split(' ')[0]!;
  return { md5, sha256 };
}

describe('file digests', () => {
  it('inline path: the sample APK and an empty file', async () => {
    const sample = resolve(import.meta.dirname, '../../samples/android/smartclass.apk');
    const empty = join(dir, 'empty.bin');
    writeFileSync(empty, '');
    for (const p of [sample, empty]) {
      const d = await takeHash(p);
      expect({ md5: d.md5, sha256: d.sha256 }).toEqual(coreutils(p));
    }
  });

  it('threaded path: files larger than the inline limit, several at once, sizes not multiples of a chunk', async () => {
    const files = [INLINE_HASH_MAX_BYTES + 12345, 3 * 1024 * 1024 + 1, 1].map((size, i) => {
      const p = join(dir, `f${i}.bin`);
      writeFileSync(p, randomBytes(size));
      return p;
    });
    const results = await Promise.all(startHashes(files));
    files.forEach((p, i) => {
      expect({ md5: results[i]!.md5, sha256: results[i]!.sha256 }).toEqual(coreutils(p));
    });
    expect(results[0]!.size).toBe(INLINE_HASH_MAX_BYTES + 12345);
  });

  it('threaded path, both ways: small files hashed whole by the reading thread, large ones split with the SHA-256 thread, interleaved', async () => {
    const sizes = [3 * 1024 * 1024 + 7, SPLIT_MIN_BYTES + 4097, 5, SPLIT_MIN_BYTES, 2 * 1024 * 1024 + 1, 0];
    const files = sizes.map((size, i) => {
      const p = join(dir, `g${i}.bin`);
      writeFileSync(p, randomBytes(size));
      return p;
    });
    const results = await Promise.all(startHashes(files));
    files.forEach((p, i) => {
      expect({ size: results[i]!.size, md5: results[i]!.md5, sha256: results[i]!.sha256 }).toEqual({ size: sizes[i], ...coreutils(p) });
    });
  });

  it('a missing file rejects with the errno code', async () => {
    await expect(takeHash(join(dir, 'nope.apk'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
