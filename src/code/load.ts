// Loads rules/sdks.yaml, rules/sensitive-apis.yaml and rules/packers.yaml and checks them by hand (no zod:
// this runs on the scan path, whose start-up time counts). Unknown keys, wrong types, malformed class names
// and duplicate ids are E_CONFIG errors "<file>: <path>: <problem>". Loaded once per directory.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { SHIPPED_RULES_DIR } from '../util/package-root.js';
import { EduscanError } from '../errors.js';
import { API_CATEGORIES, SDK_CATEGORIES, type ApiMember, type CodeRules, type PackerSignature, type SdkSignature, type SensitiveApi } from './types.js';

export const SDKS_FILE = 'sdks.yaml';
export const APIS_FILE = 'sensitive-apis.yaml';
export const PACKERS_FILE = 'packers.yaml';
/**
 * The three files parsed and checked, as JSON, with the sha256 of the YAML texts they came from: YAML parsing
 * costs ~130 ms at start-up, JSON.parse under 1 ms. Used only while its digest matches the YAML files, so it
 * can never be stale; regenerate with `npx tsx tests/code/gen-signatures.mts` (a test fails when it is due).
 */
export const COMPILED_FILE = 'code-signatures.json';
const SCHEMA_VERSION = 1;
const MAX_FILE_BYTES = 4 * 1024 * 1024;
const ID_RE = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
/** A Java package prefix ending in "." with at least two segments, or a whole class name. */
const CLASS_PREFIX_RE = /^[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)+\.?$/;
const CLASS_RE = /^[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)+(?:\$[\w$]+)*$/;
const GLOB_RE = /^[\w.*+$-]+$/;
/** A <meta-data android:name>: a key, no wildcards (generic names like "channel" would match any app). */
const META_DATA_RE = /^[A-Za-z_][\w.$-]{3,}$/;
const COMPONENT_RE = /^(?:\*\.)?[A-Za-z_$][\w$]*(?:\.[A-Za-z_$*][\w$*]*)*$/;
const FILE_GLOB_RE = /^[\w./*+$-]+$/;
const MEMBER_RE = /^(?:<init>|[A-Za-z_$][\w$]*)$/;
const OBJC_RE = /^[A-Za-z_][\w]*$/;
/** An Objective-C selector: identifier parts each followed by ":" (or one bare identifier). */
const SELECTOR_RE = /^(?:[A-Za-z_]\w*|(?:[A-Za-z_]\w*)?(?::[A-Za-z_]\w*)*:)$/;
const BUNDLE_ID_RE = /^[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.?$/;


/** The package's rules/ folder, found from this module (src/code/ or dist/code/). */
export const CODE_RULES_DIR: string = SHIPPED_RULES_DIR;

const cache = new Map<string, CodeRules>();

export function loadCodeRules(dir: string = CODE_RULES_DIR): CodeRules {
  const hit = cache.get(dir);
  if (hit) return hit;
  const texts = [SDKS_FILE, APIS_FILE, PACKERS_FILE].map((name) => readText(join(dir, name), name));
  const digest = digestOf(texts[0]!, texts[1]!, texts[2]!);
  const rules = compiled(join(dir, COMPILED_FILE), digest) ?? parseCodeRules(texts[0]!, texts[1]!, texts[2]!);
  cache.set(dir, rules);
  return rules;
}

function digestOf(sdksText: string, apisText: string, packersText: string): string {
  return createHash('sha256').update(`${sdksText}\0${apisText}\0${packersText}`).digest('hex');
}

/** The compiled copy when it was made from exactly these YAML texts. */
function compiled(path: string, digest: string): CodeRules | undefined {
  if (!existsSync(path)) return undefined;
  try {
    const data = JSON.parse(readFileSync(path, 'utf8')) as CodeRules;
    return data.digest === digest && Array.isArray(data.sdks) && Array.isArray(data.apis) && Array.isArray(data.packers) ? data : undefined;
  } catch {
    return undefined;
  }
}

/** The JSON text of COMPILED_FILE for the YAML files in `dir` (parsed and checked). */
export function compileCodeRules(dir: string = CODE_RULES_DIR): string {
  const [a, b, c] = [SDKS_FILE, APIS_FILE, PACKERS_FILE].map((name) => readText(join(dir, name), name));
  const rules = parseCodeRules(a!, b!, c!);
  return `${JSON.stringify({ note: 'generated from sdks.yaml, sensitive-apis.yaml, packers.yaml by tests/code/gen-signatures.mts; do not edit', ...rules })}\n`;
}

function readText(path: string, name: string): string {
  let size: number;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
    size = Buffer.byteLength(text);
  } catch (e) {
    throw new EduscanError('E_CONFIG', `${name}: cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  if (size > MAX_FILE_BYTES) throw new EduscanError('E_CONFIG', `${name}: ${size} bytes, a signature file is at most ${MAX_FILE_BYTES}`);
  return text;
}

/** Parses and checks the three files' texts (exported for tests that feed broken data). */
export function parseCodeRules(sdksText: string, apisText: string, packersText: string): CodeRules {
  const sdkDoc = new Checker(SDKS_FILE, load(SDKS_FILE, sdksText));
  const apiDoc = new Checker(APIS_FILE, load(APIS_FILE, apisText));
  const packerDoc = new Checker(PACKERS_FILE, load(PACKERS_FILE, packersText));
  const sdks = sdkDoc.top('sdks').map((v, i) => sdkDoc.sdk(v, ['sdks', i]));
  const apis = apiDoc.top('apis').map((v, i) => apiDoc.api(v, ['apis', i]));
  const packers = packerDoc.top('packers').map((v, i) => packerDoc.packer(v, ['packers', i]));
  unique(SDKS_FILE, 'sdks', sdks.map((s) => s.id));
  unique(APIS_FILE, 'apis', apis.map((a) => a.id));
  unique(PACKERS_FILE, 'packers', packers.map((p) => p.id));
  // Packers are listed in the SDK inventory too: their ids must not collide with an SDK's.
  unique(PACKERS_FILE, 'packers', [...sdks.map((s) => s.id), ...packers.map((p) => p.id)]);
  return { sdks, apis, packers, digest: digestOf(sdksText, apisText, packersText) };
}

/** yaml is loaded only when the compiled copy cannot be used (~40 ms of start-up otherwise). */
function yamlParse(): typeof import('yaml').parse {
  return (createRequire(import.meta.url)('yaml') as typeof import('yaml')).parse;
}

function load(name: string, text: string): unknown {
  try {
    return yamlParse()(text, { uniqueKeys: true, maxAliasCount: 0 });
  } catch (e) {
    throw new EduscanError('E_CONFIG', `${name}: ${(e as Error).message.split('\n')[0]}`);
  }
}

function unique(file: string, what: string, ids: string[]): void {
  const seen = new Set<string>();
  for (const id of ids) {
    if (seen.has(id)) throw new EduscanError('E_CONFIG', `${file}: ${what}: id "${id}" appears twice`);
    seen.add(id);
  }
}

type Path = (string | number)[];

function show(path: Path): string {
  let s = '';
  for (const p of path) s += typeof p === 'number' ? `[${p}]` : s === '' ? p : `.${p}`;
  return s === '' ? '(top)' : s;
}

class Checker {
  constructor(readonly file: string, readonly data: unknown) {}

  fail(path: Path, problem: string): never {
    throw new EduscanError('E_CONFIG', `${this.file}: ${show(path)}: ${problem}`);
  }

  obj(v: unknown, path: Path, required: string[], optional: string[] = []): Record<string, unknown> {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) this.fail(path, `expected a mapping, found ${kind(v)}`);
    const o = v as Record<string, unknown>;
    for (const k of Object.keys(o)) if (!required.includes(k) && !optional.includes(k)) this.fail([...path, k], `unknown key (known: ${[...required, ...optional].join(', ')})`);
    for (const k of required) if (!(k in o)) this.fail([...path, k], 'missing');
    return o;
  }

  str(v: unknown, path: Path, re?: RegExp): string {
    if (typeof v !== 'string' || v.trim() === '') this.fail(path, `expected a non-empty string, found ${kind(v)}`);
    if (re && !re.test(v)) this.fail(path, `"${v}" does not match ${re.source}`);
    return v;
  }

  strs(v: unknown, path: Path, re: RegExp): string[] {
    if (v === undefined) return [];
    if (!Array.isArray(v)) this.fail(path, `expected a list, found ${kind(v)}`);
    return v.map((x, i) => this.str(x, [...path, i], re));
  }

  oneOf<T extends string>(v: unknown, path: Path, values: readonly T[]): T {
    const s = this.str(v, path);
    if (!(values as readonly string[]).includes(s)) this.fail(path, `"${s}" is not one of ${values.join(', ')}`);
    return s as T;
  }

  top(key: string): unknown[] {
    const o = this.obj(this.data, [], ['schemaVersion', key]);
    if (o.schemaVersion !== SCHEMA_VERSION) this.fail(['schemaVersion'], `expected ${SCHEMA_VERSION}, found ${JSON.stringify(o.schemaVersion)}`);
    const list = o[key];
    if (!Array.isArray(list) || list.length === 0) this.fail([key], `expected a non-empty list, found ${kind(list)}`);
    return list;
  }

  sdk(v: unknown, path: Path): SdkSignature {
    const o = this.obj(v, path, ['id', 'name', 'vendor', 'category', 'source'], ['android', 'ios']);
    const out: SdkSignature = {
      id: this.str(o.id, [...path, 'id'], ID_RE),
      name: this.str(o.name, [...path, 'name']),
      vendor: this.str(o.vendor, [...path, 'vendor']),
      category: this.oneOf(o.category, [...path, 'category'], SDK_CATEGORIES),
      source: this.str(o.source, [...path, 'source']),
    };
    if (o.android !== undefined) {
      const p = [...path, 'android'];
      const a = this.obj(o.android, p, [], ['classPrefixes', 'nativeLibs', 'components', 'metaData']);
      out.android = {
        classPrefixes: this.strs(a.classPrefixes, [...p, 'classPrefixes'], CLASS_PREFIX_RE),
        nativeLibs: this.strs(a.nativeLibs, [...p, 'nativeLibs'], GLOB_RE),
        components: this.strs(a.components, [...p, 'components'], COMPONENT_RE),
        metaData: this.strs(a.metaData, [...p, 'metaData'], META_DATA_RE),
      };
      if (out.android.classPrefixes.length + out.android.nativeLibs.length + out.android.components.length + out.android.metaData.length === 0) this.fail(p, 'no signature at all');
    }
    if (o.ios !== undefined) {
      const p = [...path, 'ios'];
      const a = this.obj(o.ios, p, [], ['frameworks', 'bundleIds', 'classPrefixes', 'classes']);
      out.ios = {
        frameworks: this.strs(a.frameworks, [...p, 'frameworks'], GLOB_RE),
        bundleIds: this.strs(a.bundleIds, [...p, 'bundleIds'], BUNDLE_ID_RE),
        classPrefixes: this.strs(a.classPrefixes, [...p, 'classPrefixes'], OBJC_RE),
        classes: this.strs(a.classes, [...p, 'classes'], OBJC_RE),
      };
      if (out.ios.frameworks.length + out.ios.bundleIds.length + out.ios.classPrefixes.length + out.ios.classes.length === 0) this.fail(p, 'no signature at all');
      // Short Objective-C prefixes (BU, GDT) would match unrelated classes.
      out.ios.classPrefixes.forEach((c, i) => c.length < 4 && this.fail([...p, 'classPrefixes', i], `"${c}" is too short to be specific (at least 4 characters)`));
    }
    if (!out.android && !out.ios) this.fail(path, 'needs android or ios signatures');
    return out;
  }

  members(v: unknown, path: Path): ApiMember[] {
    if (v === undefined) return [];
    if (!Array.isArray(v)) this.fail(path, `expected a list, found ${kind(v)}`);
    return v.map((m, i) => {
      const o = this.obj(m, [...path, i], ['class', 'names']);
      const names = this.strs(o.names, [...path, i, 'names'], MEMBER_RE);
      if (names.length === 0) this.fail([...path, i, 'names'], 'expected at least one name');
      return { class: this.str(o.class, [...path, i, 'class'], CLASS_RE), names };
    });
  }

  api(v: unknown, path: Path): SensitiveApi {
    const o = this.obj(v, path, ['id', 'category', 'label', 'source'], ['android', 'ios']);
    const out: SensitiveApi = {
      id: this.str(o.id, [...path, 'id'], ID_RE),
      category: this.oneOf(o.category, [...path, 'category'], API_CATEGORIES),
      label: this.str(o.label, [...path, 'label']),
      source: this.str(o.source, [...path, 'source']),
    };
    if (o.android !== undefined) {
      const p = [...path, 'android'];
      const a = this.obj(o.android, p, [], ['methods', 'fields', 'strings', 'stringPrefixes']);
      out.android = {
        methods: this.members(a.methods, [...p, 'methods']),
        fields: this.members(a.fields, [...p, 'fields']),
        strings: this.strs(a.strings, [...p, 'strings'], /^.{3,}$/),
        stringPrefixes: this.strs(a.stringPrefixes, [...p, 'stringPrefixes'], /^.{6,}$/),
      };
      const n = out.android.methods.length + out.android.fields.length + out.android.strings.length + out.android.stringPrefixes.length;
      if (n === 0) this.fail(p, 'no signature at all');
    }
    if (o.ios !== undefined) {
      const p = [...path, 'ios'];
      const a = this.obj(o.ios, p, [], ['symbols', 'selectors']);
      out.ios = { symbols: this.strs(a.symbols, [...p, 'symbols'], /^_[\w$]+$/), selectors: this.strs(a.selectors, [...p, 'selectors'], SELECTOR_RE) };
      if (out.ios.symbols.length + out.ios.selectors.length === 0) this.fail(p, 'expected at least one symbol or selector');
    }
    if (!out.android && !out.ios) this.fail(path, 'needs android or ios signatures');
    return out;
  }

  packer(v: unknown, path: Path): PackerSignature {
    const o = this.obj(v, path, ['id', 'name', 'vendor', 'android', 'source']);
    const p = [...path, 'android'];
    const a = this.obj(o.android, p, [], ['nativeLibs', 'classes', 'applicationClasses', 'files']);
    const out: PackerSignature = {
      id: this.str(o.id, [...path, 'id'], ID_RE),
      name: this.str(o.name, [...path, 'name']),
      vendor: this.str(o.vendor, [...path, 'vendor']),
      android: {
        nativeLibs: this.strs(a.nativeLibs, [...p, 'nativeLibs'], GLOB_RE),
        classes: this.strs(a.classes, [...p, 'classes'], CLASS_PREFIX_RE),
        applicationClasses: this.strs(a.applicationClasses, [...p, 'applicationClasses'], CLASS_RE),
        files: this.strs(a.files, [...p, 'files'], FILE_GLOB_RE),
      },
      source: this.str(o.source, [...path, 'source']),
    };
    const n = out.android.nativeLibs.length + out.android.classes.length + out.android.applicationClasses.length + out.android.files.length;
    if (n === 0) this.fail(p, 'no signature at all');
    return out;
  }
}

function kind(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  return typeof v === 'object' ? 'a mapping' : `a ${typeof v}`;
}
