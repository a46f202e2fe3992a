// Parser for the raw `aapt dump badging` / `aapt dump permissions` outputs stored by tests/oracle/gen-aapt.sh.
// The files hold what Debian's aapt printed, verbatim; this module only reads them, so every expected value
// in the corpus comparison comes from aapt itself.
//
// Raw file layout (written by gen-aapt.sh):
//   line 1  "# exit=<code>"
//   line 2  "# aapt dump <what> <basename>"
//   aapt's stdout, then a line "# stderr:", then aapt's stderr.
//
// aapt quirks mirrored here (from reading frameworks/base/tools/aapt/Command.cpp):
// - values pass through ResTable::normalizeForOutput, which escapes only `\` `"` and newline; a `'` inside a
//   value is printed bare, so a value ends at the `'` that is followed by ` key='` or the end of the line;
// - versionCode='' means the attribute is absent or its int32 value is <= 0;
// - sdkVersion/targetSdkVersion/maxSdkVersion are printed only when declared (last <uses-sdk> wins), as the
//   number or, for a codename, as the string;
// - `dump permissions` prints every <uses-permission>/<uses-permission-sdk-23> (also -sdk-m) that is a direct
//   child of <manifest>, in document order, WITHOUT removing duplicates; `optional-permission:` is an extra
//   line for android:required="false", not another permission.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const AAPT_ORACLE_DIR = resolve(import.meta.dirname, 'aapt');

export interface AaptRaw {
  exit: number;
  command: string;
  stdout: string[];
  stderr: string[];
}

export interface AaptPermission {
  name: string;
  maxSdkVersion?: number;
  /** Declared with <uses-permission-sdk-23> (or -sdk-m). */
  sdk23: boolean;
  /** android:required="false" (aapt adds an `optional-permission:` line). */
  optional?: boolean;
}

export interface AaptBadging {
  exit: number;
  ok: boolean;
  package?: string;
  /** '' in aapt's output is kept as ''; see versionCodeMatches(). */
  versionCode?: string;
  versionName?: string;
  platformBuildVersionName?: string;
  compileSdkVersion?: string;
  /** As printed: a number, or a codename such as "VanillaIceCream". */
  sdkVersion?: string;
  targetSdkVersion?: string;
  maxSdkVersion?: string;
  /** `application-label:` (default configuration); absent when that label is empty. */
  label?: string;
  /** `application-label-<locale>:` lines, keyed by aapt's locale string (zh-CN, sr-Latn, ...). */
  labels: Record<string, string>;
  /** zh-CN, else zh-Hans-CN, else zh-Hans, as aapt resolved them for that locale. */
  labelZh?: string;
  /** `application: label='…'`: the default label, or the first non-empty localised one. */
  applicationLabel?: string;
  nativeCode: string[];
  altNativeCode: string[];
  debuggable: boolean;
  /** uses-permission lines of badging (which adds implied ones only as uses-implied-permission). */
  usesPermissions: AaptPermission[];
  errors: string[];
  stderr: string[];
}

export interface AaptPermissionsDump {
  exit: number;
  ok: boolean;
  package?: string;
  permissions: AaptPermission[];
  /** <permission> elements the package declares. */
  declared: string[];
  errors: string[];
  stderr: string[];
}

/** Both dumps of one file, in the shape the corpus comparison uses. */
export interface AaptOracle {
  file: string;
  /** Both `dump badging` and `dump permissions` exited 0. */
  ok: boolean;
  badgingExit: number;
  permissionsExit: number;
  package?: string;
  versionCode?: string;
  versionName?: string;
  sdkVersion?: string;
  targetSdkVersion?: string;
  maxSdkVersion?: string;
  permissions: AaptPermission[];
  declaredPermissions: string[];
  label?: string;
  labelZh?: string;
  labels: Record<string, string>;
  /** `application: label='…'`: the default label or, without one, the first localised one. */
  applicationLabel?: string;
  nativeCode: string[];
  debuggable: boolean;
  /** stderr of both dumps, verbatim. */
  stderr: string[];
  /** aapt's error lines (ERROR ..., "Error opening archive ...", "...: error: ..."), both dumps. */
  errors: string[];
}

