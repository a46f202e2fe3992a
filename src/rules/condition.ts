// Evaluation of the declarative conditions of rules/*.yaml, and their static check at load time.
//
// Node kinds (exactly one per node):
//   {all: [c…]}  {any: [c…]}  {not: c}
//   {path: P, <comparators>}                      compare the value at P
//   {some: {path: P, as?: name, where?: c}}       some element of P satisfies `where`; matched elements are
//                                                 bound to `name` (default `item`) for evidence and messages
//   {count: {path: P, as?, where?}, <comparators>} compare the number of (matching) elements of P
// Comparators: eq ne lt lte gt gte in notIn contains matches exists empty, plus ci (case-insensitive).
// Operands are literals or {ref: path}. A missing value satisfies only `exists: false` / `empty: true`:
// an unknown fact is never a mismatch. For "absent or false" write {not: {path: P, eq: true}}.
// `any` and `all` evaluate every branch they need so that every matching element is bound (for evidence).
//
// Conditions are compiled once per rule into closures (the engine keeps them per Rule object): paths are
// split, literal operands folded, regexes built and names resolved at compile time. A name bound by a
// `some`/`count` lives in a slot of Env.vals whose index is its nesting depth, known when compiling; a name
// that is not bound there is a context root. A subtree that binds no name the caller will read compiles to
// a plain predicate that stops at the first decisive branch; only the rest collects bindings, with exactly
// the interpreter's merge order (tests/rules/reference-engine.ts is that interpreter, and
// tests/rules/compiled-equivalence.test.ts holds the two equal on the corpus).
import type { CmpNode, Comparisons, Condition, CountNode, Iteration, Operand } from './types.js';
import { elementOf, parsePath, resolveSegments, shapeAt, type Segment, type Shape } from './paths.js';

export type Bound = Map<string, unknown[]>;
export interface EvalResult {
  ok: boolean;
  bound: Bound;
}

/** Roots of the rule context plus names bound by enclosing `some`/`count` nodes. */
export interface Scope {
  roots: Record<string, unknown>;
  bindings: Record<string, unknown>;
}

/** What compiled code reads: the context roots, and bound names by slot (the slot of a name is fixed when compiling). */
export interface Env {
  roots: Record<string, unknown>;
  vals: unknown[];
}
export type Getter = (env: Env) => unknown;
export type Pred = (env: Env) => boolean;
/** A condition that also returns what it binds: the bindings when it holds, null when it does not. */
export type Binder = (env: Env) => Bound | null;
export type Check = (left: unknown, env: Env) => boolean;
/** Names whose bindings the caller reads (`each`, evidence `for`), or all of them. */
export type Needed = ReadonlySet<string> | 'all';

const DEFAULT_BINDING = 'item';
const pathCache = new Map<string, Segment[]>();
const regexCache = new Map<string, RegExp>();

function segments(path: string): Segment[] {
  let s = pathCache.get(path);
  if (!s) {
    s = parsePath(path);
    pathCache.set(path, s);
  }
  return s;
}

export function regex(pattern: string, ci: boolean): RegExp {
  const key = `${ci ? 'i' : '-'}${pattern}`;
  let re = regexCache.get(key);
  if (!re) {
    re = new RegExp(pattern, ci ? 'iu' : 'u');
    regexCache.set(key, re);
  }
  return re;
}

export function lookup(path: string, scope: Scope): unknown {
  const segs = segments(path);
  const head = segs[0]!;
  if (head.k !== 'key') return undefined;
  const base = Object.hasOwn(scope.bindings, head.key) ? scope.bindings[head.key] : Object.hasOwn(scope.roots, head.key) ? scope.roots[head.key] : undefined;
  return resolveSegments(base, segs, 1);
}

/** A compile-time problem (a malformed path, a bad regex) surfaces when the node is evaluated, as it did when interpreted. */
function thrower(e: unknown): () => never {
  return () => {
    throw e;
  };
}

/** Reads `path` in an Env where `names[i]` is bound in slot i (the last of equal names wins: the innermost). */
export function compileGetter(path: string, names: readonly string[]): Getter {
  let segs: Segment[];
  try {
    segs = parsePath(path);
  } catch (e) {
    return thrower(e);
  }
  const head = segs[0]!;
  if (head.k !== 'key') return () => undefined;
  const slot = names.lastIndexOf(head.key);
  const key = head.key;
  const base: Getter = slot >= 0 ? (env) => env.vals[slot] : (env) => (Object.hasOwn(env.roots, key) ? env.roots[key] : undefined);
  if (segs.length === 1) return base;
  const rest = segs.slice(1);
  if (!rest.every((s) => s.k === 'key')) return (env) => resolveSegments(base(env), segs, 1);
  const keys = rest.map((s) => (s as Extract<Segment, { k: 'key' }>).key);
  if (keys.length === 1) {
    const k = keys[0]!;
    return (env) => {
      const v = base(env);
      if (v === null || typeof v !== 'object') return undefined;
      if (Array.isArray(v)) return resolveSegments(v, segs, 1);
      return Object.hasOwn(v, k) ? (v as Record<string, unknown>)[k] : undefined;
    };
  }
  return (env) => walkKeys(base(env), keys, segs);
}

