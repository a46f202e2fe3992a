// Loads and checks the rules directory: bundle.yaml (version, retired ids, other loaders' data files),
// permissions.yaml (checkbox map), every other *.yaml a list of rules. Everything is checked before use —
// schema (zod, unknown keys rejected), then paths, bindings, placeholders, regexes, ids — and each problem is
// reported as
// E_CONFIG "<file>:<line>:<col> <path>: <problem>".
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { z } from 'zod';
import { SHIPPED_RULES_DIR } from '../util/package-root.js';
import { EduscanError } from '../errors.js';
import { PackageFactsSchema } from '../facts/schema.js';
import { checkCondition, checkPath, type Problem, type ShapeScope } from './condition.js';
import { DERIVED_SHAPE } from './derived.js';
import { ANY, arr, obj, SCALAR, shapeAt, shapeOfZod, parsePath, type Shape } from './paths.js';
import { BundleSchema, PermissionMapSchema, RuleFileSchema, RuleSchema } from './schema.js';
import { BUILTINS, placeholders } from './template.js';
import type { Condition, PermissionMap, Rule, RuleSet, RuleTestCase } from './types.js';
import { configError, parseYamlFile, type YamlFile } from './yaml-source.js';

export const BUNDLE_FILE = 'bundle.yaml';
export const PERMISSIONS_FILE = 'permissions.yaml';
/** A rules file is hand-written YAML: anything larger is not one. */
const MAX_RULE_FILE_BYTES = 4 * 1024 * 1024;
const MAX_RULE_FILES = 200;


/** The repository's rules/ folder, found from this module (src/rules/ or dist/rules/) up to the package root. */
export const RULES_DIR: string = SHIPPED_RULES_DIR;

const EVIDENCE_SHAPE = obj({ kind: SCALAR, value: SCALAR, location: SCALAR, strength: SCALAR });
const CATEGORY_SHAPE = obj({ label: SCALAR, evidence: arr(EVIDENCE_SHAPE) });
/** The filing record's app (FiledApp), fixed by the filing schema. */
const APP_SHAPE = obj({
  name: SCALAR, version: SCALAR, platform: SCALAR, packageId: SCALAR, md5: SCALAR, securityCertNo: SCALAR, functionType: SCALAR,
  audience: arr(SCALAR), serviceContent: SCALAR, permissions: arr(SCALAR), permissionsOther: SCALAR, features: arr(SCALAR),
  filingNo: SCALAR, scan: ANY,
});

/** A use filing as rules see it (src/filing/use.ts UseContext). */
const USE_SHAPE = obj({
  unit: SCALAR, usage: SCALAR, users: arr(SCALAR), scenario: SCALAR, collectiveDecision: SCALAR, agreementSigned: SCALAR,
  app: SCALAR, filingNo: SCALAR, file: SCALAR,
});

/** Shapes of the context roots a rule may name. */
export function contextShapes(): ShapeScope {
  return new Map<string, Shape>([
    ['facts', shapeOfZod(PackageFactsSchema)],
    ['app', APP_SHAPE],
    ['record', ANY],
    ['detected', arr(CATEGORY_SHAPE)],
    ['undeclared', arr(CATEGORY_SHAPE)],
    ['notDetected', arr(SCALAR)],
    ['today', SCALAR],
    ['uses', arr(USE_SHAPE)],
    ['derived', DERIVED_SHAPE],
  ]);
}

interface RawFile {
  name: string;
  text: string;
}

