// Every hostile case must end in its stable error code or in exactly its anomaly codes, both when built
// now and from the committed copy in tests/fixtures/hostile/ (the one the CLI tests and other suites use).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EduscanError, LimitError } from '../../src/errors.js';
import { BufferSource } from '../../src/io/source.js';
import { resolveLimits } from '../../src/limits.js';
import { openZip, readEntry, type ZipArchive } from '../../src/zip/zip.js';
import { buildZip } from '../helpers/build-zip.js';
import { FIXTURES } from '../helpers/corpus.js';
import { baseEntries, HOSTILE_CASES, type HostileCase } from './hostile-cases.js';

interface Outcome {
  openError?: string;
  anomalies: string[];
  readErrors: Map<string, EduscanError>;
  zip?: ZipArchive;
}

function run(c: HostileCase, bytes: Buffer): Outcome {
  const limits = resolveLimits(c.readError?.limits);
  let zip: ZipArchive;
  try {
    zip = openZip(new BufferSource(bytes), limits);
  } catch (e) {
    if (!(e instanceof EduscanError)) throw e;
    return { openError: e.code, anomalies: [], readErrors: new Map() };
  }
  const readErrors = new Map<string, EduscanError>();
  for (const entry of zip.entries) {
    try {
      readEntry(zip, entry);
    } catch (e) {
      if (!(e instanceof EduscanError)) throw e;
      readErrors.set(entry.name, e);
    }
  }
  return { anomalies: [...new Set(zip.anomalies.map((a) => a.code))].sort(), readErrors, zip };
}

function check(c: HostileCase, o: Outcome): void {
  if (c.openError) {
    expect(o.openError).toBe(c.openError);
    return;
  }
  expect(o.openError).toBeUndefined();
  expect(o.anomalies).toEqual([...(c.anomalies ?? [])].sort());
  if (c.readError) {
    const errs = c.readError.entry ? [o.readErrors.get(c.readError.entry)] : [...o.readErrors.values()];
    expect(errs.length).toBeGreaterThan(0);
    for (const e of errs) expect(e?.code).toBe(c.readError.code);
    const others = [...o.readErrors.keys()].filter((n) => c.readError?.entry !== undefined && n !== c.readError.entry);
    expect(others).toEqual([]);
  } else {
    expect([...o.readErrors.entries()].map(([n, e]) => `${n}: ${e.code} ${e.message}`)).toEqual([]);
  }
}

