// Text, CSV and HTML renderings of registry reads and of a re-scan report. JSON is the objects themselves.
import type { Verdict } from '../check/types.js';
import { VERDICT_ZH } from '../check/types.js';
import type { IssueState } from './lifecycle.js';
import type { BlacklistCandidate, EntryDetail, EntryRow, IssueRow, RegistrySummary } from './queries.js';
import type { RescanReport } from './rescan.js';

export type Lang = 'zh' | 'en';

const t = (lang: Lang, zh: string, en: string) => (lang === 'zh' ? zh : en);

const STATE_ZH: Record<IssueState, string> = { open: '待整改', 'due-soon': '即将到期', overdue: '已逾期', suppressed: '已豁免', resolved: '已整改' };

function verdictText(v: Verdict | null | undefined, lang: Lang): string {
  if (!v) return '-';
  return lang === 'zh' ? VERDICT_ZH[v] : v;
}

function stateText(s: IssueState, lang: Lang): string {
  return lang === 'zh' ? STATE_ZH[s] : s;
}

/** One CSV line (RFC 4180): fields with a comma, quote or line break are quoted. A leading = + - @ is
 *  prefixed with ' so that a spreadsheet does not run it as a formula. */
export function csvLine(values: readonly unknown[]): string {
  return `${values.map((v) => {
    let s = v === null || v === undefined ? '' : String(v);
    if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
    return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  }).join(',')}\r\n`;
}

export const ENTRY_COLUMNS = ['id', 'path', 'record', 'unit', 'app', 'platform', 'packageId', 'version', 'md5', 'sha256', 'status', 'verdict', 'high', 'medium', 'low', 'errorCode', 'scannedAt', 'openIssues', 'overdue', 'nextDeadline'] as const;
export const ISSUE_COLUMNS = ['id', 'entry', 'package', 'unit', 'app', 'kind', 'rule', 'severity', 'state', 'firstSeen', 'deadline', 'workingDaysLeft', 'resolvedAt', 'suppressedReason', 'suppressedBy', 'messageZh', 'messageEn'] as const;

export function entryCsv(e: EntryRow): string {
  return csvLine(ENTRY_COLUMNS.map((c) => e[c]));
}

export function issueCsv(i: IssueRow): string {
  return csvLine([i.id, i.entry, i.package, i.unit, i.app, i.kind, i.rule, i.severity, i.state, i.firstSeen, i.deadline ?? i.deadlineNote, i.workingDaysLeft, i.resolvedAt, i.suppressed?.reason, i.suppressed?.by, i.message.zh, i.message.en]);
}

function table(rows: string[][]): string {
  if (!rows.length) return '';
  const width = (s: string) => [...s].reduce((w, ch) => w + (/[\u1100-\uffff]/.test(ch) ? 2 : 1), 0);
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => width(r[i] ?? ''))));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c + ' '.repeat(widths[i]! - width(c)))).join('  ').trimEnd()).join('\n') + '\n';
}

export function renderEntriesText(rows: Iterable<EntryRow>, lang: Lang): string {
  const out = [[ 'id', t(lang, '应用', 'app'), t(lang, '包名', 'package id'), t(lang, '版本', 'version'), t(lang, '结论', 'verdict'), t(lang, '高/中/低', 'H/M/L'), t(lang, '待整改', 'open'), t(lang, '逾期', 'overdue'), t(lang, '最近期限', 'next deadline'), t(lang, '文件', 'file')]];
  for (const e of rows) {
    const verdict = e.status === 'error' ? `${t(lang, '错误', 'error')} ${e.errorCode ?? ''}` : e.status === null ? t(lang, '未检测', 'not scanned') : verdictText(e.verdict, lang);
    out.push([String(e.id), e.app ?? '-', e.packageId ?? '-', e.version ?? '-', verdict, e.high === null ? '-' : `${e.high}/${e.medium}/${e.low}`, String(e.openIssues), String(e.overdue), e.nextDeadline ?? '-', e.path]);
  }
  return table(out);
}

