// CheckResult as text for a terminal (zh-CN by default, English with lang 'en'): the verdict first, then what
// fails it, then everything a reviewer needs to see why. Also the short 检测结果 block a reviewer pastes into
// the filing platform, and the label helpers the HTML and SARIF reports share.
import type { PackageFacts } from '../facts/schema.js';
import {
  PERMISSION_LABELS, PERMISSION_LABELS_EN, SEVERITIES, SEVERITY_ZH, VERDICT_ZH,
  type CheckResult, type Evidence, type Finding, type PermissionLabel, type Severity, type Suppression, type Text, type Verdict,
} from '../check/types.js';
import type { Lang } from './facts-text.js';

export type { Lang };

export const VERDICT_EN = {
  pass: 'PASS', explain: 'EXPLAIN', fail: 'FAIL', unassessable: 'NOT ASSESSABLE',
} as const satisfies Record<Verdict, string>;
export const SEVERITY_EN = { high: 'High', medium: 'Medium', low: 'Low', info: 'Info' } as const satisfies Record<Severity, string>;
export const STRENGTH = {
  D: { zh: '确定', en: 'definite' },
  I: { zh: '迹象', en: 'indicative' },
  R: { zh: '待复核', en: 'for review' },
} as const satisfies Record<NonNullable<Evidence['strength']>, Record<Lang, string>>;

const L = {
  verdict: { zh: '检测结论', en: 'Verdict' },
  app: { zh: '应用', en: 'App' },
  file: { zh: '安装包', en: 'Package' },
  record: { zh: '备案记录', en: 'Filing record' },
  useFiling: { zh: '使用者备案', en: 'Use filing' },
  noRecord: { zh: '无（仅检测安装包）', en: 'none (package-only check)' },
  recordApp: { zh: '应用', en: 'app' },
  tool: { zh: '检测工具', en: 'Tool' },
  rules: { zh: '规则', en: 'rules' },
  ruleCount: { zh: '条', en: 'rules' },
  time: { zh: '检测时间', en: 'Checked at' },
  counts: { zh: '问题数量', en: 'Findings' },
  undeclared: { zh: '未申报的权限类别（检测到但备案未勾选）', en: 'Undeclared permission categories (detected, not ticked on the filing)' },
  findings: { zh: '问题（按严重程度）', en: 'Findings by severity' },
  noFindings: { zh: '无', en: 'none' },
  detail: { zh: '说明', en: 'Detail' },
  evidence: { zh: '证据', en: 'Evidence' },
  rationale: { zh: '理由', en: 'Rationale' },
  basis: { zh: '依据', en: 'Basis' },
  suppressed: { zh: '已豁免', en: 'Suppressed' },
  by: { zh: '豁免人', en: 'by' },
  reason: { zh: '理由', en: 'reason' },
  until: { zh: '有效期至', en: 'until' },
  expired: { zh: '已过期的豁免（不再生效）', en: 'Expired suppressions (no longer applied)' },
  checkboxes: { zh: '权限勾选对照（备案 / 检测）', en: 'Permission checkboxes (filed / detected)' },
  category: { zh: '类别', en: 'Category' },
  filed: { zh: '备案', en: 'Filed' },
  detected: { zh: '检测', en: 'Detected' },
  undeclaredMark: { zh: '未申报', en: 'undeclared' },
  undeclaredKey: { zh: '未申报权限', en: 'Undeclared' },
  notDetectedMark: { zh: '未检出', en: 'not detected' },
  notAssessable: { zh: '无法评估的项目', en: 'Not assessable' },
  manual: { zh: '需人工/动态核查', en: 'Manual / dynamic checks' },
  sdks: { zh: '第三方 SDK 清单', en: 'Third-party SDK inventory' },
  findingIds: { zh: '问题编号', en: 'Finding ids' },
  suppressedIds: { zh: '已豁免', en: 'Suppressed' },
  md5: { zh: '安装包MD5', en: 'Package MD5' },
  scanTitle: { zh: '检测结果', en: 'Check result' },
  more: { zh: '另有已豁免', en: 'plus suppressed' },
} as const satisfies Record<string, Record<Lang, string>>;

export type LabelKey = keyof typeof L;
export function label(k: LabelKey, lang: Lang): string {
  return L[k][lang];
}

