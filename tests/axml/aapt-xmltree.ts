// Reads the raw `aapt dump xmltree` outputs stored by tests/oracle/gen-xmltree.sh and prints eduscan's
// decoded tree the way aapt prints it, so the two can be compared line by line.
//
// aapt's printXMLBlock (frameworks/base/tools/aapt/XMLNode.cpp) prints, per START_TAG,
//   E: <ns-prefix:>name (line=N)
//   A: <ns-prefix:>name<(0xRESID)>=VALUE< (Raw: "raw")>
// where VALUE is (null) | @0x<ref, 8 digits> | ?0x<attr> | "<string>" | (type 0x<t>)0x<data>, strings pass through
// ResTable::normalizeForOutput (escapes \ " and newline), and the namespace prefix is the first declared
// prefix whose URI matches (the URI itself when none does). N: (namespace) lines add one indent level, C:
// lines are text. This module drops N: lines, re-indents E:/A: lines by element depth only, and appends the
// text of an element's C: lines to its E: line (` C: "<text>"`), as formatLikeAapt does with XmlElement.text.
import type { XmlElement } from '../../src/apk/xml-tree.js';

export interface AaptXmltree {
  exit: number;
  /** E:/A: lines re-indented by element depth. */
  lines: string[];
  /** Prefix -> URI from the N: lines, first declaration first. */
  namespaces: [string, string][];
  stderr: string[];
}

const STDERR_MARK = '# stderr:';

export function parseAaptXmltree(raw: string): AaptXmltree {
  const all = raw.split('\n');
  const exit = Number(/^# exit=(\d+)/.exec(all[0] ?? '')?.[1] ?? NaN);
  const stderrAt = all.indexOf(STDERR_MARK);
  const stdout = all.slice(2, stderrAt < 0 ? all.length : stderrAt);
  const stderr = stderrAt < 0 ? [] : all.slice(stderrAt + 1).filter((l) => l !== '');
  const lines: string[] = [];
  const namespaces: [string, string][] = [];
  const open: number[] = []; // indents of the open E: lines
  const openLine: number[] = []; // their index in `lines`
  const text = new Map<number, string>(); // E: line index -> its C: text, still escaped
  for (const line of stdout) {
    const m = /^( *)([ENAC]): (.*)$/.exec(line);
    if (!m) continue;
    const indent = m[1]!.length;
    const kind = m[2]!;
    const rest = m[3]!;
    if (kind === 'N') {
      const eq = rest.indexOf('=');
      namespaces.push([rest.slice(0, eq), rest.slice(eq + 1)]);
    } else if (kind === 'E') {
      while (open.length > 0 && open[open.length - 1]! >= indent) (open.pop(), openLine.pop());
      lines.push(`${'  '.repeat(open.length)}E: ${rest}`);
      open.push(indent);
      openLine.push(lines.length - 1);
    } else if (kind === 'A') {
      lines.push(`${'  '.repeat(open.length)}A: ${rest}`);
    } else if (kind === 'C') {
      while (open.length > 0 && open[open.length - 1]! >= indent) (open.pop(), openLine.pop());
      const owner = openLine[openLine.length - 1];
      if (owner !== undefined) text.set(owner, (text.get(owner) ?? '') + rest.slice(1, -1));
    }
  }
  for (const [i, t] of text) lines[i] += ` C: "${t}"`;
  return { exit, lines, namespaces, stderr };
}

/** ResTable::normalizeForOutput. */
export function normalizeForOutput(s: string): string {
  return s.replace(/[\\\n"]/g, (c) => (c === '\\' ? '\\\\' : c === '\n' ? '\\n' : '\\"'));
}

const hex = (n: number): string => (n >>> 0).toString(16);
const hex8 = (n: number): string => (n >>> 0).toString(16).padStart(8, '0');
/**
 * The package id aapt's DynamicRefTable gives a shared library's own package (id 0x00) when `aapt dump`
 * loads it: the first id after the framework's 0x01. aapt prints such TYPE_DYNAMIC_REFERENCE values as
 * plain references in that package; the decoder keeps the raw type 0x07 value.
 */
const AAPT_ASSIGNED_LIBRARY_PACKAGE_ID = 0x02;

/** Our tree printed as aapt prints it (E:/A: lines only, indented by element depth). */
export function formatLikeAapt(root: XmlElement, namespaces: [string, string][]): string[] {
  const prefixOf = (uri: string | undefined): string => {
    if (uri === undefined) return '';
    const hit = namespaces.find(([, u]) => u === uri);
    return `${hit ? hit[0] : uri}:`;
  };
  const out: string[] = [];
  const walk = (e: XmlElement, depth: number): void => {
    const pad = '  '.repeat(depth);
    const text = e.text === undefined ? '' : ` C: "${normalizeForOutput(e.text)}"`;
    out.push(`${pad}E: ${prefixOf(e.namespace)}${e.name} (line=${(e.lineNumber ?? 0) | 0})${text}`);
    for (const a of e.attributes) {
      let line = `${pad}  A: ${prefixOf(a.namespace)}${a.name}`;
      if (a.resourceId) line += `(0x${a.resourceId.toString(16).padStart(8, '0')})`;
      const v = a.value;
      if (v.type === 0x00) line += '=(null)';
      else if (v.type === 0x01) line += `=@0x${hex8(v.data)}`;
      else if (v.type === 0x02) line += `=?0x${hex8(v.data)}`;
      else if (v.type === 0x07 && v.data >>> 24 === 0) line += `=@0x${hex8(v.data + AAPT_ASSIGNED_LIBRARY_PACKAGE_ID * 0x1000000)}`;
      else if (v.type === 0x03) line += `="${normalizeForOutput(v.string ?? '')}"`;
      else line += `=(type 0x${v.type.toString(16)})0x${hex(v.data)}`;
      if (a.rawValue !== undefined) line += ` (Raw: "${normalizeForOutput(a.rawValue)}")`;
      out.push(line);
    }
    for (const c of e.children) walk(c, depth + 1);
  };
  walk(root, 0);
  return out;
}

/** First differing line, for a readable failure message; undefined when equal. */
export function firstDifference(ours: string[], theirs: string[]): string | undefined {
  const n = Math.max(ours.length, theirs.length);
  for (let i = 0; i < n; i++) {
    if (ours[i] !== theirs[i]) return `line ${i + 1}:\n  eduscan: ${ours[i] ?? '<none>'}\n  aapt:    ${theirs[i] ?? '<none>'}`;
  }
  return undefined;
}
