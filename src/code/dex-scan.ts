// One DEX file → the facts the code pass needs: which SDK (or packer stub) each defined class belongs to,
// and which class's code uses which sensitive API. Framework API references are found in the method_ids /
// field_ids / string_ids tables first; only when a file refers to one is its code swept (code-scan.ts) to
// learn which classes hold the references.
// Names are matched as raw MUTF-8 bytes in place, through byte tries built once per signature set: a class
// descriptor or a string constant is decoded only when it matches (or when its bytes hold an overlong form
// that only decoding can judge). The answers are those of comparing decoded strings, which is what the
// previous version did (tests/code/reference/, tests/oracle/code/).
import { ByteTrie } from '../dex/byte-trie.js';
import { scanCode } from '../dex/code-scan.js';
import { DexFile, dexHeaderOffsets } from '../dex/dex-file.js';
import { encodeMutf8, mayBeOverlong } from '../dex/mutf8.js';
import type { Anomaly } from '../errors.js';
import { ClassMatcher, DECODE, DescriptorTrie, descriptorKey, javaName } from './match.js';
import type { CodeRules } from './types.js';

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
  /** The same data as byte tries (see RawIndex). */
  raw: RawIndex;
}

/** Byte tries over the signature data, for matching DEX strings without decoding them. */
interface RawIndex {
  sdkClasses: DescriptorTrie<number>;
  packerClasses: DescriptorTrie<number>;
  /** Descriptors of the classes owning sensitive members; per node, their method and field tables. */
  memberClasses: ByteTrie;
  methodTables: (Map<string, ApiMemberRef> | undefined)[];
  fieldTables: (Map<string, ApiMemberRef> | undefined)[];
  /** String prefixes as UTF-8 (as stringStartsWith compares them); per node, the first prefix ending there. */
  prefixes: ByteTrie;
  prefixAt: Int32Array;
  /** Exact strings as MUTF-8; per node, the string ending there (index into exactRefs). */
  exact: ByteTrie;
  exactAt: Int32Array;
  exactRefs: ApiMemberRef[];
  /** False when a string signature holds U+0000 or U+FFFD, or a prefix a NUL byte: then strings are decoded. */
  rawStrings: boolean;
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
    raw: rawIndex(sdkClasses, packerClasses, methods, fields, strings, stringPrefixes),
  };
  indexes.set(rules, index);
  return index;
}

function rawIndex(
  sdkClasses: ClassMatcher<number>, packerClasses: ClassMatcher<number>, methods: AndroidIndex['methods'], fields: AndroidIndex['fields'],
  strings: AndroidIndex['strings'], stringPrefixes: AndroidIndex['stringPrefixes'],
): RawIndex {
  const owners = [...new Set([...methods.keys(), ...fields.keys()])];
  const memberClasses = new ByteTrie(owners.map((k) => encodeMutf8(k)));
  const methodTables: RawIndex['methodTables'] = [];
  const fieldTables: RawIndex['fieldTables'] = [];
  owners.forEach((k, i) => {
    const node = memberClasses.keyNodes[i]!;
    methodTables[node] = methods.get(k);
    fieldTables[node] = fields.get(k);
  });
  const prefixes = new ByteTrie(stringPrefixes.map((p) => p.bytes));
  const prefixAt = prefixes.values();
  // Prefixes are tried in list order: the first one listed wins where several match.
  for (let i = stringPrefixes.length - 1; i >= 0; i--) prefixAt[prefixes.keyNodes[i]!] = i;
  const exactKeys = [...strings.keys()];
  const exact = new ByteTrie(exactKeys.map((k) => encodeMutf8(k)));
  const exactAt = exact.values();
  exactKeys.forEach((_, i) => (exactAt[exact.keyNodes[i]!] = i));
  const rawStrings = exactKeys.every((k) => !/[\0\ufffd]/.test(k)) && stringPrefixes.every((p) => !p.bytes.includes(0));
  return {
    sdkClasses: new DescriptorTrie(sdkClasses), packerClasses: new DescriptorTrie(packerClasses), memberClasses, methodTables, fieldTables,
    prefixes, prefixAt, exact, exactAt, exactRefs: exactKeys.map((k) => strings.get(k)!), rawStrings,
  };
}

const UNSEEN = -3;
const NO_CLASS = -1;

/** Whether the bytes at `start` begin with one of `roots`, compared and charged as DexFile.stringStartsWith does. */
function startsWithRoot(dex: DexFile, start: number, roots: Buffer[]): boolean {
  const buf = dex.buf;
  for (const r of roots) {
    if (start + r.length > dex.end) continue;
    dex.charge(1);
    let i = 0;
    while (i < r.length && buf[start + i] === r[i]) i++;
    if (i === r.length) return true;
  }
  return false;
}

/**
 * Trie node of the key that the NUL-terminated bytes at `p` equal, -1 when they equal no key, DECODE when
 * an overlong form leaves the raw comparison undecided.
 */
function exactNode(trie: ByteTrie, buf: Uint8Array, p: number, end: number): number {
  const { alpha, child, width } = trie;
  let node = 0;
  for (; p < end; p++) {
    const b = buf[p]!;
    if (b === 0) return node;
    const col = alpha[b]!;
    const next = col === 0 ? 0 : child[node * width + col]!;
    if (next === 0) return mayBeOverlong(b) ? DECODE : -1;
    node = next;
  }
  return -1;
}

