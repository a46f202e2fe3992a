// Writing into records: the 检测结果 block replaces exactly `apps[i].scan` and nothing else (the texts are diffed),
// in YAML (comments, order, indentation, CRLF) and JSON (indent style, minified); fill adds ticks and never
// removes one.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { PERMISSION_LABELS, type CategoryDetection, type CheckResult, type PermissionLabel } from '../../src/check/types.js';
import { isEduscanError } from '../../src/errors.js';
import { parseFilingText, type FilingDocument, type FilingFormat } from '../../src/filing/load.js';
import { ScanBlockSchema, type ScanBlock } from '../../src/filing/schema.js';
import { fillApp, scanBlockFromResult, writeScanBlock } from '../../src/filing/write.js';
import { ROOT, SCAN_BLOCK, smartclassFacts, stubDetect } from './helpers.js';
import { rng } from '../helpers/rng.js';

const SAMPLE_TEXT = readFileSync(join(ROOT, 'samples', 'filing', 'smartclass.provider.yaml'), 'utf8');
const SAMPLE_RAW = parse(SAMPLE_TEXT) as Record<string, unknown>;
const facts = smartclassFacts();
const detected = stubDetect(facts);

/** The one contiguous region where two texts differ: what was removed and what was added there. */
function changedRegion(before: string, after: string): { at: number; removed: string; added: string } {
  let p = 0;
  while (p < before.length && p < after.length && before[p] === after[p]) p++;
  let s = 0;
  while (s < before.length - p && s < after.length - p && before[before.length - 1 - s] === after[after.length - 1 - s]) s++;
  return { at: p, removed: before.slice(p, before.length - s), added: after.slice(p, after.length - s) };
}

function doc(text: string, format: FilingFormat = 'yaml'): FilingDocument {
  return parseFilingText(text, { format });
}

function readBack(text: string, format: FilingFormat): Record<string, unknown> {
  return (format === 'json' ? JSON.parse(text.replace(/^\ufeff/, '')) : parse(text)) as Record<string, unknown>;
}

function withScan(raw: Record<string, unknown>, index: number, block: ScanBlock, path = ['apps']): Record<string, unknown> {
  const out = structuredClone(raw);
  let apps = out as Record<string, unknown>;
  for (const k of path) apps = apps[k] as Record<string, unknown>;
  (apps as unknown as Record<string, unknown>[])[index]!.scan = block;
  return out;
}

