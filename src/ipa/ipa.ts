// IPA (or .app.zip) to facts: the main bundle's Info.plist and its zh-Hans InfoPlist.strings, ATS,
// embedded.mobileprovision, privacy manifests, embedded bundles and the main Mach-O executable.
// Only the main Info.plist is essential: everything else that is missing or damaged becomes an anomaly.
import { extractIosCode, type IosCodeBinary, type IosCodeInput } from '../code/ios.js';
import { EduscanError, LimitError, isEduscanError, type Anomaly } from '../errors.js';
import type { CodeFacts, SdkFacts } from '../facts/code-schema.js';
import type { AtsFacts, EmbeddedBundleFacts, IosFacts, MachOFacts, PrivacyManifestFacts, ProvisioningFacts } from '../facts/ios-schema.js';
import type { PermissionFacts } from '../facts/schema.js';
import type { Limits } from '../limits.js';
import { entryChunks } from '../zip/entry-stream.js';
import { readEntry, type ZipArchive, type ZipEntry } from '../zip/zip.js';
import { findAppBundle, looksLikeIpaNames, type AppBundle } from './bundle.js';
import { parseMachODetail, type MachOCode } from './macho.js';
import { readMachOStream } from './macho-stream.js';
import { readProvisioningProfile } from './mobileprovision.js';
import { MAX_PLIST_BYTES, bool, isDict, parsePlist, scalarString, str, strArray, type PlistContext, type PlistDict, type PlistFormat, type PlistValue } from './plist.js';
import { privacyManifestFacts } from './privacy.js';
import { parseStringsFile, type StringsTable } from './strings.js';

export interface IpaOptions {
  limits: Limits;
  anomalies: Anomaly[];
  /**
   * The inflated main executable, when the caller has read it already (see mainExecutableEntry), or
   * 'skip' to leave binary facts out. By default extractIpaFacts inflates it whole, synchronously, and
   * extractIpaFactsAsync streams it (bounded memory, inflating on the libuv threadpool).
   */
  executable?: Buffer | 'skip';
  /**
   * False (--no-code): the executables' classes, selectors and defined symbols are not read, nor the
   * frameworks' executables; facts.code says the code was not scanned. Default true.
   */
  code?: boolean;
}

export interface IpaFacts {
  id: string;
  versionName?: string;
  versionCode?: string;
  label?: string;
  labelZh?: string;
  minOs?: string;
  permissions: PermissionFacts[];
  ios: IosFacts;
  sdks?: SdkFacts[];
  code?: CodeFacts;
}

/**
 * Inflated size of the main executable read whole at most (its symbol table sits at the end of the image);
 * larger ones are an anomaly and their binary facts are left out. The streaming path holds no copy: its cap
 * is the larger of this and limits.maxTotalInflatedBytes, and past it the header facts are still kept.
 */
export const MAX_EXECUTABLE_BYTES = 256 * 1024 * 1024;
/** Framework executables read for the code-level checks, and their size caps (inflated). */
export const MAX_CODE_FRAMEWORKS = 100;
export const MAX_FRAMEWORK_BINARY_BYTES = 128 * 1024 * 1024;
export const MAX_FRAMEWORK_TOTAL_BYTES = 512 * 1024 * 1024;
/** Frameworks whose code is read: Frameworks/<X>.framework of the main bundle. */
const CODE_FRAMEWORK_PATH = /^Frameworks\/[^/]+\.framework$/;
/** Embedded bundles whose Info.plist is read; a hostile archive could hold thousands of tiny ones. */
const MAX_EMBEDDED_BUNDLES = 2000;
const MAX_PRIVACY_MANIFESTS = 2000;
const MAX_LISTED_DYLIBS = 2000;
const INFO_PLIST = 'Info.plist';
const PROFILE = 'embedded.mobileprovision';
const PRIVACY_MANIFEST = 'PrivacyInfo.xcprivacy';
const INFO_PLIST_STRINGS = 'InfoPlist.strings';
/** Localisation folders searched for the Simplified Chinese label and usage texts, in this order. */
const ZH_LPROJ = ['zh-Hans', 'zh_CN', 'zh-Hans-CN', 'zh-CN', 'zh_Hans', 'zh-Hans_CN', 'zh'];
const USAGE_KEY_RE = /UsageDescription$/;
const BUNDLE_KINDS: Record<string, EmbeddedBundleFacts['kind']> = {
  '.framework': 'framework',
  '.appex': 'appex',
  '.app': 'app',
  '.xctest': 'xctest',
  '.bundle': 'bundle',
};
/** Bundles that iOS will not load without an Info.plist. */
const INFO_REQUIRED: ReadonlySet<EmbeddedBundleFacts['kind']> = new Set(['framework', 'appex', 'app']);

