// An APK's code-level facts: the SDK inventory (from classes defined in the dex files, native libraries and
// manifest components), packers, and sensitive framework APIs attributed to the SDK (or the app) whose code
// refers to them. Dex files are inflated one at a time under the scan's caps; a dex that cannot be read
// costs only its own facts and makes the code "not assessable", never a silent pass.
import { isEduscanError, type Anomaly } from '../errors.js';
import type { CodeEvidence, CodeFacts, PackerFacts, SdkFacts, SensitiveApiFacts } from '../facts/code-schema.js';
import type { AndroidManifestFacts } from '../facts/schema.js';
import { BufferSource } from '../io/source.js';
import type { Limits } from '../limits.js';
import { openZip, readEntry, type ZipArchive, type ZipEntry } from '../zip/zip.js';
import { MAX_CALLERS, scanDex, type DexScan } from './dex-scan.js';
import { loadCodeRules } from './load.js';
import { GlobMatcher, descriptorKey, ClassMatcher } from './match.js';
import type { CodeRules } from './types.js';

const PRIMARY_DEX = /^classes(\d*)\.dex$/;
/** Code that Android does not load by itself: dex files elsewhere, and jars/apks that may carry some. */
const HIDDEN_CODE = /\.(?:dex|jar|apk)$/i;
const NESTED_ZIP = /\.(?:jar|apk)$/i;
const DOT = 0x2e;
const MANIFEST = 'AndroidManifest.xml';
/** Hidden containers opened at most: a hostile package could hold thousands. */
const MAX_HIDDEN_CONTAINERS = 64;
/** Evidence lines kept per sensitive API and owner across the package. */
const MAX_API_EVIDENCE = 10;
const DEX_MAGIC = Buffer.from('dex\n', 'latin1');
const ZIP_LOCAL_HEADER = 0x04034b50;

export interface AndroidCodeOptions {
  limits: Limits;
  anomalies: Anomaly[];
  /** False (--no-code): dex files are not read; SDKs still come from native libraries and the manifest. */
  code?: boolean;
  /** Signature data (default: the package's rules/ folder). */
  rules?: CodeRules;
}

export interface CodeExtract {
  /** Absent when no SDK was found (`code` says whether and how the code was read). */
  sdks?: SdkFacts[];
  code: CodeFacts;
}

/** Name matchers built once per rule set: building them per package was a tenth of a corpus scan. */
const matcherCache = new WeakMap<CodeRules, ReturnType<typeof buildMatchers>>();
function matchersFor(rules: CodeRules): ReturnType<typeof buildMatchers> {
  let m = matcherCache.get(rules);
  if (!m) {
    m = buildMatchers(rules);
    matcherCache.set(rules, m);
  }
  return m;
}

function buildMatchers(rules: CodeRules) {
  const libs = new GlobMatcher<number>();
  rules.sdks.forEach((s, i) => s.android?.nativeLibs.forEach((g) => libs.add(g, i)));
  const packerLibs = new GlobMatcher<number>();
  const packerFiles = new GlobMatcher<number>();
  rules.packers.forEach((p, i) => {
    p.android.nativeLibs.forEach((g) => packerLibs.add(g, i));
    p.android.files.forEach((g) => packerFiles.add(g, i));
  });
  const compGlobs = new GlobMatcher<number>();
  rules.sdks.forEach((s, i) => s.android?.components.forEach((g) => compGlobs.add(g, i)));
  const sdkClasses = new ClassMatcher<number>();
  rules.sdks.forEach((s, i) => s.android?.classPrefixes.forEach((p) => sdkClasses.add(p, i)));
  const metaKeys = new Map<string, number[]>();
  // Signature sets stored before metaData existed (tests/oracle/code) have none.
  rules.sdks.forEach((s, i) => (s.android?.metaData ?? []).forEach((k) => metaKeys.set(k, [...(metaKeys.get(k) ?? []), i])));
  return { libs, packerLibs, packerFiles, compGlobs, sdkClasses, metaKeys };
}

