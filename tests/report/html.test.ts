// The HTML report: self-contained (no script, no external resource), well-formed, everything escaped, and the
// sections a reviewer needs in the order they need them.
import { beforeAll, describe, expect, it } from 'vitest';
import { PERMISSION_LABELS, type CheckResult } from '../../src/check/types.js';
import { renderScanBlockText } from '../../src/report/check-text.js';
import { renderHtml } from '../../src/report/html.js';
import { androidResult, HOSTILE, hostileResult, iosPackageOnlyResult } from './build-result.js';

let android: CheckResult;
let ios: CheckResult;
let hostile: CheckResult;
let zh: string;
let en: string;
beforeAll(async () => {
  [android, ios, hostile] = await Promise.all([androidResult(), iosPackageOnlyResult(), hostileResult()]);
  zh = renderHtml(android, 'zh');
  en = renderHtml(android, 'en');
});

const VOID = new Set(['meta', 'br', 'hr', 'img', 'input', 'link']);

/** Every non-void element closed, in order; returns the problems found. */
function wellFormed(html: string): string[] {
  const stack: string[] = [];
  const problems: string[] = [];
  const body = html.replace(/^<!DOCTYPE html>\n/, '');
  for (const m of body.matchAll(/<(\/?)([a-zA-Z][a-zA-Z0-9]*)\b[^>]*>/g)) {
    const [, close, name] = m;
    const tag = name!.toLowerCase();
    if (VOID.has(tag)) continue;
    if (!close) stack.push(tag);
    else if (stack.pop() !== tag) problems.push(`</${tag}> at ${m.index}`);
  }
  if (stack.length) problems.push(`unclosed ${stack.join(',')}`);
  return problems;
}