export function looksLikeIpa(zip: ZipArchive): boolean {
  return looksLikeIpaNames(zip.entries.map((e) => e.name));
}

/**
 * The facts of an IPA, synchronously. The main executable is inflated whole (up to MAX_EXECUTABLE_BYTES)
 * unless opts.executable hands it in or skips it; extractIpaFactsAsync streams it instead, in bounded memory.
 */
export function extractIpaFacts(zip: ZipArchive, opts: IpaOptions): IpaFacts {
  const parts = readBundle(zip, opts);
  const codeOn = (opts.code ?? true) && opts.executable !== 'skip';
  const e = parts.executable === undefined || opts.executable === 'skip' ? undefined : executableEntry(parts.bundle, parts.executable, opts.anomalies);
  const main = e === undefined ? undefined : readExecutable(e, opts.anomalies, codeOn, () => (opts.executable as Buffer | undefined) ?? readEntry(zip, e, MAX_EXECUTABLE_BYTES));
  const plan = codeOn ? frameworkBinaries(parts) : { list: [], skipped: [] };
  const frameworks: FrameworkRead[] = plan.list.map((f) => {
    const anomalies: Anomaly[] = [];
    const r = readExecutable(f.entry, anomalies, true, () => readEntry(zip, f.entry, MAX_FRAMEWORK_BINARY_BYTES), 'IPA_FRAMEWORK_BINARY_UNREADABLE');
    opts.anomalies.push(...anomalies);
    return { ...f, ...r };
  });
  return completeFacts(parts, main, frameworks, plan.skipped, opts);
}

/**
 * The same facts, reading the main executable as it inflates (on the libuv threadpool): only its headers,
 * load commands and symbol tables are looked at, nothing of it is held whole, and inflating stops once the
 * last table has passed. The reader keeps well under 1 MiB whatever the executable's size; the inflater's
 * 1 MiB output chunks die at once, but V8 collects them lazily (about 35 MB of them at the peak).
 */
export async function extractIpaFactsAsync(zip: ZipArchive, opts: IpaOptions): Promise<IpaFacts> {
  // An executable handed in (or skipped) leaves nothing to stream.
  if (opts.executable !== undefined) return extractIpaFacts(zip, opts);
  const parts = readBundle(zip, opts);
  const codeOn = opts.code ?? true;
  const e = parts.executable === undefined ? undefined : executableEntry(parts.bundle, parts.executable, opts.anomalies);
  // Streaming holds no copy, so the scan's total budget (--max-total-bytes) is the only size cap of the main
  // executable. The CRC-32 is not computed: reading stops at the last table needed, before the code signature.
  const main = e === undefined ? undefined : await streamExecutable(zip, e, Math.max(MAX_EXECUTABLE_BYTES, opts.limits.maxTotalInflatedBytes), codeOn, opts.anomalies);
  const plan = codeOn ? frameworkBinaries(parts) : { list: [], skipped: [] };
  const frameworks: FrameworkRead[] = [];
  for (const f of plan.list) {
    const anomalies: Anomaly[] = [];
    const r = await streamExecutable(zip, f.entry, MAX_FRAMEWORK_BINARY_BYTES, true, anomalies, 'IPA_FRAMEWORK_BINARY_UNREADABLE');
    opts.anomalies.push(...anomalies);
    frameworks.push({ ...f, ...r });
  }
  return completeFacts(parts, main, frameworks, plan.skipped, opts);
}

async function streamExecutable(zip: ZipArchive, e: ZipEntry, maxBytes: number, code: boolean, anomalies: Anomaly[], unreadable?: string): Promise<ExecutableRead> {
  try {
    const chunks = entryChunks(zip, e, { maxBytes, partial: true, crc: false });
    const r = await readMachOStream(chunks, e.uncompressedSize, { anomalies, entry: e.name, code });
    return { facts: r.facts, code: r.code };
  } catch (err) {
    if (!isEduscanError(err)) throw err;
    anomalies.push(executableAnomaly(err, e, unreadable));
    return { error: `${err.code}: ${err.message}` };
  }
}