describe('hostile zip archives', () => {
  for (const c of HOSTILE_CASES) {
    it(`${c.file}: ${c.why}`, () => {
      check(c, run(c, c.build()));
      const committed = join(FIXTURES, 'hostile', c.file);
      expect(existsSync(committed), `${committed} missing: run npx tsx tests/zip/write-hostile.ts`).toBe(true);
      check(c, run(c, readFileSync(committed)));
    });
  }

  it('the base APK re-packed without malformation has no anomalies and the same bytes as adm-zip reads', () => {
    const c: HostileCase = { file: 'clean', why: '', build: () => Buffer.alloc(0) };
    const base = baseEntries();
    const o = run(c, buildZip(base));
    expect(o.anomalies).toEqual([]);
    for (const e of base) expect(readEntry(o.zip!, o.zip!.get(e.name)!)).toEqual(e.data);
  });

  it('overlap bomb: the per-scan total cap stops it and names maxTotalInflatedBytes', () => {
    const c = HOSTILE_CASES.find((x) => x.file === 'overlap.apk')!;
    const o = run(c, c.build());
    const err = [...o.readErrors.values()][0];
    expect(err).toBeInstanceOf(LimitError);
    expect((err as LimitError).limit).toBe('maxTotalInflatedBytes');
    // 16 MiB of budget, 1 MiB per alias: about 16 reads succeed before the cap.
    expect(o.readErrors.size).toBeGreaterThan(40);
  });

  it('lying bomb: the inflate cap trips during inflation, not on the declared size', () => {
    const c = HOSTILE_CASES.find((x) => x.file === 'bomb-lying.apk')!;
    const o = run(c, c.build());
    const err = o.readErrors.get('assets/bomb.bin') as LimitError;
    expect(err.limit).toBe('maxEntryInflatedBytes');
    expect(err.message).toMatch(/inflates past 1048576/);
  });

  it('a 1 KB entry that inflates 1000-fold trips the compression-ratio cap', () => {
    const bytes = buildZip([{ name: 'r.bin', data: Buffer.alloc(4 * 1024 * 1024), central: { uncompressedSize: 10 } }]);
    const zip = openZip(new BufferSource(bytes), resolveLimits({ maxCompressionRatio: 100 }));
    const err = catchError(() => readEntry(zip, zip.entries[0]!));
    expect(err).toBeInstanceOf(LimitError);
    expect((err as LimitError).limit).toBe('maxCompressionRatio');
  });

  it('a compressed size far above the cap is refused before it is read into memory', () => {
    const bytes = buildZip([{ name: 'big', data: Buffer.alloc(10), raw: Buffer.alloc(300_000, 0x00) }]);
    const zip = openZip(new BufferSource(bytes), resolveLimits({ maxEntryInflatedBytes: 100_000 }));
    const err = catchError(() => readEntry(zip, zip.entries[0]!));
    expect((err as LimitError).code).toBe('E_LIMIT');
    expect(err?.message).toMatch(/300000 compressed bytes/);
  });

  it('entry-count bomb: more central records than maxEntries is E_LIMIT before any record is parsed', () => {
    const entries = Array.from({ length: 3000 }, (_, i) => ({ name: `e${i}`, data: '' }));
    const bytes = buildZip(entries);
    expect(openZip(new BufferSource(bytes)).entries).toHaveLength(3000);
    const err = catchError(() => openZip(new BufferSource(bytes), resolveLimits({ maxEntries: 1000 })));
    expect(err).toBeInstanceOf(LimitError);
    expect((err as LimitError).limit).toBe('maxEntries');
  });

  it('duplicate names: get() returns the first record; the second is still listed', () => {
    const c = HOSTILE_CASES.find((x) => x.file === 'duplicate-entry.apk')!;
    const bytes = c.build();
    const o = run(c, bytes);
    const first = o.zip!.get('AndroidManifest.xml')!;
    expect(first.index).toBe(0);
    expect(readEntry(o.zip!, first)).toEqual(baseEntries().find((e) => e.name === 'AndroidManifest.xml')!.data);
    expect(o.zip!.entries.filter((e) => e.name === 'AndroidManifest.xml').map((e) => e.index)).toEqual([0, 4]);
  });

  it('Janus: prependedBytes is the size of the glued DEX, adjusted or not', () => {
    for (const f of ['janus.apk', 'prepended-unshifted.apk']) {
      const c = HOSTILE_CASES.find((x) => x.file === f)!;
      const o = run(c, c.build());
      expect(o.zip!.prependedBytes).toBe(0x70);
      expect(o.zip!.source.read(0, 4).toString('latin1')).toBe('dex\n');
    }
  });

  it('a zipflinger virtual entry at offset 0 is not prepended data', () => {
    const c = HOSTILE_CASES.find((x) => x.file === 'virtual-entry.apk')!;
    const o = run(c, c.build());
    expect(o.zip!.prependedBytes).toBe(0);
    expect(Math.min(...o.zip!.entries.map((e) => e.localHeaderOffset))).toBe(132);
  });

  it('an App Bundle is recognisable: base/manifest/AndroidManifest.xml and BundleConfig.pb, no root manifest', () => {
    const c = HOSTILE_CASES.find((x) => x.file === 'bundle.aab')!;
    const z = run(c, c.build()).zip!;
    expect(z.get('base/manifest/AndroidManifest.xml')).toBeDefined();
    expect(z.get('BundleConfig.pb')).toBeDefined();
    expect(z.get('AndroidManifest.xml')).toBeUndefined();
  });
});

function catchError(f: () => unknown): EduscanError | undefined {
  try {
    f();
  } catch (e) {
    if (e instanceof EduscanError) return e;
    throw e;
  }
  return undefined;
}
