// Read a filing record (.json, .yaml, .yml): decode, parse, tell the form, validate. A record that cannot be read
// as a JSON/YAML mapping is an EduscanError (E_IO, E_EMPTY, E_LIMIT, E_RECORD); a record that reads but breaks
// the form's rules comes back with its problems listed, so that every one of them can be shown.
import { readFileSync, statSync } from 'node:fs';
import { extname } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { EduscanError, LimitError, isEduscanError } from '../errors.js';
import type { FilingProblem } from './problems.js';
import type { ProviderFiling, UseFiling } from './schema.js';
import { detectKind, validateFiling, type FilingKind } from './validate.js';
import { locateJson } from './json-edit.js';
import { YAML_PARSE_OPTIONS } from './yaml-edit.js';

export type FilingFormat = 'json' | 'yaml';

/** A record is a form, not a data dump: 1 MiB holds hundreds of apps. */
export const MAX_RECORD_BYTES = 1024 * 1024;
/** YAML aliases expanded at most (a billion-laughs record stops here). */
const MAX_YAML_ALIASES = 100;
const UTF8_BOM = '\ufeff';

interface FilingDocumentBase {
  /** The file it was read from, when it was. */
  file?: string;
  format: FilingFormat;
  /** The text as read (BOM included): writers splice into it. */
  text: string;
  /** The parsed value (a mapping). */
  raw: Record<string, unknown>;
  /** Every problem, in form order; empty when the record is valid. */
  problems: FilingProblem[];
}

export type FilingDocument =
  | (FilingDocumentBase & { kind: 'provider'; data: ProviderFiling | undefined })
  | (FilingDocumentBase & { kind: 'use'; data: UseFiling | undefined });

export function formatFromPath(path: string, text?: string): FilingFormat {
  const ext = extname(path).toLowerCase();
  if (ext === '.json') return 'json';
  if (ext === '.yaml' || ext === '.yml') return 'yaml';
  // Anything else: JSON when it looks like JSON, else YAML (which also reads JSON).
  return text !== undefined && /^\ufeff?\s*[{[]/.test(text) && !/^\ufeff?\s*\{\s*[A-Za-z_]+\s*:/.test(text) ? 'json' : 'yaml';
}

export function readFilingFile(path: string): FilingDocument {
  let bytes: Buffer;
  try {
    const st = statSync(path);
    if (!st.isFile()) throw new EduscanError('E_IO', `cannot read record ${path}: not a regular file`, { file: path });
    if (st.size > MAX_RECORD_BYTES) {
      const e = new LimitError('maxRecordBytes', `record is ${st.size} bytes: expected at most ${MAX_RECORD_BYTES}`);
      e.file = path;
      throw e;
    }
    bytes = readFileSync(path);
  } catch (e) {
    if (isEduscanError(e)) throw e;
    const code = (e as NodeJS.ErrnoException).code ?? 'EIO';
    throw new EduscanError('E_IO', `cannot read record ${path}: ${code}`, { cause: e, file: path });
  }
  try {
    const text = decode(bytes);
    return parseFilingText(text, { format: formatFromPath(path, text), file: path });
  } catch (e) {
    if (isEduscanError(e) && e.file === undefined) e.file = path;
    throw e;
  }
}

function decode(bytes: Buffer): string {
  if (bytes.length === 0) throw new EduscanError('E_EMPTY', 'record is empty: expected a JSON or YAML mapping');
  if (bytes.length > MAX_RECORD_BYTES) throw new LimitError('maxRecordBytes', `record is ${bytes.length} bytes: expected at most ${MAX_RECORD_BYTES}`);
  const nul = bytes.indexOf(0);
  if (nul >= 0) throw new EduscanError('E_RECORD', `record is binary, not JSON/YAML text: NUL byte at offset ${nul}`, { offset: nul });
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    const at = firstInvalidUtf8(bytes);
    throw new EduscanError('E_RECORD', `record is not UTF-8 text (saved as GBK?): invalid byte at offset ${at}`, { offset: at });
  }
}

/** Offset of the first byte that starts an ill-formed UTF-8 sequence (RFC 3629 §4 table). */
function firstInvalidUtf8(b: Buffer): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i] as number;
    let n: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (c < 0x80) n = 0;
    else if (c >= 0xc2 && c <= 0xdf) n = 1;
    else if (c >= 0xe0 && c <= 0xef) {
      n = 2;
      if (c === 0xe0) lo = 0xa0;
      if (c === 0xed) hi = 0x9f; // no UTF-16 surrogates
    } else if (c >= 0xf0 && c <= 0xf4) {
      n = 3;
      if (c === 0xf0) lo = 0x90;
      if (c === 0xf4) hi = 0x8f; // nothing above U+10FFFF
    } else return i;
    for (let k = 1; k <= n; k++) {
      const d = b[i + k];
      if (d === undefined) return i;
      if (k === 1 ? d < lo || d > hi : d < 0x80 || d > 0xbf) return i;
    }
    i += n + 1;
  }
  return b.length;
}

