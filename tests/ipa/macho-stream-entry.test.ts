// Streaming a zip entry (src/zip/entry-stream.ts) and the IPA path built on it (extractIpaFactsAsync):
// the same bytes as readEntry, the same caps, early stop, and the same facts as extractIpaFacts on every
// corpus IPA and on built ones.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import AdmZip from 'adm-zip';
import { describe, expect, it } from 'vitest';
import { buildBigMachO } from '../../bench/ipa-gen.mjs';
import { EduscanError, LimitError, type Anomaly } from '../../src/errors.js';
import { BufferSource, FileSource, type ByteSource } from '../../src/io/source.js';
import { extractIpaFacts, extractIpaFactsAsync, looksLikeIpa } from '../../src/ipa/ipa.js';
import { DEFAULT_LIMITS, resolveLimits, type Limits } from '../../src/limits.js';
import { entryChunks } from '../../src/zip/entry-stream.js';
import { openZip, readEntry, type ZipArchive } from '../../src/zip/zip.js';
import { CORPUS } from '../helpers/corpus.js';
import { buildZip, openBuilt, xmlPlist } from './helpers/build-ipa.js';
import { buildMachO } from './helpers/build-macho.js';

const EXE = buildBigMachO({ size: 3e6, seed: 31 }).bytes;

function zipWith(files: Record<string, { data: Buffer; stored?: boolean }>): Buffer {
  const z = new AdmZip();
  for (const [name, f] of Object.entries(files)) {
    z.addFile(name, f.data);
    if (f.stored) z.getEntry(name)!.header.method = 0;
  }
  return z.toBuffer();
}

async function collect(it: AsyncIterable<Buffer>): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for await (const c of it) out.push(c);
  return out;
}

async function outcome(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (e) {
    if (e instanceof EduscanError) return e instanceof LimitError ? `E_LIMIT ${e.limit}` : e.code;
    throw e;
  }
}

describe('entryChunks', () => {
  const buf = zipWith({ 'deflated': { data: EXE }, 'stored': { data: EXE, stored: true } });

  for (const name of ['deflated', 'stored']) {
    it(`${name}: the same bytes as readEntry, in chunks of at most chunkBytes`, async () => {
      const zip = openBuilt(buf);
      const e = zip.get(name)!;
      const chunks = await collect(entryChunks(zip, e, { maxBytes: 16e6, chunkBytes: 100_000, readBytes: 65536 }));
      expect(Math.max(...chunks.map((c) => c.length))).toBeLessThanOrEqual(100_000);
      expect(Buffer.concat(chunks).equals(readEntry(openBuilt(buf), e, 16e6))).toBe(true);
      expect(zip.inflatedTotal).toBe(EXE.length);
      expect(zip.anomalies).toEqual([]);
    });
  }

  it('stopping early releases the inflater; the entry can be read again', async () => {
    const zip = openBuilt(buf);
    const e = zip.get('deflated')!;
    let n = 0;
    for await (const c of entryChunks(zip, e, { maxBytes: 16e6, chunkBytes: 65536 })) {
      n += c.length;
      if (n > 200_000) break;
    }
    expect(zip.inflatedTotal).toBe(n);
    expect(n).toBeLessThan(EXE.length);
    expect(Buffer.concat(await collect(entryChunks(zip, e, { maxBytes: 16e6 }))).equals(EXE)).toBe(true);
  });

  it('caps: the entry, the scan total and the compression ratio, up front or as the output passes them', async () => {
    const zip = () => openBuilt(buf);
    const e = zip().get('deflated')!;
    expect(await outcome(collect(entryChunks(zip(), e, { maxBytes: 1e6 })))).toBe('E_LIMIT maxEntryInflatedBytes');
    // partial: the first maxBytes are handed out, then the LimitError.
    const z = zip();
    const got: Buffer[] = [];
    const partial = (async () => {
      for await (const c of entryChunks(z, e, { maxBytes: 1e6, partial: true })) got.push(c);
    })();
    expect(await outcome(partial)).toBe('E_LIMIT maxEntryInflatedBytes');
    expect(Buffer.concat(got).equals(EXE.subarray(0, 1e6))).toBe(true);
    const tight = (limits: Partial<Limits>): ZipArchive => openZip(new BufferSource(buf), resolveLimits(limits));
    expect(await outcome(collect(entryChunks(tight({ maxTotalInflatedBytes: 2e6 }), e, { maxBytes: 16e6 })))).toBe('E_LIMIT maxTotalInflatedBytes');
    expect(await outcome(collect(entryChunks(tight({ maxCompressionRatio: 2 }), e, { maxBytes: 16e6 })))).toBe('E_LIMIT maxCompressionRatio');
  });

  it('a zip bomb that declares a small size stops at the cap', async () => {
    const bomb = zipWith({ z: { data: Buffer.alloc(50e6) } });
    const zip = openBuilt(bomb);
    const e = zip.get('z')!;
    e.uncompressedSize = 1000; // the central directory lies
    expect(await outcome(collect(entryChunks(zip, e, { maxBytes: 1e6 })))).toBe('E_LIMIT maxEntryInflatedBytes');
    expect(zip.inflatedTotal).toBe(1e6);
  });

  it('damaged data: E_ZIP_ENTRY; a wrong CRC is noted once the end is reached (and not when crc is off)', async () => {
    const zip = openBuilt(buf);
    const e = zip.get('deflated')!;
    const broken = Buffer.from(buf);
    const at = buf.indexOf(Buffer.from('deflated')) + 'deflated'.length; // the data follows the local header's name
    broken.fill(0xff, at, at + 64);
    expect(await outcome(collect(entryChunks(openBuilt(broken), e, { maxBytes: 16e6 })))).toBe('E_ZIP_ENTRY');
    // A deflate stream cut short (the record claims fewer compressed bytes): zlib's "unexpected end of file".
    expect(await outcome(collect(entryChunks(openBuilt(buf), { ...e, compressedSize: 5000 }, { maxBytes: 16e6 })))).toBe('E_ZIP_ENTRY');
    const crcZip = openBuilt(buf);
    const wrong = { ...crcZip.get('deflated')!, crc: 1234 };
    await collect(entryChunks(crcZip, wrong, { maxBytes: 16e6 }));
    // (The local header now disagrees with the record too.)
    expect(crcZip.anomalies.map((a) => a.code)).toEqual(['ZIP_LOCAL_SIZE_MISMATCH', 'ZIP_CRC_MISMATCH']);
    const noCrc = openBuilt(buf);
    await collect(entryChunks(noCrc, wrong, { maxBytes: 16e6, crc: false }));
    expect(noCrc.anomalies.map((a) => a.code)).toEqual(['ZIP_LOCAL_SIZE_MISMATCH']);
  });

  it('a read error from the source comes through as it is', async () => {
    const inner = new BufferSource(buf);
    let reads = 0;
    const failing: ByteSource = {
      size: inner.size,
      read: (o, l) => {
        if (++reads > 6) throw new EduscanError('E_IO', 'disk gone');
        return inner.read(o, l);
      },
      close: () => undefined,
    };
    const zip = openBuilt(buf);
    const z: ZipArchive = { ...zip, source: failing };
    expect(await outcome(collect(entryChunks(z, zip.get('deflated')!, { maxBytes: 16e6, readBytes: 4096 })))).toBe('E_IO');
  });
});