/** resolveSegments for a path of keys only: plain objects walked directly, the first list handed to resolveSegments. */
function walkKeys(v: unknown, keys: readonly string[], segs: readonly Segment[]): unknown {
  let cur = v;
  for (let i = 0; i < keys.length; i++) {
    if (cur === null || typeof cur !== 'object') return undefined;
    if (Array.isArray(cur)) return resolveSegments(cur, segs, i + 1);
    const k = keys[i]!;
    if (!Object.hasOwn(cur, k)) return undefined;
    cur = (cur as Record<string, unknown>)[k];
    if (cur === undefined) return undefined;
  }
  return cur;
}

function fold(v: unknown, ci: boolean): unknown {
  return ci && typeof v === 'string' ? v.toLowerCase() : v;
}

function same(a: unknown, b: unknown, ci: boolean): boolean {
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((x, i) => same(x, b[i], ci));
  }
  return fold(a, ci) === fold(b, ci);
}

function isEmpty(v: unknown): boolean {
  if (v === undefined || v === null) return true;
  if (typeof v === 'string') return v.trim() === '';
  if (Array.isArray(v)) return v.length === 0;
  if (typeof v === 'object') return Object.keys(v).length === 0;
  return false;
}

function ordered(a: unknown, b: unknown): number | undefined {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  return undefined;
}

const VALUE_COMPARATORS = ['eq', 'ne', 'lt', 'lte', 'gt', 'gte', 'in', 'notIn', 'contains', 'matches'] as const;
type ValueComparator = (typeof VALUE_COMPARATORS)[number];

/** One comparator on a present left value and a present right value. */
function holds(c: ValueComparator, left: unknown, right: unknown, ci: boolean): boolean {
  switch (c) {
    case 'eq':
      return same(left, right, ci);
    case 'ne':
      return !same(left, right, ci);
    case 'lt':
    case 'lte':
    case 'gt':
    case 'gte': {
      const d = ordered(left, right);
      if (d === undefined) return false;
      return c === 'lt' ? d < 0 : c === 'lte' ? d <= 0 : c === 'gt' ? d > 0 : d >= 0;
    }
    case 'in':
    case 'notIn': {
      if (!Array.isArray(right)) return false;
      const member = (x: unknown): boolean => right.some((r) => same(x, r, ci));
      const hit = Array.isArray(left) ? left.some(member) : member(left);
      return hit === (c === 'in');
    }
    case 'contains':
      if (Array.isArray(left)) return left.some((x) => same(x, right, ci));
      if (typeof left === 'string' && typeof right === 'string') return (fold(left, ci) as string).includes(fold(right, ci) as string);
      return false;
    case 'matches': {
      if (typeof right !== 'string') return false;
      const re = regex(right, ci);
      const test = (x: unknown): boolean => typeof x === 'string' && re.test(x);
      return Array.isArray(left) ? left.some(test) : test(left);
    }
  }
}

const isScalar = (v: unknown): boolean => v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';

/** A comparator with a literal operand, with what can be done once done here. A missing left value fails. */
function literalCheck(c: ValueComparator, right: Operand, ci: boolean): Check {
  if ((c === 'eq' || c === 'ne') && isScalar(right)) {
    // same(l, scalar) is false for a list l, else fold(l) === fold(scalar).
    const r = fold(right, ci);
    const want = c === 'eq';
    return ci
      ? (l) => l !== undefined && l !== null && (!Array.isArray(l) && fold(l, true) === r) === want
      : (l) => l !== undefined && l !== null && (!Array.isArray(l) && l === r) === want;
  }
  if (c === 'in' || c === 'notIn') {
    if (!Array.isArray(right)) return () => false;
    if (right.every(isScalar)) {
      // Membership by ===: a Set (SameValueZero) agrees once NaN, which === never matches, is left out.
      const set = new Set(right.map((r) => fold(r, ci)).filter((r) => !(typeof r === 'number' && Number.isNaN(r))));
      const member = (x: unknown): boolean => !Array.isArray(x) && set.has(ci && typeof x === 'string' ? x.toLowerCase() : x);
      const want = c === 'in';
      return (l) => l !== undefined && l !== null && (Array.isArray(l) ? l.some(member) : member(l)) === want;
    }
  }
  if (c === 'matches') {
    if (typeof right !== 'string') return () => false;
    let re: RegExp;
    try {
      re = regex(right, ci);
    } catch {
      return (l) => l !== undefined && l !== null && holds(c, l, right, ci);
    }
    const test = (x: unknown): boolean => typeof x === 'string' && re.test(x);
    return (l) => l !== undefined && l !== null && (Array.isArray(l) ? l.some(test) : test(l));
  }
  return (l) => l !== undefined && l !== null && holds(c, l, right, ci);
}

