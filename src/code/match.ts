// Matching class names and file names against signature data. Class names are compared in DEX descriptor
// form ("Lcom/igexin/sdk/PushManager;") so no class name is converted before it is known to matter; in a
// dex file they are compared as raw MUTF-8 bytes in place (DescriptorTrie), without decoding them at all.
import { ByteTrie } from '../dex/byte-trie.js';
import { encodeMutf8, mayBeOverlong } from '../dex/mutf8.js';

/** Java name (com.igexin. / com.stub.StubApp) → descriptor key (Lcom/igexin/ / Lcom/stub/StubApp;). */
export function descriptorKey(javaName: string): string {
  return javaName.endsWith('.') ? `L${javaName.replaceAll('.', '/')}` : `L${javaName.replaceAll('.', '/')};`;
}

/** "Lcom/foo/Bar;" → "com.foo.Bar"; array and primitive descriptors are returned as they are. */
export function javaName(descriptor: string): string {
  if (descriptor.length < 3 || descriptor[0] !== 'L' || !descriptor.endsWith(';')) return descriptor;
  return descriptor.slice(1, -1).replaceAll('/', '.');
}

export interface ClassMatch<T> {
  value: T;
  /** The signature that matched, in Java form (com.igexin. or com.stub.StubApp). */
  signature: string;
}

/**
 * Package prefixes and whole class names → values. A class matches a whole-class entry when it is that
 * class or one of its inner classes ($), and a package entry when it lies anywhere below the package; the
 * longest (most specific) entry wins, so com.google.firebase.crashlytics. beats com.google.firebase..
 */
const MAX_MEMO_PACKAGES = 100_000;

export class ClassMatcher<T> {
  private readonly packages = new Map<string, ClassMatch<T>>();
  private readonly classes = new Map<string, ClassMatch<T>>();
  /** Results per package descriptor prefix ("Lcom/foo/"): most classes share their package with others. */
  private readonly byPackage = new Map<string, ClassMatch<T> | null>();

  get size(): number {
    return this.packages.size + this.classes.size;
  }

  add(signature: string, value: T): void {
    const key = descriptorKey(signature);
    const map = signature.endsWith('.') ? this.packages : this.classes;
    // The first entry for a key keeps it: data files list the more specific SDK first when two share one.
    if (!map.has(key)) map.set(key, { value, signature });
  }

  /** Package entries (descriptor prefixes ending in "/") and whole-class entries (ending in ";"), first entry per key. */
  entries(): { key: string; match: ClassMatch<T>; kind: 'package' | 'class' }[] {
    return [
      ...[...this.packages].map(([key, match]) => ({ key, match, kind: 'package' as const })),
      ...[...this.classes].map(([key, match]) => ({ key, match, kind: 'class' as const })),
    ];
  }

  match(descriptor: string): ClassMatch<T> | undefined {
    if (this.classes.size > 0) {
      const dollar = descriptor.indexOf('$');
      const outer = dollar > 0 ? `${descriptor.slice(0, dollar)};` : descriptor;
      const c = this.classes.get(outer);
      if (c) return c;
    }
    const slash = descriptor.lastIndexOf('/');
    if (slash < 0) return undefined;
    const pkg = descriptor.slice(0, slash + 1);
    const cached = this.byPackage.get(pkg);
    if (cached !== undefined) return cached ?? undefined;
    let found: ClassMatch<T> | null = null;
    for (let i = slash; i > 0; i = pkg.lastIndexOf('/', i - 1)) {
      const hit = this.packages.get(pkg.slice(0, i + 1));
      if (hit) {
        found = hit;
        break;
      }
    }
    // Shared across packages of a long re-scan: bound the memo so it cannot grow without limit.
    if (this.byPackage.size >= MAX_MEMO_PACKAGES) this.byPackage.clear();
    this.byPackage.set(pkg, found);
    return found ?? undefined;
  }
}

/** DescriptorTrie.walk: the bytes cannot be judged raw; decode the string and use ClassMatcher.match. */
export const DECODE = -2;
const DOLLAR = 0x24;
const SEMICOLON = 0x3b;

/**
 * The entries of a ClassMatcher as a byte trie, giving exactly ClassMatcher.match's answer for a descriptor
 * held as MUTF-8 bytes: a whole-class entry matches the class or its inner classes (the outer name is cut at
 * the first "$"), and wins over packages; otherwise the longest package entry that prefixes the descriptor.
 * Entries with "$" in a class name can never match (ClassMatcher compares the outer name) and are left out.
 */
