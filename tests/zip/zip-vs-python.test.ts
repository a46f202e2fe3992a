// Every corpus zip (apk/ and ipa/) listed by eduscan's reader and by Python's zipfile (the oracle, run now by
// tests/zip/py-zip-listing.py): names, sizes, CRCs, methods and flags must agree entry by entry, and every
// entry Python can read must inflate to the same bytes. Where Python refuses an entry or a whole archive,
// eduscan must say why in its own terms (anomaly or error code), per the table below.
import { execFileSync } from 'node:child_process';
import { crc32 } from 'node:zlib';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EduscanError } from '../../src/errors.js';
import { FileSource } from '../../src/io/source.js';
import { openZip, readEntry, type ZipArchive } from '../../src/zip/zip.js';
import { CORPUS, corpusFiles } from '../helpers/corpus.js';
import { loadAaptOracle } from '../oracle/aapt.js';

interface PyEntry { name: string; raw: string; size: number; csize: number; crc: number; method: number; flags: number; read: { len: number; crc: number } | { error: string } }
interface PyListing { file: string; ok: boolean; error?: string; entries?: PyEntry[] }

// Python's per-entry read refusals, and the anomaly (or error code) eduscan must record for that entry.
const PY_READ_ERROR_TO_OURS: [RegExp, string][] = [
  [/Bad CRC-32/, 'ZIP_CRC_MISMATCH'],
  [/File name in directory .* and header .* differ/, 'ZIP_LOCAL_NAME_MISMATCH'],
  [/encrypted/, 'ZIP_ENCRYPTED_FLAG'],
  [/compression method is not supported/, 'ZIP_UNKNOWN_METHOD'],
  [/Overlapped entries/, 'ZIP_OVERLAPPING_ENTRIES'],
  [/Bad magic number for file header/, 'E_ZIP_ENTRY'],
];

// Archives Python cannot open at all (measured: 4 of 175) and what eduscan reports. Where aapt (Android's
// libziparchive) also refuses the file, eduscan must refuse it too; where aapt reads it, so must eduscan.
//   fastlane__not-an-ipa.ipa          Python: "File is not a zip file"            -> E_NOT_ZIP (a text file)
//   androguard__v2-only-truncated-cd.apk          Python: "Bad magic number for central directory";
//                                     aapt: "bad offsets (dir 3926, size 186, eocd 4111)" -> E_ZIP_CORRUPT
//   androguard__v1v2v3-...-invalid-zip.apk        Python: same; aapt: "bad offsets" -> E_ZIP_CORRUPT
//   androguard__v2-only-garbage-between-cd-and-eocd.apk  Python: same (it shifts offsets by the gap);
//                                     aapt reads it (exit 0) -> opens, anomaly ZIP_GAP_BEFORE_EOCD
const PY_OPEN_FAILURES: Record<string, { ours: string }> = {
  'fastlane__not-an-ipa.ipa': { ours: 'E_NOT_ZIP' },
  'androguard__v2-only-truncated-cd.apk': { ours: 'E_ZIP_CORRUPT' },
  'androguard__v1v2v3-with-rsa-2048-lineage-3-signers-invalid-zip.apk': { ours: 'E_ZIP_CORRUPT' },
  'androguard__v2-only-garbage-between-cd-and-eocd.apk': { ours: 'ZIP_GAP_BEFORE_EOCD' },
};

function pythonListings(files: string[]): Map<string, PyListing> {
  const out = execFileSync('python3', [join(import.meta.dirname, 'py-zip-listing.py'), ...files], { maxBuffer: 256 * 1024 * 1024, encoding: 'utf8' });
  const map = new Map<string, PyListing>();
  for (const line of out.split('\n')) {
    if (!line) continue;
    const l = JSON.parse(line) as PyListing;
    map.set(basename(l.file), l);
  }
  return map;
}

function open(path: string): ZipArchive | EduscanError {
  try {
    return openZip(new FileSource(path));
  } catch (e) {
    if (e instanceof EduscanError) return e;
    throw e;
  }
}