export function verdictLabel(v: Verdict, lang: Lang): string {
  return lang === 'zh' ? VERDICT_ZH[v] : `${VERDICT_EN[v]} (${VERDICT_ZH[v]})`;
}

export function severityLabel(s: Severity, lang: Lang): string {
  return lang === 'zh' ? SEVERITY_ZH[s] : SEVERITY_EN[s];
}

/** The form's Chinese label stays visible in English: it is what the filing platform shows. */
export function categoryLabel(c: PermissionLabel, lang: Lang): string {
  return lang === 'zh' ? c : `${PERMISSION_LABELS_EN[c]} (${c})`;
}

export function tr(t: Text, lang: Lang): string {
  // A rule with a missing translation still says something.
  return t[lang] || t[lang === 'zh' ? 'en' : 'zh'];
}

const SEVERITY_RANK: Record<Severity, number> = { high: 0, medium: 1, low: 2, info: 3 };

/** Severity order, active before suppressed, then rule id: the same order in every format. */
export function orderedFindings(findings: readonly Finding[]): Finding[] {
  return [...findings].sort((a, b) =>
    SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity]
    || Number(a.suppressed !== undefined) - Number(b.suppressed !== undefined)
    || (a.rule < b.rule ? -1 : a.rule > b.rule ? 1 : 0));
}

export function findingsBySeverity(findings: readonly Finding[]): [Severity, Finding[]][] {
  const ordered = orderedFindings(findings);
  return SEVERITIES.map((s) => [s, ordered.filter((f) => f.severity === s)] as [Severity, Finding[]]).filter(([, fs]) => fs.length > 0);
}

export function appName(p: PackageFacts): string | undefined {
  const names = [p.labelZh, p.label].filter((n): n is string => !!n);
  return names.length ? [...new Set(names)].join(' / ') : undefined;
}

export function appVersion(p: PackageFacts): string | undefined {
  if (!p.versionName && !p.versionCode) return undefined;
  return [p.versionName, p.versionCode !== undefined ? `(${p.versionCode})` : undefined].filter(Boolean).join(' ');
}

export interface SignerLine {
  subject: string;
  /** SHA-256 on Android, SHA-1 for the iOS provisioning certificates (all the profile carries). */
  fingerprint: string;
  algorithm: 'SHA-256' | 'SHA-1';
  debug: boolean;
  schemes?: string;
}

/** Distinct signing certificates: APK signers, or the certificates of an IPA's provisioning profile. */
export function signers(p: PackageFacts): SignerLine[] {
  const out: SignerLine[] = [];
  const seen = new Set<string>();
  if (p.signing) {
    for (const s of p.signing.signers) {
      const c = s.certificates[0];
      if (!c || seen.has(c.certSha256)) continue;
      seen.add(c.certSha256);
      out.push({ subject: c.subject, fingerprint: c.certSha256, algorithm: 'SHA-256', debug: c.debug, schemes: p.signing.schemes.join(', ') });
    }
  }
  for (const c of p.ios?.provisioning?.certificates ?? []) {
    if (seen.has(c.sha1)) continue;
    seen.add(c.sha1);
    out.push({ subject: c.subject ?? '', fingerprint: c.sha1, algorithm: 'SHA-1', debug: false });
  }
  return out;
}

export interface SdkEntry {
  name: string;
  vendor?: string;
  category?: string;
  where: string[];
}

/**
 * The SDK inventory, when the facts carry one (issue 5 adds `sdks` to PackageFacts). Read by shape, not by
 * type, so reports work before and after it lands; anything not shaped like an inventory is ignored.
 */
export function sdkInventory(p: PackageFacts): SdkEntry[] | undefined {
  const raw = (p as { sdks?: unknown }).sdks;
  if (!Array.isArray(raw)) return undefined;
  const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
  const out: SdkEntry[] = [];
  for (const e of raw) {
    if (typeof e !== 'object' || e === null) continue;
    const o = e as Record<string, unknown>;
    const name = str(o.name);
    if (!name) continue;
    const where = [o.where, o.evidence, o.matches].flatMap((w) =>
      Array.isArray(w) ? w.map((x) => str(x) ?? (typeof x === 'object' && x !== null ? str((x as Record<string, unknown>).value) : undefined)) : [str(w)],
    ).filter((x): x is string => x !== undefined);
    out.push({ name, vendor: str(o.vendor), category: str(o.category), where });
  }
  return out;
}

