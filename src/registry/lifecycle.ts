// The remediation clock and the version history, as pure functions over check results.
//  - A finding is tracked per registry entry by a key that leaves the package hash out (rule + evidence), so the
//    same problem in the next version of the package stays open with its first deadline.
//  - A new unsuppressed high finding must be fixed within 15 working days, or the provider is a blacklist
//    candidate: 整改不及时（15个工作日未修复）…纳入黑名单…撤销涉事教育移动应用备案 (备案常见问题答疑, seeds 000/001;
//    管理办法 第二十四条).
//  - A new version of a filed app that adds permission categories, changes its signer or package id, or breaks a
//    rule the previous version did not, is a change of the filed information: 提供者已有备案信息发生变化的，应在
//    10个工作日内…更新备案信息 (《教育移动互联网应用程序备案管理办法》第十五条).
import { hash } from 'node:crypto';
import type { WorkCalendar } from '../calendar/calendar.js';
import type { CheckResult, Finding, Severity, Text } from '../check/types.js';
import { isEduscanError } from '../errors.js';
import type { PackageFacts } from '../facts/schema.js';

export const REMEDIATION_WORKING_DAYS = 15;
export const FILING_UPDATE_WORKING_DAYS = 10;
/** "Due soon": this many working days or fewer left. */
export const DUE_SOON_WORKING_DAYS = 3;
/** The pseudo-rule of a "filing update due" issue. */
export const FILING_UPDATE_RULE = 'REG-FILING-UPDATE';
/** Severities that are tracked as issues (info notices are not problems to fix). */
export const TRACKED: readonly Severity[] = ['high', 'medium', 'low'];
/** Severities that count as "breaking a rule" for the version comparison. */
const BREAKING: readonly Severity[] = ['high', 'medium'];

export function issueKey(f: Pick<Finding, 'rule' | 'evidence'>): string {
  const values = f.evidence.map((e) => `${e.kind}\u0001${e.value}`).sort();
  // One-shot hash(): a fifth of the cost of createHash() for short inputs, and this runs for every finding.
  return hash('sha256', `${f.rule}\u0000${values.join('\u0000')}`);
}

export interface VersionSnapshot {
  packageId: string;
  versionName?: string;
  versionCode?: string;
  /** First signer certificate's SHA-256 (Android), team:ID (iOS), '' when unsigned. */
  signer: string;
  categories: string[];
  /** Rules with unsuppressed high/medium findings. */
  rules: string[];
}

export function signerOf(facts: PackageFacts): string {
  const cert = facts.signing?.signers[0]?.certificates[0]?.certSha256;
  if (cert) return cert;
  const team = facts.ios?.provisioning?.teamId;
  return team ? `team:${team}` : '';
}

export function snapshot(result: CheckResult): VersionSnapshot {
  const f = result.package;
  return {
    packageId: f.id,
    ...(f.versionName === undefined ? {} : { versionName: f.versionName }),
    ...(f.versionCode === undefined ? {} : { versionCode: f.versionCode }),
    signer: signerOf(f),
    categories: result.detected.map((d) => d.label).sort(),
    rules: [...new Set(result.findings.filter((x) => !x.suppressed && BREAKING.includes(x.severity)).map((x) => x.rule))].sort(),
  };
}

export type VersionChange =
  | { kind: 'categories-added'; added: string[] }
  | { kind: 'signer-changed'; from: string; to: string }
  | { kind: 'package-id-changed'; from: string; to: string }
  | { kind: 'new-rule-broken'; rules: string[] };

export function versionChanges(prev: VersionSnapshot, cur: VersionSnapshot): VersionChange[] {
  const out: VersionChange[] = [];
  const added = cur.categories.filter((c) => !prev.categories.includes(c));
  if (added.length) out.push({ kind: 'categories-added', added });
  if (prev.signer !== cur.signer) out.push({ kind: 'signer-changed', from: prev.signer, to: cur.signer });
  if (prev.packageId !== cur.packageId) out.push({ kind: 'package-id-changed', from: prev.packageId, to: cur.packageId });
  const rules = cur.rules.filter((r) => !prev.rules.includes(r));
  if (rules.length) out.push({ kind: 'new-rule-broken', rules });
  return out;
}

const short = (s: string) => (s.length > 16 ? `${s.slice(0, 16)}…` : s || '(unsigned)');

export function describeChanges(changes: readonly VersionChange[], version: string): Text {
  const zh: string[] = [];
  const en: string[] = [];
  for (const c of changes) {
    if (c.kind === 'categories-added') {
      zh.push(`新增权限类别 ${c.added.join('、')}`);
      en.push(`adds permission categories ${c.added.join(', ')}`);
    } else if (c.kind === 'signer-changed') {
      zh.push(`签名证书变更 ${short(c.from)} → ${short(c.to)}`);
      en.push(`signer certificate changed ${short(c.from)} -> ${short(c.to)}`);
    } else if (c.kind === 'package-id-changed') {
      zh.push(`包名变更 ${c.from} → ${c.to}`);
      en.push(`package id changed ${c.from} -> ${c.to}`);
    } else {
      zh.push(`新违反规则 ${c.rules.join('、')}`);
      en.push(`breaks new rules ${c.rules.join(', ')}`);
    }
  }
  return {
    zh: `新版本 ${version}：${zh.join('；')}；应在 ${FILING_UPDATE_WORKING_DAYS} 个工作日内更新备案`,
    en: `new version ${version} ${en.join('; ')}: the filing must be updated within ${FILING_UPDATE_WORKING_DAYS} working days`,
  };
}

export interface Deadline {
  deadline: string | null;
  /** Why there is no deadline (a year the calendar does not cover). */
  note: string | null;
}

/** The date `days` working days after `from`, or no date with the calendar's reason. */
export function deadlineAfter(cal: WorkCalendar, from: string, days: number): Deadline {
  try {
    return { deadline: cal.addWorkingDays(from, days), note: null };
  } catch (e) {
    if (isEduscanError(e) && e.code === 'E_CALENDAR') return { deadline: null, note: e.message };
    throw e;
  }
}

export type IssueState = 'open' | 'due-soon' | 'overdue' | 'suppressed' | 'resolved';

export interface IssueTiming {
  deadline: string | null;
  resolved_at: string | null;
  suppressed_reason: string | null;
}

/** State of an issue on `today`; due-soon needs the calendar (unknown years count as not due soon). */
export function issueState(cal: WorkCalendar, i: IssueTiming, today: string): { state: IssueState; workingDaysLeft: number | null } {
  if (i.resolved_at) return { state: 'resolved', workingDaysLeft: null };
  if (i.suppressed_reason) return { state: 'suppressed', workingDaysLeft: null };
  if (!i.deadline) return { state: 'open', workingDaysLeft: null };
  if (i.deadline < today) return { state: 'overdue', workingDaysLeft: 0 };
  let left: number | null = null;
  try {
    left = cal.workingDaysBetween(today, i.deadline);
  } catch (e) {
    if (!(isEduscanError(e) && e.code === 'E_CALENDAR')) throw e;
  }
  return { state: left !== null && left <= DUE_SOON_WORKING_DAYS ? 'due-soon' : 'open', workingDaysLeft: left };
}
