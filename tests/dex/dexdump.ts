// Debian's `dexdump` (ART's, Android 11) as the oracle for the DEX reader. Its output is parsed here and
// nothing else: class descriptors in class_def order (`-f` / default listing) and, per class, every
// method/field/string index named by an instruction (`-d`, the "// method@XXXX" comments).
import { execFileSync, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface DexdumpHeader {
  version: string;
  fields: Record<string, number>;
}

const HEADER_KEYS = ['file_size', 'header_size', 'string_ids_size', 'string_ids_off', 'type_ids_size', 'type_ids_off', 'proto_ids_size', 'proto_ids_off',
  'field_ids_size', 'field_ids_off', 'method_ids_size', 'method_ids_off', 'class_defs_size', 'class_defs_off', 'data_size', 'data_off'];

/** `dexdump -f`: the file header summary. */
export function dexdumpHeader(path: string): DexdumpHeader {
  const out = execFileSync('dexdump', ['-f', path], { maxBuffer: 256 * 1024 * 1024, stdio: ['ignore', 'pipe', 'ignore'] }).toString('latin1');
  const version = /DEX version '(\d{3})'/.exec(out)?.[1] ?? '';
  const fields: Record<string, number> = {};
  for (const key of HEADER_KEYS) {
    const m = new RegExp(`^${key}\\s*: (\\d+)`, 'm').exec(out);
    if (m) fields[key] = Number(m[1]);
  }
  return { version, fields };
}

export interface DexdumpCode {
  /** Class descriptors, in class_def order. */
  classes: string[];
  /** Per class_def index: "m:<idx>" / "f:<idx>" / "s:<idx>" for every instruction naming one, in order. */
  refs: string[][];
  /** Method refs as printed ("Lcls;.name:(proto)ret"), by method index. */
  methodNames: Map<number, string>;
}

const CLASS_RE = /^Class #(\d+)/;
const DESCRIPTOR_RE = /^ {2}Class descriptor {2}: '(.*)'$/;
const REF_RE = /\/\/ (method|field|string)@([0-9a-f]+)/;
const METHOD_NAME_RE = /, (L[^ ]*?;\.[^ ]+:\([^ ]*\)[^ ]+) \/\/ method@([0-9a-f]+)/;

/** `dexdump -d` (or, without code, plain `dexdump`), streamed: with code its output is ~14x the dex size. */
export async function dexdumpCode(path: string, withCode = true): Promise<DexdumpCode> {
  const child = spawn('dexdump', withCode ? ['-d', path] : [path], { stdio: ['ignore', 'pipe', 'ignore'] });
  const closed = new Promise((res) => child.on('close', res));
  const parsed = await parseDexdump(createInterface({ input: child.stdout, crlfDelay: Infinity }));
  await closed;
  return parsed;
}

/** Parses dexdump's listing (live, or as stored by gen-fixtures.sh). */
export async function parseDexdump(lines: AsyncIterable<string> | Iterable<string>): Promise<DexdumpCode> {
  const classes: string[] = [];
  const refs: string[][] = [];
  const methodNames = new Map<number, string>();
  let current = -1;
  for await (const line of lines) {
    const c = CLASS_RE.exec(line);
    if (c) {
      current = Number(c[1]);
      refs[current] = [];
      continue;
    }
    const d = DESCRIPTOR_RE.exec(line);
    if (d && current >= 0 && classes[current] === undefined) {
      classes[current] = d[1]!;
      continue;
    }
    const r = REF_RE.exec(line);
    if (r && current >= 0) {
      // A `const-string` value may contain "// string@…" itself: the real comment is the last one.
      const all = [...line.matchAll(new RegExp(REF_RE.source, 'g'))];
      const last = all[all.length - 1]!;
      const idx = parseInt(last[2]!, 16);
      refs[current]!.push(`${last[1]![0]}:${idx}`);
      if (last[1] === 'method') {
        const n = METHOD_NAME_RE.exec(line);
        if (n && parseInt(n[2]!, 16) === idx) methodNames.set(idx, n[1]!);
      }
    }
  }
  return { classes, refs, methodNames };
}