type Reading = { facts?: unknown; anomalies: Anomaly[]; zipAnomalies: Anomaly[]; error?: string };

async function both(open: () => ZipArchive): Promise<[Reading, Reading]> {
  const read = async (f: (zip: ZipArchive, anomalies: Anomaly[]) => unknown): Promise<Reading> => {
    const anomalies: Anomaly[] = [];
    let zip: ZipArchive | undefined;
    try {
      zip = open();
      return { facts: await f(zip, anomalies), anomalies, zipAnomalies: zip.anomalies };
    } catch (e) {
      if (!(e instanceof EduscanError)) throw e;
      return { error: e.code, anomalies, zipAnomalies: zip?.anomalies ?? [] };
    }
  };
  const sync = await read((zip, anomalies) => extractIpaFacts(zip, { limits: DEFAULT_LIMITS, anomalies }));
  const streamed = await read((zip, anomalies) => extractIpaFactsAsync(zip, { limits: DEFAULT_LIMITS, anomalies }));
  return [sync, streamed];
}

/** The sync path checks the executable's CRC, the streamed one does not get to its end. */
const withoutExecutableCrc = (r: Reading, exe: string | undefined): Reading =>
  ({ ...r, zipAnomalies: r.zipAnomalies.filter((a) => !(a.code === 'ZIP_CRC_MISMATCH' && a.entry === exe)) });