/** Index of the first listed string prefix that the bytes at `p` start with (raw bytes, as stringStartsWith), or -1. */
function firstPrefix(raw: RawIndex, buf: Uint8Array, p: number, end: number): number {
  const { alpha, child, width } = raw.prefixes;
  const at = raw.prefixAt;
  let node = 0;
  let first = -1;
  for (; p < end; p++) {
    const col = alpha[buf[p]!]!;
    const next = col === 0 ? 0 : child[node * width + col]!;
    if (next === 0) break;
    node = next;
    const i = at[node]!;
    if (i >= 0 && (first < 0 || i < first)) first = i;
  }
  return first;
}

/** The string signature a string matches, by decoding it (signature data raw bytes cannot judge). */
function slowStringRef(dex: DexFile, s: number, index: AndroidIndex): ApiMemberRef | undefined {
  for (const p of index.stringPrefixes) if (dex.stringStartsWith(s, p.bytes)) return p.ref;
  return index.strings.get(dex.string(s));
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

  const raw = index.raw;
  const buf = dex.buf;
  const end = dex.end;

  // Classes defined here → SDK (for the inventory and to attribute code below).
  const owner = new Int32Array(dex.classCount).fill(-1);
  const packers = raw.packerClasses.size > 0;
  const classCount = dex.classCount;
  for (let c = 0; c < classCount; c++) {
    const sidx = dex.typeStringIdx(dex.classDefTypeIdx(c));
    // Checked as decoding it would: a descriptor without its NUL makes the file unreadable.
    dex.stringEnd(sidx);
    const start = dex.lastStringStart;
    let at = raw.sdkClasses.walk(buf, start, end);
    const sdk = at === DECODE ? index.sdkClasses.match(dex.string(sidx)) : raw.sdkClasses.matches[at];
    if (sdk) {
      owner[c] = sdk.value;
      const seen = out.sdkClasses.get(sdk.value);
      if (seen) seen.count++;
      else out.sdkClasses.set(sdk.value, { signature: sdk.signature, count: 1 });
    }
    if (packers) {
      at = raw.packerClasses.walk(buf, start, end);
      const p = at === DECODE ? index.packerClasses.match(dex.string(sidx)) : raw.packerClasses.matches[at];
      if (p && !out.packerClasses.has(p.value)) out.packerClasses.set(p.value, javaName(dex.string(sidx)));
    }
  }

  // Referenced framework members and string constants worth a code sweep.
  const refs = { method: new Map<number, ApiMemberRef>(), field: new Map<number, ApiMemberRef>(), string: new Map<number, ApiMemberRef>() };
  // Per type: UNSEEN, NO_CLASS (not a sensitive class), DECODE, or the trie node of its descriptor.
  const typeNode = new Int32Array(dex.typeCount).fill(UNSEEN);
  const lookup = (t: number): number => {
    const sidx = dex.typeStringIdx(t);
    // Only descriptors under a root of the sensitive classes ("Landroid/") are read to their end.
    let node = NO_CLASS;
    const start = index.ownerRoots.length > 0 ? dex.stringStart(sidx) : 0;
    if (index.ownerRoots.length > 0 && startsWithRoot(dex, start, index.ownerRoots)) {
      dex.stringEnd(sidx);
      node = exactNode(raw.memberClasses, buf, start, end);
    }
    typeNode[t] = node;
    return node;
  };
  const methodCount = dex.methodCount;
  let methods: Uint8Array | undefined;
  for (let m = 0; m < methodCount; m++) {
    const t = dex.methodClassIdx(m);
    let node = typeNode[t];
    if (node === undefined || node === UNSEEN) node = lookup(t);
    if (node === NO_CLASS) continue;
    const names = node === DECODE ? index.methods.get(dex.typeDescriptor(t)) : raw.methodTables[node];
    const ref = names?.get(dex.string(dex.methodNameIdx(m)));
    if (ref) {
      (methods ??= new Uint8Array(methodCount))[m] = 1;
      refs.method.set(m, ref);
    }
  }
  let fields: Uint8Array | undefined;
  if (index.fields.size > 0) {
    const fieldCount = dex.fieldCount;
    for (let f = 0; f < fieldCount; f++) {
      const t = dex.fieldClassIdx(f);
      let node = typeNode[t];
      if (node === undefined || node === UNSEEN) node = lookup(t);
      if (node === NO_CLASS) continue;
      const names = node === DECODE ? index.fields.get(dex.typeDescriptor(t)) : raw.fieldTables[node];
      const ref = names?.get(dex.string(dex.fieldNameIdx(f)));
      if (ref) {
        (fields ??= new Uint8Array(fieldCount))[f] = 1;
        refs.field.set(f, ref);
      }
    }
  }
  let strings: Uint8Array | undefined;
  if (index.strings.size + index.stringPrefixes.length > 0) {
    const nPrefixes = index.stringPrefixes.length;
    const stringCount = dex.stringCount;
    for (let s = 0; s < stringCount; s++) {
      const start = dex.stringStart(s);
      if (start >= end || index.stringFirstBytes[buf[start]!] !== 1) continue;
      let ref: ApiMemberRef | undefined;
      if (!raw.rawStrings) {
        ref = slowStringRef(dex, s, index);
      } else {
        const first = firstPrefix(raw, buf, start, end);
        if (first >= 0) {
          dex.charge(first + 1); // one per prefix tried, as before
          ref = index.stringPrefixes[first]!.ref;
        } else {
          dex.charge(nPrefixes);
          dex.stringEnd(s); // decoding it would have checked its NUL
          const node = exactNode(raw.exact, buf, start, end);
          if (node === DECODE) ref = index.strings.get(dex.string(s));
          else if (node >= 0 && raw.exactAt[node]! >= 0) ref = raw.exactRefs[raw.exactAt[node]!];
        }
      }
      if (ref) {
        (strings ??= new Uint8Array(stringCount))[s] = 1;
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