interface ExecutableRead {
  facts?: MachOFacts;
  code?: MachOCode;
  /** Why it was not read. */
  error?: string;
}

interface FrameworkBinary {
  /** Frameworks/X.framework */
  bundle: string;
  entry: ZipEntry;
}

type FrameworkRead = FrameworkBinary & ExecutableRead;

/** The frameworks' executables to read for code, within the caps; the rest are named with why. */
function frameworkBinaries(parts: BundleParts): { list: FrameworkBinary[]; skipped: { bundle: string; why: string }[] } {
  const list: FrameworkBinary[] = [];
  const skipped: { bundle: string; why: string }[] = [];
  let total = 0;
  for (const b of parts.embedded) {
    if (b.kind !== 'framework' || !CODE_FRAMEWORK_PATH.test(b.path)) continue;
    const exe = b.executable ?? b.path.slice('Frameworks/'.length, -'.framework'.length);
    // A framework without its executable holds no code (resources only).
    const entry = parts.bundle.files.get(`${b.path}/${exe}`);
    if (entry === undefined) continue;
    if (list.length >= MAX_CODE_FRAMEWORKS) {
      skipped.push({ bundle: b.path, why: `not read: more than ${MAX_CODE_FRAMEWORKS} frameworks` });
    } else if (entry.uncompressedSize > MAX_FRAMEWORK_BINARY_BYTES) {
      skipped.push({ bundle: b.path, why: `not read: its executable declares ${entry.uncompressedSize} bytes, more than ${MAX_FRAMEWORK_BINARY_BYTES}` });
    } else if (total + entry.uncompressedSize > MAX_FRAMEWORK_TOTAL_BYTES) {
      skipped.push({ bundle: b.path, why: `not read: the frameworks' executables pass ${MAX_FRAMEWORK_TOTAL_BYTES} bytes` });
    } else {
      total += entry.uncompressedSize;
      list.push({ bundle: b.path, entry });
    }
  }
  return { list, skipped };
}

interface BundleParts {
  bundle: AppBundle;
  infoEntry: ZipEntry;
  info: PlistDict;
  format: PlistFormat;
  id: string;
  permissions: PermissionFacts[];
  label?: string;
  labelZh?: string;
  zh?: { lproj: string };
  localizations: string[];
  provisioning?: ProvisioningFacts;
  embedded: EmbeddedWithPlist[];
  privacyManifests: PrivacyManifestFacts[];
  executable?: string;
}

