// An APK (already opened as a zip) -> the platform part of PackageFacts.
import { extractAndroidCode } from '../code/android.js';
import { EduscanError, isEduscanError, type Anomaly } from '../errors.js';
import type { CodeFacts, SdkFacts } from '../facts/code-schema.js';
import type { AndroidManifestFacts, PermissionFacts, SigningFacts } from '../facts/schema.js';
import type { Limits } from '../limits.js';
import { readEntry, type ZipArchive } from '../zip/zip.js';
import { parseArsc } from './arsc.js';
import { parseAxml } from './axml.js';
import { extractManifest } from './manifest.js';
import { readNetworkSecurityConfig } from './network-security-config.js';
import { readSigning } from './signing.js';
import type { ResourceResolver } from './xml-tree.js';

export const MANIFEST_ENTRY = 'AndroidManifest.xml';
const RESOURCES_ENTRY = 'resources.arsc';
const DEX_PATTERN = /^classes\d*\.dex$/;
const NATIVE_LIB_PATTERN = /^lib\/([^/]+)\/[^/]+\.so$/;

export interface ApkOptions {
  limits: Limits;
  anomalies: Anomaly[];
  verify?: boolean;
  /** False: dex files are not read (--no-code); code facts then say why they are not assessable. */
  code?: boolean;
}

export interface ApkExtract {
  id: string;
  versionName?: string;
  versionCode?: string;
  label?: string;
  labelZh?: string;
  minSdk?: number;
  targetSdk?: number;
  permissions: PermissionFacts[];
  signing: SigningFacts;
  manifest: AndroidManifestFacts;
  android: {
    minSdkCodename?: string;
    targetSdkCodename?: string;
    maxSdk?: number;
    versionCodeMajor?: number;
    nativeAbis: string[];
    dexCount: number;
  };
  sdks?: SdkFacts[];
  code?: CodeFacts;
}

/** Bundles carry their manifest in protobuf under base/manifest/; they cannot be installed as they are. */
export function looksLikeAab(zip: ZipArchive): boolean {
  return zip.get('BundleConfig.pb') !== undefined || zip.get('base/manifest/AndroidManifest.xml') !== undefined;
}

function lazyResources(load: () => ResourceResolver, anomalies: Anomaly[]): ResourceResolver {
  let table: ResourceResolver | undefined;
  let failed = false;
  const get = (): ResourceResolver | undefined => {
    if (table || failed) return table;
    try {
      table = load();
    } catch (e) {
      if (!isEduscanError(e) || e.code === 'E_LIMIT') throw e;
      failed = true;
      anomalies.push({ code: 'ARSC_UNREADABLE', detail: `${e.code}: ${e.message}`, entry: RESOURCES_ENTRY });
    }
    return table;
  };
  return {
    resolve: (id, locales) => get()?.resolve(id, locales),
    nameOf: (id) => get()?.nameOf(id),
  };
}

export function extractApkFacts(zip: ZipArchive, opts: ApkOptions): ApkExtract {
  const { anomalies, limits } = opts;
  const manifestEntry = zip.get(MANIFEST_ENTRY);
  if (!manifestEntry) {
    if (looksLikeAab(zip)) throw new EduscanError('E_AAB', 'this is an Android App Bundle (.aab): build an APK from it (bundletool build-apks) and scan that');
    throw new EduscanError('E_NO_MANIFEST', 'no AndroidManifest.xml entry in the package');
  }
  const root = parseAxml(readEntry(zip, manifestEntry), { limits, anomalies });

  // resources.arsc is read only when the manifest refers into it (most labels do, many manifests need
  // nothing else); a damaged table only costs the resolved values: Android would fail later, at run time.
  const arscEntry = zip.get(RESOURCES_ENTRY);
  const res = arscEntry ? lazyResources(() => parseArsc(readEntry(zip, arscEntry), { limits, anomalies }), anomalies) : undefined;
  const m = extractManifest(root, res, anomalies);

  if (m.networkSecurityConfigRef !== undefined && res) {
    const path = res.resolve(m.networkSecurityConfigRef)?.string;
    const entry = path ? zip.get(path) : undefined;
    if (path && entry) {
      try {
        const nsc = parseAxml(readEntry(zip, entry), { limits, anomalies });
        m.manifest.networkSecurityConfig = readNetworkSecurityConfig(nsc, path, res);
      } catch (e) {
        if (!isEduscanError(e) || e.code === 'E_LIMIT') throw e;
        anomalies.push({ code: 'NSC_UNREADABLE', detail: `${e.code}: ${e.message}`, entry: path });
      }
    } else {
      anomalies.push({ code: 'NSC_MISSING', detail: `android:networkSecurityConfig points to ${path ?? 'a resource that does not resolve'}, which is not in the package` });
    }
  }

  const abis = new Set<string>();
  let dexCount = 0;
  for (const e of zip.entries) {
    if (DEX_PATTERN.test(e.name)) dexCount++;
    const lib = NATIVE_LIB_PATTERN.exec(e.name);
    if (lib) abis.add(lib[1]!);
  }

  const signing = readSigning(zip, { verify: opts.verify ?? false, anomalies, limits });

  const out: ApkExtract = {
    id: m.id,
    permissions: m.permissions,
    signing,
    manifest: m.manifest,
    android: { nativeAbis: [...abis].sort(), dexCount },
    ...extractAndroidCode(zip, m.manifest, { limits, anomalies, code: opts.code }),
  };
  if (m.versionName !== undefined) out.versionName = m.versionName;
  if (m.versionCode !== undefined) out.versionCode = m.versionCode;
  if (m.label !== undefined) out.label = m.label;
  if (m.labelZh !== undefined) out.labelZh = m.labelZh;
  if (m.minSdk !== undefined) out.minSdk = m.minSdk;
  if (m.targetSdk !== undefined) out.targetSdk = m.targetSdk;
  if (m.minSdkCodename !== undefined) out.android.minSdkCodename = m.minSdkCodename;
  if (m.targetSdkCodename !== undefined) out.android.targetSdkCodename = m.targetSdkCodename;
  if (m.maxSdk !== undefined) out.android.maxSdk = m.maxSdk;
  if (m.versionCodeMajor !== undefined) out.android.versionCodeMajor = m.versionCodeMajor;
  return out;
}
