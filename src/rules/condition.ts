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

function operand(op: Operand | undefined, scope: Scope): unknown {
  if (op !== null && typeof op === 'object' && !Array.isArray(op)) return lookup(op.ref, scope);
  return op;
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

/** Every comparator present on the node holds for `left`. */
export function compare(left: unknown, node: Comparisons, scope: Scope): boolean {
  const ci = node.ci === true;
  if (node.exists !== undefined && (left !== undefined && left !== null) !== node.exists) return false;
  if (node.empty !== undefined && isEmpty(left) !== node.empty) return false;
  const rest = ['eq', 'ne', 'lt', 'lte', 'gt', 'gte', 'in', 'notIn', 'contains', 'matches'] as const;
  for (const c of rest) {
    if (node[c] === undefined) continue;
    if (left === undefined || left === null) return false;
    const right = operand(node[c], scope);
    if (right === undefined) return false;
    switch (c) {
      case 'eq':
        if (!same(left, right, ci)) return false;
        break;
      case 'ne':
        if (same(left, right, ci)) return false;
        break;
      case 'lt':
      case 'lte':
      case 'gt':
      case 'gte': {
        const d = ordered(left, right);
        if (d === undefined) return false;
        if (c === 'lt' ? !(d < 0) : c === 'lte' ? !(d <= 0) : c === 'gt' ? !(d > 0) : !(d >= 0)) return false;
        break;
      }
      case 'in':
      case 'notIn': {
        if (!Array.isArray(right)) return false;
        const member = (x: unknown): boolean => right.some((r) => same(x, r, ci));
        const hit = Array.isArray(left) ? left.some(member) : member(left);
        if (hit !== (c === 'in')) return false;
        break;
      }
      case 'contains':
        if (Array.isArray(left)) {
          if (!left.some((x) => same(x, right, ci))) return false;
        } else if (typeof left === 'string' && typeof right === 'string') {
          if (!fold(left, ci)!.toString().includes(fold(right, ci) as string)) return false;
        } else return false;
        break;
      case 'matches': {
        if (typeof right !== 'string') return false;
        const re = regex(right, ci);
        const test = (x: unknown): boolean => typeof x === 'string' && re.test(x);
        if (!(Array.isArray(left) ? left.some(test) : test(left))) return false;
        break;
      }
    }
  }
  return true;
}

function merge(into: Bound, from: Bound): void {
  for (const [k, v] of from) {
    const have = into.get(k);
    if (!have) into.set(k, [...v]);
    else for (const x of v) if (!have.includes(x)) have.push(x);
  }
}

function iterate(it: Iteration, scope: Scope): { matched: unknown[]; bound: Bound } {
  const v = lookup(it.path, scope);
  const items = v === undefined || v === null ? [] : Array.isArray(v) ? v : [v];
  const name = it.as ?? DEFAULT_BINDING;
  const matched: unknown[] = [];
  const bound: Bound = new Map();
  for (const item of items) {
    if (!it.where) {
      matched.push(item);
      continue;
    }
    const r = evaluate(it.where, { roots: scope.roots, bindings: { ...scope.bindings, [name]: item } });
    if (r.ok) {
      matched.push(item);
      merge(bound, r.bound);
    }
  }
  bound.set(name, matched);
  return { matched, bound };
}

export function evaluate(c: Condition, scope: Scope): EvalResult {
  if ('all' in c) {
    const bound: Bound = new Map();
    for (const sub of c.all) {
      const r = evaluate(sub, scope);
      if (!r.ok) return { ok: false, bound: new Map() };
      merge(bound, r.bound);
    }
    return { ok: true, bound };
  }
  if ('any' in c) {
    const bound: Bound = new Map();
    let ok = false;
    for (const sub of c.any) {
      const r = evaluate(sub, scope);
      if (r.ok) {
        ok = true;
        merge(bound, r.bound);
      }
    }
    return { ok, bound };
  }
  if ('not' in c) return { ok: !evaluate(c.not, scope).ok, bound: new Map() };
  if ('some' in c) {
    const r = iterate(c.some, scope);
    return r.matched.length > 0 ? { ok: true, bound: r.bound } : { ok: false, bound: new Map() };
  }
  if ('count' in c) {
    const node = c as CountNode;
    const r = iterate(node.count, scope);
    return compare(r.matched.length, node, scope) ? { ok: true, bound: r.bound } : { ok: false, bound: new Map() };
  }
  const node = c as CmpNode;
  return { ok: compare(lookup(node.path, scope), node, scope), bound: new Map() };
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
