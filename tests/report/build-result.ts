// Test inputs for the report renderers: the package facts come from a real scan of the sample packages; the
// findings, detections and record around them are built here from those facts (the rule engine and
// check.ts are not under test in tests/report).
import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import type { PackageFacts } from '../../src/facts/schema.js';
import { scanPackage } from '../../src/scan.js';
import {
  SEVERITIES,
  type CategoryDetection, type CheckResult, type Evidence, type Finding, type PermissionLabel, type Severity, type Suppression,
} from '../../src/check/types.js';

export const ROOT = resolve(import.meta.dirname, '..', '..');
export const ANDROID_SAMPLE = resolve(ROOT, 'samples/android/smartclass.apk');
export const IOS_SAMPLE = resolve(ROOT, 'samples/ios/eduscan-sample.ipa');

/** A few Android permissions and iOS usage keys onto the checkboxes: enough for these tests, not the rules file. */
const CATEGORY_OF: Record<string, PermissionLabel> = {
  'android.permission.READ_SMS': '短信',
  'android.permission.READ_CONTACTS': '通讯录',
  'android.permission.CAMERA': '调用摄像头',
  'android.permission.RECORD_AUDIO': '启用录音',
  'android.permission.ACCESS_FINE_LOCATION': '读取位置信息',
  'android.permission.READ_EXTERNAL_STORAGE': '读取应用数据',
  NSCameraUsageDescription: '调用摄像头',
  NSMicrophoneUsageDescription: '启用录音',
  NSLocationWhenInUseUsageDescription: '读取位置信息',
  NSContactsUsageDescription: '通讯录',
};

export function detect(facts: PackageFacts): CategoryDetection[] {
  const byLabel = new Map<PermissionLabel, Evidence[]>();
  for (const p of facts.permissions) {
    const label = CATEGORY_OF[p.name];
    if (!label) continue;
    const ev: Evidence = facts.platform === 'android'
      ? { kind: 'permission', value: p.name, location: 'AndroidManifest.xml <uses-permission>', strength: 'D' }
      : { kind: 'usage-key', value: p.name, location: 'Info.plist', strength: 'D' };
    byLabel.set(label, [...(byLabel.get(label) ?? []), ev]);
  }
  return [...byLabel].map(([label, evidence]) => ({ label, evidence }));
}

export function fingerprint(facts: PackageFacts, rule: string, evidence: Evidence[]): string {
  return createHash('sha256').update([facts.file.sha256, rule, ...evidence.map((e) => e.value)].join('\n')).digest('hex');
}

interface FindingInput {
  rule: string;
  severity: Severity;
  title: [string, string];
  message?: [string, string];
  evidence: Evidence[];
  suppressed?: Suppression;
  basis?: string;
}

export function finding(facts: PackageFacts, f: FindingInput): Finding {
  const [zh, en] = f.title;
  return {
    rule: f.rule,
    severity: f.severity,
    title: { zh, en },
    message: { zh: f.message?.[0] ?? `${zh}。`, en: f.message?.[1] ?? `${en}.` },
    rationale: { zh: `${zh}会带来风险。`, en: `${en} is a risk.` },
    basis: f.basis ?? 'GB/T 41391-2022',
    evidence: f.evidence,
    fingerprint: fingerprint(facts, f.rule, f.evidence),
    ...(f.suppressed ? { suppressed: f.suppressed } : {}),
  };
}

export function counts(findings: Finding[]): Record<Severity, number> {
  const c = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
  for (const f of findings) if (!f.suppressed) c[f.severity]++;
  return c;
}

const MANIFEST = 'AndroidManifest.xml <application>';

/**
 * smartclass.apk against a record that ticks camera, microphone, location, app data and calendar: SMS and
 * contacts are undeclared, calendar is not detected; findings read off the real manifest, one suppressed.
 */
