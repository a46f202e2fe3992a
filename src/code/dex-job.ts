// One dex file of a package read and scanned "on the side" — by the dex worker thread, or by the scan's own
// thread on a private copy of the zip state — and recorded so that the scan can later apply it exactly as if
// it had read the entry itself at that point: the zip notes the read made, the inflated size (counted against
// the scan's total), the anomalies the dex reader pushed, and the scan or its error. Whatever the record
// cannot replay exactly (a read that failed, a total that would not fit) is read again by the scan itself.
import { isEduscanError, EduscanError, type Anomaly } from '../errors.js';
import { readEntry, type ZipArchive, type ZipEntry } from '../zip/zip.js';
import { scanDex, type DexScan } from './dex-scan.js';
import type { CodeRules } from './types.js';

/** classes.dex, classes2.dex …: the dex files Android loads by itself. */
export const PRIMARY_DEX = /^classes(\d*)\.dex$/;

/** The primary dex entries of a zip in the order Android loads them. */
export function primaryDexEntries(zip: ZipArchive): ZipEntry[] {
  const primary: { entry: ZipEntry; n: number }[] = [];
  for (const e of zip.entries) {
    const m = PRIMARY_DEX.exec(e.name);
    if (m) primary.push({ entry: e, n: m[1] === '' ? 1 : Number(m[1]) });
  }
  // Stable: duplicate names keep their central directory order.
  return primary.sort((a, b) => a.n - b.n).map((p) => p.entry);
}

export interface JobError {
  code: string;
  message: string;
}

export interface DexJobRecord {
  /** The entry as the reader saw it: the scan uses the record only for the same entry. */
  entry: { name: string; localHeaderOffset: number; compressedSize: number; uncompressedSize: number; crc: number };
  rulesDigest: string;
  /** Reading failed (the scan reads it again itself, to fail exactly as it would have). */
  readError?: JobError;
  /** Bytes the entry inflated to. */
  size?: number;
  /** Notes the read added to the zip's anomalies (local header or CRC mismatches, …). */
  zipNotes: Anomaly[];
  /** Anomalies the dex reader pushed, also when it then failed. */
  anomalies: Anomaly[];
  scans?: DexScan[];
  scanError?: JobError;
}

function entryKey(e: ZipEntry): DexJobRecord['entry'] {
  return { name: e.name, localHeaderOffset: e.localHeaderOffset, compressedSize: e.compressedSize, uncompressedSize: e.uncompressedSize, crc: e.crc };
}

/** A zip whose reads count and note on their own: for reading ahead of the scan without touching its state. */
export function sideZip(zip: ZipArchive): ZipArchive {
  return { ...zip, anomalies: [...zip.anomalies], inflatedTotal: 0 };
}

/** Reads and scans one dex entry of `zip` (a side zip: its counters move). Bugs (non-EduscanErrors) propagate. */
export function runDexJob(zip: ZipArchive, entry: ZipEntry, rules: CodeRules): DexJobRecord {
  const rec: DexJobRecord = { entry: entryKey(entry), rulesDigest: rules.digest, zipNotes: [], anomalies: [] };
  const before = zip.anomalies.length;
  let bytes: Buffer;
  try {
    bytes = readEntry(zip, entry);
  } catch (e) {
    if (!isEduscanError(e)) throw e;
    rec.readError = { code: e.code, message: e.message };
    return rec;
  }
  rec.size = bytes.length;
  rec.zipNotes = zip.anomalies.slice(before);
  try {
    rec.scans = scanDex(bytes, entry.name, rules, rec.anomalies);
  } catch (e) {
    if (!isEduscanError(e)) throw e;
    rec.scanError = { code: e.code, message: e.message };
  }
  return rec;
}

/**
 * What `scanDex(readEntry(zip, entry), …)` would have done on the scan's own zip, from a record: the same
 * zip notes and inflated total, the same anomalies, the same scans or error. Falls back to doing exactly
 * that when the record cannot tell (its read failed, or the scan's remaining total is smaller).
 */
export function replayDexJob(zip: ZipArchive, entry: ZipEntry, rec: DexJobRecord | undefined, rules: CodeRules, anomalies: Anomaly[]): DexScan[] {
  const remaining = zip.limits.maxTotalInflatedBytes - zip.inflatedTotal;
  const usable = rec !== undefined && rec.readError === undefined && rec.size !== undefined && remaining > 0 && rec.size <= remaining
    && rec.rulesDigest === rules.digest && sameEntry(rec.entry, entry);
  if (!usable) return scanDex(readEntry(zip, entry), entry.name, rules, anomalies);
  for (const n of rec.zipNotes) {
    if (!zip.anomalies.some((a) => a.code === n.code && a.entry === n.entry)) zip.anomalies.push(n);
  }
  zip.inflatedTotal += rec.size!;
  anomalies.push(...rec.anomalies);
  if (rec.scanError) throw new EduscanError(rec.scanError.code as never, rec.scanError.message);
  return rec.scans!;
}

function sameEntry(a: DexJobRecord['entry'], e: ZipEntry): boolean {
  const b = entryKey(e);
  return a.name === b.name && a.localHeaderOffset === b.localHeaderOffset && a.compressedSize === b.compressedSize && a.uncompressedSize === b.uncompressedSize && a.crc === b.crc;
}