// --- terminal safety and width -------------------------------------------------------------------------

/** C0/C1 controls, zero-width and bidi overrides: package data must not move the cursor or reorder text. */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g;

/** One line of hostile text made printable: every unsafe code point shown as \u{…}. */
export function clean(s: string): string {
  return s.replace(UNSAFE, (c) => `\\u{${c.codePointAt(0)!.toString(16)}}`);
}

/** Text that may span lines (rule messages): each line cleaned on its own. */
function cleanLines(s: string): string[] {
  return s.split(/\r?\n/).map(clean);
}

/** Columns a terminal gives a string: East Asian wide/fullwidth take two, combining marks none. */
export function displayWidth(s: string): number {
  let w = 0;
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if ((c >= 0x300 && c <= 0x36f) || (c >= 0xfe00 && c <= 0xfe0f)) continue;
    w += isWide(c) ? 2 : 1;
  }
  return w;
}

function isWide(c: number): boolean {
  return (c >= 0x1100 && c <= 0x115f) || (c >= 0x2e80 && c <= 0x303e) || (c >= 0x3041 && c <= 0x33ff)
    || (c >= 0x3400 && c <= 0x4dbf) || (c >= 0x4e00 && c <= 0x9fff) || (c >= 0xa000 && c <= 0xa4cf)
    || (c >= 0xac00 && c <= 0xd7a3) || (c >= 0xf900 && c <= 0xfaff) || (c >= 0xfe30 && c <= 0xfe4f)
    || (c >= 0xff00 && c <= 0xff60) || (c >= 0xffe0 && c <= 0xffe6) || (c >= 0x1f300 && c <= 0x1f64f)
    || (c >= 0x1f900 && c <= 0x1f9ff) || (c >= 0x20000 && c <= 0x3fffd);
}

export function padTo(s: string, width: number): string {
  return s + ' '.repeat(Math.max(0, width - displayWidth(s)));
}

// --- the report ------------------------------------------------------------------------------------------

const INDENT = '  ';
/** Between aligned columns. */
const GAP = '  ';

function heading(title: string, lang: Lang, n?: number): string[] {
  const h = n === undefined ? title : lang === 'zh' ? `${title}：${n} 项` : `${title}: ${n}`;
  return ['', h, '-'.repeat(displayWidth(h))];
}

/** Label/value rows with the values in one column. */
function keyValues(rows: [string, string][], indent = ''): string[] {
  const width = Math.max(0, ...rows.map(([k]) => displayWidth(k)));
  return rows.map(([k, v]) => `${indent}${padTo(k, width)}${GAP}${v}`);
}

export function evidenceText(e: Evidence, lang: Lang): string {
  const where = e.location ? (lang === 'zh' ? `（${clean(e.location)}）` : ` (${clean(e.location)})`) : '';
  const strength = e.strength ? ` [${STRENGTH[e.strength][lang]}]` : '';
  return `${clean(e.kind)} ${clean(e.value)}${where}${strength}`;
}

export function suppressionText(s: Suppression, lang: Lang): string {
  const sep = lang === 'zh' ? '；' : '; ';
  const parts = [`${label('by', lang)} ${clean(s.by)}`, `${label('reason', lang)} ${clean(s.reason)}`];
  if (s.until) parts.push(`${label('until', lang)} ${clean(s.until)}`);
  if (s.packages?.length) parts.push(s.packages.map(clean).join(', '));
  return parts.join(sep);
}

function countsText(r: CheckResult, lang: Lang): string {
  const sep = lang === 'zh' ? '，' : ', ';
  const base = SEVERITIES.map((s) => `${severityLabel(s, lang)} ${r.counts[s]}`).join(sep);
  const suppressed = r.findings.filter((f) => f.suppressed).length;
  if (!suppressed) return base;
  return lang === 'zh' ? `${base}（${label('more', lang)} ${suppressed} 项）` : `${base} (${label('more', lang)} ${suppressed})`;
}

