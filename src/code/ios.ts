// An IPA's code-level facts from what the IPA reader already extracted: embedded frameworks and dylibs
// (names, bundle ids), the main executable's linked libraries, and its imported symbols
// (_OBJC_CLASS_$_X for classes of dynamic frameworks, C functions such as _stat).
// Not available yet: the executable's own Objective-C class list and selectors (statically linked SDKs,
// identifierForVendor, systemUptime…) — so the code is never "assessable" on iOS: what is found is
// evidence, what is not found proves nothing.
import type { CodeEvidence, CodeFacts, SdkFacts, SensitiveApiFacts } from '../facts/code-schema.js';
import type { IosFacts } from '../facts/ios-schema.js';
import { loadCodeRules } from './load.js';
import type { CodeRules } from './types.js';
import type { CodeExtract } from './android.js';

const OBJC_CLASS_SYMBOL = '_OBJC_CLASS_$_';
/** Install names of bundled libraries; system ones (/usr/lib, /System) are not third-party code. */
const BUNDLED_INSTALL_NAME = /^@(?:rpath|executable_path|loader_path)\//;
const PARTIAL_COVERAGE = 'iOS code is read only through embedded frameworks and imported symbols; the executable\'s own classes and selectors (statically linked SDKs, identifierForVendor, systemUptime…) are not extracted yet';

export function extractIosCode(ios: IosFacts, rules: CodeRules = loadCodeRules()): CodeExtract {
  const sdkEvidence = new Map<number, CodeEvidence[]>();
  const add = (i: number, ev: CodeEvidence): void => {
    const list = sdkEvidence.get(i) ?? [];
    sdkEvidence.set(i, list);
    if (!list.some((e) => e.kind === ev.kind && e.value === ev.value)) list.push(ev);
  };
  const byFramework = new Map<string, number[]>();
  rules.sdks.forEach((s, i) => s.ios?.frameworks.forEach((f) => byFramework.set(f.toLowerCase(), [...(byFramework.get(f.toLowerCase()) ?? []), i])));
  const frameworkHits = (name: string): number[] => byFramework.get(name.toLowerCase()) ?? [];
  const idHits = (id: string): number[] => {
    const out: number[] = [];
    rules.sdks.forEach((s, i) => {
      if (s.ios?.bundleIds.some((b) => (b.endsWith('.') ? id.startsWith(b) : id === b))) out.push(i);
    });
    return out;
  };

  for (const b of ios.embeddedBundles) {
    if (b.kind !== 'framework') continue;
    const file = b.path.slice(b.path.lastIndexOf('/') + 1);
    const name = file.replace(/\.framework$/, '');
    const location = ios.bundle.root + b.path;
    for (const i of frameworkHits(name)) add(i, { kind: 'framework', value: file, location });
    if (b.id !== undefined) for (const i of idHits(b.id)) add(i, { kind: 'framework', value: `${file} (${b.id})`, location });
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

  // Imported symbols: classes of SDK frameworks the app calls, and sensitive APIs.
  const prefixes: { prefix: string; sdk: number }[] = [];
  rules.sdks.forEach((s, i) => s.ios?.classPrefixes.forEach((p) => prefixes.push({ prefix: p, sdk: i })));
  prefixes.sort((a, b) => b.prefix.length - a.prefix.length);
  const apiBySymbol = new Map<string, number>();
  rules.apis.forEach((a, i) => a.ios?.symbols.forEach((s) => apiBySymbol.has(s) || apiBySymbol.set(s, i)));
  const apis: SensitiveApiFacts[] = [];
  for (const sym of macho?.importedSymbols ?? []) {
    if (sym.startsWith(OBJC_CLASS_SYMBOL)) {
      const cls = sym.slice(OBJC_CLASS_SYMBOL.length);
      const hit = prefixes.find((p) => cls.startsWith(p.prefix));
      if (hit) add(hit.sdk, { kind: 'symbol', value: sym, location: macho!.entry });
    }
    const api = apiBySymbol.get(sym);
    if (api !== undefined) {
      const a = rules.apis[api]!;
      apis.push({ id: a.id, category: a.category, api: sym, owner: 'app', evidence: [{ kind: 'symbol', value: sym, location: macho!.entry }] });
    }
  }

  const sdks: SdkFacts[] = [...sdkEvidence].map(([i, evidence]) => {
    const s = rules.sdks[i]!;
    return { id: s.id, name: s.name, vendor: s.vendor, category: s.category, evidence };
  }).sort((a, b) => (a.category === b.category ? cmp(a.id, b.id) : cmp(a.category, b.category)));

  const reasons: string[] = [];
  if (!macho) reasons.push('the main executable could not be read');
  else if (macho.encrypted) reasons.push('the main executable is FairPlay-encrypted (App Store build): its code and class names cannot be read, only its imports');
  reasons.push(PARTIAL_COVERAGE);
  const code: CodeFacts = {
    dex: [],
    hiddenDex: [],
    packers: [],
    sensitiveApis: apis.sort((a, b) => cmp(a.category, b.category) || cmp(a.id, b.id) || cmp(a.api, b.api)),
    assessable: false,
    notAssessableReason: reasons.join('; '),
  };
  return sdks.length > 0 ? { sdks, code } : { code };
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