export function extractAndroidCode(zip: ZipArchive, manifest: AndroidManifestFacts, opts: AndroidCodeOptions): CodeExtract {
  const rules = opts.rules ?? loadCodeRules();
  const { anomalies } = opts;
  const inv = new Inventory(rules);
  const notAssessable: string[] = [];

  // Native libraries and other files: SDK and packer signatures by name.
  const { libs, packerLibs, packerFiles, compGlobs, sdkClasses, metaKeys } = matchersFor(rules);
  const primary: { entry: ZipEntry; n: number }[] = [];
  const hidden: ZipEntry[] = [];
  const baseName = (name: string): string => name.slice(name.lastIndexOf('/') + 1);
  for (const e of zip.entries) {
    const name = e.name;
    // Only names ending in ".xyz" can be code containers (most entries are resources: skip the RegExps).
    if (name.charCodeAt(name.length - 4) === DOT) {
      const dex = PRIMARY_DEX.exec(name);
      if (dex) primary.push({ entry: e, n: dex[1] === '' ? 1 : Number(dex[1]) });
      else if (HIDDEN_CODE.test(name) && !name.startsWith('META-INF/')) hidden.push(e);
    }
    if (name.endsWith('.so')) {
      const base = baseName(name);
      for (const m of libs.matchAll(base)) inv.sdk(m.value, { kind: 'native-lib', value: base, location: name });
      for (const m of packerLibs.matchAll(base)) inv.packer(m.value, { kind: 'native-lib', value: base, location: name });
    }
    for (const m of packerFiles.matchAll(name)) inv.packer(m.value, { kind: 'file', value: baseName(name), location: name });
  }

  // Manifest: components of SDKs, and the <application> class a packer installs.
  for (const c of manifest.components) {
    const globs = compGlobs.matchAll(c.name);
    const byClass = sdkClasses.match(descriptorKey(c.name));
    if (globs.length === 0 && !byClass) continue;
    const hits = new Set(globs.map((m) => m.value));
    if (byClass) hits.add(byClass.value);
    for (const i of hits) inv.sdk(i, { kind: 'component', value: c.name, location: `${MANIFEST} <${c.kind}>` });
  }
  // Manifest: the <meta-data> keys an SDK's set-up asks for (its app key, channel); evidence even when the
  // code is packed or obfuscated, since the SDK reads them by name at run time.
  for (const md of manifest.metaData) {
    for (const i of metaKeys.get(md.name) ?? []) inv.sdk(i, { kind: 'meta-data', value: md.name, location: `${MANIFEST} <meta-data>` });
  }
  const appClass = manifest.application.name;
  if (appClass !== undefined) {
    rules.packers.forEach((p, i) => {
      if (p.android.applicationClasses.includes(appClass)) inv.packer(i, { kind: 'component', value: appClass, location: `${MANIFEST} <application>` });
    });
  }

  // Dex files, in the order Android loads them, then the hidden ones.
  primary.sort((a, b) => a.n - b.n);
  const dexFacts: CodeFacts['dex'] = [];
  const hiddenDex: string[] = [];
  const scanned = (scans: DexScan[]): void => {
    for (const s of scans) {
      dexFacts.push(s.info);
      inv.addScan(s);
      if (s.truncatedCode > 0) anomalies.push({ code: 'DEX_CODE_TRUNCATED', detail: `${s.truncatedCode} methods' instructions run past their code item; their references may be missing`, entry: s.info.entry });
    }
  };
  const unreadable = (entry: string, e: unknown): void => {
    if (!isEduscanError(e)) throw e;
    anomalies.push({ code: 'DEX_UNREADABLE', detail: `${e.code}: ${e.message}`, entry });
    notAssessable.push(`${entry} could not be read (${e.code})`);
  };
  if (opts.code === false) {
    notAssessable.push('code was not scanned (--no-code)');
  } else {
    for (const { entry } of primary) {
      try {
        scanned(scanDex(readEntry(zip, entry), entry.name, rules, anomalies));
      } catch (e) {
        unreadable(entry.name, e);
      }
    }
    let containers = 0;
    for (const entry of hidden) {
      if (containers >= MAX_HIDDEN_CONTAINERS) {
        anomalies.push({ code: 'DEX_HIDDEN_TRUNCATED', detail: `${hidden.length} possible code containers, the first ${MAX_HIDDEN_CONTAINERS} were read` });
        notAssessable.push(`more than ${MAX_HIDDEN_CONTAINERS} jar/apk/dex files outside classes*.dex`);
        break;
      }
      containers++;
      try {
        for (const found of hiddenCode(zip, entry, opts.limits)) {
          hiddenDex.push(found.name);
          anomalies.push({ code: 'DEX_HIDDEN', detail: 'dex file outside classes*.dex: loaded at run time (dynamic code loading), scanned as well', entry: found.name });
          try {
            scanned(scanDex(found.bytes(), found.name, rules, anomalies));
          } catch (e) {
            unreadable(found.name, e);
          }
        }
      } catch (e) {
        if (!isEduscanError(e)) throw e;
        anomalies.push({ code: 'CODE_CONTAINER_UNREADABLE', detail: `${e.code}: ${e.message}`, entry: entry.name });
      }
    }
  }

  const packers = inv.packerFacts();
  if (packers.length > 0) {
    const named = packers.map((p) => `${p.name} (${p.evidence.map((e) => e.value).slice(0, 3).join(', ')})`).join(', ');
    notAssessable.unshift(`packed by ${named}: the app's own code is encrypted and only the unpacking stub can be read`);
  }
  const code: CodeFacts = {
    dex: dexFacts,
    hiddenDex,
    packers,
    sensitiveApis: inv.apiFacts(),
    assessable: notAssessable.length === 0,
  };
  if (notAssessable.length > 0) code.notAssessableReason = notAssessable.join('; ');
  const sdks = inv.sdkFacts();
  return sdks.length > 0 ? { sdks, code } : { code };
}