function identityRows(r: CheckResult, lang: Lang): [string, string][] {
  const p = r.package;
  const rows: [string, string][] = [];
  const app = [appName(p), p.id, appVersion(p), p.platform === 'android' ? 'Android' : 'iOS'].filter(Boolean).map((x) => clean(x!));
  rows.push([label('app', lang), app.join(' · ')]);
  rows.push([label('file', lang), `${clean(p.file.name)}  MD5 ${p.file.md5}  SHA-256 ${p.file.sha256}`]);
  const rec = r.record
    ? `${r.record.file ? `${clean(r.record.file)} · ` : ''}${label('recordApp', lang)}[${r.record.index}] ${clean(r.record.app)}`
    : label('noRecord', lang);
  rows.push([label('record', lang), rec]);
  for (const u of r.uses ?? []) rows.push([label('useFiling', lang), `${clean(u.unit)} · ${clean(u.usage)} · ${u.users.map(clean).join(lang === 'zh' ? '、' : ', ')}${u.file ? ` (${clean(u.file)})` : ''}`]);
  rows.push([label('tool', lang), `${clean(r.tool.name)} ${clean(r.tool.version)} · ${label('rules', lang)} ${clean(r.rules.version)} (${clean(r.rules.digest)}, ${r.rules.count} ${label('ruleCount', lang)})`]);
  rows.push([label('time', lang), clean(r.createdAt)]);
  rows.push([label('counts', lang), countsText(r, lang)]);
  return rows;
}

function findingLines(f: Finding, lang: Lang): string[] {
  const head = `${INDENT}${clean(f.rule)}  ${clean(tr(f.title, lang))}`;
  const lines = [f.suppressed ? `${head}  [${label('suppressed', lang)}]` : head];
  const sub = INDENT.repeat(2);
  const rows: [string, string[]][] = [];
  if (f.suppressed) rows.push([label('suppressed', lang), [suppressionText(f.suppressed, lang)]]);
  rows.push([label('detail', lang), cleanLines(tr(f.message, lang))]);
  rows.push([label('evidence', lang), f.evidence.length ? f.evidence.map((e) => evidenceText(e, lang)) : ['-']]);
  rows.push([label('rationale', lang), cleanLines(tr(f.rationale, lang))]);
  if (f.basis) rows.push([label('basis', lang), cleanLines(f.basis)]);
  const width = Math.max(...rows.map(([k]) => displayWidth(k)));
  for (const [k, vs] of rows) {
    vs.forEach((v, i) => lines.push(`${sub}${padTo(i === 0 ? k : '', width)}${GAP}${v}`));
  }
  return lines;
}

function checkboxLines(r: CheckResult, lang: Lang): string[] {
  const byLabel = new Map(r.detected.map((d) => [d.label, d]));
  const filed = new Set(r.filed);
  const header = [label('category', lang), label('filed', lang), label('detected', lang), label('evidence', lang)];
  const rows = PERMISSION_LABELS.map((c) => {
    const d = byLabel.get(c);
    const isFiled = filed.has(c);
    const mark = d && !isFiled && r.record ? label('undeclaredMark', lang) : !d && isFiled ? label('notDetectedMark', lang) : '';
    const ev = d ? d.evidence.map((e) => clean(e.value)) : [];
    return { cells: [categoryLabel(c, lang), r.record ? (isFiled ? '✓' : '-') : '', d ? '✓' : '-'], mark, ev };
  });
  const w = header.slice(0, 3).map((h, i) => Math.max(displayWidth(h), ...rows.map((x) => displayWidth(x.cells[i]!))));
  const line = (cells: string[], tail: string) =>
    `${INDENT}${cells.map((c, i) => padTo(c, w[i]!)).join(GAP)}${GAP}${tail}`.trimEnd();
  const out = [line(header.slice(0, 3), header[3]!)];
  const evIndent = ' '.repeat(displayWidth(INDENT) + w.reduce((a, b) => a + b, 0) + GAP.length * 3);
  for (const row of rows) {
    const first = [row.mark ? `<${row.mark}>` : '', row.ev[0] ?? ''].filter(Boolean).join(' ');
    out.push(line(row.cells, first));
    for (const more of row.ev.slice(1)) out.push(`${evIndent}${more}`);
  }
  return out;
}