/** Everything but the executable's facts. */
function readBundle(zip: ZipArchive, opts: IpaOptions): BundleParts {
  const { anomalies, limits } = opts;
  const bundle = findAppBundle(zip);
  const infoEntry = bundle.files.get(INFO_PLIST);
  if (infoEntry === undefined) {
    throw new EduscanError('E_NO_INFO_PLIST', `no Info.plist in the app bundle: expected ${bundle.root}${INFO_PLIST}, found ${bundle.files.size} other files`);
  }
  const ctx = (entry: string): PlistContext => ({ limits, anomalies, entry });
  const infoBytes = readEntry(zip, infoEntry, Math.min(MAX_PLIST_BYTES, limits.maxEntryInflatedBytes));
  const { value: infoValue, format } = parsePlist(infoBytes, ctx(infoEntry.name));
  if (!isDict(infoValue)) {
    throw new EduscanError('E_BAD_PLIST', `${infoEntry.name}: expected a dictionary at the top level, found ${describe(infoValue)}`);
  }
  const info = infoValue;
  const id = str(info.CFBundleIdentifier);
  if (id === undefined || id === '') {
    throw new EduscanError('E_BAD_PLIST', `${infoEntry.name}: expected a CFBundleIdentifier string, found ${info.CFBundleIdentifier === undefined ? 'none' : describe(info.CFBundleIdentifier)}`);
  }

  // Optional parts: each one is read on its own, and a failure costs only that part.
  const optional = <T>(code: string, entry: string, read: () => T): T | undefined => {
    try {
      return read();
    } catch (e) {
      if (!isEduscanError(e)) throw e;
      anomalies.push({ code, detail: `${e.code}: ${e.message}`, entry });
      return undefined;
    }
  };
  const readPlistEntry = (e: ZipEntry): PlistValue => parsePlist(readEntry(zip, e, Math.min(MAX_PLIST_BYTES, limits.maxEntryInflatedBytes)), ctx(e.name)).value;

  const localizations = lprojNames(bundle);
  const zh = zhStrings(bundle, localizations, (e) => optional('IPA_STRINGS_UNREADABLE', e.name, () => parseStringsFile(readEntry(zip, e, Math.min(MAX_PLIST_BYTES, limits.maxEntryInflatedBytes)), ctx(e.name))));

  const permissions = usageDescriptions(info, zh?.table, anomalies, infoEntry.name);
  const label = str(info.CFBundleDisplayName) ?? str(info.CFBundleName);
  const labelZh = zh ? (zh.table.get('CFBundleDisplayName') ?? zh.table.get('CFBundleName')) : undefined;

  const profileEntry = bundle.files.get(PROFILE);
  let provisioning: ProvisioningFacts | undefined;
  if (profileEntry !== undefined) {
    provisioning = optional('IPA_PROFILE_UNREADABLE', profileEntry.name, () =>
      readProvisioningProfile(readEntry(zip, profileEntry, Math.min(MAX_PLIST_BYTES, limits.maxEntryInflatedBytes)), { ...ctx(profileEntry.name), entry: profileEntry.name }));
  }

  const embedded = embeddedBundles(bundle, anomalies, (e) => optional('IPA_EMBEDDED_PLIST_UNREADABLE', e.name, () => readPlistEntry(e)));
  const privacyManifests = privacy(bundle, id, embedded, anomalies, (e) => optional('IPA_PRIVACY_MANIFEST_UNREADABLE', e.name, () => readPlistEntry(e)));

  const executable = str(info.CFBundleExecutable);
  return { bundle, infoEntry, info, format, id, permissions, label, labelZh, zh, localizations, provisioning, embedded, privacyManifests, executable };
}

function completeFacts(parts: BundleParts, main: ExecutableRead | undefined, frameworks: FrameworkRead[], skipped: { bundle: string; why: string }[], opts: IpaOptions): IpaFacts {
  const { anomalies } = opts;
  const { bundle, infoEntry, info, format, id, permissions, label, labelZh, zh, localizations, provisioning, privacyManifests, executable } = parts;
  const macho = main?.facts;
  const codeOn = (opts.code ?? true) && opts.executable !== 'skip';
  const binaries: IosCodeBinary[] = [];
  if (main?.code) binaries.push({ bundle: '', code: main.code });
  const unread = new Map(skipped.map((s) => [s.bundle, s.why]));
  const read = new Map<string, FrameworkRead>();
  for (const f of frameworks) {
    read.set(f.bundle, f);
    if (f.code) binaries.push({ bundle: f.bundle, code: f.code });
    else unread.set(f.bundle, `not read: ${f.error ?? 'no code lists'}`);
  }
  const codeInput: IosCodeInput = { binaries, skipped: [...unread].map(([b, why]) => ({ bundle: b, why })), ...(codeOn ? {} : { disabled: true }) };
  const embedded = parts.embedded.map((b) => {
    const f = read.get(b.path);
    const why = unread.get(b.path);
    if (f?.facts?.code) {
      const primary = f.facts.archs.find((a) => a.cpu === f.facts!.primaryArch);
      return { ...b, binary: { entry: f.entry.name, encrypted: f.facts.encrypted, importedSymbolCount: primary?.importedSymbolCount ?? 0, ...f.facts.code } };
    }
    return why === undefined ? b : { ...b, binaryUnread: why };
  });
  if (executable === undefined) anomalies.push({ code: 'IPA_NO_EXECUTABLE_KEY', detail: 'Info.plist has no CFBundleExecutable string; the binary was not read', entry: infoEntry.name });
  const dylibs = [...bundle.files.keys()].filter((p) => p.endsWith('.dylib')).sort();
  if (dylibs.length > MAX_LISTED_DYLIBS) anomalies.push({ code: 'IPA_DYLIBS_TRUNCATED', detail: `${dylibs.length} .dylib files, the first ${MAX_LISTED_DYLIBS} are listed` });

  const ios: IosFacts = {
    bundle: { root: bundle.root, name: bundle.name, layout: bundle.layout },
    infoPlist: { entry: infoEntry.name, format },
    executable,
    bundleName: str(info.CFBundleName),
    displayName: str(info.CFBundleDisplayName),
    platformName: str(info.DTPlatformName),
    sdk: str(info.DTSDKName),
    supportedPlatforms: strArray(info.CFBundleSupportedPlatforms),
    deviceFamily: deviceFamily(info.UIDeviceFamily),
    backgroundModes: strArray(info.UIBackgroundModes),
    urlTypes: urlTypes(info.CFBundleURLTypes),
    queriesSchemes: strArray(info.LSApplicationQueriesSchemes),
    requiredDeviceCapabilities: capabilities(info.UIRequiredDeviceCapabilities),
    fileSharingEnabled: bool(info.UIFileSharingEnabled),
    supportsOpeningDocumentsInPlace: bool(info.LSSupportsOpeningDocumentsInPlace),
    localizations,
    zhLocalization: zh?.lproj,
    ats: ats(info.NSAppTransportSecurity),
    provisioning,
    privacyManifests,
    embeddedBundles: embedded.map(({ plist: _p, ...b }) => b),
    dylibs: dylibs.slice(0, MAX_LISTED_DYLIBS),
    macho,
  };
  return {
    id,
    versionName: scalarString(info.CFBundleShortVersionString),
    versionCode: scalarString(info.CFBundleVersion),
    label,
    labelZh,
    minOs: scalarString(info.MinimumOSVersion) ?? macho?.archs.find((a) => a.cpu === macho.primaryArch)?.minOs,
    permissions,
    ios,
    ...extractIosCode(ios, undefined, codeInput),
  };
}

