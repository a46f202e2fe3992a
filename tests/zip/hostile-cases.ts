// Hostile and malformed zip archives, each built byte by byte from the entries of a small real APK
// (tests/fixtures/zip/apktool__issue1730.apk, Apache-2.0) so that a scan can get as far as the malformation
// lets it. Used by tests/zip/hostile.test.ts and written to tests/fixtures/hostile/ by write-hostile.ts.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32, deflateRawSync } from 'node:zlib';
import AdmZip from 'adm-zip';
import { FIXTURES } from '../helpers/corpus.js';
import { buildZip, DEFLATED, STORED, type BuildEntry } from '../helpers/build-zip.js';

export const BASE_APK = join(FIXTURES, 'zip', 'apktool__issue1730.apk');

/** The entries of the base APK (read with adm-zip, not with the reader under test). */
export function baseEntries(): { name: string; data: Buffer; method: number }[] {
  const z = new AdmZip(readFileSync(BASE_APK));
  return z.getEntries().map((e) => ({ name: e.entryName, data: e.getData(), method: e.header.method }));
}

function base(): BuildEntry[] {
  return baseEntries().map((e) => ({ name: e.name, data: e.data, method: e.method }));
}

/** A DEX header stub: what the Janus attack (CVE-2017-13156) glues in front of an APK. */
export const DEX_STUB = Buffer.concat([Buffer.from('dex\n035\0', 'latin1'), Buffer.alloc(0x70 - 8, 0x11)]);

export interface HostileCase {
  /** File name under tests/fixtures/hostile/. */
  file: string;
  why: string;
  build(): Buffer;
  /** openZip must throw this code... */
  openError?: string;
  /** ...or succeed and record exactly these anomaly codes (after reading every entry). */
  anomalies?: string[];
  /** Reading the named entry (or every entry) must throw this code. */
  readError?: { code: string; entry?: string; limits?: Record<string, number> };
}

const MIB = 1024 * 1024;

