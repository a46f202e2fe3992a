// The dex worker (src/code/dex-pool.ts) must not change a single fact: scans that take the worker's records
// give exactly the facts of scans that read every dex file themselves. Runs the built modules (dist/, which
// `npm test` builds first): the worker thread loads dist/code/dex-worker.js.
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { writeZip } from '../../bench/zip-writer.mjs';
import { CORPUS, corpusFiles, FIXTURES } from '../helpers/corpus.js';

const DIST = join(import.meta.dirname, '..', '..', 'dist');
const dist = async <T>(path: string): Promise<T> => (await import(join(DIST, path))) as T;

type Scan = (path: string, opts?: object) => Promise<unknown>;
interface PoolModule {
  startDexPool(paths: string[], limits: object): void;
  closeDexPool(): Promise<void>;
  dexPoolStats(): { worker: number; here: number };
}

/**
 * The sample APK with the committed fixture dex files added as classes.dex, classes2.dex … (stored, as many
 * real APKs keep them), and damaged ones after them, so that every kind of record is replayed: a dex with
 * trailing bytes (a dex anomaly), one whose CRC the central directory gets wrong (a zip note), a truncated
 * one (E_BAD_DEX from the dex reader), and a deflate stream that does not inflate (a read error).
 */
function multidexApk(dir: string): string {
  const path = join(dir, 'multidex.apk');
  const { entries } = readZipEntries(join(import.meta.dirname, '..', '..', 'samples', 'android', 'smartclass.apk'));
  const dexes = readdirSync(join(FIXTURES, 'dex')).filter((f) => f.endsWith('.dex')).sort().map((f) => readFileSync(join(FIXTURES, 'dex', f)));
  const first = dexes[0]!;
  const damaged = [
    Buffer.concat([first, Buffer.alloc(16, 0xee)]),
    first,
    first.subarray(0, Math.floor(first.length / 2)),
    Buffer.from('not a deflate stream at all'),
  ];
  [...dexes, ...damaged].forEach((data, i) => {
    const bad = i - dexes.length;
    const crc = bad === 1 ? (crc32(data) ^ 1) >>> 0 : crc32(data);
    entries.push({ name: i === 0 ? 'classes.dex' : `classes${i + 1}.dex`, method: bad === 3 ? 8 : 0, crc, size: bad === 3 ? 4096 : data.length, data });
  });
  writeZip(path, entries);
  return path;
}

/** Stored copies of every entry of a small zip, inflated with the library's own reader. */
function readZipEntries(path: string): { entries: { name: string; method: number; crc: number; size: number; data: Buffer }[] } {
  // Loaded lazily from dist like the rest, so that this file has no src/ module instance of its own.
  return LOADED.zip(path);
}

const LOADED = {
  zip: (_path: string): { entries: { name: string; method: number; crc: number; size: number; data: Buffer }[] } => {
    throw new Error('not loaded');
  },
};

describe('dex worker: same facts as reading every dex in the scan thread', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'eduscan-dexpool-'));

  afterAll(async () => {
    const pool = await dist<PoolModule>('code/dex-pool.js');
    await pool.closeDexPool();
    const { closeHashPool } = await dist<{ closeHashPool(): Promise<void> }>('hash/hash.js');
    await closeHashPool();
  });

  it('on a multidex package built from the committed fixtures, and on the corpus APKs', async () => {
    const { FileSource } = await dist<{ FileSource: new (p: string) => { close(): void } }>('io/source.js');
    const { openZip, readEntry } = await dist<{ openZip(s: unknown): { entries: { name: string }[] }; readEntry(z: unknown, e: unknown): Buffer }>('zip/zip.js');
    LOADED.zip = (path) => {
      const src = new FileSource(path);
      const zip = openZip(src);
      const entries = zip.entries.map((e) => {
        const data = readEntry(zip, e);
        return { name: e.name, method: 0, crc: crc32(data), size: data.length, data };
      });
      src.close();
      return { entries };
    };
    const { scanPackage } = await dist<{ scanPackage: Scan }>('scan.js');
    const { DEFAULT_LIMITS } = await dist<{ DEFAULT_LIMITS: object }>('limits.js');
    const pool = await dist<PoolModule>('code/dex-pool.js');
    const paths = [multidexApk(tmp), ...corpusFiles('apk')];

    // Reference: no worker.
    const expected = [];
    for (const p of paths) expected.push(await scanPackage(p).catch((e: { code: string; message: string }) => ({ error: e.code, message: e.message })));

    pool.startDexPool(paths, { ...DEFAULT_LIMITS });
    // Give the worker time to start and take the first package's files (a real scan shares them by timing).
    await new Promise((r) => setTimeout(r, 1500));
    for (const [i, p] of paths.entries()) {
      const got = await scanPackage(p).catch((e: { code: string; message: string }) => ({ error: e.code, message: e.message }));
      expect(got, p).toEqual(expected[i]);
    }
    const stats = pool.dexPoolStats();
    // Every primary dex file went through the shared path, and the worker made some of the records.
    expect(stats.worker).toBeGreaterThan(0);
    const fixtures = readdirSync(join(FIXTURES, 'dex')).filter((f) => f.endsWith('.dex')).length;
    const multidex = expected[0] as { code: { dex: unknown[] }; anomalies: { code: string }[] };
    expect(multidex.code.dex.length).toBeGreaterThanOrEqual(fixtures + 2);
    // Each damage left its mark, so each kind of record was replayed above.
    expect(multidex.anomalies.map((a) => a.code)).toEqual(expect.arrayContaining(['DEX_TRAILING_BYTES', 'ZIP_CRC_MISMATCH', 'DEX_UNREADABLE']));
    expect(multidex.anomalies.filter((a) => a.code === 'DEX_UNREADABLE')).toHaveLength(2);
    expect(stats.worker + stats.here).toBeGreaterThanOrEqual(fixtures + 4);
    if (CORPUS) expect(stats.worker + stats.here).toBeGreaterThan(100);
    await pool.closeDexPool();
  });

  it('under a total inflation cap that runs out part-way through the dex files', async () => {
    const { scanPackage } = await dist<{ scanPackage: Scan }>('scan.js');
    const { resolveLimits } = await dist<{ resolveLimits(p: object): object }>('limits.js');
    const pool = await dist<PoolModule>('code/dex-pool.js');
    const path = join(tmp, 'multidex.apk');
    type Facts = { anomalies: { code: string; detail: string }[]; code: { dex: unknown[] } };
    // The smallest cap (in 64-byte steps) at which a dex file is read and a later one refused: the first two
    // fixtures (688 and 672 bytes) each fit in what is left there, but not both.
    let cap = { maxTotalInflatedBytes: 4096 };
    let expected: Facts | undefined;
    for (; cap.maxTotalInflatedBytes < 1 << 20; cap = { maxTotalInflatedBytes: cap.maxTotalInflatedBytes + 64 }) {
      const f = (await scanPackage(path, { limits: cap }).catch(() => undefined)) as Facts | undefined;
      if (f && f.code.dex.length >= 1 && f.anomalies.some((a) => a.code === 'DEX_UNREADABLE' && a.detail.startsWith('E_LIMIT'))) {
        expected = f;
        break;
      }
    }
    expect(expected).toBeDefined();
    pool.startDexPool([path], resolveLimits(cap));
    await new Promise((r) => setTimeout(r, 1500));
    expect(await scanPackage(path, { limits: cap })).toEqual(expected);
  });
});
