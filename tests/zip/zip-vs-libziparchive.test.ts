// Android's own zip reader (libziparchive, inside Debian's aapt) complains on stderr about the zip structure
// of some packages; the stored aapt outputs (tests/oracle/aapt/) keep those lines. Each complaint class must
// match an eduscan anomaly or error on the same file, and every such eduscan finding must match a complaint:
// eduscan tolerates what it can, but never silently reads a package differently from Android.
// Runs on the committed hostile/zip fixtures always, and on the corpus when EDUSCAN_CORPUS is set.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EduscanError } from '../../src/errors.js';
import { BufferSource } from '../../src/io/source.js';
import { openZip, readEntry } from '../../src/zip/zip.js';
import { CORPUS, corpusFiles, FIXTURES } from '../helpers/corpus.js';
import { AAPT_ORACLE_DIR, parseAaptRaw } from '../oracle/aapt.js';

// libziparchive message (ziparchive/zipro log lines) -> the class of problem.
const LIBZIP_CLASSES: [RegExp, string][] = [
  // Debian's libziparchive predates zip64 support: it takes the 0xffffffff markers literally.
  [/bad offsets \(dir 4294967295, size 4294967295/, 'zip64'],
  [/Entry at offset zero has invalid LFH signature/, 'prepended'],
  [/missed a central dir sig \(at 0\)/, 'prepended'],
  [/invalid file name at entry/, 'bad-name'],
  [/Found duplicate entry/, 'duplicate'],
  [/bad offsets \(dir (?!4294967295, size 4294967295)/, 'corrupt'],
  [/ran off the end/, 'corrupt'],
  [/bad LFH offset/, 'bad-local-offset'],
  [/lfh name did not match central directory/, 'local-mismatch'],
  [/size\/crc32 mismatch/, 'data-mismatch'],
  [/extraneous bytes at the end of the central directory/, 'eocd'],
  [/Error opening archive .*: Empty archive/, 'empty'],
  [/Error opening archive [^:]*: Invalid file$/, 'unreadable'],
];

// eduscan anomaly or error code -> the same classes.
const OUR_CLASSES: Record<string, string> = {
  ZIP_PREPENDED_DATA: 'prepended',
  ZIP_OFFSETS_SHIFTED: 'prepended',
  ZIP_NUL_IN_NAME: 'bad-name',
  ZIP_DUPLICATE_ENTRY: 'duplicate',
  E_ZIP_CORRUPT: 'corrupt',
  ZIP_BAD_LOCAL_OFFSET: 'bad-local-offset',
  ZIP_LOCAL_NAME_MISMATCH: 'local-mismatch',
  ZIP_LOCAL_SIZE_MISMATCH: 'data-mismatch',
  ZIP_ZIP64: 'zip64',
  ZIP_EOCD_DECOY: 'eocd',
  ZIP_EOCD_COMMENT_LENGTH: 'eocd',
  EMPTY_ARCHIVE: 'empty',
  E_NOT_ZIP: 'unreadable',
  E_EMPTY: 'unreadable',
};

// Classes one side reports and the other cannot, by construction (not by outcome):
// - 'unreadable' follows another class in libziparchive ("Invalid file" after the specific complaint);
// - eduscan notes what Debian's libziparchive does not check: encryption bit, unknown methods, overlaps, gaps,
//   the CRC and length of the inflated data.
const IGNORED_OURS = new Set(['ZIP_CRC_MISMATCH', 'ZIP_STORED_SIZE_MISMATCH', 'ZIP_SIZE_MISMATCH', 'ZIP_ENCRYPTED_FLAG', 'ZIP_UNKNOWN_METHOD', 'ZIP_OVERLAPPING_ENTRIES', 'ZIP_GAP_BEFORE_EOCD', 'ZIP_LOCAL_METHOD_MISMATCH', 'ZIP_NAME_NOT_FLAGGED_UTF8', 'E_LIMIT', 'E_ZIP_ENTRY']);

function libzipClasses(record: string): Set<string> {
  const raw = parseAaptRaw(readFileSync(join(AAPT_ORACLE_DIR, `${record}.badging.txt`), 'utf8'));
  const out = new Set<string>();
  for (const line of raw.stderr) for (const [re, cls] of LIBZIP_CLASSES) if (re.test(line)) out.add(cls);
  // A specific complaint explains the generic "Invalid file" that follows it.
  if (out.size > 1) out.delete('unreadable');
  return out;
}

// aapt looks up only these entries, and libziparchive checks an entry's local header when it is looked up.
const ENTRIES_AAPT_READS = ['AndroidManifest.xml', 'resources.arsc'];

// Where the two must differ, and why (by construction of the file, not by what the test observed):
const EXPECTED_DIVERGENCES: Record<string, string> = {
  // Android 11+ libziparchive refuses a 0xffffffff size without a zip64 extra ("Extra field isn't large enough to
  // hold zip64 info"), as eduscan does; Debian's older one takes it literally and never reads that entry.
  'size-zip64-marker-no-extra.apk': 'libziparchive [] / eduscan [corrupt]',
  // eduscan stops at its entry cap (E_LIMIT) before anything else; libziparchive has no zip64 and no cap.
  'zip64-count-bomb.apk': 'libziparchive [zip64] / eduscan []',
};

function ourClasses(bytes: Buffer): { classes: Set<string>; codes: string[] } {
  const codes: string[] = [];
  try {
    const zip = openZip(new BufferSource(bytes));
    if (zip.entries.length === 0) codes.push('EMPTY_ARCHIVE');
    for (const e of ENTRIES_AAPT_READS.map((n) => zip.get(n)).filter((x) => x !== undefined)) {
      try {
        readEntry(zip, e);
      } catch (x) {
        if (!(x instanceof EduscanError)) throw x;
        codes.push(x.code);
      }
    }
    codes.push(...zip.anomalies.map((a) => a.code));
  } catch (x) {
    if (!(x instanceof EduscanError)) throw x;
    codes.push(x.code);
  }
  const classes = new Set<string>();
  for (const c of codes) {
    if (IGNORED_OURS.has(c)) continue;
    const cls = OUR_CLASSES[c];
    classes.add(cls ?? `unmapped:${c}`);
  }
  return { classes, codes: [...new Set(codes)] };
}

function compare(files: [record: string, path: string][]): string[] {
  const diffs: string[] = [];
  for (const [record, path] of files) {
    if (!existsSync(join(AAPT_ORACLE_DIR, `${record}.badging.txt`))) {
      diffs.push(`${record}: no stored aapt output (run tests/oracle/gen-aapt.sh)`);
      continue;
    }
    const theirs = [...libzipClasses(record)].sort();
    const ours = ourClasses(readFileSync(path));
    const divergence = `libziparchive [${theirs.join(',')}] / eduscan [${[...ours.classes].sort().join(',')}]`;
    if (EXPECTED_DIVERGENCES[basename(path)] === divergence) continue;
    if (JSON.stringify(theirs) !== JSON.stringify([...ours.classes].sort())) {
      diffs.push(`${basename(path)}: libziparchive ${JSON.stringify(theirs)}, eduscan ${JSON.stringify([...ours.classes].sort())} (${ours.codes.join(',')})`);
    }
  }
  return diffs;
}

describe('zip findings vs libziparchive (aapt stderr)', () => {
  it('committed hostile and zip fixtures', () => {
    const files: [string, string][] = [];
    for (const dir of ['hostile', 'zip']) {
      for (const f of readdirSync(join(FIXTURES, dir)).filter((x) => x.endsWith('.apk')).sort()) files.push([`fixtures--${dir}--${f}`, join(FIXTURES, dir, f)]);
    }
    expect(files.length).toBeGreaterThan(25);
    expect(compare(files)).toEqual([]);
  });

  it.skipIf(!CORPUS)('corpus APKs', () => {
    const files = corpusFiles('apk').map((p): [string, string] => [basename(p), p]);
    expect(compare(files)).toEqual([]);
  });
});
