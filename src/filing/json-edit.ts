// Minimal edits to JSON text: replace one member's value, add one member, append to one array, leaving every
// other byte as it was (indentation, key order, spacing, line ends). JSON.parse has already accepted the text;
// this scanner only records where each value starts and ends.
import { EduscanError } from '../errors.js';

export interface JsonStyle {
  /** One indentation step ("  ", "    ", "\t"); "" when the file is on one line. */
  indent: string;
  eol: string;
}

export interface JMember {
  key: string;
  keyStart: number;
  value: JNode;
}

export interface JNode {
  kind: 'object' | 'array' | 'scalar';
  start: number;
  end: number;
  members?: JMember[];
  items?: JNode[];
}

/** Nesting beyond this is not a filing record. */
const MAX_JSON_DEPTH = 64;

export function detectJsonStyle(text: string): JsonStyle {
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const m = /\n([ \t]+)\S/.exec(text);
  return { indent: m ? (m[1]?.startsWith('\t') ? '\t' : (m[1] ?? '  ')) : '', eol };
}

class Scanner {
  pos = 0;
  constructor(readonly text: string) {}

  fail(what: string): never {
    throw new EduscanError('E_RECORD', `record is not valid JSON: ${what} at offset ${this.pos}`, { offset: this.pos });
  }

  ws(): void {
    const t = this.text;
    while (this.pos < t.length) {
      const c = t.charCodeAt(this.pos);
      // space, tab, LF, CR, and a leading byte-order mark
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d || c === 0xfeff) this.pos++;
      else break;
    }
  }

  string(): string {
    const start = this.pos;
    if (this.text[this.pos] !== '"') this.fail('expected a string');
    this.pos++;
    while (this.pos < this.text.length) {
      const c = this.text[this.pos];
      if (c === '\\') this.pos += 2;
      else if ((c ?? '') < ' ') this.fail('a control character inside a string');
      else if (c === '"') {
        this.pos++;
        return JSON.parse(this.text.slice(start, this.pos)) as string;
      } else this.pos++;
    }
    return this.fail('unterminated string');
  }

  value(depth: number): JNode {
    if (depth > MAX_JSON_DEPTH) this.fail(`nesting deeper than ${MAX_JSON_DEPTH}`);
    this.ws();
    const start = this.pos;
    const c = this.text[this.pos];
    if (c === '{') {
      this.pos++;
      const members: JMember[] = [];
      this.ws();
      if (this.text[this.pos] === '}') {
        this.pos++;
        return { kind: 'object', start, end: this.pos, members };
      }
      for (;;) {
        this.ws();
        const keyStart = this.pos;
        const key = this.string();
        this.ws();
        if (this.text[this.pos] !== ':') this.fail('expected ":"');
        this.pos++;
        members.push({ key, keyStart, value: this.value(depth + 1) });
        this.ws();
        const d = this.text[this.pos++];
        if (d === '}') return { kind: 'object', start, end: this.pos, members };
        if (d !== ',') this.fail('expected "," or "}"');
      }
    }
    if (c === '[') {
      this.pos++;
      const items: JNode[] = [];
      this.ws();
      if (this.text[this.pos] === ']') {
        this.pos++;
        return { kind: 'array', start, end: this.pos, items };
      }
      for (;;) {
        items.push(this.value(depth + 1));
        this.ws();
        const d = this.text[this.pos++];
        if (d === ']') return { kind: 'array', start, end: this.pos, items };
        if (d !== ',') this.fail('expected "," or "]"');
      }
    }
    if (c === '"') {
      this.string();
      return { kind: 'scalar', start, end: this.pos };
    }
    const m = /^(?:-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null)/.exec(this.text.slice(this.pos, this.pos + 64));
    if (!m) this.fail('unexpected character');
    this.pos += m[0].length;
    return { kind: 'scalar', start, end: this.pos };
  }
}

export function locateJson(text: string): JNode {
  const s = new Scanner(text);
  const root = s.value(0);
  s.ws();
  if (s.pos < text.length) s.fail('text after the end of the JSON value');
  return root;
}

