// Dotted paths into the rule context ({facts, app, record, detected, undeclared, notDetected, today, derived}
// plus names bound by `some`/`count`), and the shapes used to reject a misspelt path when the rules load.
//
// Syntax: segments separated by `.`: a key (`targetSdk`), an index (`0`), or a selector `[key=value]` that keeps
// the array elements whose `key` equals `value` (used by RuleTester mutations; values may contain dots).
// A key applied to an array projects it: `facts.signing.signers.scheme` is the list of every signer's scheme,
// and arrays met on the way are flattened one level, so `facts.signing.signers.certificates.debug` is one
// flat list of booleans.

export type Segment = { k: 'key'; key: string } | { k: 'index'; index: number } | { k: 'select'; key: string; value: string };

const KEY_RE = /^[A-Za-z_$][A-Za-z0-9_$-]*$/;
const INDEX_RE = /^(0|[1-9][0-9]{0,8})$/;
const MAX_PATH_SEGMENTS = 32;

/** Parses a path; throws a one-line Error (the loader turns it into E_CONFIG with the file position). */
export function parsePath(path: string): Segment[] {
  const out: Segment[] = [];
  let i = 0;
  while (i < path.length) {
    if (path[i] === '[') {
      const close = path.indexOf(']', i);
      if (close < 0) throw new Error(`path "${path}": "[" without "]"`);
      const body = path.slice(i + 1, close);
      const eq = body.indexOf('=');
      if (eq <= 0 || !KEY_RE.test(body.slice(0, eq))) throw new Error(`path "${path}": selector must be [key=value], found [${body}]`);
      out.push({ k: 'select', key: body.slice(0, eq), value: body.slice(eq + 1) });
      i = close + 1;
      if (i < path.length && path[i] !== '.' && path[i] !== '[') throw new Error(`path "${path}": expected "." after "]"`);
      if (path[i] === '.') i++;
      continue;
    }
    let end = i;
    while (end < path.length && path[end] !== '.' && path[end] !== '[') end++;
    const tok = path.slice(i, end);
    if (INDEX_RE.test(tok)) out.push({ k: 'index', index: Number(tok) });
    else if (KEY_RE.test(tok)) out.push({ k: 'key', key: tok });
    else throw new Error(`path "${path}": bad segment "${tok}"`);
    i = end;
    if (path[i] === '.') {
      i++;
      if (i === path.length) throw new Error(`path "${path}": ends with "."`);
    }
    if (out.length > MAX_PATH_SEGMENTS) throw new Error(`path "${path}": more than ${MAX_PATH_SEGMENTS} segments`);
  }
  if (out.length === 0) throw new Error('empty path');
  return out;
}

function own(o: unknown, key: string): unknown {
  if (o === null || typeof o !== 'object' || Array.isArray(o)) return undefined;
  return Object.hasOwn(o, key) ? (o as Record<string, unknown>)[key] : undefined;
}

/** Value at `segs` below `v`, projecting (and flattening) over arrays met by a key or selector. */
export function resolveSegments(v: unknown, segs: readonly Segment[], from = 0): unknown {
  let cur = v;
  for (let i = from; i < segs.length; i++) {
    const s = segs[i]!;
    if (s.k === 'index') {
      cur = Array.isArray(cur) ? cur[s.index] : undefined;
      continue;
    }
    if (Array.isArray(cur)) {
      const items = s.k === 'select' ? cur.filter((el) => scalarText(own(el, s.key)) === s.value) : cur;
      const next = s.k === 'select' ? i + 1 : i;
      const out: unknown[] = [];
      for (const el of items) {
        const r = resolveSegments(el, segs, next);
        if (r === undefined) continue;
        if (Array.isArray(r)) out.push(...r);
        else out.push(r);
      }
      return out;
    }
    if (s.k === 'select') return undefined;
    cur = own(cur, s.key);
    if (cur === undefined) return undefined;
  }
  return cur;
}

function scalarText(v: unknown): string | undefined {
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined;
}

// ---- Shapes: what a path may name. --------------------------------------------------------------------------

export type Shape =
  | { t: 'any' }
  | { t: 'scalar' }
  | { t: 'object'; fields: Record<string, Shape> }
  | { t: 'array'; el: Shape };

export const ANY: Shape = { t: 'any' };
export const SCALAR: Shape = { t: 'scalar' };
export const obj = (fields: Record<string, Shape>): Shape => ({ t: 'object', fields });
export const arr = (el: Shape): Shape => ({ t: 'array', el });

/** Shape reached by `segs` from `shape`, or an error naming the first segment that does not exist. */
export function shapeAt(shape: Shape, segs: readonly Segment[], from = 0): Shape | string {
  let cur = shape;
  let projected = false;
  for (let i = from; i < segs.length; i++) {
    const s = segs[i]!;
    if (cur.t === 'any') return ANY;
    if (s.k === 'index') {
      if (cur.t !== 'array') return `"${i}" indexes something that is not a list`;
      cur = cur.el;
      continue;
    }
    if (cur.t === 'array') {
      projected = true;
      cur = cur.el;
      if (s.k === 'select') continue;
      i--;
      continue;
    }
    if (s.k === 'select') return `[${s.key}=…] selects in something that is not a list`;
    if (cur.t !== 'object') return `"${s.key}" is below a value that has no fields`;
    const f = cur.fields[s.key];
    if (!f) return `no field "${s.key}" (known: ${Object.keys(cur.fields).join(', ')})`;
    cur = f;
  }
  if (projected && cur.t !== 'array') return arr(cur);
  return cur;
}

/** Element shape when iterating over a value of this shape (a scalar iterates as itself: one element). */
export function elementOf(shape: Shape): Shape {
  return shape.t === 'array' ? shape.el : shape;
}

interface ZodLike {
  _zod: { def: { type: string; shape?: Record<string, ZodLike>; element?: ZodLike; innerType?: ZodLike; options?: ZodLike[] } };
}

/** Shape of a zod schema (object, array, optional/nullable/default wrappers, scalars; the rest is `any`). */
export function shapeOfZod(schema: unknown): Shape {
  const def = (schema as ZodLike)._zod?.def;
  if (!def) return ANY;
  switch (def.type) {
    case 'object': {
      const fields: Record<string, Shape> = {};
      for (const [k, v] of Object.entries(def.shape ?? {})) fields[k] = shapeOfZod(v);
      return obj(fields);
    }
    case 'array':
      return arr(shapeOfZod(def.element));
    case 'optional':
    case 'nullable':
    case 'default':
    case 'readonly':
      return shapeOfZod(def.innerType);
    case 'string':
    case 'number':
    case 'int':
    case 'boolean':
    case 'literal':
    case 'enum':
      return SCALAR;
    default:
      return ANY;
  }
}
