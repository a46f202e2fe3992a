// Minimal edits to YAML text: the yaml library finds where each node is (its source ranges); we splice the new
// text in at that place and leave every other character alone. Re-serialising the whole document with
// yaml's stringifier would refold long Chinese lines, reindent, and requote scalars, so it is only the
// fallback for flow-style ({...}) maps, which have no lines of their own to splice.
import { Document, isMap, isScalar, isSeq, parseDocument, stringify, type Node, type Pair, type ParsedNode } from 'yaml';
import { EduscanError } from '../errors.js';

export interface YamlStyle {
  /** Spaces per nesting level. */
  indent: number;
  /** Block sequences under a key are indented ("key:\n  - a") rather than flush ("key:\n- a"). */
  indentSeq: boolean;
  eol: string;
}

const DEFAULT_INDENT = 2;

/** The same options when reading a record and when locating nodes in it. */
export const YAML_PARSE_OPTIONS = { version: '1.2', uniqueKeys: true, prettyErrors: false, strict: true } as const;

export function detectYamlStyle(text: string): YamlStyle {
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '' && !/^\s*#/.test(l));
  let step = 0;
  let minIndent = 0;
  let indentSeq: boolean | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    const n = /^ */.exec(line)?.[0].length ?? 0;
    if (n > 0 && (minIndent === 0 || n < minIndent)) minIndent = n;
    // "key:" (optionally as "- key:") opening a block: the next line tells the file's habits.
    const open = /^( *)(- )?[^\s#-][^#]*:\s*(#.*)?$/.exec(line);
    const next = lines[i + 1];
    if (!open || next === undefined) continue;
    const keyCol = (open[1]?.length ?? 0) + (open[2] ? 2 : 0);
    const child = /^( *)(- )?/.exec(next);
    const childCol = child?.[1]?.length ?? 0;
    if (child?.[2]) {
      if (indentSeq === undefined) indentSeq = childCol > keyCol;
    } else if (step === 0 && childCol > keyCol) step = childCol - keyCol;
  }
  return { indent: step || minIndent || DEFAULT_INDENT, indentSeq: indentSeq ?? true, eol };
}

function parse(text: string): Document.Parsed {
  const doc = parseDocument(text, YAML_PARSE_OPTIONS);
  if (doc.errors.length > 0) throw new EduscanError('E_RECORD', `record is not valid YAML: ${doc.errors[0]?.message.split('\n')[0] ?? ''}`);
  return doc;
}

function column(text: string, pos: number): number {
  return pos - (text.lastIndexOf('\n', pos - 1) + 1);
}

/** Where a new line may start after position `e`: the start of the next line (end of text: after an added EOL). */
function lineEndAfter(text: string, e: number): { at: number; lead: string } {
  if (e > 0 && text[e - 1] === '\n') return { at: e, lead: '' };
  const nl = text.indexOf('\n', e);
  return nl < 0 ? { at: text.length, lead: 'EOL' } : { at: nl + 1, lead: '' };
}

function splice(text: string, start: number, end: number, insert: string): string {
  return text.slice(0, start) + insert + text.slice(end);
}

function rangeOf(n: unknown): [number, number, number] | undefined {
  const r = (n as { range?: [number, number, number] | null } | null)?.range;
  return r ?? undefined;
}

function keyOf(p: Pair): unknown {
  return isScalar(p.key) ? p.key.value : p.key;
}

/** YAML text for one `key: value` pair (lines, no trailing newline), in the file's indentation style. */
function renderPair(key: string, value: unknown, style: YamlStyle): string[] {
  const s = stringify({ [key]: value }, { indent: style.indent, indentSeq: style.indentSeq, lineWidth: 0, version: '1.2' });
  return s.replace(/\n$/, '').split('\n');
}

function renderSeqItem(item: unknown, style: YamlStyle): string[] {
  const s = stringify([item], { indent: style.indent, indentSeq: style.indentSeq, lineWidth: 0, version: '1.2' });
  return s.replace(/\n$/, '').split('\n');
}

