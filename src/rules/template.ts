// {{placeholders}} in rule titles, messages and evidence templates. A placeholder is a path into the rule
// context (or a bound name), or one of the finding's built-ins: {{count}} (evidence items), {{value}} (the
// first evidence value), {{values}} (all evidence values). Lists render comma-separated (、 in zh). A placeholder whose
// value is missing stays as written, so a test can tell (RuleTester asserts none is left).
// Templates are compiled once per rule (the text split around its placeholders, each placeholder a compiled
// path), so rendering a finding never runs a regex.
import { compileGetter, lookup, type Env, type Getter, type Scope } from './condition.js';

export const PLACEHOLDER_RE = /\{\{\s*([^{}\s]+)\s*\}\}/g;
export const BUILTINS = ['count', 'value', 'values'] as const;
type Builtin = (typeof BUILTINS)[number];

export function placeholders(text: string): string[] {
  return [...text.matchAll(PLACEHOLDER_RE)].map((m) => m[1]!);
}

function show(v: unknown, sep: string): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (Array.isArray(v)) {
    const parts = v.map((x) => show(x, sep)).filter((x): x is string => x !== undefined);
    return parts.length === 0 ? undefined : parts.join(sep);
  }
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/** `missing`, when given, receives the placeholders that had no value; `sep` joins list values (、 in Chinese). */
export function render(text: string, scope: Scope, builtins: Partial<Record<Builtin, unknown>> = {}, missing?: string[], sep = ', '): string {
  return text.replace(PLACEHOLDER_RE, (whole, name: string) => {
    const v = Object.hasOwn(builtins, name) ? builtins[name as Builtin] : lookup(name, scope);
    const s = show(v, sep);
    if (s === undefined) missing?.push(name);
    return s ?? whole;
  });
}

/** The built-ins of a finding, read from its evidence values when a message asks for them. */
export type BuiltinValues = readonly { value: string }[];

function builtin(name: Builtin, evidence: BuiltinValues): unknown {
  if (name === 'count') return evidence.length;
  if (name === 'value') return evidence[0]?.value;
  return evidence.map((e) => e.value);
}

interface Slot {
  whole: string;
  builtin?: Builtin;
  get?: Getter;
}

/**
 * Renders the template in `env`. `strict`: undefined when a placeholder has no value (an evidence item about a
 * fact the package does not have is left out); otherwise such a placeholder stays as written.
 */
export type CompiledTemplate = (env: Env, sep: string, strict: boolean, evidence?: BuiltinValues) => string | undefined;

/** Compiles `text` for a scope where `names[i]` is bound in slot i; `withBuiltins` for titles and messages. */
export function compileTemplate(text: string, names: readonly string[], withBuiltins: boolean): CompiledTemplate {
  const literals: string[] = [];
  const slots: Slot[] = [];
  let at = 0;
  for (const m of text.matchAll(PLACEHOLDER_RE)) {
    literals.push(text.slice(at, m.index));
    const name = m[1]!;
    slots.push(withBuiltins && (BUILTINS as readonly string[]).includes(name) ? { whole: m[0], builtin: name as Builtin } : { whole: m[0], get: compileGetter(name, names) });
    at = m.index + m[0].length;
  }
  const tail = text.slice(at);
  if (slots.length === 0) return () => text;
  return (env, sep, strict, evidence = []) => {
    let out = literals[0]!;
    let missing = false;
    for (let i = 0; i < slots.length; i++) {
      const s = slots[i]!;
      const shown = show(s.builtin ? builtin(s.builtin, evidence) : s.get!(env), sep);
      if (shown === undefined) missing = true;
      out += (shown ?? s.whole) + (i + 1 < slots.length ? literals[i + 1]! : tail);
    }
    return missing && strict ? undefined : out;
  };
}