describe('writeScanBlock on YAML', () => {
  it('inserts the block into the commented sample and changes nothing else', () => {
    const after = writeScanBlock(doc(SAMPLE_TEXT), 0, SCAN_BLOCK);
    const d = changedRegion(SAMPLE_TEXT, after);
    expect(d.removed).toBe('');
    // The added text is whole lines at the app's indentation, starting with the key.
    expect(d.added).toMatch(/^ {4}scan:\n( {6}\S.*\n| {8}.*\n)+$/);
    expect(parse(d.added.replace(/^ {4}/gm, ''))).toEqual({ scan: SCAN_BLOCK });
    expect(readBack(after, 'yaml')).toEqual(withScan(SAMPLE_RAW, 0, SCAN_BLOCK));
    // Every comment line survives, in order.
    const comments = (t: string) => t.split('\n').filter((l) => l.includes('#'));
    expect(comments(after)).toEqual(comments(SAMPLE_TEXT));
    expect(doc(after).problems).toEqual([]);
  });

  it('replaces an existing block in place: only the old block\'s lines change', () => {
    const first = writeScanBlock(doc(SAMPLE_TEXT), 0, SCAN_BLOCK);
    const next: ScanBlock = { ...SCAN_BLOCK, verdict: 'pass', verdictZh: '通过', counts: { high: 0, medium: 0, low: 1, info: 0 }, findings: [], undeclared: [], checkedAt: '2025-02-01T09:30:00.000Z' };
    const second = writeScanBlock(doc(first), 0, next);
    const d = changedRegion(first, second);
    const start = first.indexOf('    scan:\n');
    const end = start + (/^ {4}scan:\n(?: {6}.*\n)*/m.exec(first.slice(start))?.[0].length ?? 0);
    // The changed region lies inside the old block.
    expect(d.at).toBeGreaterThanOrEqual(start);
    expect(d.at + d.removed.length).toBeLessThanOrEqual(end);
    expect(readBack(second, 'yaml')).toEqual(withScan(SAMPLE_RAW, 0, next));
    // Writing the same block again is a no-op.
    expect(writeScanBlock(doc(second), 0, next)).toBe(second);
  });

  it('touches only the targeted app among several', () => {
    const two = SAMPLE_TEXT.replace(/\n# suppress:/, `\n  - name: 智慧课堂 iOS 版   # second app\n    version: "2.3"\n    platform: ios\n    functionType: 学习类\n    audience: [学生-中小学]\n    serviceContent: 同上\n    permissions: [调用摄像头]\n    features: []\n\n# suppress:`);
    const d0 = doc(two);
    expect(d0.problems).toEqual([]);
    const after = writeScanBlock(d0, 1, SCAN_BLOCK);
    const d = changedRegion(two, after);
    expect(d.removed).toBe('');
    expect(d.at).toBeGreaterThan(two.indexOf('second app'));
    expect(readBack(after, 'yaml')).toEqual(withScan(d0.raw, 1, SCAN_BLOCK));
  });

  it('keeps CRLF line ends and 4-space indentation', () => {
    const text = stringify(SAMPLE_RAW, { indent: 4, indentSeq: false }).replace(/\n/g, '\r\n');
    const after = writeScanBlock(doc(text), 0, SCAN_BLOCK);
    expect(after.replace(/\r\n/g, '')).not.toContain('\n');
    const d = changedRegion(text, after);
    expect(d.removed).toBe('');
    expect(d.added.startsWith('    scan:\r\n        tool: eduscan\r\n')).toBe(true);
    // yaml's own writer indents nested lists inside list items even with indentSeq off; either is this file's style.
    expect(d.added).toMatch(/ {8}findings:\r\n( {8}| {12})- EDU-PKG-005\r\n/);
    expect(readBack(after, 'yaml')).toEqual(withScan(SAMPLE_RAW, 0, SCAN_BLOCK));
  });

  it('a flow-style app entry is re-serialised (values exact, formatting may change)', () => {
    const text = `kind: provider\nprovider: ${JSON.stringify(SAMPLE_RAW.provider)}\nsystems: ${JSON.stringify(SAMPLE_RAW.systems)}\napps: ${JSON.stringify(SAMPLE_RAW.apps)}\n`;
    const after = writeScanBlock(doc(text), 0, SCAN_BLOCK);
    expect(readBack(after, 'yaml')).toEqual(withScan(SAMPLE_RAW, 0, SCAN_BLOCK));
  });

  it('a 自研自用 use filing gets the block at providerFiling.apps[i]', () => {
    const use = parse(readFileSync(join(ROOT, 'samples', 'filing', 'use-filing.yaml'), 'utf8')) as Record<string, unknown>;
    const raw = { ...use, selfDeveloped: true, providerFiling: { provider: SAMPLE_RAW.provider, apps: SAMPLE_RAW.apps } };
    const text = stringify(raw);
    const after = writeScanBlock(doc(text), 0, SCAN_BLOCK);
    expect(changedRegion(text, after).removed).toBe('');
    expect(readBack(after, 'yaml')).toEqual(withScan(raw, 0, SCAN_BLOCK, ['providerFiling', 'apps']));
  });

  it('an app reached through a YAML alias is E_RECORD, not a crash', () => {
    const text = 'kind: provider\nx: &a {name: a, platform: android}\napps:\n  - *a\n';
    for (const f of [() => writeScanBlock(doc(text), 0, SCAN_BLOCK), () => fillApp(doc(text), 0, facts, detected)]) {
      try {
        f();
        expect.unreachable();
      } catch (e) {
        expect(isEduscanError(e) && e.code).toBe('E_RECORD');
        expect((e as Error).message).toMatch(/^cannot write apps\[0\]\.\w+ into the record: .*YAML aliases\)$/);
      }
    }
  });

  it('refuses a missing app entry (E_RECORD) and an invalid block (a bug)', () => {
    try {
      writeScanBlock(doc(SAMPLE_TEXT), 3, SCAN_BLOCK);
      expect.unreachable();
    } catch (e) {
      expect(isEduscanError(e) && e.code).toBe('E_RECORD');
    }
    expect(() => writeScanBlock(doc(SAMPLE_TEXT), 0, { ...SCAN_BLOCK, md5: 'x' })).toThrow(/bug: invalid scan block/);
  });
});

