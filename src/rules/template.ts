// {{placeholders}} in rule titles, messages and evidence templates. A placeholder is a path into the rule
// context (or a bound name), or one of the finding's built-ins: {{count}} (evidence items), {{value}} (the
// first evidence value), {{values}} (all evidence values). Lists render comma-separated (、 in zh). A placeholder whose
// value is missing stays as written, so a test can tell (RuleTester asserts none is left).
import { lookup, type Scope } from './condition.js';

export const PLACEHOLDER_RE = /\{\{\s*([^{}\s]+)\s*\}\}/g;
export const BUILTINS = ['count', 'value', 'values'] as const;

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
export function render(text: string, scope: Scope, builtins: Partial<Record<(typeof BUILTINS)[number], unknown>> = {}, missing?: string[], sep = ', '): string {
  return text.replace(PLACEHOLDER_RE, (whole, name: string) => {
    const v = Object.hasOwn(builtins, name) ? builtins[name as (typeof BUILTINS)[number]] : lookup(name, scope);
    const s = show(v, sep);
    if (s === undefined) missing?.push(name);
    return s ?? whole;
  });
}