/** A scalar as it may stand inside [ ... ]: plain when the flow indicators allow it, else double-quoted JSON. */
function renderFlowScalar(item: unknown): string {
  if (typeof item !== 'string') return JSON.stringify(item);
  const plain = stringify(item, { lineWidth: 0, version: '1.2' }).replace(/\n$/, '');
  return /[,[\]{}#]|^\s|\s$|\n/.test(plain) ? JSON.stringify(item) : plain;
}

function indentLines(lines: string[], col: number, eol: string): string {
  return lines.join(eol + ' '.repeat(col));
}

/** Re-serialise the whole document: only when the target sits in a flow collection. */
function fallbackSet(doc: Document.Parsed, path: readonly (string | number)[], value: unknown, style: YamlStyle): string {
  doc.setIn(path, doc.createNode(value));
  const out = doc.toString({ indent: style.indent, indentSeq: style.indentSeq, lineWidth: 0 });
  return style.eol === '\n' ? out : out.replace(/\r?\n/g, style.eol);
}

function nodeAt(doc: Document.Parsed, path: readonly (string | number)[]): unknown {
  return path.length === 0 ? doc.contents : doc.getIn(path, true);
}

/** Set `path` (its parent must be a mapping) to `value`, replacing the old value's text or adding a pair last. */
export function yamlSet(text: string, path: readonly (string | number)[], value: unknown, style: YamlStyle): string {
  const key = path[path.length - 1];
  if (typeof key !== 'string') throw new EduscanError('E_RECORD', `cannot set ${String(key)}: expected a key`);
  const doc = parse(text);
  const parent = nodeAt(doc, path.slice(0, -1));
  if (!isMap(parent)) throw new EduscanError('E_RECORD', `cannot set ${key}: its parent is not a mapping`);
  if (parent.flow) return fallbackSet(doc, path, value, style);
  const lines = renderPair(key, value, style);
  const pair = parent.items.filter((p) => keyOf(p) === key).pop();
  if (pair) {
    const kr = rangeOf(pair.key);
    if (!kr) return fallbackSet(doc, path, value, style);
    const start = kr[0];
    // Replace through the end of the old value's content; its trailing comment (if any) stays.
    let end = rangeOf(pair.value)?.[1] ?? kr[1];
    const colon = text.indexOf(':', kr[1]);
    if (colon >= 0 && end < colon + 1) end = colon + 1;
    while (end > colon + 1 && /\s/.test(text[end - 1] ?? '')) end--;
    return splice(text, start, end, indentLines(lines, column(text, start), style.eol));
  }
  const first = parent.items[0];
  const last = parent.items[parent.items.length - 1];
  const fr = first ? rangeOf(first.key) : undefined;
  if (!last || !fr) return fallbackSet(doc, path, value, style);
  const col = column(text, fr[0]);
  const lastEnd = rangeOf(last.value)?.[2] ?? rangeOf(last.key)?.[2] ?? fr[2];
  const { at, lead } = lineEndAfter(text, lastEnd);
  const ins = `${lead === 'EOL' ? style.eol : ''}${' '.repeat(col)}${indentLines(lines, col, style.eol)}${style.eol}`;
  return splice(text, at, at, ins);
}

/** Append items to the sequence at `path` (created when missing or empty), in the sequence's own layout. */
export function yamlAppend(text: string, path: readonly (string | number)[], items: readonly unknown[], style: YamlStyle): string {
  if (items.length === 0) return text;
  const doc = parse(text);
  const node = nodeAt(doc, path) as Node | ParsedNode | null | undefined;
  if (node === undefined || node === null || (isScalar(node) && node.value === null)) return yamlSet(text, path, [...items], style);
  if (!isSeq(node)) throw new EduscanError('E_RECORD', `cannot append to ${path.join('.')}: not a list`);
  const r = rangeOf(node);
  if (!r) return fallbackSet(doc, path, [...(node.toJSON() as unknown[]), ...items], style);
  if (node.flow) {
    let close = r[1] - 1;
    while (close > r[0] && text[close] !== ']') close--;
    if (text[close] !== ']') return fallbackSet(doc, path, [...(node.toJSON() as unknown[]), ...items], style);
    const last = node.items[node.items.length - 1];
    const lr = last ? rangeOf(last) : undefined;
    const rendered = items.map(renderFlowScalar).join(', ');
    if (!lr) return splice(text, close, close, rendered);
    return splice(text, lr[1], lr[1], `, ${rendered}`);
  }
  const last = node.items[node.items.length - 1];
  const lr = last ? rangeOf(last) : undefined;
  if (!lr) return fallbackSet(doc, path, [...items], style);
  const col = column(text, r[0]);
  const { at, lead } = lineEndAfter(text, lr[2]);
  const ins = items.map((i) => ' '.repeat(col) + indentLines(renderSeqItem(i, style), col, style.eol) + style.eol).join('');
  return splice(text, at, at, (lead === 'EOL' ? style.eol : '') + ins);
}
