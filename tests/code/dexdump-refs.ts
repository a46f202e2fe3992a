// What dexdump -d says a dex file's code refers to, in the terms of rules/sensitive-apis.yaml: for every
// method/field/string signature, how many instructions refer to it and from which classes. Computed from
// dexdump's printed listing (class descriptors, "Lcls;.name:type // method@…" and const-string lines),
// independently of the DEX reader.
import type { CodeRules } from '../../src/code/types.js';

export interface OracleRefs {
  /** display (as in facts.code.sensitiveApis[].api) → instructions */
  counts: Map<string, number>;
  /** display → Java names of the classes holding them */
  callers: Map<string, Set<string>>;
  /** Java class names, in class_def order */
  classes: string[];
}

const DESCRIPTOR_RE = /^ {2}Class descriptor {2}: '(.*)'$/;
const MEMBER_RE = /, (L[^\s;]+;)\.([^\s:]+):\S* \/\/ (method|field)@[0-9a-f]+/;
const STRING_RE = /const-string(?:\/jumbo)? v\d+, "(.*)" \/\/ string@[0-9a-f]+$/;

const javaName = (d: string): string => d.slice(1, -1).replaceAll('/', '.');
const descriptor = (java: string): string => `L${java.replaceAll('.', '/')};`;

export function oracleRefs(lines: Iterable<string>, rules: CodeRules): OracleRefs {
  const members = new Map<string, string>(); // "m|Lcls;|name" → display
  const exact = new Map<string, string>();
  const prefixes: [string, string][] = [];
  for (const a of rules.apis) {
    for (const m of a.android?.methods ?? []) for (const n of m.names) members.set(`method|${descriptor(m.class)}|${n}`, `${m.class}.${n}`);
    for (const f of a.android?.fields ?? []) for (const n of f.names) members.set(`field|${descriptor(f.class)}|${n}`, `${f.class}.${n}`);
    for (const s of a.android?.strings ?? []) exact.set(s, `"${s}"`);
    for (const p of a.android?.stringPrefixes ?? []) prefixes.push([p, `"${p}…"`]);
  }
  const out: OracleRefs = { counts: new Map(), callers: new Map(), classes: [] };
  let current: string | undefined;
  const hit = (display: string): void => {
    out.counts.set(display, (out.counts.get(display) ?? 0) + 1);
    const set = out.callers.get(display) ?? new Set();
    out.callers.set(display, set);
    if (current) set.add(current);
  };
  for (const line of lines) {
    const d = DESCRIPTOR_RE.exec(line);
    if (d) {
      current = javaName(d[1]!);
      out.classes.push(current);
      continue;
    }
    const m = MEMBER_RE.exec(line);
    if (m) {
      const display = members.get(`${m[3]}|${m[1]}|${m[2]}`);
      if (display) hit(display);
      continue;
    }
    const s = STRING_RE.exec(line);
    if (s) {
      const value = s[1]!;
      const p = prefixes.find(([pre]) => value.startsWith(pre));
      const display = p ? p[1] : exact.get(value);
      if (display) hit(display);
    }
  }
  return out;
}