/** Every comparator present on the node, as one check of the left value; refs are read in `names`' scope. */
export function compileComparisons(node: Comparisons, names: readonly string[]): Check {
  const ci = node.ci === true;
  const checks: Check[] = [];
  if (node.exists !== undefined) {
    const want = node.exists;
    checks.push((l) => (l !== undefined && l !== null) === want);
  }
  if (node.empty !== undefined) {
    const want = node.empty;
    checks.push((l) => isEmpty(l) === want);
  }
  for (const c of VALUE_COMPARATORS) {
    const op = node[c];
    if (op === undefined) continue;
    if (op !== null && typeof op === 'object' && !Array.isArray(op)) {
      const get = compileGetter(op.ref, names);
      checks.push((l, env) => {
        if (l === undefined || l === null) return false;
        const r = get(env);
        return r !== undefined && holds(c, l, r, ci);
      });
    } else checks.push(literalCheck(c, op, ci));
  }
  if (checks.length === 0) return () => true;
  if (checks.length === 1) return checks[0]!;
  if (checks.length === 2) {
    const [a, b] = checks as [Check, Check];
    return (l, env) => a(l, env) && b(l, env);
  }
  return (l, env) => {
    for (const k of checks) if (!k(l, env)) return false;
    return true;
  };
}

function merge(into: Bound, from: Bound): void {
  for (const [k, v] of from) {
    const have = into.get(k);
    if (!have) into.set(k, [...v]);
    else for (const x of v) if (!have.includes(x)) have.push(x);
  }
}

const wanted = (needed: Needed, name: string): boolean => needed === 'all' || needed.has(name);

/** Whether evaluating `c` can bind a needed name (names bound under `not` are dropped, so never). */
function binds(c: Condition, needed: Needed): boolean {
  if ('all' in c) return c.all.some((x) => binds(x, needed));
  if ('any' in c) return c.any.some((x) => binds(x, needed));
  if ('not' in c) return false;
  const it = 'some' in c ? c.some : 'count' in c ? (c as CountNode).count : undefined;
  if (!it) return false;
  return wanted(needed, it.as ?? DEFAULT_BINDING) || (it.where !== undefined && binds(it.where, needed));
}

/** Elements iterated at `it.path`: a list, a scalar as one element, nothing when missing. */
function itemsOf(get: Getter, env: Env): unknown[] {
  const v = get(env);
  return v === undefined || v === null ? [] : Array.isArray(v) ? v : [v];
}

/** `c` as a predicate: pure, so `any`, `all` and `some` stop at the first decisive branch. */
export function compilePred(c: Condition, names: readonly string[]): Pred {
  if ('all' in c) {
    const subs = c.all.map((x) => compilePred(x, names));
    if (subs.length === 1) return subs[0]!;
    if (subs.length === 2) {
      const [a, b] = subs as [Pred, Pred];
      return (env) => a(env) && b(env);
    }
    return (env) => {
      for (const s of subs) if (!s(env)) return false;
      return true;
    };
  }
  if ('any' in c) {
    const subs = c.any.map((x) => compilePred(x, names));
    if (subs.length === 1) return subs[0]!;
    if (subs.length === 2) {
      const [a, b] = subs as [Pred, Pred];
      return (env) => a(env) || b(env);
    }
    return (env) => {
      for (const s of subs) if (s(env)) return true;
      return false;
    };
  }
  if ('not' in c) {
    const sub = compilePred(c.not, names);
    return (env) => !sub(env);
  }
  if ('some' in c || 'count' in c) {
    const it: Iteration = 'some' in c ? c.some : (c as CountNode).count;
    const get = compileGetter(it.path, names);
    const slot = names.length;
    const where = it.where ? compilePred(it.where, [...names, it.as ?? DEFAULT_BINDING]) : undefined;
    if ('some' in c) {
      if (!where) return (env) => itemsOf(get, env).length > 0;
      return (env) => {
        for (const x of itemsOf(get, env)) {
          env.vals[slot] = x;
          if (where(env)) return true;
        }
        return false;
      };
    }
    const cmp = compileComparisons(c as CountNode, names);
    return (env) => {
      const items = itemsOf(get, env);
      let n = items.length;
      if (where) {
        n = 0;
        for (const x of items) {
          env.vals[slot] = x;
          if (where(env)) n++;
        }
      }
      return cmp(n, env);
    };
  }
  const node = c as CmpNode;
  const get = compileGetter(node.path, names);
  const cmp = compileComparisons(node, names);
  return (env) => cmp(get(env), env);
}

