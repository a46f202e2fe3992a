// Regenerates tests/oracle/code/android-code.jsonl: eduscan's OWN code-level facts (SDK inventory, packers,
// sensitive APIs, dex list, code anomalies) for every corpus APK, as computed by the code pass before the
// issue 5 speed work. This is our previous output, not a real tool's: it guards the fast path against any
// change of result. The real-tool oracle for class names and references stays dexdump
// (tests/dex/dex-oracle.test.ts, tests/code/android-oracle.test.ts).
// Two signature sets, both frozen here so later edits of the shipped data do not invalidate the comparison:
//  - "shipped": rules/ here, a copy of the repo's rules/{sdks,sensitive-apis,packers}.yaml at generation time;
//  - "wide": wide-rules.json, made by this script from the corpus itself (thousands of package prefixes,
//    nested ones, whole classes with inner classes, framework and library members, exact and prefix
//    strings, non-ASCII ones), because the shipped SDKs occur in only a few corpus APKs.
// Usage: EDUSCAN_CORPUS=/work/shared/corpus npx tsx tests/oracle/code/gen-code-oracle.mts [--freeze-rules]
//   --freeze-rules recopies rules/ and rebuilds wide-rules.json first.
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { extractApkFacts } from '../../../src/apk/apk.js';
import { extractAndroidCode } from '../../../src/code/android.js';
import { APIS_FILE, CODE_RULES_DIR, loadCodeRules, PACKERS_FILE, SDKS_FILE } from '../../../src/code/load.js';
import type { CodeRules, SensitiveApi } from '../../../src/code/types.js';
import { DexFile, dexHeaderOffsets } from '../../../src/dex/dex-file.js';
import { isEduscanError, type Anomaly } from '../../../src/errors.js';
import { FileSource } from '../../../src/io/source.js';
import { resolveLimits } from '../../../src/limits.js';
import { openZip } from '../../../src/zip/zip.js';
import { corpusFiles } from '../../helpers/corpus.js';
import { corpusDexFiles } from '../../dex/corpus-dex.js';

const HERE = import.meta.dirname;
export const FROZEN_RULES = join(HERE, 'rules');
export const WIDE_RULES = join(HERE, 'wide-rules.json');
export const ORACLE_FILE = join(HERE, 'android-code.jsonl');

export type RuleSetName = 'shipped' | 'wide';

export interface CodeOracleLine {
  file: string;
  rules: RuleSetName;
  error?: string;
  sdks?: unknown;
  code?: unknown;
  anomalies?: Anomaly[];
}

export function oracleRules(name: RuleSetName): CodeRules {
  return name === 'shipped' ? loadCodeRules(FROZEN_RULES) : (JSON.parse(readFileSync(WIDE_RULES, 'utf8')) as CodeRules);
}

/** The code pass of one APK: what the oracle stores and what the test recomputes. */
export function codeFactsOf(path: string, name: RuleSetName, rules: CodeRules): CodeOracleLine {
  const limits = resolveLimits();
  const src = new FileSource(path);
  try {
    const zip = openZip(src, limits);
    const apk = extractApkFacts(zip, { limits, anomalies: [], code: false });
    const anomalies: Anomaly[] = [];
    const out = extractAndroidCode(zip, apk.manifest, { limits, anomalies, rules });
    return { file: basename(path), rules: name, sdks: out.sdks ?? [], code: out.code, anomalies };
  } catch (e) {
    if (!isEduscanError(e)) throw e;
    return { file: basename(path), rules: name, error: e.code };
  } finally {
    src.close();
  }
}

/** Deterministic sampling: keep `name` when its md5 falls in 1/`every` of the space. */
function pick(name: string, every: number): boolean {
  return createHash('md5').update(name).digest().readUInt32LE(0) % every === 0;
}

const javaOf = (desc: string): string => desc.slice(1, -1).replaceAll('/', '.');