describe('writeScanBlock on JSON', () => {
  const styles: [string, string, string][] = [
    ['2 spaces', '  ', '\n'],
    ['4 spaces', '    ', '\n'],
    ['tabs', '\t', '\n'],
    ['2 spaces, CRLF', '  ', '\r\n'],
  ];
  for (const [name, indent, eol] of styles) {
    it(`${name}: inserts after the last member, in the file's indentation`, () => {
      const text = JSON.stringify(SAMPLE_RAW, null, indent).replace(/\n/g, eol) + eol;
      const after = writeScanBlock(doc(text, 'json'), 0, SCAN_BLOCK);
      const d = changedRegion(text, after);
      expect(d.removed).toBe('');
      const appIndent = indent.repeat(3);
      expect(d.added.startsWith(`,${eol}${appIndent}"scan": {${eol}${appIndent}${indent}"tool": "eduscan",${eol}`)).toBe(true);
      expect(readBack(after, 'json')).toEqual(withScan(SAMPLE_RAW, 0, SCAN_BLOCK));
      // Replacing it again changes only the block's own text.
      const next = { ...SCAN_BLOCK, verdict: 'explain' as const, verdictZh: '需说明' };
      const again = writeScanBlock(doc(after, 'json'), 0, next);
      const d2 = changedRegion(after, again);
      expect(d2.at).toBeGreaterThan(after.indexOf('"scan"'));
      expect(readBack(again, 'json')).toEqual(withScan(SAMPLE_RAW, 0, next));
    });
  }

  it('minified JSON stays minified', () => {
    const text = JSON.stringify(SAMPLE_RAW);
    const after = writeScanBlock(doc(text, 'json'), 0, SCAN_BLOCK);
    expect(after).not.toContain('\n');
    expect(changedRegion(text, after).removed).toBe('');
    expect(after).toBe(JSON.stringify(withScan(SAMPLE_RAW, 0, SCAN_BLOCK)));
  });

  it('keeps hand formatting elsewhere (one-line arrays, spacing, key order)', () => {
    const text = '{\n  "kind": "provider",\n  "provider": ' + JSON.stringify(SAMPLE_RAW.provider) + ',\n  "systems": ' + JSON.stringify(SAMPLE_RAW.systems) + ',\n  "apps": [\n    {\n      "name": "智慧课堂",   "version": "2.3.1",\n      "platform": "android", "packageId": "cn.example.smartclass",\n      "md5": "58ba3e77dbf731f6c975eb36598d52fc", "functionType": "学习类", "audience": ["学生-中小学"],\n      "serviceContent": "课堂", "permissions": ["通讯录", "调用摄像头"], "features": []\n    }\n  ]\n}\n';
    const d0 = doc(text, 'json');
    expect(d0.problems).toEqual([]);
    const after = writeScanBlock(d0, 0, SCAN_BLOCK);
    const d = changedRegion(text, after);
    expect(d.removed).toBe('');
    expect(d.at).toBe(text.indexOf('"features": []') + '"features": []'.length);
    expect(readBack(after, 'json')).toEqual(withScan(d0.raw, 0, SCAN_BLOCK));
  });
});