interface FoundDex {
  name: string;
  bytes: () => Buffer;
}

/** Dex files in a hidden entry: the entry itself when it is a dex, or the classes*.dex of a jar/apk. */
function hiddenCode(zip: ZipArchive, entry: ZipEntry, limits: Limits): FoundDex[] {
  const bytes = readEntry(zip, entry);
  if (!NESTED_ZIP.test(entry.name)) {
    return bytes.subarray(0, 4).equals(DEX_MAGIC) ? [{ name: entry.name, bytes: () => bytes }] : [];
  }
  // Not a zip (an encrypted payload named .jar): nothing to read, and nothing Android could load either.
  if (bytes.length < 4 || bytes.readUInt32LE(0) !== ZIP_LOCAL_HEADER) return [];
  // The inner archive's inflating counts against what is left of the scan's total.
  const inner = openZip(new BufferSource(bytes), { ...limits, maxTotalInflatedBytes: Math.max(0, limits.maxTotalInflatedBytes - zip.inflatedTotal) });
  return inner.entries
    .filter((e) => PRIMARY_DEX.test(e.name) || e.name.endsWith('.dex'))
    .map((e) => ({
      name: `${entry.name}!${e.name}`,
      bytes: () => {
        const b = readEntry(inner, e);
        zip.inflatedTotal += b.length;
        return b;
      },
    }));
}

/** Collects evidence per SDK, packer and API across every source. */
class Inventory {
  private readonly sdks = new Map<number, CodeEvidence[]>();
  private readonly packers = new Map<number, CodeEvidence[]>();
  private readonly apis = new Map<string, SensitiveApiFacts>();

  constructor(private readonly rules: CodeRules) {}

  sdk(i: number, ev: CodeEvidence): void {
    const list = this.sdks.get(i) ?? [];
    this.sdks.set(i, list);
    // One line per library name: the same .so for four ABIs is one fact.
    if (ev.kind === 'native-lib' && list.some((e) => e.kind === 'native-lib' && e.value === ev.value)) return;
    list.push(ev);
  }

  packer(i: number, ev: CodeEvidence): void {
    const list = this.packers.get(i) ?? [];
    this.packers.set(i, list);
    if (ev.kind === 'native-lib' && list.some((e) => e.kind === 'native-lib' && e.value === ev.value)) return;
    list.push(ev);
  }

  addScan(s: DexScan): void {
    for (const [i, { signature, count }] of s.sdkClasses) {
      this.sdk(i, { kind: 'class', value: signature.endsWith('.') ? `${signature}*` : signature, location: s.info.entry, ...(count > 1 ? { count } : {}) });
    }
    for (const [i, cls] of s.packerClasses) this.packer(i, { kind: 'class', value: cls, location: s.info.entry });
    for (const h of s.apiHits) {
      const api = this.rules.apis[h.ref.api]!;
      const owner = h.owner >= 0 ? this.rules.sdks[h.owner]!.id : 'app';
      const key = `${api.id}\0${h.ref.display}\0${owner}`;
      let f = this.apis.get(key);
      if (!f) this.apis.set(key, (f = { id: api.id, category: api.category, api: h.ref.display, owner, evidence: [], count: 0 }));
      f.count = (f.count ?? 0) + h.count;
      for (const caller of h.callers.slice(0, MAX_CALLERS)) {
        if (f.evidence.length < MAX_API_EVIDENCE) f.evidence.push({ kind: 'class', value: caller, location: s.info.entry });
      }
    }
  }

  sdkFacts(): SdkFacts[] {
    const out: SdkFacts[] = [];
    for (const [i, evidence] of this.sdks) {
      const s = this.rules.sdks[i]!;
      out.push({ id: s.id, name: s.name, vendor: s.vendor, category: s.category, evidence });
    }
    for (const [i, evidence] of this.packers) {
      const p = this.rules.packers[i]!;
      out.push({ id: p.id, name: p.name, vendor: p.vendor, category: 'packer', evidence });
    }
    return out.sort((a, b) => (a.category === b.category ? cmp(a.id, b.id) : cmp(a.category, b.category)));
  }

  packerFacts(): PackerFacts[] {
    return [...this.packers].map(([i, evidence]) => ({ id: this.rules.packers[i]!.id, name: this.rules.packers[i]!.name, evidence })).sort((a, b) => cmp(a.id, b.id));
  }

  apiFacts(): SensitiveApiFacts[] {
    return [...this.apis.values()].sort((a, b) => cmp(a.category, b.category) || cmp(a.id, b.id) || cmp(a.api, b.api) || cmp(a.owner, b.owner));
  }
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