export function renderIssuesText(rows: readonly IssueRow[], lang: Lang): string {
  if (!rows.length) return t(lang, '没有符合条件的问题\n', 'no matching issues\n');
  const out = [[t(lang, '状态', 'state'), t(lang, '期限', 'deadline'), t(lang, '剩余工作日', 'days left'), t(lang, '规则', 'rule'), t(lang, '级别', 'sev'), 'id', t(lang, '应用', 'app'), t(lang, '说明', 'message')]];
  for (const i of rows) {
    out.push([stateText(i.state, lang), i.deadline ?? (i.deadlineNote ? t(lang, '日历未覆盖', 'not in calendar') : '-'), i.workingDaysLeft === null ? '-' : String(i.workingDaysLeft), i.rule, i.severity, String(i.entry), i.app ?? i.package, (lang === 'zh' ? i.message.zh : i.message.en).replace(/\s+/g, ' ').slice(0, 120)]);
  }
  return table(out);
}

export function renderBlacklistText(rows: readonly BlacklistCandidate[], lang: Lang): string {
  if (!rows.length) return t(lang, '没有黑名单候选（无逾期未整改问题）\n', 'no blacklist candidates (nothing overdue)\n');
  const out = [[t(lang, '提供者', 'provider'), t(lang, '逾期问题', 'overdue issues'), t(lang, '涉及安装包', 'packages'), t(lang, '最早期限', 'oldest deadline'), t(lang, '备案表', 'record')]];
  for (const b of rows) out.push([b.unit ?? '-', String(b.overdueIssues), String(b.packages), b.oldestDeadline, b.record ?? '-']);
  return table(out);
}

export function renderSummaryText(s: RegistrySummary, lang: Lang): string {
  const v = Object.entries(s.verdicts).map(([k, n]) => `${verdictText(k as Verdict, lang)} ${n}`).join(', ') || '-';
  const i = (Object.entries(s.issues) as [IssueState, number][]).map(([k, n]) => `${stateText(k, lang)} ${n}`).join(', ');
  return [
    `${t(lang, '登记条目', 'entries')}: ${s.entries}  ${t(lang, '备案表', 'records')}: ${s.records}  ${t(lang, '未检测', 'never scanned')}: ${s.neverScanned}  ${t(lang, '读取失败', 'unreadable')}: ${s.errors}`,
    `${t(lang, '结论', 'verdicts')}: ${v}`,
    `${t(lang, '问题', 'issues')}: ${i}`,
    `${t(lang, '黑名单候选', 'blacklist candidates')}: ${s.blacklistCandidates}`,
    s.lastRun ? `${t(lang, '最近一次复检', 'last rescan')}: #${s.lastRun.id} ${s.lastRun.mode} ${s.lastRun.status} ${s.lastRun.startedAt}` : t(lang, '尚未复检', 'never rescanned'),
  ].join('\n') + '\n';
}

