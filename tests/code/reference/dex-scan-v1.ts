// REFERENCE ONLY (tests): eduscan's own src/code/dex-scan.ts as it was at commit eca9f49, before the
// issue 5 speed work. The differential tests (tests/code/fast-path.test.ts) check that the fast path gives
// the same results as this straightforward version on real and mutated dex files. Not used by eduscan itself.
// One DEX file → the facts the code pass needs: which SDK (or packer stub) each defined class belongs to,
// and which class's code uses which sensitive API. Framework API references are found in the method_ids /
// field_ids / string_ids tables first (raw-byte prefix checks, only candidate names decoded); only when a
// file refers to one is its code swept (code-scan.ts) to learn which classes hold the references.
import { scanCode } from './code-scan-v1.js';
import { DexFile, dexHeaderOffsets } from '../../../src/dex/dex-file.js';
import type { Anomaly } from '../../../src/errors.js';
import { ClassMatcher, descriptorKey, javaName } from '../../../src/code/match.js';
import type { CodeRules } from '../../../src/code/types.js';

/** Callers kept as evidence per (API member, owner) and dex file. */
export const MAX_CALLERS = 5;

export interface ApiMemberRef {
  /** Index into rules.apis. */
  api: number;
  /** What the code refers to, for reports: android.telephony.TelephonyManager.getDeviceId, or a string constant. */
  display: string;
}

/** The signature data arranged for DEX lookups; built once per CodeRules. */
export interface AndroidIndex {
  sdkClasses: ClassMatcher<number>;
  packerClasses: ClassMatcher<number>;
  /** Descriptor → member name → member ref. */
  methods: Map<string, Map<string, ApiMemberRef>>;
  fields: Map<string, Map<string, ApiMemberRef>>;
  strings: Map<string, ApiMemberRef>;
  stringPrefixes: { bytes: Buffer; ref: ApiMemberRef }[];
  /** First bytes of every string signature (exact or prefix): other strings are skipped after one byte. */
  stringFirstBytes: Uint8Array;
  /** Descriptor prefixes of the classes that own sensitive members ("Landroid/", "Ljava/"). */
  ownerRoots: Buffer[];
}

const indexes = new WeakMap<CodeRules, AndroidIndex>();

export function androidIndex(rules: CodeRules): AndroidIndex {
  const cached = indexes.get(rules);
  if (cached) return cached;
  const sdkClasses = new ClassMatcher<number>();
  rules.sdks.forEach((s, i) => s.android?.classPrefixes.forEach((p) => sdkClasses.add(p, i)));
  const packerClasses = new ClassMatcher<number>();
  rules.packers.forEach((p, i) => p.android.classes.forEach((c) => packerClasses.add(c, i)));
  const methods = new Map<string, Map<string, ApiMemberRef>>();
  const fields = new Map<string, Map<string, ApiMemberRef>>();
  const strings = new Map<string, ApiMemberRef>();
  const stringPrefixes: AndroidIndex['stringPrefixes'] = [];
  const roots = new Set<string>();
  const put = (into: Map<string, Map<string, ApiMemberRef>>, cls: string, name: string, ref: ApiMemberRef): void => {
    const key = descriptorKey(cls);
    roots.add(key.slice(0, key.indexOf('/') + 1));
    let m = into.get(key);
    if (!m) into.set(key, (m = new Map()));
    if (!m.has(name)) m.set(name, ref);
  };
  rules.apis.forEach((a, api) => {
    const and = a.android;
    if (!and) return;
    for (const m of and.methods) for (const n of m.names) put(methods, m.class, n, { api, display: `${m.class}.${n}` });
    for (const f of and.fields) for (const n of f.names) put(fields, f.class, n, { api, display: `${f.class}.${n}` });
    for (const s of and.strings) if (!strings.has(s)) strings.set(s, { api, display: `"${s}"` });
    for (const s of and.stringPrefixes) stringPrefixes.push({ bytes: Buffer.from(s, 'utf8'), ref: { api, display: `"${s}…"` } });
  });
  const stringFirstBytes = new Uint8Array(256);
  for (const s of strings.keys()) stringFirstBytes[Buffer.from(s, 'utf8')[0]!] = 1;
  for (const p of stringPrefixes) stringFirstBytes[p.bytes[0]!] = 1;
  const index: AndroidIndex = {
    sdkClasses, packerClasses, methods, fields, strings, stringPrefixes, stringFirstBytes,
    ownerRoots: [...roots].map((r) => Buffer.from(r, 'latin1')),
  };
  indexes.set(rules, index);
  return index;
}

export interface DexInfo {
  entry: string;
  size: number;
  classCount: number;
  methodRefCount: number;
  stringCount: number;
}

export interface ApiHit {
  ref: ApiMemberRef;
  /** Index into rules.sdks, or -1 for code no SDK signature claims. */
  owner: number;
  /** Java names of the classes whose code refers to it (at most MAX_CALLERS). */
  callers: string[];
  /** Instructions referring to it. */
  count: number;
}

export interface DexScan {
  info: DexInfo;
  /** rules.sdks index → classes defined, and the signature that matched first. */
  sdkClasses: Map<number, { signature: string; count: number }>;
  /** rules.packers index → the first stub class found. */
  packerClasses: Map<number, string>;
  apiHits: ApiHit[];
  /** Code items swept (0 when the file refers to no sensitive API), and those that could not be read to the end. */
  codeItems: number;
  truncatedCode: number;
}

