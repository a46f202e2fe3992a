// The signature data files load and are well-formed; broken data is an E_CONFIG error naming file and path.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { APIS_FILE, CODE_RULES_DIR, COMPILED_FILE, PACKERS_FILE, SDKS_FILE, compileCodeRules, loadCodeRules, parseCodeRules } from '../../src/code/load.js';
import { EduscanError } from '../../src/errors.js';

const text = (f: string): string => readFileSync(join(CODE_RULES_DIR, f), 'utf8');

function configError(sdks: string, apis = text(APIS_FILE), packers = text(PACKERS_FILE)): string {
  try {
    parseCodeRules(sdks, apis, packers);
  } catch (e) {
    expect(e).toBeInstanceOf(EduscanError);
    expect((e as EduscanError).code).toBe('E_CONFIG');
    return (e as EduscanError).message;
  }
  throw new Error('no error');
}

const ONE_SDK = (body: string): string => `schemaVersion: 1\nsdks:\n  - id: x-sdk\n    name: X\n    vendor: X Inc\n    source: docs\n${body}`;

describe('code signature data', () => {
  const rules = loadCodeRules();

  it('covers the SDKs, APIs and packers the issue names', () => {
    const ids = new Set(rules.sdks.map((s) => s.id));
    for (const id of ['getui-push', 'jpush', 'umeng-push', 'umeng-analytics', 'tencent-gdt', 'pangle-csj', 'kuaishou-ads', 'baidu-mobads', 'baidu-mobstat',
      'mob-sharesdk', 'tencent-bugly', 'tencent-x5', 'amap', 'baidu-location', 'tencent-location', 'alipay-sdk', 'wechat-opensdk', 'xiaomi-push',
      'huawei-push', 'oppo-push', 'vivo-push', 'honor-push', 'meizu-push', 'msa-oaid', 'shumei', 'tongdun', 'alibaba-utdid', 'iflytek', 'sensorsdata',
      'growingio', 'firebase-analytics', 'google-ads', 'facebook-sdk', 'appsflyer', 'adjust', 'sentry', 'firebase-crashlytics']) expect(ids, id).toContain(id);
    expect(rules.packers.map((p) => p.id)).toEqual(expect.arrayContaining(['qihoo-360-jiagu', 'bangcle', 'tencent-legu', 'ijiami', 'netease-yidun', 'baidu-protect', 'dingxiang']));
    for (const c of ['device-id', 'installed-apps', 'running-apps', 'clipboard', 'sms', 'mms', 'call-log', 'contacts', 'calendar', 'location', 'camera', 'microphone', 'call-forwarding', 'browser-history', 'advertising-id', 'tracking-authorization', 'required-reason-file-timestamp']) {
      expect(rules.apis.some((a) => a.category === c), c).toBe(true);
    }
  });

  it('never gives one Android package prefix to two SDKs, and pangle is not all of com.bytedance', () => {
    const seen = new Map<string, string>();
    for (const s of rules.sdks) for (const p of s.android?.classPrefixes ?? []) {
      expect(seen.get(p), `${p}: ${s.id} and ${seen.get(p)}`).toBeUndefined();
      seen.set(p, s.id);
    }
    expect(seen.has('com.bytedance.')).toBe(false);
    expect(seen.has('com.facebook.')).toBe(false);
  });

  it('rejects unknown keys, bad categories, broad or malformed names, short iOS prefixes and duplicate ids', () => {
    expect(configError(ONE_SDK('    category: advertising\n    android:\n      classPrefixes: [com.x.]\n    colour: red\n'))).toMatch(/^sdks\.yaml: sdks\[0\]\.colour: unknown key/);
    expect(configError(ONE_SDK('    category: ads\n    android:\n      classPrefixes: [com.x.]\n'))).toMatch(/sdks\[0\]\.category: "ads" is not one of/);
    expect(configError(ONE_SDK('    category: advertising\n    android:\n      classPrefixes: [com.]\n'))).toMatch(/classPrefixes\[0\]: "com\." does not match/);
    expect(configError(ONE_SDK('    category: advertising\n    ios:\n      classPrefixes: [BU]\n'))).toMatch(/too short/);
    expect(configError(ONE_SDK('    category: advertising\n    android: {}\n'))).toMatch(/no signature at all/);
    expect(configError(ONE_SDK('    category: advertising\n    android:\n      classPrefixes: [com.x.]\n  - id: x-sdk\n    name: Y\n    vendor: Y\n    category: other\n    source: s\n    android:\n      classPrefixes: [com.y.]\n'))).toMatch(/"x-sdk" appears twice/);
    expect(configError('schemaVersion: 2\nsdks: []\n')).toMatch(/schemaVersion: expected 1/);
    expect(configError('sdks: [unclosed\n')).toMatch(/^sdks\.yaml: /);
    // The shipped files themselves pass.
    expect(() => parseCodeRules(text(SDKS_FILE), text(APIS_FILE), text(PACKERS_FILE))).not.toThrow();
  });
});

describe('compiled signature copy', () => {
  it('rules/code-signatures.json is current (regenerate: npx tsx tests/code/gen-signatures.mts)', () => {
    expect(readFileSync(join(CODE_RULES_DIR, COMPILED_FILE), 'utf8')).toBe(compileCodeRules());
  });

  it('is used only while it matches the YAML files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'eduscan-sig-'));
    for (const f of [SDKS_FILE, APIS_FILE, PACKERS_FILE, COMPILED_FILE]) writeFileSync(join(dir, f), text(f));
    // A compiled copy that says something else, with the right digest, is what loads …
    const doctored = JSON.parse(text(COMPILED_FILE)) as { sdks: { name: string }[] };
    doctored.sdks[0]!.name = 'from the compiled copy';
    writeFileSync(join(dir, COMPILED_FILE), JSON.stringify(doctored));
    expect(loadCodeRules(dir).sdks[0]!.name).toBe('from the compiled copy');
    // … but once a YAML file changes, the YAML is parsed instead.
    const dir2 = mkdtempSync(join(tmpdir(), 'eduscan-sig-'));
    for (const f of [APIS_FILE, PACKERS_FILE]) writeFileSync(join(dir2, f), text(f));
    writeFileSync(join(dir2, SDKS_FILE), `${text(SDKS_FILE)}\n# edited\n`);
    writeFileSync(join(dir2, COMPILED_FILE), JSON.stringify(doctored));
    expect(loadCodeRules(dir2).sdks[0]!.name).toBe(loadCodeRules().sdks[0]!.name);
  });
});