const EXIT_LINE = /^# exit=(-?\d+)$/;
const STDERR_MARK = '# stderr:';

export function parseAaptRaw(text: string): AaptRaw {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  const m = EXIT_LINE.exec(lines[0] ?? '');
  if (!m || !lines[1]?.startsWith('# aapt dump ')) throw new Error('not a gen-aapt.sh output: first lines are not "# exit=N" / "# aapt dump ..."');
  const mark = lines.indexOf(STDERR_MARK, 2);
  if (mark < 0) throw new Error('not a gen-aapt.sh output: no "# stderr:" line');
  return { exit: Number(m[1]), command: lines[1].slice(2), stdout: lines.slice(2, mark), stderr: lines.slice(mark + 1) };
}

/** Undo ResTable::normalizeForOutput: `\\` -> `\`, `\n` -> newline, `\"` -> `"`. */
export function unescapeAapt(s: string): string {
  return s.replace(/\\(\\|n|")/g, (_, c: string) => (c === 'n' ? '\n' : c));
}

/** key='value' pairs of one line; a value ends at the quote followed by ` key='` or the end of the line. */
export function parseAttrs(line: string): Record<string, string> {
  const out: Record<string, string> = {};
  const re = /([A-Za-z][\w-]*)='((?:[^']|'(?! +[A-Za-z][\w-]*='|\s*$))*)'/g;
  for (const m of line.matchAll(re)) out[m[1]!] = unescapeAapt(m[2]!);
  return out;
}

/** The single '...' value of lines like `sdkVersion:'21'` or `application-label-de:'Hallo'`. */
function quotedValue(line: string, prefix: string): string | undefined {
  const rest = line.slice(prefix.length);
  if (!rest.startsWith("'") || !rest.endsWith("'") || rest.length < 2) return undefined;
  return unescapeAapt(rest.slice(1, -1));
}

/** All '…' values of lines like `native-code: 'armeabi' 'x86'`. */
function quotedList(line: string): string[] {
  return [...line.matchAll(/'([^']*)'/g)].map((m) => unescapeAapt(m[1]!));
}

function errorLines(raw: AaptRaw): string[] {
  return raw.stderr.filter((l) => /ERROR|error:|Error opening archive/.test(l));
}

function permissionFrom(attrs: Record<string, string>, sdk23: boolean): AaptPermission | undefined {
  const name = attrs['name'];
  if (name === undefined) return undefined;
  const p: AaptPermission = { name, sdk23 };
  if (attrs['maxSdkVersion'] !== undefined) p.maxSdkVersion = Number(attrs['maxSdkVersion']);
  return p;
}

const ZH_LOCALES = ['zh-CN', 'zh-Hans-CN', 'zh-Hans'];

export function parseBadging(text: string): AaptBadging {
  const raw = parseAaptRaw(text);
  const out: AaptBadging = {
    exit: raw.exit,
    ok: raw.exit === 0,
    labels: {},
    nativeCode: [],
    altNativeCode: [],
    debuggable: false,
    usesPermissions: [],
    errors: errorLines(raw),
    stderr: raw.stderr,
  };
  for (const line of raw.stdout) {
    if (line.startsWith('package: ')) {
      const a = parseAttrs(line);
      out.package = a['name'];
      out.versionCode = a['versionCode'];
      out.versionName = a['versionName'];
      if (a['platformBuildVersionName'] !== undefined) out.platformBuildVersionName = a['platformBuildVersionName'];
      if (a['compileSdkVersion'] !== undefined) out.compileSdkVersion = a['compileSdkVersion'];
    } else if (line.startsWith('sdkVersion:')) {
      out.sdkVersion = quotedValue(line, 'sdkVersion:');
    } else if (line.startsWith('targetSdkVersion:')) {
      out.targetSdkVersion = quotedValue(line, 'targetSdkVersion:');
    } else if (line.startsWith('maxSdkVersion:')) {
      out.maxSdkVersion = quotedValue(line, 'maxSdkVersion:');
    } else if (line.startsWith('application-label:')) {
      out.label = quotedValue(line, 'application-label:');
    } else if (line.startsWith('application-label-')) {
      const colon = line.indexOf(':');
      const value = colon < 0 ? undefined : quotedValue(line, line.slice(0, colon + 1));
      if (value !== undefined) out.labels[line.slice('application-label-'.length, colon)] = value;
    } else if (line.startsWith('application: ')) {
      out.applicationLabel = parseAttrs(line)['label'];
    } else if (line === 'application-debuggable') {
      out.debuggable = true;
    } else if (line.startsWith('native-code:')) {
      out.nativeCode = quotedList(line.slice('native-code:'.length));
    } else if (line.startsWith('alt-native-code:')) {
      out.altNativeCode = quotedList(line.slice('alt-native-code:'.length));
    } else if (line.startsWith('uses-permission: ') || line.startsWith('uses-permission-sdk-23: ')) {
      const p = permissionFrom(parseAttrs(line), line.startsWith('uses-permission-sdk-23: '));
      if (p) out.usesPermissions.push(p);
    }
  }
  for (const loc of ZH_LOCALES) {
    if (out.labels[loc] !== undefined) {
      out.labelZh = out.labels[loc];
      break;
    }
  }
  return out;
}