describe('scanBlockFromResult', () => {
  it('counts unsuppressed rules once, lists undeclared boxes, and validates', () => {
    const finding = (rule: string, suppressed = false) => ({
      rule, severity: 'high' as const, title: { zh: 't', en: 't' }, message: { zh: 'm', en: 'm' }, rationale: { zh: 'r', en: 'r' }, basis: 'b', evidence: [], fingerprint: rule,
      ...(suppressed ? { suppressed: { rule, reason: '已说明', by: '审核员' } } : {}),
    });
    const result: CheckResult = {
      tool: { name: 'eduscan', version: '0.1.0' }, rules: { version: '1', digest: 'sha256:abc', count: 50 }, createdAt: '2025-01-31T08:00:00.000Z',
      verdict: 'fail', verdictReasons: [], counts: { high: 2, medium: 0, low: 0, info: 0 }, package: facts, detected, filed: [],
      undeclared: detected.filter((d) => d.label === '短信'), notDetected: [],
      findings: [finding('EDU-AND-MAN-001'), finding('EDU-AND-MAN-001'), finding('EDU-AND-NET-001', true), finding('EDU-PKG-005')],
      expiredSuppressions: [], notAssessable: [], manual: [],
    };
    const block = scanBlockFromResult(result);
    expect(ScanBlockSchema.parse(block)).toEqual(block);
    expect(block).toMatchObject({ md5: facts.file.md5, sha256: facts.file.sha256, verdictZh: '不通过', findings: ['EDU-AND-MAN-001', 'EDU-PKG-005'], undeclared: ['短信'] });
  });

  it('lists the SDK inventory with at most three distinct places each', () => {
    const evidence = ['com.qq.e.ads', 'com.qq.e.comm', 'com.qq.e.comm', 'libgdtadv2.so', 'com.qq.e.union'].map((value) => ({ kind: 'class' as const, value, location: 'classes.dex' }));
    const withSdks = { ...facts, sdks: [{ id: 'gdt', name: '优量汇（广点通）', vendor: '腾讯', category: 'advertising' as const, evidence }] };
    const result = { tool: { name: 'eduscan', version: '0.1.0' }, rules: { version: '1', digest: 'sha256:abc', count: 1 }, createdAt: '2025-01-31T08:00:00.000Z', verdict: 'pass', verdictReasons: [], counts: { high: 0, medium: 0, low: 0, info: 0 }, package: withSdks, detected, filed: [], undeclared: [], notDetected: [], findings: [], expiredSuppressions: [], notAssessable: [], manual: [] } as CheckResult;
    const block = scanBlockFromResult(result);
    expect(ScanBlockSchema.parse(block)).toEqual(block);
    expect(block.sdks).toEqual([{ name: '优量汇（广点通）', vendor: '腾讯', category: 'advertising', where: ['com.qq.e.ads', 'com.qq.e.comm', 'libgdtadv2.so'] }]);
  });

  it('accepts a block written before the inventory existed', () => {
    const { sdks: _dropped, ...old } = { ...SCAN_BLOCK, sdks: [] };
    expect(ScanBlockSchema.safeParse(old).success).toBe(true);
  });
});

