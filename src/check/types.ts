// The check contract: what `eduscan check` computes from PackageFacts + a filing record, and what every
// report format (text, JSON, SARIF, HTML) and the filing-record writer render. JSON is canonical.
import type { PackageFacts } from '../facts/schema.js';

/** The 13 permission checkboxes of the provider filing form (提供者备案 获取的权限), in form order. */
export const PERMISSION_LABELS = [
  '短信', '电话', '通讯录', '日历', '调用摄像头', '启用录音', '发送彩信', '读取位置信息', '使用呼叫转移',
  '读取应用数据', '获取浏览器上网记录', '读取已安装应用列表', '其它',
] as const;
export type PermissionLabel = (typeof PERMISSION_LABELS)[number];

/** English names for reports in --lang en. */
export const PERMISSION_LABELS_EN = {
  短信: 'SMS', 电话: 'Phone', 通讯录: 'Contacts', 日历: 'Calendar', 调用摄像头: 'Camera', 启用录音: 'Microphone',
  发送彩信: 'Send MMS', 读取位置信息: 'Location', 使用呼叫转移: 'Call forwarding', 读取应用数据: 'App data / shared storage',
  获取浏览器上网记录: 'Browser history', 读取已安装应用列表: 'Installed apps list', 其它: 'Other',
} as const satisfies Record<PermissionLabel, string>;

export const SEVERITIES = ['high', 'medium', 'low', 'info'] as const;
export type Severity = (typeof SEVERITIES)[number];
export const SEVERITY_ZH = { high: '高', medium: '中', low: '低', info: '提示' } as const satisfies Record<Severity, string>;

export const VERDICTS = ['pass', 'explain', 'fail', 'unassessable'] as const;
export type Verdict = (typeof VERDICTS)[number];
export const VERDICT_ZH = { pass: '通过', explain: '需说明', fail: '不通过', unassessable: '不可评估' } as const satisfies Record<Verdict, string>;

export interface Text {
  zh: string;
  en: string;
}

/** Where a finding or a ticked checkbox comes from: one fact of the package or the record. */
export interface Evidence {
  /** permission | usage-key | component | manifest | network-config | signing | plist | provisioning | macho | sdk | zip | record | file */
  kind: string;
  /** The fact, e.g. "android.permission.READ_SMS", "cn.x.MainActivity", "NSAppTransportSecurity.NSAllowsArbitraryLoads". */
  value: string;
  /** Where in the package or record, e.g. "AndroidManifest.xml <uses-permission>", "apps[0].md5". */
  location?: string;
  /** D definite (a permission or key that grants it), I indicative (code/SDK signal), R for the reviewer. */
  strength?: 'D' | 'I' | 'R';
}

export interface Suppression {
  rule: string;
  reason: string;
  by: string;
  /** yyyy-mm-dd; past it the suppression no longer applies and is reported as expired. */
  until?: string;
  /** Limit to packages (ids, globs allowed). */
  packages?: string[];
}

export interface Finding {
  rule: string;
  severity: Severity;
  title: Text;
  message: Text;
  rationale: Text;
  /** The regulation, standard or reference the rule rests on. */
  basis: string;
  evidence: Evidence[];
  /** Stable across runs: sha256(package sha256 + rule + evidence values). */
  fingerprint: string;
  suppressed?: Suppression;
}

export interface CategoryDetection {
  label: PermissionLabel;
  evidence: Evidence[];
}

export interface CheckResult {
  tool: { name: 'eduscan'; version: string };
  rules: { version: string; digest: string; count: number };
  createdAt: string;
  verdict: Verdict;
  /** Why the verdict is what it is, one line per reason. */
  verdictReasons: Text[];
  counts: Record<Severity, number>;
  /** Package facts as scanned. `package.file.md5` is the form's 安装包MD5码. */
  package: PackageFacts;
  /** Which record and which app in it the package was compared with; absent for a package-only check. */
  record?: { file?: string; app: string; index: number };
  /** The use filings (使用者备案) the check took into account: who uses the app, and whether it is required. */
  uses?: { unit: string; usage: string; users: string[]; file?: string }[];
  /** Checkbox categories the package takes, with evidence; `其它` lists everything that landed there. */
  detected: CategoryDetection[];
  /** Checkbox labels ticked on the record. */
  filed: PermissionLabel[];
  /** Detected but not filed: each one fails the check. */
  undeclared: CategoryDetection[];
  /** Filed but no evidence in the package (a low-severity notice). */
  notDetected: PermissionLabel[];
  findings: Finding[];
  /** Suppressions whose `until` date has passed (they no longer apply). */
  expiredSuppressions: Suppression[];
  /** Checks that could not be run on this package (packed code, encrypted binary...), and why. */
  notAssessable: Text[];
  /** What a package cannot show: consent flows, runtime behaviour, privacy policy (需人工/动态). */
  manual: Text[];
}
