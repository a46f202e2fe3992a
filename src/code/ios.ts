// An IPA's code-level facts: SDKs from embedded frameworks and dylibs (names, bundle ids), the executables'
// linked libraries, their Objective-C class lists, defined and imported _OBJC_CLASS_$_ symbols; sensitive
// APIs from the symbols the executables import (C functions such as _stat, system classes) and the
// selectors they use (identifierForVendor, systemUptime). The main executable and the embedded frameworks'
// executables are read (src/ipa/macho*.ts); a reference found in a framework is attributed to the SDK that
// framework is, one in the main executable to the app (a statically linked SDK's code cannot be told apart
// from the app's without reading the machine code). The code is "assessable" when every executable was read
// unencrypted; a FairPlay-encrypted App Store build is not (its names are unreadable: nothing found proves
// nothing).
import type { CodeEvidence, CodeFacts, SdkFacts, SensitiveApiFacts } from '../facts/code-schema.js';
import type { IosFacts } from '../facts/ios-schema.js';
import type { MachOCode } from '../ipa/macho.js';
import { loadCodeRules } from './load.js';
import type { CodeRules } from './types.js';
import type { CodeExtract } from './android.js';

const OBJC_CLASS_SYMBOL = '_OBJC_CLASS_$_';
/** Install names of bundled libraries; system ones (/usr/lib, /System) are not third-party code. */
const BUNDLED_INSTALL_NAME = /^@(?:rpath|executable_path|loader_path)\//;
/** Swift class names as the Objective-C runtime sees them: _TtC<len><module><len><class>, nested: _TtCC… */
const SWIFT_MANGLED = /^_TtC+(\d+)/;
/** Evidence lines kept per sensitive API and owner. */
const MAX_API_EVIDENCE = 10;
/** Apple's required-reason categories and the NSPrivacyAccessedAPIType a privacy manifest declares for each. */
const REQUIRED_REASON_TYPES: Record<string, string> = {
  'required-reason-file-timestamp': 'NSPrivacyAccessedAPICategoryFileTimestamp',
  'required-reason-system-boot-time': 'NSPrivacyAccessedAPICategorySystemBootTime',
  'required-reason-disk-space': 'NSPrivacyAccessedAPICategoryDiskSpace',
  'required-reason-active-keyboards': 'NSPrivacyAccessedAPICategoryActiveKeyboards',
  'required-reason-user-defaults': 'NSPrivacyAccessedAPICategoryUserDefaults',
};

/** One executable read for code: the main one (bundle "") or a framework's. */
export interface IosCodeBinary {
  /** Bundle holding it, relative to the main bundle: "" or Frameworks/X.framework. */
  bundle: string;
  code: MachOCode;
}

export interface IosCodeInput {
  binaries: IosCodeBinary[];
  /** Framework executables not read (over a cap, unreadable), with why. */
  skipped: { bundle: string; why: string }[];
  /** Code reading was switched off (--no-code). */
  disabled?: boolean;
}

interface Matchers {
  byFramework: Map<string, number[]>;
  exactClass: Map<string, number>;
  prefixes: { prefix: string; sdk: number }[];
  apiBySymbol: Map<string, number>;
  apiBySelector: Map<string, number>;
}

const matcherCache = new WeakMap<CodeRules, Matchers>();

function matchersFor(rules: CodeRules): Matchers {
  let m = matcherCache.get(rules);
  if (m) return m;
  const byFramework = new Map<string, number[]>();
  const exactClass = new Map<string, number>();
  const prefixes: { prefix: string; sdk: number }[] = [];
  rules.sdks.forEach((s, i) => {
    s.ios?.frameworks.forEach((f) => byFramework.set(f.toLowerCase(), [...(byFramework.get(f.toLowerCase()) ?? []), i]));
    // The first SDK listing a name keeps it (the data lists the more specific one first).
    s.ios?.classes.forEach((c) => exactClass.has(c) || exactClass.set(c, i));
    s.ios?.classPrefixes.forEach((p) => prefixes.push({ prefix: p, sdk: i }));
  });
  // Longest first: the most specific prefix wins.
  prefixes.sort((a, b) => b.prefix.length - a.prefix.length);
  const apiBySymbol = new Map<string, number>();
  const apiBySelector = new Map<string, number>();
  rules.apis.forEach((a, i) => {
    a.ios?.symbols.forEach((s) => apiBySymbol.has(s) || apiBySymbol.set(s, i));
    a.ios?.selectors.forEach((s) => apiBySelector.has(s) || apiBySelector.set(s, i));
  });
  m = { byFramework, exactClass, prefixes, apiBySymbol, apiBySelector };
  matcherCache.set(rules, m);
  return m;
}

