// A rules/ data file parsed with node positions, so every problem can be reported as
// "<file>:<line>:<col> <path>: <problem>".
import { isMap, isPair, isScalar, LineCounter, parseDocument, type Document } from 'yaml';
import { EduscanError } from '../errors.js';

export interface YamlFile {
  /** Name as shown in messages (relative to the rules directory). */
  name: string;
  text: string;
  doc: Document;
  lines: LineCounter;
  data: unknown;
}

/** Aliases allowed per document: a rules file needs none; the cap stops alias bombs. */
const MAX_ALIAS_COUNT = 50;

export function parseYamlFile(name: string, text: string): YamlFile {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false });
  const err = doc.errors[0];
  if (err) {
    const pos = lines.linePos(err.pos[0]);
    const what = err.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
    throw new EduscanError('E_CONFIG', `${name}:${pos.line}:${pos.col} ${what}`);
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (e) {
    throw new EduscanError('E_CONFIG', `${name}:1:1 ${(e as Error).message.split('\n')[0]}`);
  }
  return { name, text, doc, lines, data };
}

export function showPath(at: readonly (string | number)[]): string {
  let s = '';
  for (const p of at) s += typeof p === 'number' ? `[${p}]` : s === '' ? p : `.${p}`;
  return s === '' ? '(top)' : s;
}

/** line:col of the deepest node along `at` (the key itself when the last step names a key). */
export function positionOf(f: YamlFile, at: readonly (string | number)[]): { line: number; col: number } {
  let node: unknown = f.doc.contents;
  let offset = 0;
  for (const step of at) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(step));
      if (!pair) break;
      const k = pair.key as { range?: [number, number, number] };
      if (k.range) offset = k.range[0];
      node = pair.value;
    } else if (node && typeof node === 'object' && 'items' in node && Array.isArray((node as { items: unknown[] }).items) && typeof step === 'number') {
      const item = (node as { items: unknown[] }).items[step];
      if (!item) break;
      const r = (item as { range?: [number, number, number] }).range;
      if (r) offset = r[0];
      node = item;
    } else {
      break;
    }
  }
  return f.lines.linePos(offset);
}

export function configError(f: YamlFile, at: readonly (string | number)[], problem: string): EduscanError {
  const { line, col } = positionOf(f, at);
  return new EduscanError('E_CONFIG', `${f.name}:${line}:${col} ${showPath(at)}: ${problem}`);
}
