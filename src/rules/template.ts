// {{placeholders}} in rule titles, messages and evidence templates. A placeholder is a path into the rule
// context (or a bound name), or one of the finding's built-ins: {{count}} (evidence items), {{value}} (the
// first evidence value), {{values}} (all evidence values). Lists render comma-separated. A placeholder whose
// value is missing stays as written, so a test can tell (RuleTester asserts none is left).
import { lookup, type Scope } from './condition.js';

export const PLACEHOLDER_RE = /\{\{\s*([^{}\s]+)\s*\}\}/g;
export const BUILTINS = ['count', 'value', 'values'] as const;

export function placeholders(text: string): string[] {
  return [...text.matchAll(PLACEHOLDER_RE)].map((m) => m[1]!);
}

function show(v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (Array.isArray(v)) {
    const parts = v.map(show).filter((x): x is string => x !== undefined);
    return parts.length === 0 ? undefined : parts.join(', ');
  }
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

export function render(text: string, scope: Scope, builtins: Partial<Record<(typeof BUILTINS)[number], unknown>> = {}): string {
  return text.replace(PLACEHOLDER_RE, (whole, name: string) => {
    const v = Object.hasOwn(builtins, name) ? builtins[name as (typeof BUILTINS)[number]] : lookup(name, scope);
    return show(v) ?? whole;
  });
}