/** The text a browser shows: tags dropped, entities decoded. */
function textOf(html: string): string {
  return html.replace(/<style>[\s\S]*?<\/style>/, '').replace(/<[^>]*>/g, '')
    .replace(/&#(\d+);/g, (_, n: string) => String.fromCharCode(Number(n)));
}

function section(html: string, id: string): string {
  const start = html.indexOf(`<section id="${id}">`);
  expect(start, id).toBeGreaterThan(0);
  return html.slice(start, html.indexOf('</section>', start));
}

describe('renderHtml', () => {
  it('is one well-formed document in the report language', () => {
    for (const [html, lang] of [[zh, 'zh-CN'], [en, 'en']] as const) {
      expect(html.startsWith(`<!DOCTYPE html>\n<html lang="${lang}">`)).toBe(true);
      expect(html).toContain('<meta charset="utf-8">');
      expect(wellFormed(html)).toEqual([]);
    }
    expect(zh).toContain('<h1>检测结论：不通过</h1>');
    expect(en).toContain('<h1>Verdict: FAIL (不通过)</h1>');
    expect(textOf(en)).not.toContain('应用可调试');
    expect(textOf(zh)).not.toContain('App is debuggable');
  });

  it('needs nothing from outside: no script, no link, no image, no URL in any tag or in the CSS', () => {
    for (const html of [zh, en, renderHtml(hostile, 'zh'), renderHtml(ios, 'en')]) {
      expect(html).not.toMatch(/<(script|link|img|iframe|object|embed|base|form)\b/i);
      expect(html).not.toMatch(/url\(|@import/i);
      for (const [tag] of html.matchAll(/<[^>]*>/g)) {
        expect(tag).not.toMatch(/https?:|\/\//i);
        expect(tag).not.toMatch(/\s(src|href|srcset|action|style|on[a-z]+)=/i);
      }
    }
    // A URL in rule text (the basis) is shown as text, not linked.
    const h = renderHtml(hostile, 'zh');
    expect(textOf(h)).toContain('https://developer.android.com/guide/topics/manifest/activity-element#exported');
  });

  it('starts with the verdict banner, then checkboxes, findings, the 检测结果 block and the package identity', () => {
    const order = ['id="verdict"', 'id="checkboxes"', 'id="findings"', 'id="scan-block"', 'id="identity"'].map((s) => zh.indexOf(s));
    expect(order.every((i) => i > 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    const banner = zh.slice(zh.indexOf('<header'), zh.indexOf('</header>'));
    expect(banner).toContain('class="banner fail"');
    for (const reason of android.verdictReasons) expect(banner).toContain(reason.zh);
    expect(renderHtml(ios, 'zh')).toContain('class="banner pass"');
  });

  it('compares all 13 checkboxes, marking undeclared and not-detected rows, with evidence', () => {
    const table = section(zh, 'checkboxes');
    const rows = [...table.matchAll(/<tr( class="(\w+)")?><td>(.*?)<\/tr>/g)];
    expect(rows).toHaveLength(PERMISSION_LABELS.length);
    const byLabel = new Map(rows.map((m) => [PERMISSION_LABELS.find((c) => m[3]!.startsWith(c))!, m]));
    expect(byLabel.size).toBe(13);
    expect(byLabel.get('短信')![2]).toBe('undeclared');
    expect(byLabel.get('通讯录')![2]).toBe('undeclared');
    expect(byLabel.get('日历')![2]).toBe('notdetected');
    expect(byLabel.get('调用摄像头')![2]).toBeUndefined();
    expect(textOf(byLabel.get('短信')![0])).toMatch(/^短信 未申报—✓permission android\.permission\.READ_SMS/);
    expect(textOf(byLabel.get('读取位置信息')![0])).toContain('android.permission.ACCESS_FINE_LOCATION');
    expect(textOf(byLabel.get('电话')![0])).toBe('电话——');
  });

  it('shows every finding by severity with evidence, and marks the suppressed one with who and why', () => {
    const s = section(zh, 'findings');
    for (const f of android.findings) {
      expect(s).toContain(`<code>${f.rule}</code>`);
      for (const e of f.evidence) expect(textOf(s)).toContain(e.value);
    }
    const heads = [...s.matchAll(/<h3><span class="tag sev-(\w+)">/g)].map((m) => m[1]);
    expect(heads).toEqual(['high', 'medium', 'low', 'info']);
    const suppressed = [...s.matchAll(/<article class="finding (\w+)( suppressed)?">([\s\S]*?)<\/article>/g)].filter((m) => m[2]);
    expect(suppressed).toHaveLength(1);
    expect(textOf(suppressed[0]![3]!)).toContain('豁免人 审核员 张三；理由 仅连接校内测试服务器 "lab" <内网>；有效期至 2099-12-31');
    expect(textOf(section(zh, 'expired'))).toContain('EDU-AND-MAN-004 豁免人 审核员 李四；理由 过渡期；有效期至 2020-01-31');
  });

  it('holds the 检测结果 block exactly as the text renderer writes it', () => {
    for (const [r, lang] of [[android, 'zh'], [android, 'en'], [hostile, 'zh']] as const) {
      const pre = renderHtml(r, lang).match(/<pre class="block">([\s\S]*?)<\/pre>/)![1]!;
      expect(textOf(pre)).toBe(renderScanBlockText(r, lang).replace(/\n$/, ''));
    }
  });

  it('identifies the package: md5, sha256, id, version, signer', () => {
    const t = textOf(section(zh, 'identity'));
    const p = android.package;
    const cert = p.signing!.signers[0]!.certificates[0]!;
    for (const v of [p.file.md5, p.file.sha256, p.id, '2.3.1 (20301)', cert.subject, cert.certSha256, '12,711 字节']) expect(t).toContain(v);
    const ti = textOf(section(renderHtml(ios, 'en'), 'identity'));
    const prov = ios.package.ios!.provisioning!;
    for (const v of [ios.package.file.md5, ios.package.id, prov.certificates[0]!.sha1, `${prov.teamName} (${prov.teamId})`, 'none (package-only check)']) expect(ti).toContain(v);
    expect(textOf(section(renderHtml(ios, 'zh'), 'checkboxes'))).toContain('备案记录：无（仅检测安装包）');
  });

  it('escapes hostile package data everywhere', () => {
    const h = renderHtml(hostile, 'zh');
    expect(wellFormed(h)).toEqual([]);
    expect(h).not.toContain('<script');
    expect(h).not.toContain('<img');
    for (const [tag] of h.matchAll(/<[^>]*>/g)) expect(tag).not.toMatch(/onerror|alert/);
    expect(h).toContain('&#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62;&#39;&#34;&#38;amp;');
    const t = textOf(h);
    expect(t).toContain(HOSTILE.label);
    expect(t).toContain(HOSTILE.component);
    expect(t).toContain(HOSTILE.fileName);
    expect(h).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u202a-\u202e]/);
    expect(t).toContain('Evil\\u{1b}[2J');
    expect(h.match(/<title>([^<]*)<\/title>/)![1]).toContain('&#60;script&#62;');
  });

  it('lists the SDK inventory only when the facts carry one, escaped', () => {
    expect(zh).not.toContain('id="sdks"');
    const withSdks = structuredClone(android);
    Object.assign(withSdks.package, {
      sdks: [
        { name: '穿山甲 <Pangle>', vendor: '字节跳动', category: 'advertising', evidence: [{ kind: 'class', value: 'com.bytedance.sdk.openadsdk' }] },
        { name: 'Bugly', vendor: 'Tencent', category: 'crash reporting', where: ['libBugly.so'] },
        { bogus: true },
      ],
    });
    const h = renderHtml(withSdks, 'zh');
    expect(wellFormed(h)).toEqual([]);
    const s = section(h, 'sdks');
    expect(s.match(/<tr>/g)).toHaveLength(3); // header + two SDKs; the entry without a name is skipped
    expect(s).toContain('穿山甲 &#60;Pangle&#62;');
    expect(textOf(s)).toContain('com.bytedance.sdk.openadsdk');
    expect(textOf(s)).toContain('libBugly.so');
    expect(h.indexOf('id="findings"')).toBeLessThan(h.indexOf('id="sdks"'));
    expect(h.indexOf('id="sdks"')).toBeLessThan(h.indexOf('id="scan-block"'));
  });

  it('prints: page size, no page break inside a finding, colours kept', () => {
    expect(zh).toMatch(/@page\{size:A4/);
    expect(zh).toMatch(/@media print\{[^}]*\}?[^@]*\.finding\{break-inside:avoid\}/);
    expect(zh).toContain('print-color-adjust:exact');
  });
});