type Part = { p: Pred; b?: undefined } | { b: Binder; p?: undefined };

function part(c: Condition, names: readonly string[], needed: Needed): Part {
  return binds(c, needed) ? { b: compileBinder(c, names, needed) } : { p: compilePred(c, names) };
}

/** `c` with the bindings of the needed names, merged in the interpreter's order. */
export function compileBinder(c: Condition, names: readonly string[], needed: Needed): Binder {
  if (!binds(c, needed)) {
    const p = compilePred(c, names);
    return (env) => (p(env) ? new Map() : null);
  }
  if ('all' in c) {
    const parts = c.all.map((x) => part(x, names, needed));
    return (env) => {
      const bound: Bound = new Map();
      for (const s of parts) {
        if (s.p) {
          if (!s.p(env)) return null;
          continue;
        }
        const r = s.b(env);
        if (!r) return null;
        merge(bound, r);
      }
      return bound;
    };
  }
  if ('any' in c) {
    const parts = c.any.map((x) => part(x, names, needed));
    const binders = parts.filter((s) => s.b).map((s) => s.b!);
    const preds = parts.filter((s) => s.p).map((s) => s.p!);
    return (env) => {
      const bound: Bound = new Map();
      let ok = false;
      // Every binding branch runs (all matches are bound); the others only matter while nothing holds.
      for (const b of binders) {
        const r = b(env);
        if (r) {
          ok = true;
          merge(bound, r);
        }
      }
      if (!ok) for (const p of preds) if (p(env)) return bound;
      return ok ? bound : null;
    };
  }
  // some / count (binds() is false for not and comparisons).
  const it: Iteration = 'some' in c ? c.some : (c as CountNode).count;
  const get = compileGetter(it.path, names);
  const slot = names.length;
  const name = it.as ?? DEFAULT_BINDING;
  const inner = [...names, name];
  const where = it.where ? part(it.where, inner, needed) : undefined;
  const keep = wanted(needed, name);
  const cmp = 'count' in c ? compileComparisons(c as CountNode, names) : undefined;
  return (env) => {
    const matched: unknown[] = [];
    const bound: Bound = new Map();
    for (const x of itemsOf(get, env)) {
      if (!where) {
        matched.push(x);
        continue;
      }
      env.vals[slot] = x;
      if (where.p) {
        if (where.p(env)) matched.push(x);
        continue;
      }
      const r = where.b(env);
      if (r) {
        matched.push(x);
        merge(bound, r);
      }
    }
    if (keep) bound.set(name, matched);
    if (cmp) return cmp(matched.length, env) ? bound : null;
    return matched.length > 0 ? bound : null;
  };
}

function envOf(scope: Scope): { names: string[]; env: Env } {
  const names = Object.keys(scope.bindings);
  return { names, env: { roots: scope.roots, vals: names.map((n) => scope.bindings[n]) } };
}

/** Evaluates a condition once, with every name it binds (tests and tools; the engine compiles once per rule). */
export function evaluate(c: Condition, scope: Scope): EvalResult {
  const { names, env } = envOf(scope);
  const bound = compileBinder(c, names, 'all')(env);
  return bound ? { ok: true, bound } : { ok: false, bound: new Map() };
}

/** Every comparator present on the node holds for `left`. */
export function compare(left: unknown, node: Comparisons, scope: Scope): boolean {
  const { names, env } = envOf(scope);
  return compileComparisons(node, names)(left, env);
}

// ---- Static check ---------------------------------------------------------------------------------------------

export interface Problem {
  /** Path inside the YAML document (for the file:line:col position). */
  at: (string | number)[];
  message: string;
}

/** Shapes of the roots, and of names bound by enclosing iterations. */
export type ShapeScope = Map<string, Shape>;