export async function androidResult(): Promise<CheckResult> {
  const facts = await scanPackage(ANDROID_SAMPLE);
  const app = facts.manifest!.application;
  const provider = facts.manifest!.components.find((c) => c.kind === 'provider' && c.exported)!;
  const detected = detect(facts);
  const filed: PermissionLabel[] = ['调用摄像头', '启用录音', '读取位置信息', '读取应用数据', '日历'];
  const undeclared = detected.filter((d) => !filed.includes(d.label));
  const suppression: Suppression = { rule: 'EDU-AND-NET-001', reason: '仅连接校内测试服务器 "lab" <内网>', by: '审核员 张三', until: '2099-12-31' };
  const findings: Finding[] = [
    finding(facts, {
      rule: 'EDU-AND-MAN-001', severity: 'high', title: ['应用可调试', 'App is debuggable'],
      evidence: [{ kind: 'manifest', value: `android:debuggable=${app.debuggable}`, location: MANIFEST, strength: 'D' }],
    }),
    finding(facts, {
      rule: 'EDU-AND-NET-001', severity: 'high', title: ['允许明文传输', 'Cleartext traffic allowed'],
      evidence: [{ kind: 'manifest', value: `android:usesCleartextTraffic=${app.usesCleartextTraffic}`, location: MANIFEST, strength: 'D' }],
      suppressed: suppression,
    }),
    finding(facts, {
      rule: 'EDU-AND-CMP-001', severity: 'high', title: ['导出的 ContentProvider 未设权限', 'Exported provider without permission'],
      evidence: [{ kind: 'component', value: provider.name, location: 'AndroidManifest.xml <provider>' }],
    }),
    finding(facts, {
      rule: 'EDU-AND-MAN-004', severity: 'medium', title: ['允许备份应用数据', 'App data backup allowed'],
      evidence: [{ kind: 'manifest', value: `android:allowBackup=${app.allowBackup}`, location: MANIFEST, strength: 'D' }],
    }),
    ...undeclared.map((u) => finding(facts, {
      rule: 'EDU-FIL-010', severity: 'high', title: [`未申报权限：${u.label}`, `Undeclared permission category: ${u.label}`],
      evidence: [...u.evidence, { kind: 'record', value: u.label, location: 'apps[0].permissions' }],
    })),
    finding(facts, {
      rule: 'EDU-FIL-020', severity: 'low', title: ['备案勾选但未检出：日历', 'Filed but not detected: calendar'],
      evidence: [{ kind: 'record', value: '日历', location: 'apps[0].permissions' }],
    }),
    finding(facts, {
      rule: 'EDU-AND-PRV-014', severity: 'info', title: ['使用摄像头与录音', 'Uses camera and microphone'],
      evidence: detected.filter((d) => d.label === '调用摄像头' || d.label === '启用录音').flatMap((d) => d.evidence),
    }),
  ];
  return {
    tool: { name: 'eduscan', version: '0.1.0' },
    rules: { version: '2026.1', digest: `sha256:${'ab'.repeat(32)}`, count: 57 },
    createdAt: '2026-05-01T08:00:00.000Z',
    verdict: 'fail',
    verdictReasons: [
      ...undeclared.map((u) => ({ zh: `未申报权限类别：${u.label}`, en: `Undeclared permission category: ${u.label}` })),
      { zh: '存在高风险问题', en: 'High-severity findings' },
    ],
    counts: counts(findings),
    package: facts,
    record: { file: 'filing.yaml', app: '智慧课堂', index: 0 },
    detected,
    filed,
    undeclared,
    notDetected: filed.filter((f) => !detected.some((d) => d.label === f)),
    findings,
    expiredSuppressions: [{ rule: 'EDU-AND-MAN-004', reason: '过渡期', by: '审核员 李四', until: '2020-01-31' }],
    notAssessable: [{ zh: '未分析 DEX 代码（无 classes.dex）', en: 'No DEX code to analyse (no classes.dex)' }],
    manual: [
      { zh: '隐私政策是否在首次运行时展示并取得同意', en: 'Privacy policy shown and consented to on first run' },
      { zh: '同意前是否收集个人信息', en: 'Personal data collected before consent' },
    ],
  };
}

/** The IPA sample checked with nothing filed against it: a package-only check that passes. */
export async function iosPackageOnlyResult(): Promise<CheckResult> {
  const facts = await scanPackage(IOS_SAMPLE);
  return {
    tool: { name: 'eduscan', version: '0.1.0' },
    rules: { version: '2026.1', digest: 'cafe', count: 57 },
    createdAt: '2026-05-01T08:00:00Z',
    verdict: 'pass',
    verdictReasons: [],
    counts: { high: 0, medium: 0, low: 0, info: 0 },
    package: facts,
    detected: detect(facts),
    filed: [],
    undeclared: [],
    notDetected: [],
    findings: [],
    expiredSuppressions: [],
    notAssessable: [],
    manual: [],
  };
}

/** Hostile strings as a package could carry them (label, component names, file name). */
export const HOSTILE = {
  label: `<script>alert("x")</script>'"&amp;`,
  component: `cn.evil.<img src=x onerror=alert(1)>"'`,
  terminal: 'Evil\u001b[2J\u001b]0;pwned\u0007\u202eexe.txt',
  fileName: 'my app #1 %zz 课堂.apk',
};

/** The Android result with hostile package data substituted in. */
export async function hostileResult(): Promise<CheckResult> {
  const r = await androidResult();
  r.package = { ...r.package, label: HOSTILE.label, labelZh: HOSTILE.terminal, file: { ...r.package.file, name: HOSTILE.fileName } };
  r.findings = [
    ...r.findings,
    finding(r.package, {
      rule: 'EDU-AND-CMP-002', severity: 'medium', title: ['导出组件', 'Exported component'],
      message: [`组件 ${HOSTILE.component} 已导出`, `Component ${HOSTILE.component} is exported`],
      evidence: [{ kind: 'component', value: HOSTILE.component, location: HOSTILE.label }],
      basis: 'MobSF exported components; see https://developer.android.com/guide/topics/manifest/activity-element#exported',
    }),
  ];
  r.counts = counts(r.findings);
  return r;
}
