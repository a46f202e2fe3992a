// What `registry import PATH` brings in: a manifest (CSV with a header, or JSON Lines) naming record file,
// package path and optionally the app per line, or a folder of records and packages paired by place.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, extname, join, relative, resolve } from 'node:path';
import { EduscanError } from '../errors.js';

export interface ImportEntry {
  /** Absolute path of the filing record (JSON/YAML), when the package has one. */
  record?: string;
  /** Absolute path of the package. */
  package: string;
  /** App name in the record, when the package id and platform do not pick it. */
  app?: string;
  /** Where the entry came from, for messages: "manifest.csv:3" or the folder. */
  origin: string;
}

export const PACKAGE_EXTENSIONS = ['.apk', '.ipa'] as const;
export const RECORD_EXTENSIONS = ['.yaml', '.yml', '.json'] as const;
const MANIFEST_EXTENSIONS = ['.csv', '.jsonl', '.ndjson'] as const;
/** A manifest line longer than this is not a manifest line. */
const MAX_LINE_CHARS = 64 * 1024;
const MAX_MANIFEST_BYTES = 256 * 1024 * 1024;
const MAX_WALK_DEPTH = 32;
const MAX_WALK_FILES = 5_000_000;

export function isManifest(path: string): boolean {
  return (MANIFEST_EXTENSIONS as readonly string[]).includes(extname(path).toLowerCase());
}

/** RFC 4180 fields of one CSV text: quoted fields may hold commas, doubled quotes and line breaks. */
export function parseCsv(text: string, origin: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let fieldStart = true;
  for (; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else field += c;
    } else if (c === '"' && fieldStart) {
      quoted = true;
      fieldStart = false;
    } else if (c === ',') {
      row.push(field);
      field = '';
      fieldStart = true;
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      fieldStart = true;
    } else {
      field += c;
      fieldStart = false;
    }
    if (field.length > MAX_LINE_CHARS) throw new EduscanError('E_USAGE', `${origin}: a field longer than ${MAX_LINE_CHARS} characters: not a manifest`);
  }
  if (quoted) throw new EduscanError('E_USAGE', `${origin}: a quoted field is not closed`);
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows.filter((r) => !(r.length === 1 && r[0]!.trim() === ''));
}

const HEADER_ALIASES: Record<string, 'record' | 'package' | 'app'> = {
  record: 'record', filing: 'record', 备案表: 'record',
  package: 'package', path: 'package', 安装包: 'package',
  app: 'app', 应用名称: 'app',
};

function entryFrom(base: string, origin: string, v: { record?: unknown; package?: unknown; app?: unknown }): ImportEntry {
  const str = (x: unknown, what: string): string | undefined => {
    if (x === undefined || x === null || x === '') return undefined;
    if (typeof x !== 'string') throw new EduscanError('E_USAGE', `${origin}: ${what}: expected text, found ${typeof x}`);
    return x.trim() || undefined;
  };
  const pkg = str(v.package, 'package');
  if (!pkg) throw new EduscanError('E_USAGE', `${origin}: no package path`);
  const record = str(v.record, 'record');
  const app = str(v.app, 'app');
  return { package: resolve(base, pkg), ...(record ? { record: resolve(base, record) } : {}), ...(app ? { app } : {}), origin };
}