/** The names a class is known by for matching: itself, or for a Swift class its module and class names. */
export function classNameParts(name: string): string[] {
  const m = SWIFT_MANGLED.exec(name);
  if (!m) return [name];
  const parts: string[] = [];
  let p = m[0].length - (m[1] as string).length;
  while (p < name.length) {
    const digits = /^\d+/.exec(name.slice(p));
    if (!digits) break;
    const len = Number(digits[0]);
    const start = p + digits[0].length;
    if (len === 0 || start + len > name.length) break;
    parts.push(name.slice(start, start + len));
    p = start + len;
  }
  return parts.length > 0 ? parts : [name];
}

/** The SDK a class name belongs to, and the signature that said so ("GDTSplashAd*" or "Bugly"). */
function matchClass(m: Matchers, name: string): { sdk: number; signature: string } | undefined {
  for (const part of classNameParts(name)) {
    const exact = m.exactClass.get(part);
    if (exact !== undefined) return { sdk: exact, signature: part };
    const p = m.prefixes.find((x) => part.startsWith(x.prefix));
    if (p) return { sdk: p.sdk, signature: `${p.prefix}*` };
  }
  return undefined;
}

export function extractIosCode(ios: IosFacts, rules: CodeRules = loadCodeRules(), input?: IosCodeInput): CodeExtract {
  const m = matchersFor(rules);
  const sdkEvidence = new Map<number, CodeEvidence[]>();
  const add = (i: number, ev: CodeEvidence): void => {
    const list = sdkEvidence.get(i) ?? [];
    sdkEvidence.set(i, list);
    if (!list.some((e) => e.kind === ev.kind && e.value === ev.value && e.location === ev.location)) list.push(ev);
  };
  const frameworkHits = (name: string): number[] => m.byFramework.get(name.toLowerCase()) ?? [];
  const idHits = (id: string): number[] => {
    const out: number[] = [];
    rules.sdks.forEach((s, i) => {
      if (s.ios?.bundleIds.some((b) => (b.endsWith('.') ? id.startsWith(b) : id === b))) out.push(i);
    });
    return out;
  };
  /** SDKs a framework bundle is, by its name or bundle id: the owner of the code inside it. */
  const bundleSdks = new Map<string, number[]>();

  for (const b of ios.embeddedBundles) {
    if (b.kind !== 'framework') continue;
    const file = b.path.slice(b.path.lastIndexOf('/') + 1);
    const name = file.replace(/\.framework$/, '');
    const location = ios.bundle.root + b.path;
    const hits = new Set<number>();
    for (const i of frameworkHits(name)) {
      add(i, { kind: 'framework', value: file, location });
      hits.add(i);
    }
    if (b.id !== undefined) {
      for (const i of idHits(b.id)) {
        add(i, { kind: 'framework', value: `${file} (${b.id})`, location });
        hits.add(i);
      }
    }
    bundleSdks.set(b.path, [...hits].sort((x, y) => x - y));
  }
  for (const d of ios.dylibs) {
    const file = d.slice(d.lastIndexOf('/') + 1);
    for (const i of frameworkHits(file.replace(/\.dylib$/, ''))) add(i, { kind: 'framework', value: file, location: ios.bundle.root + d });
  }
  const macho = ios.macho;
  const primary = macho?.archs.find((a) => a.cpu === macho.primaryArch) ?? macho?.archs[0];
  for (const lib of primary?.dylibs ?? []) {
    if (!BUNDLED_INSTALL_NAME.test(lib)) continue;
    const last = lib.slice(lib.lastIndexOf('/') + 1).replace(/\.dylib$/, '');
    for (const i of frameworkHits(last)) add(i, { kind: 'framework', value: lib, location: macho!.entry });
  }

  // Without the executables' lists (a caller that has only the facts), the main executable's imports.
  const binaries: IosCodeBinary[] = input?.binaries ?? (macho ? [{ bundle: '', code: importsOnly(macho) }] : []);

  // Classes: the class list and defined class symbols (code the binary holds), imported class symbols
  // (SDK frameworks it calls). One evidence line per SDK signature and binary, with the count of classes.
  for (const { code } of binaries) {
    const held = new Map<string, { sdk: number; count: number; example: string }>();
    const note = (name: string): void => {
      const hit = matchClass(m, name);
      if (!hit) return;
      const h = held.get(hit.signature) ?? { sdk: hit.sdk, count: 0, example: name };
      h.count++;
      held.set(hit.signature, h);
    };
    const seen = new Set<string>();
    for (const c of code.classes) if (!seen.has(c)) (seen.add(c), note(c));
    for (const s of code.definedClassSymbols) {
      if (!s.startsWith(OBJC_CLASS_SYMBOL)) continue;
      const c = s.slice(OBJC_CLASS_SYMBOL.length);
      if (!seen.has(c)) (seen.add(c), note(c));
    }
    for (const [signature, h] of held) {
      add(h.sdk, { kind: 'class', value: h.count === 1 ? h.example : signature, location: code.entry, ...(h.count > 1 ? { count: h.count } : {}) });
    }
    for (const sym of code.importedSymbols) {
      if (!sym.startsWith(OBJC_CLASS_SYMBOL)) continue;
      const hit = matchClass(m, sym.slice(OBJC_CLASS_SYMBOL.length));
      if (hit) add(hit.sdk, { kind: 'symbol', value: sym, location: code.entry });
    }
  }

  // Sensitive APIs, per binary: imported symbols and selectors, attributed to the framework's SDK or the app.
  const apis = new Map<string, SensitiveApiFacts>();
  const ownerOf = (bundle: string, code: MachOCode): string => {
    if (bundle === '') return 'app';
    const byBundle = bundleSdks.get(bundle)?.[0];
    if (byBundle !== undefined) return rules.sdks[byBundle]!.id;
    // A framework no name or id signature knows: the SDK whose classes it holds, when only one does.
    const owners = new Set<number>();
    for (const [i, list] of sdkEvidence) if (list.some((e) => e.kind === 'class' && e.location === code.entry)) owners.add(i);
    return owners.size === 1 ? rules.sdks[[...owners][0]!]!.id : 'app';
  };
  const found = (apiIndex: number, api: string, kind: 'symbol' | 'selector', bundle: string, code: MachOCode): void => {
    const a = rules.apis[apiIndex]!;
    const owner = ownerOf(bundle, code);
    const key = `${a.id}\0${api}\0${owner}\0${bundle}`;
    let f = apis.get(key);
    if (!f) {
      const reason = REQUIRED_REASON_TYPES[a.category];
      f = { id: a.id, category: a.category, api, owner, evidence: [], bundle, ...(reason ? { requiredReasonType: reason } : {}) };
      apis.set(key, f);
    }
    if (f.evidence.length < MAX_API_EVIDENCE && !f.evidence.some((e) => e.location === code.entry)) f.evidence.push({ kind, value: api, location: code.entry });
  };
  for (const { bundle, code } of binaries) {
    for (const sym of code.importedSymbols) {
      const i = m.apiBySymbol.get(sym);
      if (i !== undefined) found(i, sym, 'symbol', bundle, code);
    }
    for (const sel of code.selectors) {
      const i = m.apiBySelector.get(sel);
      if (i !== undefined) found(i, sel, 'selector', bundle, code);
    }
  }

  const sdks: SdkFacts[] = [...sdkEvidence].map(([i, evidence]) => {
    const s = rules.sdks[i]!;
    return { id: s.id, name: s.name, vendor: s.vendor, category: s.category, evidence };
  }).sort((a, b) => (a.category === b.category ? cmp(a.id, b.id) : cmp(a.category, b.category)));

  const reasons = notAssessable(ios, binaries, input);
  const code: CodeFacts = {
    dex: [],
    hiddenDex: [],
    packers: [],
    sensitiveApis: [...apis.values()].sort((a, b) => cmp(a.category, b.category) || cmp(a.id, b.id) || cmp(a.api, b.api) || cmp(a.bundle ?? '', b.bundle ?? '')),
    assessable: reasons.length === 0,
    ...(reasons.length > 0 ? { notAssessableReason: reasons.join('; ') } : {}),
  };
  return sdks.length > 0 ? { sdks, code } : { code };
}