/** Shape of a path in a scope, or a problem message. */
export function checkPath(path: string, shapes: ShapeScope): Shape | string {
  let segs: Segment[];
  try {
    segs = parsePath(path);
  } catch (e) {
    return (e as Error).message;
  }
  const head = segs[0]!;
  if (head.k !== 'key') return `path "${path}" must start with a name`;
  const root = shapes.get(head.key);
  if (!root) return `path "${path}": unknown name "${head.key}" (known: ${[...shapes.keys()].join(', ')})`;
  const s = shapeAt(root, segs, 1);
  return typeof s === 'string' ? `path "${path}": ${s}` : s;
}

const COMPARATOR_KEYS = ['eq', 'ne', 'lt', 'lte', 'gt', 'gte', 'in', 'notIn', 'contains', 'matches', 'exists', 'empty'] as const;

function checkComparisons(node: Comparisons, shapes: ShapeScope, at: (string | number)[], out: Problem[]): void {
  if (!COMPARATOR_KEYS.some((k) => node[k] !== undefined)) out.push({ at, message: `needs a comparator (${COMPARATOR_KEYS.join(', ')})` });
  for (const k of COMPARATOR_KEYS) {
    const op = node[k];
    if (op === undefined || typeof op === 'boolean' && (k === 'exists' || k === 'empty')) continue;
    if (op !== null && typeof op === 'object' && !Array.isArray(op)) {
      const s = checkPath(op.ref, shapes);
      if (typeof s === 'string') out.push({ at: [...at, k, 'ref'], message: s });
      continue;
    }
    if ((k === 'in' || k === 'notIn') && !Array.isArray(op)) out.push({ at: [...at, k], message: `${k} needs a list or {ref}` });
    if (k !== 'in' && k !== 'notIn' && k !== 'eq' && k !== 'ne' && Array.isArray(op)) out.push({ at: [...at, k], message: `${k} needs a single value` });
    if (k === 'matches') {
      if (typeof op !== 'string') out.push({ at: [...at, k], message: 'matches needs a regular expression string' });
      else {
        try {
          regex(op, node.ci === true);
        } catch (e) {
          out.push({ at: [...at, k], message: `bad regular expression: ${(e as Error).message}` });
        }
      }
    }
  }
}

function checkIteration(it: Iteration, shapes: ShapeScope, at: (string | number)[], out: Problem[], bindings: Map<string, Shape>): void {
  const s = checkPath(it.path, shapes);
  if (typeof s === 'string') {
    out.push({ at: [...at, 'path'], message: s });
    return;
  }
  const name = it.as ?? DEFAULT_BINDING;
  if (shapes.has(name) && !bindings.has(name) && name !== DEFAULT_BINDING) {
    out.push({ at: [...at, 'as'], message: `"${name}" hides a context root` });
  }
  const el = elementOf(s);
  bindings.set(name, el);
  if (it.where) {
    const inner = new Map(shapes);
    inner.set(name, el);
    checkCondition(it.where, inner, [...at, 'where'], out, bindings);
  }
}

/** Nesting a hand-written condition never needs; deeper trees are refused before they can exhaust the stack. */
export const MAX_CONDITION_DEPTH = 32;

function depthOf(at: (string | number)[]): number {
  return at.filter((p) => p === 'all' || p === 'any' || p === 'not' || p === 'where').length;
}

/** Static check of a (zod-valid) condition: paths exist, regexes compile, names bound by iterations recorded. */
export function checkCondition(c: Condition, shapes: ShapeScope, at: (string | number)[], out: Problem[], bindings: Map<string, Shape>): void {
  if (depthOf(at) > MAX_CONDITION_DEPTH) {
    out.push({ at, message: `conditions nest deeper than ${MAX_CONDITION_DEPTH} levels` });
    return;
  }
  if ('all' in c) return c.all.forEach((x, i) => checkCondition(x, shapes, [...at, 'all', i], out, bindings));
  if ('any' in c) return c.any.forEach((x, i) => checkCondition(x, shapes, [...at, 'any', i], out, bindings));
  // Names bound under `not` never reach evidence: the evaluation drops them.
  if ('not' in c) return checkCondition(c.not, shapes, [...at, 'not'], out, new Map());
  if ('some' in c) return checkIteration(c.some, shapes, [...at, 'some'], out, bindings);
  if ('count' in c) {
    checkIteration((c as CountNode).count, shapes, [...at, 'count'], out, bindings);
    checkComparisons(c as CountNode, shapes, at, out);
    return;
  }
  const node = c as CmpNode;
  const s = checkPath(node.path, shapes);
  if (typeof s === 'string') out.push({ at: [...at, 'path'], message: s });
  checkComparisons(node, shapes, at, out);
}