describe.skipIf(!CORPUS)('zip listing vs Python zipfile (corpus)', () => {
  const files = [...corpusFiles('apk'), ...corpusFiles('ipa')];
  const py = pythonListings(files);

  it('python lists 171 of the 175 corpus files; the rest are the known refusals', () => {
    expect(files.length).toBe(175);
    const failed = [...py.values()].filter((l) => !l.ok).map((l) => basename(l.file)).sort();
    expect(failed).toEqual(Object.keys(PY_OPEN_FAILURES).sort());
  });

  it('names, sizes, CRCs, methods, flags and inflated bytes agree wherever Python reads', () => {
    const mismatches: string[] = [];
    let archives = 0;
    let entries = 0;
    let bytesCompared = 0;
    for (const file of files) {
      const l = py.get(basename(file))!;
      if (!l.ok) continue;
      const zip = open(file);
      if (zip instanceof EduscanError) {
        mismatches.push(`${basename(file)}: Python opens it, eduscan: ${zip.code} ${zip.message}`);
        continue;
      }
      archives++;
      try {
        if (zip.entries.length !== l.entries!.length) mismatches.push(`${basename(file)}: ${zip.entries.length} entries, Python ${l.entries!.length}`);
        l.entries!.forEach((p, i) => {
          const e = zip.entries[i];
          if (!e) return;
          entries++;
          const ours = { name: e.name, size: e.uncompressedSize, csize: e.compressedSize, crc: e.crc >>> 0, method: e.method, flags: e.flags };
          const theirs = { name: p.name, size: p.size, csize: p.csize, crc: p.crc, method: p.method, flags: p.flags };
          if (JSON.stringify(ours) !== JSON.stringify(theirs)) mismatches.push(`${basename(file)}#${i}: ours ${JSON.stringify(ours)} python ${JSON.stringify(theirs)}`);
          let data: Buffer | undefined;
          let err: EduscanError | undefined;
          try {
            data = readEntry(zip, e);
          } catch (x) {
            if (!(x instanceof EduscanError)) throw x;
            err = x;
          }
          if ('error' in p.read) {
            const rule = PY_READ_ERROR_TO_OURS.find(([re]) => re.test((p.read as { error: string }).error));
            const expected = rule?.[1];
            const got = err?.code ?? zip.anomalies.filter((a) => a.entry === e.name).map((a) => a.code).join(',');
            if (!expected || !got.split(',').includes(expected)) mismatches.push(`${basename(file)}#${i} ${e.name}: Python "${p.read.error}", eduscan ${got || 'nothing'}`);
          } else if (err) {
            mismatches.push(`${basename(file)}#${i} ${e.name}: Python reads it, eduscan ${err.code} ${err.message}`);
          } else {
            bytesCompared += data!.length;
            if (data!.length !== p.read.len || crc32(data!) >>> 0 !== p.read.crc) mismatches.push(`${basename(file)}#${i} ${e.name}: inflated ${data!.length} bytes crc ${crc32(data!) >>> 0}, Python ${p.read.len} crc ${p.read.crc}`);
          }
        });
      } finally {
        zip.source.close();
      }
    }
    console.log(`zip vs python: ${archives} archives, ${entries} entries, ${(bytesCompared / 1048576).toFixed(1)} MiB inflated and compared`);
    expect(mismatches).toEqual([]);
    expect(archives).toBe(171);
  });

  it('archives Python refuses: eduscan reports the table above, consistent with aapt', () => {
    for (const [name, { ours }] of Object.entries(PY_OPEN_FAILURES)) {
      const file = files.find((f) => basename(f) === name)!;
      const zip = open(file);
      if (ours.startsWith('E_')) {
        expect(zip, name).toBeInstanceOf(EduscanError);
        expect((zip as EduscanError).code, name).toBe(ours);
      } else {
        expect(zip, name).not.toBeInstanceOf(EduscanError);
        expect((zip as ZipArchive).anomalies.map((a) => a.code), name).toContain(ours);
        (zip as ZipArchive).source.close();
      }
      // The aapt verdict for the APKs among them (the IPA has none): refused by eduscan <=> refused by aapt's zip layer.
      const aapt = name.endsWith('.apk') ? loadAaptOracle(name) : undefined;
      if (aapt) expect(aapt.badgingExit === 0, `${name}: aapt exit ${aapt.badgingExit}`).toBe(!ours.startsWith('E_'));
    }
  });

  it('the App Bundle in the corpus is recognisable from its zip listing', () => {
    const aab = files.find((f) => f.endsWith('.aab'))!;
    const zip = open(aab) as ZipArchive;
    expect(zip).not.toBeInstanceOf(EduscanError);
    expect(zip.get('base/manifest/AndroidManifest.xml')).toBeDefined();
    expect(zip.get('BundleConfig.pb')).toBeDefined();
    expect(zip.get('AndroidManifest.xml')).toBeUndefined();
    zip.source.close();
  });
});