describe('extractIpaFactsAsync = extractIpaFacts', () => {
  const info = (extra: object = {}) => xmlPlist({ CFBundleIdentifier: 'com.example.stream', CFBundleExecutable: 'A', ...extra });
  const cases: Record<string, Buffer> = {
    'a 3 MB generated executable': buildZip({ 'Payload/A.app/Info.plist': info(), 'Payload/A.app/A': EXE }),
    'a stored executable': zipWith({ 'Payload/A.app/Info.plist': { data: info() }, 'Payload/A.app/A': { data: EXE, stored: true } }),
    'a truncated executable': buildZip({ 'Payload/A.app/Info.plist': info(), 'Payload/A.app/A': EXE.subarray(0, 700) }),
    'a missing executable': buildZip({ 'Payload/A.app/Info.plist': info() }),
    'no CFBundleExecutable': buildZip({ 'Payload/A.app/Info.plist': xmlPlist({ CFBundleIdentifier: 'x.y' }) }),
    'not a Mach-O': buildZip({ 'Payload/A.app/Info.plist': info(), 'Payload/A.app/A': Buffer.from('#!/bin/sh\necho hi\n') }),
    'a 20-byte executable': buildZip({ 'Payload/A.app/Info.plist': info(), 'Payload/A.app/A': buildMachO({ cpu: 'arm64', imports: ['_x'] }).subarray(0, 20) }),
  };
  for (const [name, buf] of Object.entries(cases)) {
    it(name, async () => {
      const [sync, streamed] = await both(() => openBuilt(buf));
      expect(streamed).toEqual(sync);
    });
  }

  it('an executable past the size cap keeps its header facts when streamed (the sync path drops them)', async () => {
    const zip = openBuilt(cases['a 3 MB generated executable']!);
    const limited = { ...zip, limits: resolveLimits({ maxTotalInflatedBytes: 2e6 }) } as ZipArchive;
    const anomalies: Anomaly[] = [];
    const facts = await extractIpaFactsAsync(limited, { limits: limited.limits, anomalies });
    expect(facts.ios.macho).toMatchObject({ pie: true, encrypted: false, importedSymbols: [] });
    expect(anomalies.map((a) => a.code)).toEqual(['MACHO_TABLES_PAST_LIMIT']);
  });

  describe.skipIf(!CORPUS)('every corpus IPA', () => {
    const files = CORPUS ? readdirSync(join(CORPUS, 'ipa')).sort() : [];
    for (const f of files) {
      it(f, async () => {
        const open = () => {
          const zip = openZip(new FileSource(join(CORPUS as string, 'ipa', f)), DEFAULT_LIMITS);
          if (!looksLikeIpa(zip)) throw new EduscanError('E_NOT_PACKAGE', 'not an IPA');
          return zip;
        };
        const [sync, streamed] = await both(open);
        const exe = (sync.facts as { ios?: { macho?: { entry: string } } } | undefined)?.ios?.macho?.entry;
        expect(withoutExecutableCrc(streamed, exe)).toEqual(withoutExecutableCrc(sync, exe));
      });
    }
  });
});

describe('mutated IPAs through the streaming path', () => {
  it('1,000 cases: only EduscanError comes out, and the mutations reach the executable', async () => {
    const exe = buildBigMachO({ size: 120_000, imports: 200, exports: 100, signatureBytes: 2000, seed: 41 }).bytes;
    const seed = buildZip({ 'Payload/F.app/Info.plist': xmlPlist({ CFBundleIdentifier: 'f.z', CFBundleExecutable: 'F' }), 'Payload/F.app/F': exe });
    const exeAt = seed.indexOf(Buffer.from('Payload/F.app/F')) + 'Payload/F.app/F'.length;
    let a = 91;
    const r = () => ((a = (Math.imul(a, 1103515245) + 12345) >>> 0) / 4294967296);
    const codes = new Map<string, number>();
    for (let i = 0; i < 1000; i++) {
      const b = Buffer.from(seed);
      // Mostly inside the executable's deflate stream, else anywhere (headers, central directory).
      for (let k = 0, n = 1 + Math.floor(r() * 4); k < n; k++) {
        const at = r() < 0.7 ? exeAt + Math.floor(r() * 4000) : Math.floor(r() * b.length);
        if (at < b.length) b[at] = Math.floor(r() * 256);
      }
      const anomalies: Anomaly[] = [];
      let key: string;
      try {
        const zip = openBuilt(b);
        const facts = await extractIpaFactsAsync(zip, { limits: DEFAULT_LIMITS, anomalies });
        key = facts.ios.macho ? 'macho' : anomalies.find((x) => x.code.startsWith('IPA_EXECUTABLE'))?.code ?? 'no macho';
      } catch (e) {
        if (!(e instanceof EduscanError)) throw new Error(`case ${i}: ${(e as Error).constructor.name}: ${(e as Error).message}`);
        key = e.code;
      }
      codes.set(key, (codes.get(key) ?? 0) + 1);
    }
    expect(codes.get('macho') ?? 0).toBeGreaterThan(0);
    expect(codes.get('IPA_EXECUTABLE_UNREADABLE') ?? 0).toBeGreaterThan(0);
  });
});