/** The node at a path; for duplicate keys the last one wins, as in JSON.parse. */
export function jsonNodeAt(root: JNode, path: readonly (string | number)[]): JNode | undefined {
  let n: JNode | undefined = root;
  for (const seg of path) {
    if (!n) return undefined;
    if (typeof seg === 'number') n = n.kind === 'array' ? n.items?.[seg] : undefined;
    else n = n.kind === 'object' ? n.members?.filter((m) => m.key === seg).pop()?.value : undefined;
  }
  return n;
}

function lineIndent(text: string, pos: number): string {
  const lineStart = text.lastIndexOf('\n', pos - 1) + 1;
  return /^[ \t]*/.exec(text.slice(lineStart, pos))?.[0] ?? '';
}

function sameLine(text: string, a: number, b: number): boolean {
  return !text.slice(a, b).includes('\n');
}

/** JSON for `v`, its continuation lines indented to sit at `baseIndent`. */
function render(v: unknown, baseIndent: string, style: JsonStyle): string {
  if (style.indent === '') return JSON.stringify(v);
  return JSON.stringify(v, null, style.indent).split('\n').join(style.eol + baseIndent);
}

function splice(text: string, start: number, end: number, insert: string): string {
  return text.slice(0, start) + insert + text.slice(end);
}

/** Set `path` (its parent must be an object) to `value`: replace the member's value, or add the member last. */
export function jsonSet(text: string, path: readonly (string | number)[], value: unknown, style: JsonStyle): string {
  const key = path[path.length - 1];
  if (typeof key !== 'string') throw new EduscanError('E_RECORD', `cannot set ${String(key)}: expected a key`);
  const root = locateJson(text);
  const parent = jsonNodeAt(root, path.slice(0, -1));
  if (!parent || parent.kind !== 'object') throw new EduscanError('E_RECORD', `cannot set ${key}: its parent is not an object`);
  const members = parent.members ?? [];
  const existing = members.filter((m) => m.key === key).pop();
  if (existing) {
    return splice(text, existing.value.start, existing.value.end, render(value, lineIndent(text, existing.keyStart), style));
  }
  const colon = style.indent === '' ? ':' : ': ';
  const last = members[members.length - 1];
  if (!last) {
    // {} → a one-member object laid out like the rest of the file.
    const outer = lineIndent(text, parent.start);
    const inner = outer + style.indent;
    const body = style.indent === ''
      ? `{${JSON.stringify(key)}${colon}${render(value, '', style)}}`
      : `{${style.eol}${inner}${JSON.stringify(key)}${colon}${render(value, inner, style)}${style.eol}${outer}}`;
    return splice(text, parent.start, parent.end, body);
  }
  if (style.indent === '' || sameLine(text, parent.start, last.keyStart)) {
    const sep = /,\s/.test(text.slice(parent.start, parent.end)) ? ', ' : ',';
    return splice(text, last.value.end, last.value.end, `${sep}${JSON.stringify(key)}${colon}${JSON.stringify(value)}`);
  }
  const indent = lineIndent(text, last.keyStart);
  return splice(text, last.value.end, last.value.end, `,${style.eol}${indent}${JSON.stringify(key)}${colon}${render(value, indent, style)}`);
}

/** Append items to the array at `path`, after its last element, in the array's own layout. */
export function jsonAppend(text: string, path: readonly (string | number)[], items: readonly unknown[], style: JsonStyle): string {
  if (items.length === 0) return text;
  const root = locateJson(text);
  const arr = jsonNodeAt(root, path);
  if (!arr || arr.kind !== 'array') throw new EduscanError('E_RECORD', `cannot append to ${path.join('.')}: not a list`);
  const list = arr.items ?? [];
  const last = list[list.length - 1];
  if (!last) {
    const sep = style.indent === '' ? ',' : ', ';
    return splice(text, arr.start, arr.end, `[${items.map((i) => JSON.stringify(i)).join(sep)}]`);
  }
  const first = list[0] as JNode;
  if (style.indent === '' || sameLine(text, arr.start, first.start)) {
    const sep = /,\s/.test(text.slice(arr.start, arr.end)) || list.length === 1 && style.indent !== '' ? ', ' : ',';
    return splice(text, last.end, last.end, items.map((i) => `${sep}${JSON.stringify(i)}`).join(''));
  }
  const indent = lineIndent(text, last.start);
  return splice(text, last.end, last.end, items.map((i) => `,${style.eol}${indent}${render(i, indent, style)}`).join(''));
}