export function readManifest(path: string): ImportEntry[] {
  let text: string;
  try {
    if (statSync(path).size > MAX_MANIFEST_BYTES) throw new EduscanError('E_LIMIT', `${path}: manifest larger than ${MAX_MANIFEST_BYTES} bytes`);
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if (e instanceof EduscanError) throw e;
    throw new EduscanError('E_IO', `cannot read manifest ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { file: path });
  }
  const base = dirname(resolve(path));
  const name = basename(path);
  if (extname(path).toLowerCase() === '.csv') {
    const rows = parseCsv(text, name);
    const header = rows.shift();
    if (!header) throw new EduscanError('E_USAGE', `${name}: empty manifest: expected a header "record,package,app"`);
    const cols = header.map((h) => HEADER_ALIASES[h.trim().toLowerCase()]);
    if (!cols.includes('package')) throw new EduscanError('E_USAGE', `${name}:1: header ${JSON.stringify(header.join(','))}: expected columns record,package,app`);
    return rows.map((r, i) => {
      const v: Record<string, string> = {};
      cols.forEach((c, j) => {
        if (c) v[c] = r[j] ?? '';
      });
      return entryFrom(base, `${name}:${i + 2}`, v);
    });
  }
  const out: ImportEntry[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    if (line.trim() === '') return;
    const origin = `${name}:${i + 1}`;
    if (line.length > MAX_LINE_CHARS) throw new EduscanError('E_USAGE', `${origin}: line longer than ${MAX_LINE_CHARS} characters`);
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch (e) {
      throw new EduscanError('E_USAGE', `${origin}: not JSON: ${(e as Error).message}`);
    }
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new EduscanError('E_USAGE', `${origin}: expected an object {"record", "package", "app"}`);
    out.push(entryFrom(base, origin, v as Record<string, unknown>));
  });
  return out;
}

export interface FolderScan {
  packages: string[];
  /** Candidate record files (JSON/YAML); the importer decides which ones are filing records. */
  records: string[];
}

/** Every package and candidate record under `root` (hidden folders and node_modules skipped). */
export function walkFolder(root: string): FolderScan {
  const packages: string[] = [];
  const records: string[] = [];
  let seen = 0;
  const visit = (dir: string, depth: number): void => {
    if (depth > MAX_WALK_DEPTH) throw new EduscanError('E_LIMIT', `${dir}: folders nested deeper than ${MAX_WALK_DEPTH}`);
    let names;
    try {
      names = readdirSync(dir, { withFileTypes: true });
    } catch (e) {
      throw new EduscanError('E_IO', `cannot read folder ${dir}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { file: dir });
    }
    names.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const d of names) {
      if (d.name.startsWith('.') || d.name === 'node_modules') continue;
      const p = join(dir, d.name);
      if (++seen > MAX_WALK_FILES) throw new EduscanError('E_LIMIT', `${root}: more than ${MAX_WALK_FILES} files`);
      if (d.isDirectory()) visit(p, depth + 1);
      else if (d.isFile() || d.isSymbolicLink()) {
        const ext = extname(d.name).toLowerCase();
        if ((PACKAGE_EXTENSIONS as readonly string[]).includes(ext)) packages.push(p);
        else if ((RECORD_EXTENSIONS as readonly string[]).includes(ext)) records.push(p);
      }
    }
  };
  visit(resolve(root), 0);
  return { packages, records };
}

/** "smartclass.provider.yaml" and "smartclass.apk" share the stem "smartclass". */
function stem(path: string): string {
  return basename(path).split('.')[0]!.toLowerCase();
}

/**
 * Pairs each package with a record: the only record of its folder; else, among several, the one with the
 * same stem; else the only record of the nearest enclosing folder (up to the root). Unpaired packages are
 * imported without a record (a package-only check).
 */
export function pairFolder(root: string, packages: readonly string[], records: readonly string[]): { entries: ImportEntry[]; unpaired: string[] } {
  const byDir = new Map<string, string[]>();
  for (const r of records) {
    const d = dirname(r);
    byDir.set(d, [...(byDir.get(d) ?? []), r]);
  }
  const top = resolve(root);
  const entries: ImportEntry[] = [];
  const unpaired: string[] = [];
  for (const p of packages) {
    let dir = dirname(p);
    let record: string | undefined;
    for (;;) {
      const here = byDir.get(dir) ?? [];
      if (here.length === 1) record = here[0];
      else if (here.length > 1) record = here.find((r) => stem(r) === stem(p));
      if (record || here.length > 1 || dir === top || relative(top, dir).startsWith('..')) break;
      const up = dirname(dir);
      if (up === dir) break;
      dir = up;
    }
    if (!record) unpaired.push(p);
    entries.push({ package: p, ...(record ? { record } : {}), origin: relative(top, p) || p });
  }
  return { entries, unpaired };
}