describe('fillApp', () => {
  it('ticks only the missing box on the sample (短信, with its evidence) and changes nothing else', () => {
    const r = fillApp(doc(SAMPLE_TEXT), 0, facts, detected);
    expect(r.changes).toEqual([{ path: 'apps[0].permissions', from: ['通讯录', '调用摄像头', '启用录音', '读取位置信息', '读取应用数据'], to: ['通讯录', '调用摄像头', '启用录音', '读取位置信息', '读取应用数据', '短信'], evidence: { 短信: ['android.permission.READ_SMS'] } }]);
    expect(r.conflicts).toEqual([]);
    expect(r.text).toBe(SAMPLE_TEXT.replace('      - 读取应用数据\n', '      - 读取应用数据\n      - 短信\n'));
  });

  it('follows the package for version and MD5; platform and package id are never overwritten', () => {
    const raw = structuredClone(SAMPLE_RAW);
    Object.assign((raw.apps as Record<string, unknown>[])[0]!, { version: '2.2.0', md5: 'A'.repeat(32), platform: 'ios', packageId: 'cn.example.other' });
    const r = fillApp(doc(stringify(raw)), 0, facts, detected);
    expect(r.changes.map((c) => [c.path, c.from, c.to])).toEqual([
      ['apps[0].version', '2.2.0', '2.3.1'],
      ['apps[0].md5', 'A'.repeat(32), facts.file.md5],
      ['apps[0].permissions', ['通讯录', '调用摄像头', '启用录音', '读取位置信息', '读取应用数据'], ['通讯录', '调用摄像头', '启用录音', '读取位置信息', '读取应用数据', '短信']],
    ]);
    expect(r.conflicts).toEqual([
      { path: 'apps[0].platform', recorded: 'ios', package: 'android' },
      { path: 'apps[0].packageId', recorded: 'cn.example.other', package: 'cn.example.smartclass' },
    ]);
    const app = (readBack(r.text, 'yaml').apps as Record<string, unknown>[])[0]!;
    expect(app).toMatchObject({ platform: 'ios', packageId: 'cn.example.other', version: '2.3.1', md5: facts.file.md5 });
    // An MD5 that differs only in case is the same MD5.
    Object.assign((raw.apps as Record<string, unknown>[])[0]!, { md5: facts.file.md5.toUpperCase() });
    expect(fillApp(doc(stringify(raw)), 0, facts, detected).changes.map((c) => c.path)).not.toContain('apps[0].md5');
  });

  it('fills empty fields and adds names to 其它权限说明 without dropping the text', () => {
    const raw = structuredClone(SAMPLE_RAW);
    const app = (raw.apps as Record<string, unknown>[])[0]!;
    delete app.packageId;
    delete app.md5;
    app.permissions = ['其它'];
    app.permissionsOther = '蓝牙（连接点读笔）';
    const other: CategoryDetection[] = [...detected, { label: '其它', evidence: [{ kind: 'permission', value: 'android.permission.BLUETOOTH_SCAN' }, { kind: 'permission', value: 'android.permission.SYSTEM_ALERT_WINDOW' }] }];
    const r = fillApp(doc(stringify(raw)), 0, facts, other);
    const out = (readBack(r.text, 'yaml').apps as Record<string, unknown>[])[0]!;
    expect(out.packageId).toBe('cn.example.smartclass');
    expect(out.md5).toBe(facts.file.md5);
    expect(out.permissions).toEqual(['其它', '短信', '通讯录', '调用摄像头', '启用录音', '读取位置信息', '读取应用数据']);
    expect(out.permissionsOther).toBe('蓝牙（连接点读笔）、android.permission.BLUETOOTH_SCAN、android.permission.SYSTEM_ALERT_WINDOW');
  });

  it('never removes a tick: 300 seeded random records in block YAML, flow YAML and JSON', () => {
    const r = rng(13);
    const pick = () => PERMISSION_LABELS.filter(() => r() < 0.35);
    for (let i = 0; i < 300; i++) {
      const existing: string[] = pick();
      if (r() < 0.2) existing.push('自定义权限'); // invalid entries a person typed stay too
      const want = pick().map((label): CategoryDetection => ({ label, evidence: [{ kind: 'permission', value: `p.${label}` }] }));
      const raw = structuredClone(SAMPLE_RAW);
      const app = (raw.apps as Record<string, unknown>[])[0]!;
      app.permissions = existing;
      app.permissionsOther = 'x';
      const style = i % 3;
      const format: FilingFormat = style === 2 ? 'json' : 'yaml';
      const text = style === 0 ? stringify(raw) : style === 1 ? stringify(raw).replace(/permissions:\n(\s+- .*\n)+/, `permissions: [${existing.join(', ')}]\n`).replace('permissions: []\n', 'permissions: []\n') : JSON.stringify(raw, null, 2);
      const res = fillApp(doc(text, format), 0, facts, want);
      const after = ((readBack(res.text, format).apps as Record<string, unknown>[])[0]!.permissions) as string[];
      const expected = [...existing, ...PERMISSION_LABELS.filter((l) => want.some((w) => w.label === l) && !existing.includes(l))];
      expect(after, `case ${i}`).toEqual(expected);
      // Nothing outside the app's filled fields moved.
      const rest = (t: string, f: FilingFormat) => {
        const v = readBack(t, f);
        const a = (v.apps as Record<string, unknown>[])[0]!;
        delete a.permissions;
        delete a.permissionsOther;
        return v;
      };
      expect(rest(res.text, format)).toEqual(rest(text, format));
    }
  });

  it('appends a new app when the record has none for the package', () => {
    const raw = structuredClone(SAMPLE_RAW);
    Object.assign((raw.apps as Record<string, unknown>[])[0]!, { platform: 'ios', packageId: 'cn.example.smartclass.ios' });
    const text = stringify(raw);
    const r = fillApp(doc(text), undefined, facts, detected);
    expect(r).toMatchObject({ created: 'app', index: 1 });
    expect(changedRegion(text, r.text).removed).toBe('');
    const apps = readBack(r.text, 'yaml').apps as Record<string, unknown>[];
    expect(apps[0]).toEqual((raw.apps as unknown[])[0]);
    expect(apps[1]).toMatchObject({ name: '智慧课堂', version: '2.3.1', platform: 'android', packageId: 'cn.example.smartclass', md5: facts.file.md5 });
  });

  for (const format of ['yaml', 'json'] as const) {
    it(`no record: a ${format} skeleton whose only problems are the fields a person must fill`, () => {
      const r = fillApp(undefined, undefined, facts, detected, { format });
      expect(r.created).toBe('record');
      const d = doc(r.text, format);
      expect(d.kind).toBe('provider');
      const app = (d.raw.apps as Record<string, unknown>[])[0]!;
      expect(app).toMatchObject({ name: facts.labelZh, version: facts.versionName, platform: 'android', packageId: facts.id, md5: facts.file.md5 });
      expect(app.permissions).toEqual(PERMISSION_LABELS.filter((l) => detected.some((x) => x.label === l)));
      const paths = d.problems.map((p) => p.path);
      expect(paths.every((p) => /^(provider|systems\[0\])\.|^apps\[0\]\.(functionType|audience|serviceContent)$/.test(p)), paths.join(' ')).toBe(true);
      expect(paths).toContain('apps[0].audience');
      expect(r.changes.map((c) => c.path)).toEqual(['apps[0].name', 'apps[0].version', 'apps[0].platform', 'apps[0].packageId', 'apps[0].md5', 'apps[0].permissions']);
    });
  }

  it('reports rather than drops a non-list permissions value', () => {
    const raw = structuredClone(SAMPLE_RAW);
    (raw.apps as Record<string, unknown>[])[0]!.permissions = '通讯录、相机';
    const r = fillApp(doc(stringify(raw)), 0, facts, detected);
    expect(r.conflicts).toEqual([{ path: 'apps[0].permissions', recorded: '通讯录、相机', package: PERMISSION_LABELS.filter((l) => detected.some((x) => x.label === l)) as PermissionLabel[] }]);
    expect((readBack(r.text, 'yaml').apps as Record<string, unknown>[])[0]!.permissions).toBe('通讯录、相机');
  });
});