function describe(v: PlistValue | undefined): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (Buffer.isBuffer(v)) return 'data';
  if (v instanceof Date) return 'a date';
  return `a ${typeof v}`;
}

function lprojNames(bundle: AppBundle): string[] {
  const out = new Set<string>();
  for (const rel of bundle.files.keys()) {
    const first = rel.split('/', 1)[0] as string;
    if (first.endsWith('.lproj') && rel.length > first.length) out.add(first.slice(0, -'.lproj'.length));
  }
  return [...out].sort();
}

function zhStrings(bundle: AppBundle, localizations: string[], read: (e: ZipEntry) => StringsTable | undefined): { lproj: string; table: StringsTable } | undefined {
  for (const name of ZH_LPROJ) {
    if (!localizations.includes(name)) continue;
    const e = bundle.files.get(`${name}.lproj/${INFO_PLIST_STRINGS}`);
    if (e === undefined) continue;
    const table = read(e);
    if (table !== undefined) return { lproj: `${name}.lproj`, table };
  }
  return undefined;
}

function usageDescriptions(info: PlistDict, zh: StringsTable | undefined, anomalies: Anomaly[], entry: string): PermissionFacts[] {
  const out: PermissionFacts[] = [];
  for (const key of Object.keys(info).sort()) {
    if (!USAGE_KEY_RE.test(key)) continue;
    const v = info[key];
    const text = str(v);
    if (text === undefined) anomalies.push({ code: 'IPA_USAGE_DESCRIPTION_NOT_STRING', detail: `${key} is ${describe(v)}, iOS shows no purpose text`, entry });
    const textZh = zh?.get(key);
    out.push({ name: key, ...(text === undefined ? {} : { text }), ...(textZh === undefined ? {} : { textZh }) });
  }
  return out;
}

function deviceFamily(v: PlistValue | undefined): number[] {
  const items = Array.isArray(v) ? v : v === undefined ? [] : [v];
  const out: number[] = [];
  for (const x of items) {
    const n = typeof x === 'number' ? x : typeof x === 'string' && /^\d+$/.test(x) ? Number(x) : undefined;
    if (n !== undefined && Number.isInteger(n)) out.push(n);
  }
  return out;
}

function urlTypes(v: PlistValue | undefined): IosFacts['urlTypes'] {
  if (!Array.isArray(v)) return [];
  return v.filter(isDict).map((t) => ({
    name: str(t.CFBundleURLName),
    role: str(t.CFBundleTypeRole),
    schemes: strArray(t.CFBundleURLSchemes),
  }));
}