export function parsePermissions(text: string): AaptPermissionsDump {
  const raw = parseAaptRaw(text);
  const out: AaptPermissionsDump = { exit: raw.exit, ok: raw.exit === 0, permissions: [], declared: [], errors: errorLines(raw), stderr: raw.stderr };
  for (const line of raw.stdout) {
    if (line.startsWith('package: ')) {
      out.package = unescapeAapt(line.slice('package: '.length));
    } else if (line.startsWith('permission: ')) {
      out.declared.push(unescapeAapt(line.slice('permission: '.length)));
    } else if (line.startsWith('uses-permission: ') || line.startsWith('uses-permission-sdk-23: ')) {
      const p = permissionFrom(parseAttrs(line), line.startsWith('uses-permission-sdk-23: '));
      if (p) out.permissions.push(p);
    } else if (line.startsWith('optional-permission: ')) {
      // Printed right after the uses-permission line it qualifies.
      const last = out.permissions.at(-1);
      if (last && last.name === parseAttrs(line)['name']) last.optional = true;
    }
  }
  return out;
}

export function combineAapt(file: string, badging: AaptBadging, perms: AaptPermissionsDump): AaptOracle {
  const o: AaptOracle = {
    file,
    ok: badging.ok && perms.ok,
    badgingExit: badging.exit,
    permissionsExit: perms.exit,
    permissions: perms.permissions,
    declaredPermissions: perms.declared,
    labels: badging.labels,
    nativeCode: badging.nativeCode,
    debuggable: badging.debuggable,
    stderr: [...badging.stderr, ...perms.stderr],
    errors: [...badging.errors, ...perms.errors],
  };
  const pkg = badging.package ?? perms.package;
  if (pkg !== undefined) o.package = pkg;
  for (const k of ['versionCode', 'versionName', 'sdkVersion', 'targetSdkVersion', 'maxSdkVersion', 'label', 'labelZh', 'applicationLabel'] as const) {
    const v = badging[k];
    if (v !== undefined) o[k] = v;
  }
  return o;
}

/** Stored oracle for one corpus/fixture file name, or undefined when gen-aapt.sh has not recorded it. */
export function loadAaptOracle(basename: string, dir: string = AAPT_ORACLE_DIR): AaptOracle | undefined {
  const b = join(dir, `${basename}.badging.txt`);
  const p = join(dir, `${basename}.permissions.txt`);
  if (!existsSync(b) || !existsSync(p)) return undefined;
  return combineAapt(basename, parseBadging(readFileSync(b, 'utf8')), parsePermissions(readFileSync(p, 'utf8')));
}

/**
 * aapt prints versionCode only when its int32 value is > 0 (Command.cpp: `versionCode > 0`), else ''.
 * True when eduscan's versionCode string is what aapt would have printed.
 */
export function versionCodeMatches(aapt: string, ours: string | undefined): boolean {
  if (aapt !== '') return ours === aapt;
  if (ours === undefined) return true;
  if (!/^-?\d+$/.test(ours)) return false;
  return BigInt.asIntN(32, BigInt(ours)) <= 0n;
}
