// Text report and 检测结果 block on a real scan of samples/android/smartclass.apk with findings built from it.
import { spawnSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { PERMISSION_LABELS, VERDICTS, type CheckResult } from '../../src/check/types.js';
import { categoryLabel, displayWidth, renderCheckText, renderScanBlockText } from '../../src/report/check-text.js';
import { androidResult, HOSTILE, hostileResult, iosPackageOnlyResult } from './build-result.js';

const SAMPLES = [
  ...PERMISSION_LABELS, '获取浏览器上网记录', 'Smart Class', '智慧课堂 / Smart Class', '（全角）：、', 'ＡＢＣ１２３', '한국어 텍스트',
  'ｶﾀｶﾅ', 'e\u0301cole', '✓ - ·', '教APP备3100012号', '𠀋𠀌 rare CJK', '😀 emoji', 'ひらがな カタカナ',
];

let r: CheckResult;
let zh: string;
let en: string;
beforeAll(async () => {
  r = await androidResult();
  zh = renderCheckText(r, 'zh');
  en = renderCheckText(r, 'en');
});

const lines = (s: string) => s.split('\n');
/** Terminal columns, counted independently of the code under test: CJK and fullwidth forms take two. */
const cols = (s: string) => [...s].reduce((w, ch) => w + (/[\u3000-\u9fff\uff00-\uffef]/.test(ch) ? 2 : 1), 0);

describe('renderCheckText', () => {
  it('puts the verdict on the first line, with its reasons under it', () => {
    expect(lines(zh)[0]).toBe('检测结论：不通过');
    expect(lines(en)[0]).toBe('Verdict: FAIL (不通过)');
    expect(lines(zh).slice(1, 4)).toEqual(['  - 未申报权限类别：短信', '  - 未申报权限类别：通讯录', '  - 存在高风险问题']);
    const expected = { pass: ['通过', 'PASS (通过)'], explain: ['需说明', 'EXPLAIN (需说明)'], fail: ['不通过', 'FAIL (不通过)'], unassessable: ['不可评估', 'NOT ASSESSABLE (不可评估)'] };
    for (const v of VERDICTS) {
      expect(lines(renderCheckText({ ...r, verdict: v }, 'zh'))[0]).toBe(`检测结论：${expected[v][0]}`);
      expect(lines(renderCheckText({ ...r, verdict: v }, 'en'))[0]).toBe(`Verdict: ${expected[v][1]}`);
    }
  });

  it('orders the sections: undeclared, findings, expired, checkboxes, not assessable, manual', () => {
    const at = (s: string) => zh.indexOf(s);
    const order = ['未申报的权限类别', '问题（按严重程度）', '已过期的豁免', '权限勾选对照', '无法评估的项目', '需人工/动态核查'].map(at);
    expect(order.every((i) => i > 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
  });

  it('lists each undeclared category with its evidence from the package', () => {
    const section = zh.slice(zh.indexOf('未申报的权限类别'), zh.indexOf('问题（按严重程度）'));
    for (const u of r.undeclared) {
      expect(section).toContain(`  ${u.label}\n`);
      for (const e of u.evidence) expect(section).toContain(e.value);
    }
    expect(r.undeclared.map((u) => u.label)).toEqual(['短信', '通讯录']);
  });

  it('shows every finding, grouped high to info, with title, evidence, rationale and basis in the language asked', () => {
    for (const f of r.findings) {
      expect(zh).toContain(`${f.rule}  ${f.title.zh}`);
      expect(en).toContain(`${f.rule}  ${f.title.en}`);
      expect(zh).not.toContain(f.title.en);
      expect(zh).toContain(f.rationale.zh);
      expect(en).toContain(f.rationale.en);
      for (const e of f.evidence) expect(zh).toContain(e.value);
    }
    const groups = ['【高】', '【中】', '【低】', '【提示】'].map((g) => zh.indexOf(g));
    expect(groups.every((i) => i > 0)).toBe(true);
    expect([...groups].sort((a, b) => a - b)).toEqual(groups);
    expect(zh).toContain('【高】5 项'); // 4 active + 1 suppressed
  });

  it('marks the suppressed finding with who, why and until, and lists expired suppressions', () => {
    const s = r.findings.find((f) => f.suppressed)!;
    const i = lines(zh).findIndex((l) => l.includes(s.rule));
    expect(lines(zh)[i]).toMatch(/\[已豁免\]$/);
    expect(lines(zh)[i + 1]).toContain(`豁免人 ${s.suppressed!.by}；理由 ${s.suppressed!.reason}；有效期至 ${s.suppressed!.until}`);
    expect(en).toContain(`${s.rule}  ${s.title.en}  [Suppressed]`);
    const expired = zh.slice(zh.indexOf('已过期的豁免'));
    expect(expired).toContain(`${r.expiredSuppressions[0]!.rule}  豁免人 审核员 李四；理由 过渡期；有效期至 2020-01-31`);
  });

  it('compares all 13 checkboxes, filed vs detected, in columns aligned by display width', () => {
    const table = lines(zh.slice(zh.indexOf('权限勾选对照'))).slice(2, 3 + PERMISSION_LABELS.length);
    expect(table[0]).toMatch(/^ {2}类别\s+备案\s+检测\s+证据$/);
    const rows = PERMISSION_LABELS.map((c) => table.find((l) => l.startsWith(`  ${c} `))!);
    expect(rows.every(Boolean)).toBe(true);
    // The filed mark starts at the same terminal column on every row, though the labels differ in length.
    const markCol = rows.map((l) => cols(l.slice(0, l.search(/[✓-]/))));
    expect(new Set(markCol).size).toBe(1);
    expect(new Set(rows.map((l) => l.search(/[✓-]/))).size).toBeGreaterThan(1);
    const row = (c: string) => rows.find((l) => l.startsWith(`  ${c} `))!.trim().split(/\s+/);
    expect(row('短信')).toEqual(['短信', '-', '✓', '<未申报>', 'android.permission.READ_SMS']);
    expect(row('日历')).toEqual(['日历', '✓', '-', '<未检出>']);
    expect(row('调用摄像头')).toEqual(['调用摄像头', '✓', '✓', 'android.permission.CAMERA']);
    expect(row('电话')).toEqual(['电话', '-', '-']);
    for (const c of PERMISSION_LABELS) expect(en).toContain(categoryLabel(c, 'en'));
  });

  it('aligns the identity block and lists not-assessable and manual items', () => {
    const block = lines(zh).slice(5, 11);
    expect(block[0]).toMatch(/^应用 {6}智慧课堂 \/ Smart Class · cn\.example\.smartclass · 2\.3\.1 \(20301\) · Android$/);
    expect(new Set(block.map((l) => l.match(/^\S+/)![0].length)).size).toBeGreaterThan(1);
    expect(new Set(block.map((l) => cols(l.match(/^\S+\s+/)![0])))).toEqual(new Set([10]));
    expect(block[1]).toContain(r.package.file.md5);
    for (const t of [...r.notAssessable, ...r.manual]) {
      expect(zh).toContain(`  - ${t.zh}`);
      expect(en).toContain(`  - ${t.en}`);
    }
  });

  it('says so when there is no record and no finding', async () => {
    const ios = await iosPackageOnlyResult();
    const out = renderCheckText(ios, 'zh');
    expect(lines(out)[0]).toBe('检测结论：通过');
    expect(out).toContain('备案记录  无（仅检测安装包）');
    expect(out).toMatch(/问题（按严重程度）：0 项\n-+\n {2}无\n/);
    expect(out).not.toContain('未申报的权限类别');
    expect(out).toContain(ios.package.id);
  });

  it('cannot be used to drive the terminal: controls and bidi overrides from the package are shown, not sent', async () => {
    const out = renderCheckText(await hostileResult(), 'zh');
    expect(out).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e]/);
    expect(out).toContain('Evil\\u{1b}[2J\\u{1b}]0;pwned\\u{7}\\u{202e}exe.txt');
    expect(out).toContain(HOSTILE.component);
  });
});

describe('SDK inventory in text', () => {
  it('appears only when the facts carry one', () => {
    expect(zh).not.toContain('第三方 SDK 清单');
    const withSdks = structuredClone(r);
    Object.assign(withSdks.package, { sdks: [{ name: '友盟统计', vendor: '友盟+', category: 'analytics', where: ['com.umeng.analytics'] }] });
    const out = renderCheckText(withSdks, 'zh');
    expect(out).toMatch(/第三方 SDK 清单：1 项\n-+\n {2}友盟统计 {2}友盟\+ · analytics {2}\[com\.umeng\.analytics\]\n/);
    expect(out.indexOf('第三方 SDK 清单')).toBeGreaterThan(out.indexOf('权限勾选对照'));
  });
});

describe('displayWidth', () => {
  // Oracle: Python's unicodedata (East Asian Width W/F = 2 columns, combining marks = 0).
  const python = spawnSync('python3', ['-c', [
    'import sys, json, unicodedata as u',
    'xs = json.loads(sys.stdin.read())',
    'print(json.dumps([sum(0 if u.combining(c) else 2 if u.east_asian_width(c) in "WF" else 1 for c in x) for x in xs]))',
  ].join('\n')], { input: JSON.stringify(SAMPLES), encoding: 'utf8' });
  it.skipIf(python.status !== 0)('agrees with unicodedata.east_asian_width', () => {
    expect(SAMPLES.map(displayWidth)).toEqual(JSON.parse(python.stdout));
  });
});

describe('renderScanBlockText', () => {
  it('is short and carries verdict, tool and rules, time, MD5, counts, undeclared and finding ids', () => {
    const block = renderScanBlockText(r, 'zh');
    expect(lines(block.trimEnd())).toEqual([
      '检测结论：不通过',
      `检测工具：eduscan 0.1.0 · 规则 2026.1 (${r.rules.digest})`,
      '检测时间：2026-05-01T08:00:00.000Z',
      `安装包MD5：${r.package.file.md5}`,
      '问题数量：高 4，中 1，低 1，提示 1（另有已豁免 1 项）',
      '未申报权限：短信、通讯录',
      '问题编号：EDU-AND-CMP-001、EDU-AND-MAN-001、EDU-FIL-010、EDU-AND-MAN-004、EDU-FIL-020、EDU-AND-PRV-014',
      '已豁免：EDU-AND-NET-001',
    ]);
    const blockEn = renderScanBlockText(r, 'en');
    expect(lines(blockEn)[0]).toBe('Verdict: FAIL (不通过)');
    expect(blockEn).toContain('Undeclared: SMS (短信), Contacts (通讯录)');
    expect(blockEn).toContain(`Package MD5: ${r.package.file.md5}`);
  });

  it('says there are no findings rather than leaving the line empty', async () => {
    const block = renderScanBlockText(await iosPackageOnlyResult(), 'zh');
    expect(block).toContain('问题编号：无\n');
    expect(block).not.toContain('已豁免');
  });
});
