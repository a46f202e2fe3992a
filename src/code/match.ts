// Matching class names and file names against signature data. Class names are compared in DEX descriptor
// form ("Lcom/igexin/sdk/PushManager;") so no class name is converted before it is known to matter.

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

/** A glob with "*" for any run of characters (no other metacharacters), anchored at both ends. */
export function globRegExp(glob: string, flags = ''): RegExp {
  const body = glob.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*');
  return new RegExp(`^${body}$`, flags);
}

export class GlobMatcher<T> {
  private readonly exact = new Map<string, T>();
  private readonly globs: { re: RegExp; glob: string; value: T }[] = [];

  constructor(private readonly caseInsensitive = false) {}

  add(glob: string, value: T): void {
    if (glob.includes('*')) this.globs.push({ re: globRegExp(glob, this.caseInsensitive ? 'i' : ''), glob, value });
    else {
      const key = this.caseInsensitive ? glob.toLowerCase() : glob;
      if (!this.exact.has(key)) this.exact.set(key, value);
    }
  }

  /** Every value whose pattern matches `name` (exact entries first). */
  matchAll(name: string): { value: T; pattern: string }[] {
    const out: { value: T; pattern: string }[] = [];
    const e = this.exact.get(this.caseInsensitive ? name.toLowerCase() : name);
    if (e !== undefined) out.push({ value: e, pattern: name });
    for (const g of this.globs) if (g.re.test(name)) out.push({ value: g.value, pattern: g.glob });
    return out;
  }
}