function readRuleDir(dir: string): RawFile[] {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => /\.ya?ml$/.test(n)).sort();
  } catch (e) {
    throw new EduscanError('E_CONFIG', `${dir}: cannot read the rules directory: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  if (names.length > MAX_RULE_FILES) throw new EduscanError('E_CONFIG', `${dir}: ${names.length} rule files, at most ${MAX_RULE_FILES} expected`);
  for (const must of [BUNDLE_FILE, PERMISSIONS_FILE]) {
    if (!names.includes(must)) throw new EduscanError('E_CONFIG', `${join(dir, must)}:1:1 (top): missing: a rules directory needs ${BUNDLE_FILE} and ${PERMISSIONS_FILE}`);
  }
  return names.map((name) => {
    const path = join(dir, name);
    const size = statSync(path).size;
    if (size > MAX_RULE_FILE_BYTES) throw new EduscanError('E_CONFIG', `${name}:1:1 (top): ${size} bytes, a rules file is at most ${MAX_RULE_FILE_BYTES}`);
    return { name, text: readFileSync(path, 'utf8') };
  });
}

export function digestOf(files: readonly RawFile[]): string {
  const h = createHash('sha256');
  for (const f of [...files].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) h.update(`${f.name}\0${f.text}\0`);
  return h.digest('hex');
}

function zodProblems(error: z.ZodError): Problem[] {
  return error.issues.map((i) => {
    const at = i.path.filter((p): p is string | number => typeof p !== 'symbol');
    if (i.code === 'unrecognized_keys') return { at: [...at, i.keys[0]!], message: `unknown key${i.keys.length > 1 ? 's' : ''} ${i.keys.join(', ')}` };
    return { at, message: i.message };
  });
}

function parseWith<T>(schema: z.ZodType<T>, f: YamlFile, problems: EduscanError[]): T | undefined {
  const r = schema.safeParse(f.data);
  if (r.success) return r.data;
  for (const p of zodProblems(r.error)) problems.push(configError(f, p.at, p.message));
  return undefined;
}

function checkPermissionMap(map: PermissionMap, f: YamlFile, problems: EduscanError[]): void {
  const seen = new Set<string>();
  map.categories.forEach((c, i) => {
    if (seen.has(c.label)) problems.push(configError(f, ['categories', i, 'label'], `${c.label} appears twice`));
    seen.add(c.label);
  });
  const mapped = new Set(map.categories.flatMap((c) => c.android?.permissions ?? []));
  map.android.noCheckbox.forEach((p, i) => {
    if (mapped.has(p)) problems.push(configError(f, ['android', 'noCheckbox', i], `${p} is both under a box and in noCheckbox`));
  });
  try {
    new RegExp(map.ios.otherFallbackPattern, 'u');
  } catch (e) {
    problems.push(configError(f, ['ios', 'otherFallbackPattern'], `bad regular expression: ${(e as Error).message}`));
  }
  for (const label of ['读取应用数据', '使用呼叫转移'] as const) {
    const i = map.categories.findIndex((c) => c.label === label);
    if (i >= 0 && !map.categories[i]!.interpretation) problems.push(configError(f, ['categories', i], `${label} has no official definition: the map must state its interpretation`));
  }
}

function checkTemplate(text: string, shapes: ShapeScope, allowBuiltins: boolean, at: (string | number)[], out: Problem[]): void {
  for (const name of placeholders(text)) {
    if (allowBuiltins && (BUILTINS as readonly string[]).includes(name)) continue;
    const s = checkPath(name, shapes);
    if (typeof s === 'string') out.push({ at, message: `placeholder {{${name}}}: ${s}` });
  }
}

function checkTestPaths(tc: RuleTestCase, shapes: ShapeScope, at: (string | number)[], out: Problem[]): void {
  const paths: [string, string][] = [
    ...Object.keys(tc.set ?? {}).map((p): [string, string] => ['set', p]),
    ...(tc.unset ?? []).map((p): [string, string] => ['unset', p]),
    ...Object.keys(tc.push ?? {}).map((p): [string, string] => ['push', p]),
  ];
  for (const [where, p] of paths) {
    let problem: string | undefined;
    try {
      const segs = parsePath(p);
      const head = segs[0]!;
      if (head.k !== 'key' || head.key !== 'facts') problem = `test mutations change facts only (path "${p}"); use app: for the record`;
      else {
        const s = shapeAt(shapes.get('facts')!, segs, 1);
        if (typeof s === 'string') problem = `path "${p}": ${s}`;
      }
    } catch (e) {
      problem = (e as Error).message;
    }
    if (problem) out.push({ at: [...at, where, p], message: problem });
  }
}

/** Semantic checks of one zod-valid rule; problems carry the YAML path below the rule. */
export function checkRule(rule: Rule, shapes: ShapeScope): Problem[] {
  const out: Problem[] = [];
  const bindings = new Map<string, Shape>();
  checkCondition(rule.when as Condition, shapes, ['when'], out, bindings);
  const messageShapes = new Map(shapes);
  if (rule.each !== undefined) {
    const s = bindings.get(rule.each);
    if (!s) out.push({ at: ['each'], message: `"${rule.each}" is not bound by a some/count in when (bound: ${[...bindings.keys()].join(', ') || 'none'})` });
    else messageShapes.set(rule.each, s);
  }
  for (const k of ['title', 'message'] as const) for (const lang of ['zh', 'en'] as const) checkTemplate(rule[k][lang], messageShapes, true, [k, lang], out);
  const zhNames = new Set([...placeholders(rule.message.zh), ...placeholders(rule.title.zh)]);
  const enNames = new Set([...placeholders(rule.message.en), ...placeholders(rule.title.en)]);
  if ([...zhNames].some((n) => !enNames.has(n)) || [...enNames].some((n) => !zhNames.has(n))) {
    out.push({ at: ['message'], message: 'zh and en use different placeholders' });
  }
  rule.evidence.forEach((e, i) => {
    const evShapes = new Map(shapes);
    if (e.for !== undefined) {
      const s = bindings.get(e.for);
      if (!s) {
        out.push({ at: ['evidence', i, 'for'], message: `"${e.for}" is not bound by a some/count in when (bound: ${[...bindings.keys()].join(', ') || 'none'})` });
        return;
      }
      evShapes.set(e.for, s);
      if ('copy' in e) {
        try {
          const c = shapeAt(s, parsePath(e.copy));
          if (typeof c === 'string') out.push({ at: ['evidence', i, 'copy'], message: c });
        } catch (err) {
          out.push({ at: ['evidence', i, 'copy'], message: (err as Error).message });
        }
        return;
      }
    }
    if ('copy' in e) return;
    checkTemplate(e.value, evShapes, false, ['evidence', i, 'value'], out);
    if (e.location !== undefined) checkTemplate(e.location, evShapes, false, ['evidence', i, 'location'], out);
  });
  rule.severityWhen?.forEach((s, i) => {
    if (s.severity === rule.severity) out.push({ at: ['severityWhen', i, 'severity'], message: `same as the rule's severity (${s.severity})` });
    checkCondition(s.when as Condition, shapes, ['severityWhen', i, 'when'], out, new Map());
  });
  for (const kind of ['trigger', 'pass'] as const) rule.tests?.[kind].forEach((tc, i) => checkTestPaths(tc, shapes, ['tests', kind, i], out));
  return out;
}