/** An array of capability names, or (older form) a dictionary of name → required flag. */
function capabilities(v: PlistValue | undefined): string[] {
  if (isDict(v)) return Object.keys(v).filter((k) => bool(v[k]) === true);
  return strArray(v);
}

function ats(v: PlistValue | undefined): AtsFacts | undefined {
  if (!isDict(v)) return undefined;
  const domains: AtsFacts['exceptionDomains'] = [];
  const ex = v.NSExceptionDomains;
  if (isDict(ex)) {
    for (const domain of Object.keys(ex)) {
      const d = ex[domain];
      if (!isDict(d)) continue;
      // Either spelling may be used; NSThirdParty... applies to domains the developer does not control.
      const pick = (name: string): PlistValue | undefined => d[`NSException${name}`] ?? d[`NSThirdPartyException${name}`];
      const thirdParty = Object.keys(d).some((k) => k.startsWith('NSThirdPartyException'));
      domains.push({
        domain,
        includesSubdomains: bool(d.NSIncludesSubdomains),
        allowsInsecureHttpLoads: bool(pick('AllowsInsecureHTTPLoads')),
        minimumTlsVersion: str(pick('MinimumTLSVersion')),
        requiresForwardSecrecy: bool(pick('RequiresForwardSecrecy')),
        requiresCertificateTransparency: bool(d.NSRequiresCertificateTransparency),
        thirdParty,
      });
    }
  }
  return {
    allowsArbitraryLoads: bool(v.NSAllowsArbitraryLoads),
    allowsArbitraryLoadsForMedia: bool(v.NSAllowsArbitraryLoadsForMedia),
    allowsArbitraryLoadsInWebContent: bool(v.NSAllowsArbitraryLoadsInWebContent),
    allowsLocalNetworking: bool(v.NSAllowsLocalNetworking),
    exceptionDomains: domains,
  };
}

interface EmbeddedWithPlist extends EmbeddedBundleFacts {
  plist?: PlistDict;
}

function embeddedBundles(bundle: AppBundle, anomalies: Anomaly[], read: (e: ZipEntry) => PlistValue | undefined): EmbeddedWithPlist[] {
  const paths = new Map<string, EmbeddedBundleFacts['kind']>();
  for (const rel of bundle.files.keys()) {
    const parts = rel.split('/');
    // The last component is a file name; every folder above it may be a bundle.
    for (let i = 0; i < parts.length - 1; i++) {
      const c = parts[i] as string;
      const dot = c.lastIndexOf('.');
      const kind = dot > 0 ? BUNDLE_KINDS[c.slice(dot)] : undefined;
      if (kind !== undefined) paths.set(parts.slice(0, i + 1).join('/'), kind);
    }
  }
  const sorted = [...paths.keys()].sort();
  if (sorted.length > MAX_EMBEDDED_BUNDLES) {
    anomalies.push({ code: 'IPA_EMBEDDED_BUNDLES_TRUNCATED', detail: `${sorted.length} embedded bundles, the first ${MAX_EMBEDDED_BUNDLES} are read` });
  }
  const out: EmbeddedWithPlist[] = [];
  for (const path of sorted.slice(0, MAX_EMBEDDED_BUNDLES)) {
    const kind = paths.get(path) as EmbeddedBundleFacts['kind'];
    const facts: EmbeddedWithPlist = { path, kind };
    const e = bundle.files.get(`${path}/${INFO_PLIST}`);
    if (e === undefined) {
      if (INFO_REQUIRED.has(kind)) anomalies.push({ code: 'IPA_EMBEDDED_NO_INFO_PLIST', detail: `embedded ${kind} has no Info.plist; iOS would not load it`, entry: bundle.root + path + '/' });
    } else {
      const v = read(e);
      if (isDict(v)) {
        facts.plist = v;
        facts.id = str(v.CFBundleIdentifier);
        facts.name = str(v.CFBundleDisplayName) ?? str(v.CFBundleName);
        facts.versionName = scalarString(v.CFBundleShortVersionString);
        facts.versionCode = scalarString(v.CFBundleVersion);
        facts.executable = str(v.CFBundleExecutable);
        facts.minOs = scalarString(v.MinimumOSVersion);
        const ext = v.NSExtension;
        if (isDict(ext)) facts.extensionPoint = str(ext.NSExtensionPointIdentifier);
      }
    }
    out.push(facts);
  }
  return out;
}