export function renderDetailText(d: EntryDetail, lang: Lang): string {
  const e = d.entry;
  const lines = [
    `${t(lang, '条目', 'entry')} #${e.id}  ${e.path}`,
    `${t(lang, '应用', 'app')}: ${e.app ?? '-'} (${e.platform ?? '-'})  ${t(lang, '包名', 'package id')}: ${e.packageId ?? '-'}  ${t(lang, '版本', 'version')}: ${e.version ?? '-'}`,
    `MD5: ${e.md5 ?? '-'}  SHA-256: ${e.sha256 ?? '-'}`,
    `${t(lang, '备案表', 'record')}: ${d.record ? `${d.record.path} (${d.record.kind}, ${t(lang, '更新于', 'changed')} ${d.record.changedAt})` : t(lang, '无（仅检测安装包）', 'none (package-only check)')}`,
    `${t(lang, '最近结论', 'last verdict')}: ${e.status === 'error' ? `${t(lang, '错误', 'error')} ${e.errorCode}` : verdictText(e.verdict, lang)}`,
    '',
    `${t(lang, '版本历史', 'version history')}:`,
  ];
  if (!d.versions.length) lines.push(`  -`);
  for (const v of d.versions) {
    const changes = (v.changes as { kind: string }[]).map((c) => c.kind).join(', ');
    lines.push(`  ${v.firstSeen}  ${v.version ?? '-'} (${v.versionCode ?? '-'})  ${v.packageId ?? '-'}  ${v.sha256.slice(0, 12)}  ${t(lang, '权限类别', 'categories')}: ${v.categories.join('、') || '-'}${changes ? `  ${t(lang, '变更', 'changes')}: ${changes}` : ''}`);
  }
  lines.push('', `${t(lang, '检测记录', 'scans')}:`);
  for (const s of d.scans) {
    lines.push(`  #${s.run}  ${s.at}  ${s.status}${s.source ? `/${s.source}` : ''}  ${s.status === 'error' ? `${s.errorCode}: ${s.errorMessage}` : `${verdictText(s.verdict as Verdict | null, lang)} ${s.high ?? '-'}/${s.medium ?? '-'}/${s.low ?? '-'}`}`);
  }
  lines.push('', `${t(lang, '问题', 'issues')}:`);
  return `${lines.join('\n')}\n${renderIssuesText(d.issues, lang)}`;
}

export function renderRescanText(r: RescanReport, lang: Lang): string {
  const d = r.diff;
  const lines = [
    `${t(lang, '复检', 'rescan')} #${r.run.id} (${r.run.mode}${r.run.resumed ? t(lang, '，续跑', ', resumed') : ''})  ${t(lang, '规则', 'rules')} ${r.run.rulesVersion} ${r.run.rulesDigest.slice(0, 12)}  ${t(lang, '日期', 'today')} ${r.run.today}`,
    `${t(lang, '安装包', 'packages')}: ${r.total}  ${t(lang, '本次处理', 'this run')}: ${r.processed}${r.alreadyDone ? `  ${t(lang, '此前已完成', 'done before')}: ${r.alreadyDone}` : ''}  ${t(lang, '解析', 'parsed')}: ${r.parsed}  ${t(lang, '使用缓存', 'from cache')}: ${r.fromCache}`,
    `${t(lang, '状态', 'status')}: ok ${r.status.ok}, error ${r.status.error}, unchanged ${r.status.unchanged}, no-facts ${r.status['no-facts']}`,
    `${t(lang, '结论', 'verdicts')}: ${(Object.entries(r.verdicts) as [Verdict, number][]).map(([k, n]) => `${verdictText(k, lang)} ${n}`).join(', ')}`,
    `${t(lang, '与上次相比', 'against the previous scan')}: ${t(lang, '新增不通过', 'new failures')} ${d.newFailures}, ${t(lang, '已修复', 'fixed')} ${d.fixed}; ${t(lang, '新问题', 'new issues')} ${d.newIssues}, ${t(lang, '已整改', 'resolved')} ${d.resolvedIssues}, ${t(lang, '仍未整改', 'still open')} ${d.stillOpen}, ${t(lang, '已逾期', 'overdue')} ${d.overdue}, ${t(lang, '待更新备案', 'filing updates due')} ${d.filingUpdatesDue}`,
    `${t(lang, '用时', 'time')}: ${r.seconds.toFixed(2)} s, ${r.packagesPerSecond.toFixed(0)} ${t(lang, '个/秒', 'packages/s')}${r.bytesParsed ? `, ${r.mbPerSecond.toFixed(1)} MB/s` : ''}`,
  ];
  for (const c of d.newFailureList.slice(0, 20)) lines.push(`  ${t(lang, '新增不通过', 'new failure')}: ${c.package} (${verdictText(c.from, lang)} → ${verdictText(c.to, lang)})`);
  for (const c of d.fixedList.slice(0, 20)) lines.push(`  ${t(lang, '已修复', 'fixed')}: ${c.package} (${verdictText(c.from, lang)} → ${verdictText(c.to, lang)})`);
  for (const i of d.overdueList.slice(0, 20)) lines.push(`  ${t(lang, '已逾期', 'overdue')}: ${i.package} ${i.rule} ${t(lang, '期限', 'deadline')} ${i.deadline}`);
  for (const e of r.errors.slice(0, 20)) lines.push(`  ${t(lang, '读取失败', 'error')}: ${e.package}: ${e.message} [${e.code}]`);
  return `${lines.join('\n')}\n`;
}