/** The main executable as the facts give it: imports only, and a gap saying so. */
function importsOnly(macho: NonNullable<IosFacts['macho']>): MachOCode {
  return {
    entry: macho.entry,
    arch: macho.primaryArch,
    encrypted: macho.encrypted,
    classes: [],
    swiftClasses: 0,
    unnamedClasses: 0,
    selectors: [],
    definedClassSymbols: [],
    importedSymbols: macho.importedSymbols,
    gaps: ['only its imported symbols were read (its classes and selectors were not extracted)'],
  };
}

/** Why the lists cannot vouch for what they do not contain; empty when everything was read. */
function notAssessable(ios: IosFacts, binaries: IosCodeBinary[], input: IosCodeInput | undefined): string[] {
  if (input?.disabled) return ['code was not scanned (--no-code)'];
  const out: string[] = [];
  const main = binaries.find((b) => b.bundle === '');
  if (!ios.macho || !main) out.push('the main executable could not be read');
  for (const { bundle, code } of binaries) {
    const what = bundle === '' ? 'the main executable' : `${bundle}`;
    if (code.encrypted) out.push(`${what} is FairPlay-encrypted (App Store build): its classes and selectors cannot be read, only its imports`);
    else if (code.gaps.length > 0) out.push(`${what}: ${code.gaps.join(', ')}`);
  }
  for (const s of input?.skipped ?? []) out.push(`${s.bundle}: ${s.why}`);
  return out;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