export function renderCheckText(r: CheckResult, lang: Lang = 'zh'): string {
  const colon = lang === 'zh' ? '：' : ': ';
  const out: string[] = [`${label('verdict', lang)}${colon}${verdictLabel(r.verdict, lang)}`];
  for (const reason of r.verdictReasons) out.push(...cleanLines(tr(reason, lang)).map((l, i) => `${INDENT}${i ? '  ' : '- '}${l}`));
  out.push('', ...keyValues(identityRows(r, lang)));

  if (r.undeclared.length) {
    out.push(...heading(label('undeclared', lang), lang, r.undeclared.length));
    for (const u of r.undeclared) {
      out.push(`${INDENT}${categoryLabel(u.label, lang)}`);
      for (const e of u.evidence) out.push(`${INDENT.repeat(2)}${evidenceText(e, lang)}`);
    }
  }

  out.push(...heading(label('findings', lang), lang, r.findings.length));
  if (!r.findings.length) out.push(`${INDENT}${label('noFindings', lang)}`);
  for (const [sev, fs] of findingsBySeverity(r.findings)) {
    out.push(lang === 'zh' ? `【${severityLabel(sev, lang)}】${fs.length} 项` : `[${severityLabel(sev, lang)}] ${fs.length}`);
    for (const f of fs) out.push(...findingLines(f, lang));
  }

  if (r.expiredSuppressions.length) {
    out.push(...heading(label('expired', lang), lang, r.expiredSuppressions.length));
    for (const s of r.expiredSuppressions) out.push(`${INDENT}${clean(s.rule)}  ${suppressionText(s, lang)}`);
  }

  out.push(...heading(label('checkboxes', lang), lang), ...checkboxLines(r, lang));

  const sdks = sdkInventory(r.package);
  if (sdks) {
    out.push(...heading(label('sdks', lang), lang, sdks.length));
    for (const s of sdks) {
      const meta = [s.vendor, s.category].filter(Boolean).map((x) => clean(x!)).join(' · ');
      out.push(`${INDENT}${clean(s.name)}${meta ? `  ${meta}` : ''}${s.where.length ? `  [${s.where.map(clean).join(', ')}]` : ''}`);
    }
  }

  if (r.notAssessable.length) {
    out.push(...heading(label('notAssessable', lang), lang, r.notAssessable.length));
    for (const t of r.notAssessable) out.push(...cleanLines(tr(t, lang)).map((l, i) => `${INDENT}${i ? '  ' : '- '}${l}`));
  }
  if (r.manual.length) {
    out.push(...heading(label('manual', lang), lang, r.manual.length));
    for (const t of r.manual) out.push(...cleanLines(tr(t, lang)).map((l, i) => `${INDENT}${i ? '  ' : '- '}${l}`));
  }
  return out.join('\n') + '\n';
}

/**
 * The 检测结果 block: what a reviewer pastes into the filing platform and what `--write` stores in the record.
 * Short and self-identifying: tool and rule-set version, time, MD5, verdict, counts, undeclared categories,
 * finding ids (suppressed ones apart).
 */
export function renderScanBlockText(r: CheckResult, lang: Lang = 'zh'): string {
  const colon = lang === 'zh' ? '：' : ': ';
  const list = lang === 'zh' ? '、' : ', ';
  const rows: [string, string][] = [
    [label('verdict', lang), verdictLabel(r.verdict, lang)],
    [label('tool', lang), `${clean(r.tool.name)} ${clean(r.tool.version)} · ${label('rules', lang)} ${clean(r.rules.version)} (${clean(r.rules.digest)})`],
    [label('time', lang), clean(r.createdAt)],
    [label('md5', lang), r.package.file.md5],
    [label('counts', lang), countsText(r, lang)],
  ];
  if (r.undeclared.length) rows.push([label('undeclaredKey', lang), r.undeclared.map((u) => categoryLabel(u.label, lang)).join(list)]);
  const ids = (fs: Finding[]) => [...new Set(orderedFindings(fs).map((f) => clean(f.rule)))].join(list);
  const active = r.findings.filter((f) => !f.suppressed);
  const suppressed = r.findings.filter((f) => f.suppressed);
  rows.push([label('findingIds', lang), active.length ? ids(active) : label('noFindings', lang)]);
  if (suppressed.length) rows.push([label('suppressedIds', lang), ids(suppressed)]);
  return rows.map(([k, v]) => `${k}${colon}${v}`).join('\n') + '\n';
}