const esc = (s: unknown) => String(s ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** A self-contained HTML page: summary, blacklist candidates, open issues, entries. No scripts. */
export function renderRegistryHtml(s: RegistrySummary, entries: Iterable<EntryRow>, issues: readonly IssueRow[], blacklist: readonly BlacklistCandidate[], lang: Lang, today: string): string {
  const rows = (head: string[], body: string[][]) => `<table><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${body.map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`).join('')}</tbody></table>`;
  const entryRows: string[][] = [];
  for (const e of entries) entryRows.push([String(e.id), e.app ?? '', e.packageId ?? '', e.version ?? '', e.status === 'error' ? `error ${e.errorCode}` : verdictText(e.verdict, lang), e.high === null ? '' : `${e.high}/${e.medium}/${e.low}`, String(e.openIssues), String(e.overdue), e.nextDeadline ?? '', e.path]);
  return `<!doctype html>
<html lang="${lang === 'zh' ? 'zh-CN' : 'en'}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>${esc(t(lang, '教育 App 备案登记复检汇总', 'Education app registry summary'))}</title>
<style>body{font:14px/1.5 system-ui,sans-serif;margin:2em}table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:.2em .5em;text-align:left}th{background:#f3f3f3}.n{font-size:1.4em;font-weight:600}</style>
</head><body>
<h1>${esc(t(lang, '教育 App 备案登记复检汇总', 'Education app registry summary'))}</h1>
<p>${esc(t(lang, '日期', 'Date'))}: ${esc(today)}</p>
<pre>${esc(renderSummaryText(s, lang))}</pre>
<h2>${esc(t(lang, '黑名单候选（逾期未整改）', 'Blacklist candidates (overdue)'))}</h2>
${rows([t(lang, '提供者', 'provider'), t(lang, '逾期问题', 'overdue issues'), t(lang, '涉及安装包', 'packages'), t(lang, '最早期限', 'oldest deadline'), t(lang, '备案表', 'record')], blacklist.map((b) => [b.unit ?? '', String(b.overdueIssues), String(b.packages), b.oldestDeadline, b.record ?? '']))}
<h2>${esc(t(lang, '未关闭的问题', 'Open issues'))}</h2>
${rows([t(lang, '状态', 'state'), t(lang, '期限', 'deadline'), t(lang, '规则', 'rule'), t(lang, '级别', 'severity'), t(lang, '应用', 'app'), t(lang, '说明', 'message')], issues.map((i) => [stateText(i.state, lang), i.deadline ?? '', i.rule, i.severity, i.app ?? i.package, lang === 'zh' ? i.message.zh : i.message.en]))}
<h2>${esc(t(lang, '登记条目', 'Entries'))}</h2>
${rows(['id', t(lang, '应用', 'app'), t(lang, '包名', 'package id'), t(lang, '版本', 'version'), t(lang, '结论', 'verdict'), 'H/M/L', t(lang, '待整改', 'open'), t(lang, '逾期', 'overdue'), t(lang, '最近期限', 'next deadline'), t(lang, '文件', 'file')], entryRows)}
</body></html>
`;
}