/** Signature data drawn from what the corpus dex files define and refer to. */
function buildWideRules(): CodeRules {
  const packages = new Set<string>();
  const classes = new Set<string>();
  const members = new Map<string, Set<string>>(); // "m:" / "f:" + class → names
  const strings = new Set<string>();
  for (const { bytes } of corpusDexFiles()) {
    try {
      for (const at of dexHeaderOffsets(bytes)) {
        const dex = new DexFile(bytes, { headerOffset: at });
        for (let c = 0; c < dex.classCount; c++) {
          const d = dex.classDescriptor(c);
          if (!/^L[\w$/]+;$/.test(d) || !d.includes('/')) continue;
          const parts = javaOf(d).split('.');
          for (let depth = 2; depth < parts.length; depth++) packages.add(`${parts.slice(0, depth).join('.')}.`);
          if (!parts.at(-1)!.includes('$')) classes.add(parts.join('.'));
        }
        for (let m = 0; m < dex.methodCount; m++) {
          const cd = dex.typeDescriptor(dex.methodClassIdx(m));
          const n = dex.string(dex.methodNameIdx(m));
          if (/^L[\w$/]+;$/.test(cd) && /^(?:<init>|[A-Za-z_$][\w$]*)$/.test(n)) {
            const k = `m:${javaOf(cd)}`;
            if (!members.has(k)) members.set(k, new Set());
            members.get(k)!.add(n);
          }
        }
        for (let f = 0; f < dex.fieldCount; f++) {
          const cd = dex.typeDescriptor(dex.fieldClassIdx(f));
          const n = dex.string(dex.fieldNameIdx(f));
          if (/^L[\w$/]+;$/.test(cd) && /^[A-Za-z_$][\w$]*$/.test(n)) {
            const k = `f:${javaOf(cd)}`;
            if (!members.has(k)) members.set(k, new Set());
            members.get(k)!.add(n);
          }
        }
        for (let s = 0; s < dex.stringCount; s++) {
          const v = dex.string(s);
          if (v.length >= 2 && v.length <= 40 && !v.includes('\0') && !v.includes('\ufffd')) strings.add(v);
        }
      }
    } catch (err) {
      if (!isEduscanError(err)) throw err;
    }
  }
  const sorted = (s: Iterable<string>): string[] => [...s].sort();
  const pkgs = sorted(packages).filter((p) => pick(p, 4));
  const cls = sorted(classes).filter((c) => pick(c, 40));
  const sdks: CodeRules['sdks'] = [];
  // Several signatures per SDK, interleaved so nested prefixes often belong to different SDKs.
  pkgs.forEach((p, i) => {
    const id = `wide-sdk-${i % 700}`;
    let s = sdks[i % 700];
    if (!s) sdks.push((s = { id, name: id, vendor: 'test', category: 'other', android: { classPrefixes: [], nativeLibs: [], components: [], metaData: [] }, source: 'generated from the corpus' }));
    s.android!.classPrefixes.push(p);
  });
  cls.forEach((c, i) => sdks[(i * 7) % sdks.length]!.android!.classPrefixes.push(c));
  const packers: CodeRules['packers'] = sorted(classes).filter((c) => pick(`packer:${c}`, 300)).map((c, i) => ({
    id: `wide-packer-${i}`, name: `packer ${i}`, vendor: 'test', android: { nativeLibs: [], classes: [c], applicationClasses: [], files: [] }, source: 'generated from the corpus',
  }));
  const apis: SensitiveApi[] = [];
  const memberKeys = sorted(members.keys()).filter((k) => pick(k, k.startsWith('f:') ? 20 : 100));
  memberKeys.forEach((k, i) => {
    const names = sorted(members.get(k)!).filter((n) => pick(`${k}.${n}`, 2));
    if (names.length === 0) return;
    const api = apis[i % 60] ?? (apis[i % 60] = { id: `wide-api-${i % 60}`, category: 'device-id', label: 'test', android: { methods: [], fields: [], strings: [], stringPrefixes: [] }, source: 'generated' });
    (k.startsWith('m:') ? api.android!.methods : api.android!.fields).push({ class: k.slice(2), names });
  });
  const strs = sorted(strings);
  strs.filter((s) => pick(`s:${s}`, /[^\x00-\x7f]/.test(s) ? 10 : 400)).forEach((s, i) => apis[i % apis.length]!.android!.strings.push(s));
  strs.filter((s) => pick(`p:${s}`, /[^\x00-\x7f]/.test(s) ? 20 : 2000)).forEach((s, i) => apis[(i * 3) % apis.length]!.android!.stringPrefixes.push(s.slice(0, Math.max(1, Math.ceil(s.length / 2)))));
  return { sdks, apis, packers, digest: 'wide' };
}

if (process.argv[1] && basename(process.argv[1]) === 'gen-code-oracle.mts') {
  const apks = corpusFiles('apk').filter((f) => f.endsWith('.apk'));
  if (process.argv.includes('--freeze-rules')) {
    mkdirSync(FROZEN_RULES, { recursive: true });
    for (const f of [SDKS_FILE, APIS_FILE, PACKERS_FILE]) copyFileSync(join(CODE_RULES_DIR, f), join(FROZEN_RULES, f));
    writeFileSync(WIDE_RULES, `${JSON.stringify(buildWideRules())}\n`);
  }
  const commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: HERE }).toString().trim();
  const header = {
    about: "eduscan's own code-level facts per corpus APK, generated by tests/oracle/code/gen-code-oracle.mts from the code pass as it was before the issue 5 speed work (NOT a real tool's output; dexdump remains the oracle for class names and references)",
    generatedAtCommit: commit,
    rules: { shipped: 'tests/oracle/code/rules (frozen copy of rules/*.yaml)', wide: 'tests/oracle/code/wide-rules.json (generated from the corpus)' },
  };
  const lines = [JSON.stringify(header)];
  for (const name of ['shipped', 'wide'] as const) {
    const rules = oracleRules(name);
    for (const apk of apks) lines.push(JSON.stringify(codeFactsOf(apk, name, rules)));
  }
  writeFileSync(ORACLE_FILE, `${lines.join('\n')}\n`);
  console.log(`${lines.length - 1} lines -> ${ORACLE_FILE}`);
}
