// scanPackage: package file -> PackageFacts. Opens the file once, reads the central directory and only
// the entries it needs, while the hashing threads stream the whole file once for MD5 and SHA-256.
import { basename } from 'node:path';
import { looksLikeAab, MANIFEST_ENTRY, extractApkFacts } from './apk/apk.js';
import { EduscanError, isEduscanError, type Anomaly } from './errors.js';
import type { PackageFacts } from './facts/schema.js';
import { FACTS_SCHEMA_VERSION } from './facts/version.js';
import { HashError, takeHash, type FileDigests } from './hash/hash.js';
import { FileSource } from './io/source.js';
import { resolveLimits, type Limits } from './limits.js';
import { openZip, type ZipArchive } from './zip/zip.js';

export interface ScanOptions {
  limits?: Partial<Limits>;
  /** Verify the v2/v3 content digests (a second full pass over the file). */
  verify?: boolean;
  /** False: skip reading code (DEX; Mach-O class lists and selectors): SDKs, sensitive APIs and packers then come only from names, and code-level facts are not assessable. */
  code?: boolean;
}

export { PARSER_VERSION } from './facts/version.js';

export async function scanPackage(path: string, opts: ScanOptions = {}): Promise<PackageFacts> {
  const digests = takeHash(path);
  try {
    const facts = scanWithDigests(path, opts, digests);
    return await facts;
  } catch (e) {
    throw labelled(e, path);
  } finally {
    // The hash is never left running unobserved when the parse fails.
    await digests.catch(() => undefined);
  }
}

async function scanWithDigests(path: string, opts: ScanOptions, digests: Promise<FileDigests>): Promise<PackageFacts> {
  const limits = resolveLimits(opts.limits);
  const anomalies: Anomaly[] = [];
  const source = new FileSource(path);
  let facts: Omit<PackageFacts, 'file'>;
  try {
    const zip = openZip(source, limits);
    const zipFacts = { entries: zip.entries.length, prependedBytes: zip.prependedBytes, comment: zip.comment.length };
    const kind = await packageKind(zip, path);
    if (kind === 'android') {
      const apk = extractApkFacts(zip, { limits, anomalies, verify: opts.verify ?? false, code: opts.code ?? true });
      facts = { schemaVersion: FACTS_SCHEMA_VERSION, platform: 'android', ...apk, zip: zipFacts, anomalies };
    } else {
      const { extractIpaFactsAsync } = await import('./ipa/ipa.js');
      const ipa = await extractIpaFactsAsync(zip, { limits, anomalies, code: opts.code ?? true });
      facts = { schemaVersion: FACTS_SCHEMA_VERSION, platform: 'ios', ...ipa, zip: zipFacts, anomalies };
    }
    // The zip reader's notes go first: they describe the container the rest was read from.
    anomalies.unshift(...zip.anomalies);
  } finally {
    source.close();
  }
  let d: FileDigests;
  try {
    d = await digests;
  } catch (e) {
    if (e instanceof HashError) throw new EduscanError('E_IO', `cannot hash the file: ${e.code}`, { cause: e });
    throw e;
  }
  // Identity first in the JSON: what it is, then the file, then everything else.
  const file = { name: basename(path), size: d.size, md5: d.md5, sha256: d.sha256 };
  const { schemaVersion, platform, ...rest } = facts;
  return { schemaVersion, platform, file, ...rest } as PackageFacts;
}

/**
 * Decided by content; the file name only chooses which "missing" error is the most helpful. The iOS reader
 * is loaded only for a package that is not an APK (~11 ms of start-up an APK scan does not need).
 */
async function packageKind(zip: ZipArchive, path: string): Promise<'android' | 'ios'> {
  if (zip.get(MANIFEST_ENTRY)) return 'android';
  if (looksLikeAab(zip)) return 'android'; // extractApkFacts explains that a bundle is not an APK
  const { looksLikeIpa } = await import('./ipa/ipa.js');
  if (looksLikeIpa(zip) || /\.(ipa|app\.zip)$/i.test(path)) return 'ios';
  if (/\.apk$/i.test(path)) return 'android';
  throw new EduscanError('E_NOT_PACKAGE', 'a zip archive with neither AndroidManifest.xml nor an iOS .app bundle');
}

function labelled(e: unknown, path: string): unknown {
  if (isEduscanError(e)) {
    e.file ??= path;
    return e;
  }
  return e;
}