function privacy(bundle: AppBundle, appId: string, embedded: EmbeddedWithPlist[], anomalies: Anomaly[], read: (e: ZipEntry) => PlistValue | undefined): PrivacyManifestFacts[] {
  const rels = [...bundle.files.keys()].filter((p) => p === PRIVACY_MANIFEST || p.endsWith('/' + PRIVACY_MANIFEST)).sort();
  if (rels.length > MAX_PRIVACY_MANIFESTS) anomalies.push({ code: 'IPA_PRIVACY_MANIFESTS_TRUNCATED', detail: `${rels.length} privacy manifests, the first ${MAX_PRIVACY_MANIFESTS} are read` });
  const out: PrivacyManifestFacts[] = [];
  for (const rel of rels.slice(0, MAX_PRIVACY_MANIFESTS)) {
    const e = bundle.files.get(rel) as ZipEntry;
    // Attributed to the innermost bundle folder that holds it; the app itself otherwise.
    let owner: EmbeddedWithPlist | undefined;
    for (const b of embedded) if (rel.startsWith(b.path + '/') && (owner === undefined || b.path.length > owner.path.length)) owner = b;
    const v = read(e);
    if (v === undefined) continue;
    out.push(privacyManifestFacts(v, e.name, owner?.path ?? '', owner ? owner.id : appId));
  }
  return out;
}

/**
 * The zip entry of the main executable (CFBundleExecutable of the main bundle), for callers that want to
 * inflate it themselves; undefined when there is no such entry. Throws like extractIpaFacts when the
 * bundle or its Info.plist is unreadable.
 */
export function mainExecutableEntry(zip: ZipArchive, limits: Limits): ZipEntry | undefined {
  const bundle = findAppBundle(zip);
  const infoEntry = bundle.files.get(INFO_PLIST);
  if (infoEntry === undefined) return undefined;
  const { value } = parsePlist(readEntry(zip, infoEntry, Math.min(MAX_PLIST_BYTES, limits.maxEntryInflatedBytes)), { limits, anomalies: [], entry: infoEntry.name });
  const exe = isDict(value) ? str(value.CFBundleExecutable) : undefined;
  return exe === undefined ? undefined : bundle.files.get(exe);
}

function executableEntry(bundle: AppBundle, executable: string, anomalies: Anomaly[]): ZipEntry | undefined {
  const e = bundle.files.get(executable);
  if (e === undefined) anomalies.push({ code: 'IPA_EXECUTABLE_MISSING', detail: `CFBundleExecutable names "${executable}", which is not in the bundle`, entry: bundle.root + executable });
  return e;
}

/** `unreadable` replaces the code of the main executable's anomalies (frameworks' executables). */
function executableAnomaly(err: EduscanError, e: ZipEntry, unreadable?: string): Anomaly {
  if (unreadable) return { code: unreadable, detail: `${err.code}: ${err.message}; its code-level facts are not assessable`, entry: e.name };
  if (err instanceof LimitError) return { code: 'IPA_EXECUTABLE_TOO_LARGE', detail: `${err.code}: ${err.message}; binary facts (PIE, encryption, imports) are not assessable`, entry: e.name };
  if (err.code === 'E_BAD_MACHO') return { code: 'IPA_EXECUTABLE_UNREADABLE', detail: `${err.code}: ${err.message}`, entry: e.name };
  return { code: 'IPA_EXECUTABLE_UNREADABLE', detail: `${err.code}: ${err.message}; binary facts (PIE, encryption, imports) are not assessable`, entry: e.name };
}

function readExecutable(e: ZipEntry, anomalies: Anomaly[], code: boolean, read: () => Buffer, unreadable?: string): ExecutableRead {
  try {
    const r = parseMachODetail(read(), { anomalies, entry: e.name, code });
    return { facts: r.facts, code: r.code };
  } catch (err) {
    if (!isEduscanError(err)) throw err;
    anomalies.push(executableAnomaly(err, e, unreadable));
    return { error: `${err.code}: ${err.message}` };
  }
}