export interface RuleDirReport {
  /** Every problem found, in file order (empty when the directory is valid). */
  problems: EduscanError[];
  set?: RuleSet;
}

/** Loads a rules directory and reports every problem instead of stopping at the first. */
export function validateRuleDir(dir: string = RULES_DIR): RuleDirReport {
  const files = readRuleDir(dir);
  const problems: EduscanError[] = [];
  const shapes = contextShapes();
  let bundle: z.infer<typeof BundleSchema> | undefined;
  let permissionMap: PermissionMap | undefined;
  const rules: Rule[] = [];
  const ids = new Map<string, string>();
  // bundle.yaml first: it says which other files are not rule files.
  const ordered = [...files.filter((f) => f.name === BUNDLE_FILE), ...files.filter((f) => f.name !== BUNDLE_FILE)];
  for (const raw of ordered) {
    if (bundle?.dataFiles?.includes(raw.name)) continue;
    let f: YamlFile;
    try {
      f = parseYamlFile(raw.name, raw.text);
    } catch (e) {
      problems.push(e as EduscanError);
      continue;
    }
    if (raw.name === BUNDLE_FILE) {
      bundle = parseWith(BundleSchema, f, problems);
      continue;
    }
    if (raw.name === PERMISSIONS_FILE) {
      permissionMap = parseWith(PermissionMapSchema, f, problems) as PermissionMap | undefined;
      if (permissionMap) checkPermissionMap(permissionMap, f, problems);
      continue;
    }
    if (f.data === null || typeof f.data !== 'object' || Array.isArray(f.data) || !Object.hasOwn(f.data, 'rules')) {
      problems.push(configError(f, [], `not a rules file: expected a top-level "rules:" list (files of other loaders go in ${BUNDLE_FILE} dataFiles)`));
      continue;
    }
    const parsed = parseWith(RuleFileSchema, f, problems);
    if (!parsed) continue;
    parsed.rules.forEach((raw0, i) => {
      const r = RuleSchema.safeParse(raw0);
      if (!r.success) {
        for (const p of zodProblems(r.error)) problems.push(configError(f, ['rules', i, ...p.at], p.message));
        return;
      }
      const rule = { ...r.data, file: raw.name } as Rule;
      const prior = ids.get(rule.id);
      if (prior) problems.push(configError(f, ['rules', i, 'id'], `${rule.id} is already used in ${prior}`));
      ids.set(rule.id, raw.name);
      for (const p of checkRule(rule, shapes)) problems.push(configError(f, ['rules', i, ...p.at], p.message));
      rules.push(rule);
    });
  }
  if (bundle) {
    for (const r of rules) if (bundle.retired.includes(r.id)) problems.push(new EduscanError('E_CONFIG', `${r.file}:1:1 ${r.id}: the id was retired in ${BUNDLE_FILE}; ids are never reused`));
  }
  if (problems.length > 0 || !bundle || !permissionMap) return { problems };
  return { problems, set: { rules, permissionMap, version: bundle.version, digest: digestOf(files) } };
}

