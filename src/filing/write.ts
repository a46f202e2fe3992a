// Write eduscan's results into a filing record: the 检测结果 block after `check`, and the package-derived fields
// after `fill`. Only the targeted values change; the rest of the text (comments, key order, indentation,
// quoting, line ends) stays byte for byte. Every edit is verified by re-reading the new text; if the splice
// does not read back as intended, the record is re-serialised instead (correct first, pretty second).
import { chmodSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { Document, parseDocument } from 'yaml';
import { EduscanError } from '../errors.js';
import { PERMISSION_LABELS, VERDICT_ZH, type CategoryDetection, type CheckResult, type PermissionLabel } from '../check/types.js';
import type { PackageFacts } from '../facts/schema.js';
import { detectJsonStyle, jsonAppend, jsonSet } from './json-edit.js';
import { appsPath, rawApps, type FilingDocument, type FilingFormat } from './load.js';
import { formatPath } from './problems.js';
import { AUDIENCES, CERTIFICATE_TYPES, FEATURES, FUNCTION_TYPES, PROVIDER_NATURES, ScanBlockSchema, type ScanBlock } from './schema.js';
import { detectYamlStyle, YAML_PARSE_OPTIONS, yamlAppend, yamlSet } from './yaml-edit.js';

type Path = (string | number)[];
type Op = { kind: 'set'; path: Path; value: unknown } | { kind: 'append'; path: Path; items: unknown[] };

export interface FillChange {
  /** e.g. "apps[0].version" */
  path: string;
  from: unknown;
  to: unknown;
  /** For ticked permission boxes: the package facts behind each new tick. */
  evidence?: Partial<Record<PermissionLabel, string[]>>;
}

/** A field a person entered that disagrees with the package; fill leaves it and reports it. */
export interface FillConflict {
  path: string;
  recorded: unknown;
  package: unknown;
}

export interface FillResult {
  text: string;
  format: FilingFormat;
  /** Index of the filled app in the record's apps list. */
  index: number;
  changes: FillChange[];
  conflicts: FillConflict[];
  /** 'record' when there was no record, 'app' when the app was appended to an existing record. */
  created?: 'record' | 'app';
}

/** Separator when fill adds names to 其它权限说明 (free text). */
const OTHER_SEPARATOR = '、';

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Placeholders for a person to fill ('' and []) are not reported as changes. */
function isEmpty(v: unknown): boolean {
  return v === '' || (Array.isArray(v) && v.length === 0);
}

function clone<T>(v: T): T {
  return structuredClone(v);
}

function applyToValue(root: unknown, ops: readonly Op[]): unknown {
  const out = clone(root);
  for (const op of ops) {
    let parent = out as Record<string | number, unknown>;
    for (const seg of op.path.slice(0, -1)) parent = parent[seg] as Record<string | number, unknown>;
    const last = op.path[op.path.length - 1] as string | number;
    if (op.kind === 'set') parent[last] = clone(op.value);
    else {
      const cur = parent[last];
      parent[last] = [...(Array.isArray(cur) ? cur : []), ...clone(op.items)];
    }
  }
  return out;
}

function readBack(text: string, format: FilingFormat): unknown {
  try {
    if (format === 'json') return JSON.parse(text.replace(/^\ufeff/, ''));
    const doc = parseDocument(text, YAML_PARSE_OPTIONS);
    return doc.errors.length > 0 ? undefined : doc.toJS();
  } catch {
    return undefined;
  }
}

/** Apply ops by splicing; verify; fall back to a full re-serialisation when the splice does not read back. */
function edit(text: string, format: FilingFormat, raw: unknown, ops: readonly Op[]): string {
  const expected = applyToValue(raw, ops);
  let out = text;
  try {
    if (format === 'json') {
      const style = detectJsonStyle(text);
      for (const op of ops) out = op.kind === 'set' ? jsonSet(out, op.path, op.value, style) : jsonAppend(out, op.path, op.items, style);
    } else {
      const style = detectYamlStyle(text);
      for (const op of ops) out = op.kind === 'set' ? yamlSet(out, op.path, op.value, style) : yamlAppend(out, op.path, op.items, style);
    }
    if (isDeepStrictEqual(readBack(out, format), expected)) return out;
  } catch {
    // fall through to the re-serialisation below
  }
  if (format === 'json') {
    const style = detectJsonStyle(text);
    const body = JSON.stringify(expected, null, style.indent || undefined);
    return (text.startsWith('\ufeff') ? '\ufeff' : '') + body.split('\n').join(style.eol) + (/\n$/.test(text) ? style.eol : '');
  }
  const style = detectYamlStyle(text);
  const doc = parseDocument(text, YAML_PARSE_OPTIONS);
  // `expected` has every op applied: setting each touched path to its final value reproduces it.
  for (const op of ops) {
    try {
      doc.setIn(op.path, doc.createNode(getIn(expected, op.path)));
    } catch (e) {
      // e.g. the path runs through an alias (*name): yaml cannot edit through it, and neither should we.
      throw new EduscanError('E_RECORD', `cannot write ${formatPath(op.path)} into the record: ${(e as Error).message.split('\n')[0] ?? ''} (write that part out without YAML aliases)`, { cause: e });
    }
  }
  return doc.toString({ indent: style.indent, indentSeq: style.indentSeq, lineWidth: 0 }).replace(/\n/g, style.eol);
}

function getIn(v: unknown, path: readonly (string | number)[]): unknown {
  let cur = v;
  for (const seg of path) cur = (cur as Record<string | number, unknown> | undefined)?.[seg];
  return cur;
}

function appEntry(doc: FilingDocument, index: number): Record<string, unknown> {
  const apps = rawApps(doc);
  const app = apps?.[index];
  if (!isObj(app)) {
    throw new EduscanError('E_RECORD', `${formatPath([...appsPath(doc.kind), index])} is not an app entry (a mapping)`, doc.file === undefined ? {} : { file: doc.file });
  }
  return app;
}

/**
 * The record text with `apps[index].scan` set to `block` and nothing else changed. For a 自研自用 use filing the
 * app is `providerFiling.apps[index]`.
 */
export function writeScanBlock(doc: FilingDocument, index: number, block: ScanBlock): string {
  const checked = ScanBlockSchema.safeParse(block);
  // The block is built by eduscan itself: a bad one is a bug, not a user error.
  if (!checked.success) throw new Error(`bug: invalid scan block: ${checked.error.issues[0]?.message ?? ''}`);
  appEntry(doc, index);
  return edit(doc.text, doc.format, doc.raw, [{ kind: 'set', path: [...appsPath(doc.kind), index, 'scan'], value: checked.data }]);
}

/** The 检测结果 block for a check result: counts, unsuppressed rule ids, undeclared boxes, package digests. */
export function scanBlockFromResult(r: CheckResult): ScanBlock {
  const findings: string[] = [];
  for (const f of r.findings) if (!f.suppressed && !findings.includes(f.rule)) findings.push(f.rule);
  return {
    tool: 'eduscan',
    toolVersion: r.tool.version,
    rulesDigest: r.rules.digest,
    checkedAt: r.createdAt,
    md5: r.package.file.md5,
    sha256: r.package.file.sha256,
    verdict: r.verdict,
    verdictZh: VERDICT_ZH[r.verdict],
    counts: { high: r.counts.high, medium: r.counts.medium, low: r.counts.low, info: r.counts.info },
    findings,
    undeclared: r.undeclared.map((d) => d.label),
    // The inventory the privacy policy must list (《认定方法》二.1); a few places each, the report has them all.
    sdks: (r.package.sdks ?? []).map((s) => ({ name: s.name, vendor: s.vendor, category: s.category, where: [...new Set(s.evidence.map((e) => e.value))].slice(0, MAX_SDK_PLACES) })),
  };
}

/** Places kept per SDK in the record's 检测结果: enough to find it, short enough to read in the form. */
const MAX_SDK_PLACES = 3;

function detectedLabels(detected: readonly CategoryDetection[]): PermissionLabel[] {
  const set = new Set(detected.map((d) => d.label));
  return PERMISSION_LABELS.filter((l) => set.has(l));
}

function evidenceOf(detected: readonly CategoryDetection[], labels: readonly PermissionLabel[]): Partial<Record<PermissionLabel, string[]>> {
  const out: Partial<Record<PermissionLabel, string[]>> = {};
  for (const l of labels) {
    const values = detected.filter((d) => d.label === l).flatMap((d) => d.evidence.map((e) => e.value));
    out[l] = [...new Set(values)];
  }
  return out;
}

/** The names that landed in 其它, for 其它权限说明. */
function otherNames(detected: readonly CategoryDetection[]): string[] {
  return [...new Set(detected.filter((d) => d.label === '其它').flatMap((d) => d.evidence.map((e) => e.value)))];
}

/** A new app entry from the package: what the package shows, and empty fields for what only a person knows. */
function newApp(facts: PackageFacts, detected: readonly CategoryDetection[]): Record<string, unknown> {
  const perms = detectedLabels(detected);
  const others = otherNames(detected);
  return {
    name: facts.labelZh ?? facts.label ?? facts.id,
    version: facts.versionName ?? '',
    platform: facts.platform,
    packageId: facts.id,
    md5: facts.file.md5,
    functionType: '',
    audience: [],
    serviceContent: '',
    permissions: perms,
    ...(others.length > 0 ? { permissionsOther: others.join(OTHER_SEPARATOR) } : {}),
    features: [],
  };
}

const OPTION_COMMENTS: [Path, string][] = [
  [['provider', 'nature'], PROVIDER_NATURES.join(' | ')],
  [['provider', 'certificate', 'type'], CERTIFICATE_TYPES.join(' | ')],
  [['systems', 0, 'securityLevel'], '网络安全等级 1-4；2 级及以上须填等级保护备案号'],
  [['systems', 0, 'icp'], 'ICP 备案编号，如 京ICP备12345678号-1'],
  [['apps', 0, 'functionType'], FUNCTION_TYPES.join(' | ')],
  [['apps', 0, 'audience'], AUDIENCES.join(' | ')],
  [['apps', 0, 'features'], FEATURES.join(' | ')],
  [['apps', 0, 'permissions'], '由安装包检测得出；eduscan fill 只增不减'],
];

/** A new provider record (提供者备案信息表) with one app filled from the package; the rest is left for a person. */
export function newRecordText(facts: PackageFacts, detected: readonly CategoryDetection[], format: FilingFormat): string {
  const record = {
    kind: 'provider',
    provider: {
      name: '',
      nature: '',
      certificate: { type: '统一社会信用代码证书', number: '' },
      registeredAddress: '',
      legalRepresentative: { name: '' },
      contact: { name: '', phone: '' },
    },
    systems: [{ name: '', ip: '', icp: '', securityLevel: null, securityFilingNo: '' }],
    apps: [newApp(facts, detected)],
  };
  if (format === 'json') return `${JSON.stringify(record, null, 2)}\n`;
  const doc = new Document(record);
  doc.commentBefore = ' 教育移动应用提供者备案信息表 — generated by `eduscan fill`; fill in the empty fields.\n `eduscan check PACKAGE --filing THIS-FILE` lists what is still missing or wrong.';
  for (const [path, comment] of OPTION_COMMENTS) {
    const node = doc.getIn(path, true) as { comment?: string | null; flow?: boolean; items?: unknown } | undefined;
    if (!node) continue;
    // Lists of choices stay on one line ([a, b]) so the comment listing the choices sits beside them.
    if (Array.isArray(node.items)) node.flow = true;
    node.comment = ` ${comment}`;
  }
  return doc.toString({ lineWidth: 0 });
}

/**
 * Prefill an app entry from the package: 应用平台, 版本号, packageId, 安装包MD5码 and the permission boxes. Boxes are
 * only ever added (a person's ticks stay); version and MD5 follow the package (they describe this build);
 * platform and packageId are set when empty and otherwise reported as conflicts, never overwritten.
 * `doc` undefined → a new record; `index` undefined → a new app appended to the record.
 */
export function fillApp(
  doc: FilingDocument | undefined,
  index: number | undefined,
  facts: PackageFacts,
  detected: readonly CategoryDetection[],
  opts: { format?: FilingFormat } = {},
): FillResult {
  if (doc === undefined) {
    const format = opts.format ?? 'yaml';
    const app = newApp(facts, detected);
    const changes: FillChange[] = Object.entries(app).filter(([, v]) => !isEmpty(v)).map(([k, v]) => ({ path: `apps[0].${k}`, from: undefined, to: v }));
    const perm = changes.find((c) => c.path === 'apps[0].permissions');
    if (perm) Object.assign(perm, { evidence: evidenceOf(detected, app.permissions as PermissionLabel[]) });
    return { text: newRecordText(facts, detected, format), format, index: 0, changes, conflicts: [], created: 'record' };
  }
  const base = appsPath(doc.kind);
  if (index === undefined) {
    const apps = rawApps(doc);
    const app = newApp(facts, detected);
    const at = apps ? apps.length : 0;
    const op: Op = apps ? { kind: 'append', path: base, items: [app] } : { kind: 'set', path: base, value: [app] };
    if (!apps && doc.kind === 'use' && !isObj(doc.raw.providerFiling)) {
      throw new EduscanError('E_NO_APP', 'a use filing carries apps only when self-developed (selfDeveloped: true with providerFiling)', doc.file === undefined ? {} : { file: doc.file });
    }
    const changes: FillChange[] = Object.entries(app).filter(([, v]) => !isEmpty(v)).map(([k, v]) => ({ path: formatPath([...base, at, k]), from: undefined, to: v }));
    const perm = changes.find((c) => c.path.endsWith('.permissions'));
    if (perm) perm.evidence = evidenceOf(detected, app.permissions as PermissionLabel[]);
    return { text: edit(doc.text, doc.format, doc.raw, [op]), format: doc.format, index: at, changes, conflicts: [], created: 'app' };
  }

  const app = appEntry(doc, index);
  const at = (k: string): Path => [...base, index, k];
  const ops: Op[] = [];
  const changes: FillChange[] = [];
  const conflicts: FillConflict[] = [];
  const set = (k: string, to: unknown) => {
    ops.push({ kind: 'set', path: at(k), value: to });
    changes.push({ path: formatPath(at(k)), from: app[k], to });
  };
  const blank = (v: unknown) => v === undefined || v === null || (typeof v === 'string' && v.trim() === '');

  if (blank(app.name)) set('name', facts.labelZh ?? facts.label ?? facts.id);
  if (blank(app.platform)) set('platform', facts.platform);
  else if (app.platform !== facts.platform) conflicts.push({ path: formatPath(at('platform')), recorded: app.platform, package: facts.platform });
  if (blank(app.packageId)) set('packageId', facts.id);
  else if (app.packageId !== facts.id) conflicts.push({ path: formatPath(at('packageId')), recorded: app.packageId, package: facts.id });
  if (facts.versionName !== undefined && app.version !== facts.versionName) set('version', facts.versionName);
  if (typeof app.md5 !== 'string' || app.md5.toLowerCase() !== facts.file.md5) set('md5', facts.file.md5);

  const want = detectedLabels(detected);
  const have = app.permissions;
  if (Array.isArray(have)) {
    const missing = want.filter((l) => !have.includes(l));
    if (missing.length > 0) {
      ops.push({ kind: 'append', path: at('permissions'), items: missing });
      changes.push({ path: formatPath(at('permissions')), from: have, to: [...have, ...missing], evidence: evidenceOf(detected, missing) });
    }
  } else if (blank(have)) {
    if (want.length > 0) {
      ops.push({ kind: 'set', path: at('permissions'), value: want });
      changes.push({ path: formatPath(at('permissions')), from: have, to: want, evidence: evidenceOf(detected, want) });
    }
  } else {
    // Not a list: nothing sensible to add to without discarding what is there.
    conflicts.push({ path: formatPath(at('permissions')), recorded: have, package: want });
  }

  const others = otherNames(detected);
  if (others.length > 0) {
    const cur = app.permissionsOther;
    if (typeof cur === 'string' && cur.trim() !== '') {
      const missing = others.filter((n) => !cur.includes(n));
      if (missing.length > 0) set('permissionsOther', `${cur}${OTHER_SEPARATOR}${missing.join(OTHER_SEPARATOR)}`);
    } else if (blank(cur)) set('permissionsOther', others.join(OTHER_SEPARATOR));
    else conflicts.push({ path: formatPath(at('permissionsOther')), recorded: cur, package: others.join(OTHER_SEPARATOR) });
  }

  const text = ops.length > 0 ? edit(doc.text, doc.format, doc.raw, ops) : doc.text;
  return { text, format: doc.format, index, changes, conflicts };
}

/** Replace a record file in one step (write a sibling, rename over it), keeping its permissions. */
export function saveRecordText(path: string, text: string): void {
  const tmp = join(dirname(path), `.${basename(path)}.eduscan-${process.pid}.tmp`);
  let mode: number | undefined;
  try {
    mode = statSync(path).mode & 0o777;
  } catch {
    mode = undefined; // a new record
  }
  try {
    writeFileSync(tmp, text);
    if (mode !== undefined) chmodSync(tmp, mode);
    renameSync(tmp, path);
  } catch (e) {
    throw new EduscanError('E_IO', `cannot write record ${path}: ${(e as NodeJS.ErrnoException).code ?? 'EIO'}`, { cause: e, file: path });
  }
}