export const HOSTILE_CASES: HostileCase[] = [
  { file: 'empty.apk', why: '0 bytes', build: () => Buffer.alloc(0), openError: 'E_EMPTY' },
  { file: 'not-a-zip.apk', why: 'a text file renamed .apk', build: () => Buffer.from('This is not a zip archive, just some text that is long enough.\n'), openError: 'E_NOT_ZIP' },
  { file: 'tiny.apk', why: 'shorter than an end record', build: () => Buffer.from('PK\x05\x06'), openError: 'E_NOT_ZIP' },
  {
    file: 'truncated.apk',
    why: 'the second half of the file is missing (interrupted download)',
    build: () => {
      const z = buildZip(base());
      return z.subarray(0, z.length >> 1);
    },
    openError: 'E_NOT_ZIP',
  },
  {
    file: 'cd-truncated.apk',
    why: 'the end record claims more central directory than there is before it',
    build: () => buildZip(base(), { eocd: { cdSize: 10_000 } }),
    openError: 'E_ZIP_CORRUPT',
  },
  {
    file: 'count-lie.apk',
    why: 'the end record claims 65534 entries, the directory holds 4',
    build: () => buildZip(base(), { eocd: { entriesHere: 65534, entriesTotal: 65534 } }),
    openError: 'E_ZIP_CORRUPT',
  },
  {
    file: 'bomb-declared.apk',
    why: 'an 8 MiB run of zeros deflated to ~8 KB, sizes declared honestly',
    build: () => buildZip([...base(), { name: 'assets/bomb.bin', data: Buffer.alloc(8 * MIB) }]),
    anomalies: [],
    readError: { code: 'E_LIMIT', entry: 'assets/bomb.bin', limits: { maxEntryInflatedBytes: MIB } },
  },
  {
    file: 'bomb-lying.apk',
    why: 'the same 8 MiB deflate stream declaring 100 bytes uncompressed',
    build: () => buildZip([...base(), { name: 'assets/bomb.bin', data: Buffer.alloc(8 * MIB), local: { uncompressedSize: 100 }, central: { uncompressedSize: 100 } }]),
    anomalies: [],
    readError: { code: 'E_LIMIT', entry: 'assets/bomb.bin', limits: { maxEntryInflatedBytes: MIB } },
  },
  {
    file: 'size-u32max.apk',
    why: 'an entry declaring 2^32-2 bytes uncompressed (just under the zip64 marker)',
    build: () => buildZip([...base(), { name: 'assets/huge.bin', data: 'x', central: { uncompressedSize: 0xfffffffe } }]),
    anomalies: [],
    readError: { code: 'E_LIMIT', entry: 'assets/huge.bin' },
  },
  {
    file: 'size-zip64-marker-no-extra.apk',
    why: 'uncompressed size 0xffffffff (zip64 marker) without the zip64 extra field',
    build: () => buildZip([...base(), { name: 'assets/huge.bin', data: 'x', central: { uncompressedSize: 0xffffffff } }]),
    openError: 'E_ZIP_CORRUPT',
  },
  {
    file: 'overlap.apk',
    why: 'quine-style bomb: 64 central records all pointing at one 1 MiB-inflating local entry',
    build: () => buildZip([
      ...base(),
      { name: 'assets/payload', data: Buffer.alloc(MIB, 0x41) },
      ...Array.from({ length: 63 }, (_, i) => ({ name: `assets/alias${i}`, sameDataAs: 4 })),
    ]),
    // The aliases' own names are not in the shared local header, hence the name mismatch too.
    anomalies: ['ZIP_OVERLAPPING_ENTRIES', 'ZIP_LOCAL_NAME_MISMATCH'],
    readError: { code: 'E_LIMIT', limits: { maxTotalInflatedBytes: 16 * MIB } },
  },
  {
    file: 'duplicate-entry.apk',
    why: 'two AndroidManifest.xml records (the master-key style confusion, CVE-2013-4787)',
    build: () => {
      const b = base();
      return buildZip([...b, { name: 'AndroidManifest.xml', data: 'second copy' }]);
    },
    anomalies: ['ZIP_DUPLICATE_ENTRY'],
  },
  {
    file: 'nul-in-name.apk',
    why: 'an entry name with a NUL byte (apksig test case; libziparchive refuses it)',
    build: () => buildZip([...base(), { name: Buffer.from('assets/a.txt\0.png', 'latin1'), data: 'x' }]),
    anomalies: ['ZIP_NUL_IN_NAME'],
  },
  {
    file: 'encrypted-flag.apk',
    why: 'general purpose bit 0 (encrypted) set on every entry, data not encrypted',
    build: () => buildZip(base().map((e) => ({ ...e, flags: 1 }))),
    anomalies: ['ZIP_ENCRYPTED_FLAG'],
  },
  {
    file: 'local-name-mismatch.apk',
    why: 'the manifest\'s local header spells its name differently (same length) from the central directory',
    build: () => buildZip(base().map((e, i) => (i === 0 ? { ...e, local: { name: 'AndroidManifest.xmL' } } : e))),
    anomalies: ['ZIP_LOCAL_NAME_MISMATCH'],
  },
  {
    file: 'local-size-mismatch.apk',
    why: 'local headers repeat wrong CRC and sizes (no data descriptor); the central directory is right',
    build: () => buildZip(base().map((e) => ({ ...e, local: { crc: 0x12345678, compressedSize: 1, uncompressedSize: 1 } }))),
    anomalies: ['ZIP_LOCAL_SIZE_MISMATCH'],
  },
  {
    file: 'local-method-mismatch.apk',
    why: 'the manifest\'s local header says stored, the central directory says deflated (apksig test idea)',
    build: () => buildZip(base().map((e, i) => (i === 0 ? { ...e, local: { method: STORED } } : e))),
    anomalies: ['ZIP_LOCAL_METHOD_MISMATCH'],
  },
  {
    file: 'unknown-method.apk',
    why: 'deflated data under compression method 99 in both headers (Android inflates any non-stored entry)',
    build: () => buildZip(base().map((e) => (e.method === DEFLATED ? { ...e, raw: undefined, method: 99, ...deflatedAs(e, 99) } : e))),
    anomalies: ['ZIP_UNKNOWN_METHOD'],
  },
  {
    file: 'crc-mismatch.apk',
    why: 'every CRC (local and central) is off by one: the data no longer matches',
    build: () => {
      const b = base();
      return buildZip(b.map((e) => ({ ...e, local: { crc: (crcOf(e) + 1) >>> 0 }, central: { crc: (crcOf(e) + 1) >>> 0 } })));
    },
    anomalies: ['ZIP_CRC_MISMATCH'],
  },
  {
    file: 'max-comment.apk',
    why: 'a 65535-byte archive comment (the largest the format allows) holding a fake end record',
    build: () => {
      const comment = Buffer.alloc(0xffff, 0x20);
      // A decoy end-of-central-directory signature inside the comment whose length field does not fit.
      comment.writeUInt32LE(0x06054b50, 1000);
      comment.writeUInt16LE(0xffff, 1020);
      return buildZip(base(), { comment });
    },
    // aapt (libziparchive) takes the decoy and fails: "-1022 extraneous bytes at the end of the central directory".
    anomalies: ['ZIP_EOCD_DECOY'],
  },
  {
    file: 'janus.apk',
    why: 'a DEX glued in front of the APK with offsets adjusted (Janus, CVE-2017-13156)',
    build: () => buildZip(base(), { prefix: DEX_STUB }),
    anomalies: ['ZIP_PREPENDED_DATA'],
  },
  {
    file: 'prepended-unshifted.apk',
    why: 'bytes glued in front without adjusting any offset (cat stub app.zip)',
    build: () => buildZip(base(), { prefix: DEX_STUB, adjustOffsets: false }),
    anomalies: ['ZIP_OFFSETS_SHIFTED', 'ZIP_PREPENDED_DATA'],
  },
  {
    file: 'zip64.apk',
    why: 'zip64 end record, locator and zip64 extra fields on every entry',
    build: () => buildZip(base().map((e) => ({ ...e, zip64: true })), { zip64: true }),
    anomalies: ['ZIP_ZIP64'],
  },
  {
    file: 'zip64-count-bomb.apk',
    why: 'a zip64 end record claiming 2^40 entries',
    build: () => buildZip(base(), { zip64: true, zip64Eocd: { entriesTotal: 1n << 40n } }),
    openError: 'E_LIMIT',
  },
  {
    file: 'garbage-before-eocd.apk',
    why: 'bytes between the central directory and the end record',
    build: () => buildZip(base(), { beforeEocd: Buffer.alloc(64, 0x5a) }),
    anomalies: ['ZIP_GAP_BEFORE_EOCD'],
  },
  {
    file: 'bad-local-offset.apk',
    why: 'a central record whose local header offset points past the directory',
    build: () => buildZip(base().map((e, i) => (i === 1 ? { ...e, central: { localHeaderOffset: 0x7fff0000 } } : e))),
    anomalies: ['ZIP_BAD_LOCAL_OFFSET'],
    readError: { code: 'E_ZIP_ENTRY', entry: 'META-INF/MANIFEST.MF' },
  },
  {
    file: 'trailing-bytes.apk',
    why: 'bytes after the end record that its comment length does not cover',
    build: () => buildZip(base(), { trailing: Buffer.from('appended after the archive') }),
    anomalies: ['ZIP_EOCD_COMMENT_LENGTH'],
  },
  {
    file: 'stored-size-mismatch.apk',
    why: 'a stored entry whose uncompressed size differs from its compressed size',
    build: () => buildZip(base().map((e) => (e.method === STORED ? { ...e, local: { uncompressedSize: 7 }, central: { uncompressedSize: 7 } } : e))),
    // Android reads uncompressed-size bytes of a stored entry: 7 bytes here, whose CRC no longer matches.
    anomalies: ['ZIP_STORED_SIZE_MISMATCH', 'ZIP_CRC_MISMATCH'],
  },
  {
    file: 'data-descriptor.apk',
    why: 'streamed entries: bit 3 set, zero CRC and sizes in the local headers, data descriptors after the data',
    build: () => buildZip(base().map((e) => ({ ...e, dataDescriptor: true }))),
    anomalies: [],
  },
  {
    file: 'virtual-entry.apk',
    why: 'an unreferenced local header with an empty name and 102 bytes of padding first, as AGP zipflinger writes',
    build: () => {
      const virtual = Buffer.alloc(30 + 102);
      virtual.writeUInt32LE(0x04034b50, 0);
      virtual.writeUInt16LE(102, 28);
      return buildZip(base(), { prefix: virtual });
    },
    anomalies: [],
  },
  {
    file: 'bundle.aab',
    why: 'an Android App Bundle layout: base/manifest/AndroidManifest.xml and BundleConfig.pb, no root manifest',
    build: () => buildZip([
      ...base().map((e) => ({ ...e, name: e.name === 'AndroidManifest.xml' ? 'base/manifest/AndroidManifest.xml' : `base/${e.name}` })),
      { name: 'BundleConfig.pb', data: Buffer.from([0x0a, 0x05, 0x0a, 0x03, 0x31, 0x2e, 0x30]) },
    ]),
    anomalies: [],
  },
];


function crcOf(e: BuildEntry): number {
  return crc32(typeof e.data === 'string' ? Buffer.from(e.data) : (e.data ?? Buffer.alloc(0)));
}

/** Deflate the entry's data but label it with another method number. */
function deflatedAs(e: BuildEntry, method: number): Partial<BuildEntry> {
  const data = typeof e.data === 'string' ? Buffer.from(e.data) : (e.data ?? Buffer.alloc(0));
  return { method, raw: deflateRawSync(data) };
}