export class DescriptorTrie<T> {
  readonly matches: ClassMatch<T>[] = [];
  private readonly trie: ByteTrie;
  /** Per node: index into matches of the package entry ending there, or -1. */
  private readonly pkg: Int32Array;
  /** Per node: index of the class entry whose name (without ";") ends there, or -1. */
  private readonly stem: Int32Array;
  /** False when an entry holds U+0000 or U+FFFD, which raw comparison cannot judge: every walk says DECODE. */
  private readonly raw: boolean;

  constructor(matcher: ClassMatcher<T>) {
    const entries = matcher.entries().filter((e) => e.kind === 'package' || !e.key.includes('$'));
    this.raw = entries.every((e) => !/[\0\ufffd]/.test(e.key));
    const keys = entries.map((e) => encodeMutf8(e.kind === 'class' ? e.key.slice(0, -1) : e.key));
    this.trie = new ByteTrie(keys);
    this.pkg = this.trie.values();
    this.stem = this.trie.values();
    entries.forEach((e, i) => {
      (e.kind === 'package' ? this.pkg : this.stem)[this.trie.keyNodes[i]!] = this.matches.length;
      this.matches.push(e.match);
    });
  }

  get size(): number {
    return this.matches.length;
  }

  /** Index into `matches` for the descriptor whose bytes start at `p` (NUL-terminated, before `end`), -1, or DECODE. */
  walk(buf: Uint8Array, p: number, end: number): number {
    if (!this.raw) return DECODE;
    const { alpha, child, width } = this.trie;
    const pkg = this.pkg;
    const stem = this.stem;
    let node = 0;
    let best = -1;
    while (p < end) {
      const b = buf[p]!;
      const cls = stem[node]!;
      // A class name ends here: the class itself ("…;" then the NUL) or one of its inner classes ("…$").
      if (cls >= 0 && (b === DOLLAR || (b === SEMICOLON && p + 1 < end && buf[p + 1] === 0))) return cls;
      const col = alpha[b]!;
      const next = col === 0 ? 0 : child[node * width + col]!;
      if (next === 0) return mayBeOverlong(b) ? DECODE : best;
      node = next;
      p++;
      if (pkg[node]! >= 0) best = pkg[node]!;
    }
    return best;
  }
}

/** A glob with "*" for any run of characters (no other metacharacters), anchored at both ends. */
export function globRegExp(glob: string, flags = ''): RegExp {
  const body = glob.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*');
  return new RegExp(`^${body}$`, flags);
}

export class GlobMatcher<T> {
  private readonly exact = new Map<string, T>();
  /** prefix / suffix: the literal text before the first and after the last "*", checked before the RegExp. */
  private readonly globs: { re: RegExp; glob: string; value: T; prefix: string; suffix: string }[] = [];

  constructor(private readonly caseInsensitive = false) {}

  add(glob: string, value: T): void {
    if (glob.includes('*')) {
      const parts = glob.split('*');
      // A case-insensitive RegExp folds case its own way: there the RegExp alone decides.
      const [prefix, suffix] = this.caseInsensitive ? ['', ''] : [parts[0]!, parts.at(-1)!];
      this.globs.push({ re: globRegExp(glob, this.caseInsensitive ? 'i' : ''), glob, value, prefix, suffix });
    } else {
      const key = this.caseInsensitive ? glob.toLowerCase() : glob;
      if (!this.exact.has(key)) this.exact.set(key, value);
    }
  }

  /** Every value whose pattern matches `name` (exact entries first). */
  matchAll(name: string): { value: T; pattern: string }[] {
    let out: { value: T; pattern: string }[] | undefined;
    const e = this.exact.get(this.caseInsensitive ? name.toLowerCase() : name);
    if (e !== undefined) out = [{ value: e, pattern: name }];
    for (const g of this.globs) {
      // Most names (every entry of a package is tried) fail on the literal ends, without running the RegExp.
      if (name.length < g.prefix.length + g.suffix.length || !name.startsWith(g.prefix) || !name.endsWith(g.suffix)) continue;
      if (g.re.test(name)) (out ??= []).push({ value: g.value, pattern: g.glob });
    }
    return out ?? NO_MATCHES;
  }
}

const NO_MATCHES: never[] = [];