const cache = new Map<string, RuleSet>();

/** The rule set of `dir` (default: the repository's rules/), checked; the first problem is thrown as E_CONFIG. */
/**
 * Where a validated rule set is kept between runs (like trivy's cache by digest): parsing and checking the YAML
 * costs 0.23–0.30 s, loading the kept JSON 6–7 ms (measured), and every `check` and every re-scan worker loads the rules.
 * EDUSCAN_CACHE_DIR, else $XDG_CACHE_HOME/eduscan, else ~/.cache/eduscan; "off" disables it.
 */
export function rulesCacheDir(): string | undefined {
  const env = process.env.EDUSCAN_CACHE_DIR;
  if (env === 'off') return undefined;
  if (env) return env;
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'eduscan');
}

/**
 * The kept set's name: the rule files' digest and the code that turns them into a RuleSet (this loader, the rule
 * schema, the path checker and the facts schema it checks paths against), so neither a changed rule nor a changed
 * eduscan can reuse a stale set.
 */
let loaderDigest: string | undefined;
function cacheKey(rulesDigest: string): string {
  if (loaderDigest === undefined) {
    const h = createHash('sha256');
    const self = fileURLToPath(import.meta.url);
    const ext = extname(self);
    for (const rel of [`./load${ext}`, `./schema${ext}`, `./paths${ext}`, `./condition${ext}`, `../facts/schema${ext}`]) {
      h.update(rel).update('\0').update(readFileSync(fileURLToPath(new URL(rel, import.meta.url)))).update('\0');
    }
    loaderDigest = h.digest('hex');
  }
  return createHash('sha256').update(`${rulesDigest}\0${loaderDigest}`).digest('hex').slice(0, 32);
}

function readKept(file: string, digest: string): RuleSet | undefined {
  try {
    const set = JSON.parse(readFileSync(file, 'utf8')) as RuleSet;
    // The name already pins the content; this guards against a truncated or foreign file.
    return set && set.digest === digest && Array.isArray(set.rules) && set.permissionMap ? set : undefined;
  } catch {
    return undefined;
  }
}

function keep(file: string, set: RuleSet): void {
  try {
    mkdirSync(join(file, '..'), { recursive: true });
    // Written aside and renamed, so a reader never sees half a file.
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(set));
    renameSync(tmp, file);
  } catch {
    // A read-only home or a full disk costs the next run the parse, nothing else.
  }
}

export function loadRuleSet(dir: string = RULES_DIR): RuleSet {
  const key = resolve(dir);
  const digest = digestOf(readRuleDir(key));
  const hit = cache.get(key);
  if (hit && hit.digest === digest) return hit;
  const cacheDir = rulesCacheDir();
  const file = cacheDir === undefined ? undefined : join(cacheDir, `rules-${cacheKey(digest)}.json`);
  const kept = file === undefined ? undefined : readKept(file, digest);
  if (kept) {
    cache.set(key, kept);
    return kept;
  }
  const { problems, set } = validateRuleDir(key);
  const first = problems[0];
  if (first) {
    const more = problems.length > 1 ? ` (and ${problems.length - 1} more problem${problems.length > 2 ? 's' : ''}: eduscan rules validate)` : '';
    throw new EduscanError('E_CONFIG', `${first.message}${more}`);
  }
  if (file !== undefined) keep(file, set!);
  cache.set(key, set!);
  return set!;
}
