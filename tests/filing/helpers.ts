// Shared test inputs: the sample package's real facts, a stand-in for the permission-box detection (the rules
// layer owns the real one; fill only needs *some* detections with evidence), and a valid scan block.
import { resolve } from 'node:path';
import type { CategoryDetection, PermissionLabel } from '../../src/check/types.js';
import type { PackageFacts } from '../../src/facts/schema.js';
import type { ScanBlock } from '../../src/filing/schema.js';
import { scanPackage } from '../../src/scan.js';

export const ROOT = resolve(import.meta.dirname, '../..');
export const SAMPLE_APK = resolve(ROOT, 'samples', 'android', 'smartclass.apk');

const FACTS = await scanPackage(SAMPLE_APK);

/** A fresh copy of samples/android/smartclass.apk's facts, as scanned. */
export function smartclassFacts(): PackageFacts {
  return structuredClone(FACTS);
}

// A few rows of the mapping in ../shared/design/permissions-and-rules.md §1 (D signals only).
const STUB_MAP: Readonly<Record<string, PermissionLabel>> = {
  'android.permission.READ_SMS': '短信',
  'android.permission.SEND_SMS': '短信',
  'android.permission.READ_CONTACTS': '通讯录',
  'android.permission.CAMERA': '调用摄像头',
  'android.permission.RECORD_AUDIO': '启用录音',
  'android.permission.ACCESS_FINE_LOCATION': '读取位置信息',
  'android.permission.READ_EXTERNAL_STORAGE': '读取应用数据',
  'android.permission.BLUETOOTH_SCAN': '其它',
  'android.permission.SYSTEM_ALERT_WINDOW': '其它',
};

/** Test stand-in for the rules layer's detection: one CategoryDetection per label, with its permissions. */
export function stubDetect(facts: PackageFacts): CategoryDetection[] {
  const byLabel = new Map<PermissionLabel, CategoryDetection>();
  for (const p of facts.permissions) {
    const label = STUB_MAP[p.name];
    if (!label) continue;
    const d = byLabel.get(label) ?? { label, evidence: [] };
    d.evidence.push({ kind: 'permission', value: p.name, location: 'AndroidManifest.xml <uses-permission>', strength: 'D' });
    byLabel.set(label, d);
  }
  return [...byLabel.values()];
}

export const SCAN_BLOCK: ScanBlock = {
  tool: 'eduscan',
  toolVersion: '0.1.0',
  rulesDigest: 'sha256:0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0',
  checkedAt: '2025-01-31T08:00:00.000Z',
  md5: '58ba3e77dbf731f6c975eb36598d52fc',
  sha256: '41293a80444f76c55e818af645b33562696ade816ae5b9b3b77f670d5ff2f089',
  verdict: 'fail',
  verdictZh: '不通过',
  counts: { high: 2, medium: 1, low: 0, info: 3 },
  findings: ['EDU-PKG-005', 'EDU-AND-MAN-001'],
  undeclared: ['短信'],
};