/**
 * Scans one dex buffer (every dex of a version 041 container). Throws E_BAD_DEX when the file is damaged
 * beyond reading; the caller decides what that costs.
 */
export function scanDex(buf: Buffer, entry: string, rules: CodeRules, anomalies: Anomaly[]): DexScan[] {
  const index = androidIndex(rules);
  return dexHeaderOffsets(buf, { entry }).map((at) => scanOne(new DexFile(buf, { entry, anomalies, headerOffset: at }), buf.length, index));
}

function scanOne(dex: DexFile, size: number, index: AndroidIndex): DexScan {
  const entry = dex.entry ?? 'dex';
  const out: DexScan = {
    info: { entry, size, classCount: dex.classCount, methodRefCount: dex.methodCount, stringCount: dex.stringCount },
    sdkClasses: new Map(),
    packerClasses: new Map(),
    apiHits: [],
    codeItems: 0,
    truncatedCode: 0,
  };

  // Classes defined here → SDK (for the inventory and to attribute code below).
  const owner = new Int32Array(dex.classCount).fill(-1);
  for (let c = 0; c < dex.classCount; c++) {
    const desc = dex.classDescriptor(c);
    const sdk = index.sdkClasses.match(desc);
    if (sdk) {
      owner[c] = sdk.value;
      const seen = out.sdkClasses.get(sdk.value);
      if (seen) seen.count++;
      else out.sdkClasses.set(sdk.value, { signature: sdk.signature, count: 1 });
    }
    if (index.packerClasses.size > 0) {
      const p = index.packerClasses.match(desc);
      if (p && !out.packerClasses.has(p.value)) out.packerClasses.set(p.value, javaName(desc));
    }
  }

  // Referenced framework members and string constants worth a code sweep.
  const refs = { method: new Map<number, ApiMemberRef>(), field: new Map<number, ApiMemberRef>(), string: new Map<number, ApiMemberRef>() };
  // Per type: does its descriptor start like a sensitive class's (0 unknown, 1 yes, -1 no), and its members.
  const sensitiveType = new Int8Array(dex.typeCount);
  const typeTables = new Map<Map<string, Map<string, ApiMemberRef>>, (Map<string, ApiMemberRef> | null)[]>();
  const typeMembers = (typeIdx: number, table: Map<string, Map<string, ApiMemberRef>>): Map<string, ApiMemberRef> | undefined => {
    if (sensitiveType[typeIdx] === -1) return undefined;
    const sidx = dex.typeStringIdx(typeIdx);
    if (sensitiveType[typeIdx] === 0) {
      sensitiveType[typeIdx] = index.ownerRoots.some((r) => dex.stringStartsWith(sidx, r)) ? 1 : -1;
      if (sensitiveType[typeIdx] === -1) return undefined;
    }
    let memo = typeTables.get(table);
    if (!memo) typeTables.set(table, (memo = []));
    let m = memo[typeIdx];
    if (m === undefined) memo[typeIdx] = m = table.get(dex.string(sidx)) ?? null;
    return m ?? undefined;
  };
  let methods: Uint8Array | undefined;
  for (let m = 0; m < dex.methodCount; m++) {
    const names = typeMembers(dex.methodClassIdx(m), index.methods);
    const ref = names?.get(dex.string(dex.methodNameIdx(m)));
    if (ref) {
      (methods ??= new Uint8Array(dex.methodCount))[m] = 1;
      refs.method.set(m, ref);
    }
  }
  let fields: Uint8Array | undefined;
  if (index.fields.size > 0) {
    for (let f = 0; f < dex.fieldCount; f++) {
      const names = typeMembers(dex.fieldClassIdx(f), index.fields);
      const ref = names?.get(dex.string(dex.fieldNameIdx(f)));
      if (ref) {
        (fields ??= new Uint8Array(dex.fieldCount))[f] = 1;
        refs.field.set(f, ref);
      }
    }
  }
  let strings: Uint8Array | undefined;
  if (index.strings.size + index.stringPrefixes.length > 0) {
    for (let s = 0; s < dex.stringCount; s++) {
      const { start } = dex.stringDataAt(s);
      if (start >= dex.end || index.stringFirstBytes[dex.buf[start]!] !== 1) continue;
      let ref: ApiMemberRef | undefined;
      for (const p of index.stringPrefixes) {
        if (dex.stringStartsWith(s, p.bytes)) {
          ref = p.ref;
          break;
        }
      }
      ref ??= index.strings.get(dex.string(s));
      if (ref) {
        (strings ??= new Uint8Array(dex.stringCount))[s] = 1;
        refs.string.set(s, ref);
      }
    }
  }
  if (refs.method.size + refs.field.size + refs.string.size === 0) return out;

  // Who refers to them: one sweep over the code of every class.
  const hits = new Map<string, ApiHit>();
  const result = scanCode(dex, { methods, fields, strings }, (c, kind, idx) => {
    const ref = refs[kind].get(idx)!;
    const o = owner[c]!;
    const key = `${ref.display}\0${o}`;
    let h = hits.get(key);
    if (!h) hits.set(key, (h = { ref, owner: o, callers: [], count: 0 }));
    h.count++;
    if (h.callers.length < MAX_CALLERS) {
      const caller = javaName(dex.classDescriptor(c));
      if (!h.callers.includes(caller)) h.callers.push(caller);
    }
  });
  out.apiHits = [...hits.values()];
  out.codeItems = result.codeItems;
  out.truncatedCode = result.truncated;
  return out;
}