function lineCol(text: string, offset: number): string {
  let line = 1;
  let last = -1;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    last = i;
  }
  return `line ${line}, column ${offset - last}`;
}

function parseJson(text: string): unknown {
  const body = text.startsWith(UTF8_BOM) ? text.slice(1) : text;
  try {
    return JSON.parse(body);
  } catch (e) {
    // V8's message quotes the whole input (several lines) and may give no position: locate the error ourselves.
    let offset: number | undefined;
    let what = ((e as Error).message.split('\n')[0] ?? '').replace(/, ".*$/, '').replace(/ in JSON at position \d+.*$/, '');
    try {
      locateJson(text);
    } catch (located) {
      if (isEduscanError(located) && located.offset !== undefined) {
        offset = located.offset;
        what = located.message.replace(/^record is not valid JSON: /, '').replace(/ at offset \d+$/, '');
      }
    }
    const where = offset === undefined ? '' : ` at ${lineCol(text, offset)}`;
    throw new EduscanError('E_RECORD', `record is not valid JSON: ${what}${where}`, offset === undefined ? {} : { offset });
  }
}

function parseYaml(text: string): unknown {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { ...YAML_PARSE_OPTIONS, lineCounter });
  const err = doc.errors[0];
  if (err) {
    const offset = err.pos[0];
    const lp = lineCounter.linePos(offset);
    const first = err.message.split('\n')[0] ?? err.code;
    throw new EduscanError('E_RECORD', `record is not valid YAML: ${first} (${err.code}) at line ${lp.line}, column ${lp.col}`, { offset });
  }
  try {
    return doc.toJS({ maxAliasCount: MAX_YAML_ALIASES });
  } catch (e) {
    // Alias bombs and unresolvable aliases come out of toJS as plain Errors.
    throw new EduscanError('E_RECORD', `record is not valid YAML: ${(e as Error).message.split('\n')[0] ?? ''}`, { cause: e });
  }
}

function describe(v: unknown): string {
  if (v === null || v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'a list';
  return `a ${typeof v}`;
}

/** Parse and validate record text. `file` is only for messages. */
export function parseFilingText(text: string, opts: { format: FilingFormat; file?: string }): FilingDocument {
  if (text.replace(UTF8_BOM, '').trim() === '') throw new EduscanError('E_EMPTY', 'record is empty: expected a JSON or YAML mapping');
  let raw: unknown;
  try {
    raw = opts.format === 'json' ? parseJson(text) : parseYaml(text);
  } catch (e) {
    if (isEduscanError(e)) throw e;
    // Deeply nested input can overflow the parser's stack: still a bad record, not a crash.
    throw new EduscanError('E_RECORD', `record cannot be parsed: ${(e as Error).message.split('\n')[0] ?? ''}`, { cause: e });
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new EduscanError('E_RECORD', `record is ${describe(raw)}: expected a mapping with the form's sections (provider/apps or unit/app)`);
  }
  const obj = raw as Record<string, unknown>;
  const kind = detectKind(obj);
  if (kind === undefined) {
    throw new EduscanError('E_RECORD', 'record is neither a provider filing (provider, systems, apps) nor a use filing (unit, app, usage): add `kind: provider` or `kind: use`');
  }
  const base = { ...(opts.file === undefined ? {} : { file: opts.file }), format: opts.format, text, raw: obj };
  if (kind === 'provider') {
    const v = validateFiling(obj, 'provider');
    return { ...base, kind, data: v.data, problems: v.problems };
  }
  const v = validateFiling(obj, 'use');
  return { ...base, kind, data: v.data, problems: v.problems };
}

/** Where the apps of a record are: a provider filing's `apps`, or a 自研自用 use filing's `providerFiling.apps`. */
export function appsPath(kind: FilingKind): (string | number)[] {
  return kind === 'provider' ? ['apps'] : ['providerFiling', 'apps'];
}

/** The record's app entries as parsed (possibly invalid), or undefined when there is no apps list. */
export function rawApps(doc: FilingDocument): unknown[] | undefined {
  let v: unknown = doc.raw;
  for (const seg of appsPath(doc.kind)) {
    if (typeof v !== 'object' || v === null) return undefined;
    v = (v as Record<string | number, unknown>)[seg];
  }
  return Array.isArray(v) ? v : undefined;
}
