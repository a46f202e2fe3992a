// SARIF output against the official OASIS SARIF 2.1.0 schema (tests/fixtures/report, draft-04, validated with
// ajv-draft-04 + ajv-formats), and the mapping from findings to rules and results.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ajvDraft04 from 'ajv-draft-04';
import ajvFormats from 'ajv-formats';
import { beforeAll, describe, expect, it } from 'vitest';
import type { CheckResult } from '../../src/check/types.js';
import { FINGERPRINT_KEY, renderSarif, SARIF_SCHEMA_URI } from '../../src/report/sarif.js';
import { FIXTURES } from '../helpers/corpus.js';
import { androidResult, finding, HOSTILE, hostileResult, iosPackageOnlyResult } from './build-result.js';

const schema = JSON.parse(readFileSync(join(FIXTURES, 'report', 'sarif-schema-2.1.0.json'), 'utf8')) as { id: string };
// strictRequired off: the official schema itself lists required properties inside anyOf branches.
// Both are CommonJS whose module.exports is the export itself and also carries it as `.default`.
const ajv = new ajvDraft04.default({ allErrors: true, strict: true, strictRequired: false });
ajvFormats.default(ajv);
const validate = ajv.compile(schema);

function valid(log: unknown): string[] {
  return validate(log) ? [] : (validate.errors ?? []).map((e: { instancePath: string; message?: string }) => `${e.instancePath} ${e.message}`);
}

type Log = any;

let android: CheckResult;
let ios: CheckResult;
let hostile: CheckResult;
beforeAll(async () => {
  [android, ios, hostile] = await Promise.all([androidResult(), iosPackageOnlyResult(), hostileResult()]);
});

describe('SARIF schema fixture', () => {
  it('is the OASIS errata01 schema and the validator built from it rejects bad logs', () => {
    expect(schema.id).toBe(SARIF_SCHEMA_URI);
    const good = { version: '2.1.0', runs: [{ tool: { driver: { name: 'x' } }, results: [{ message: { text: 'm' }, level: 'note' }] }] };
    expect(valid(good)).toEqual([]);
    expect(valid({ ...good, version: '2.0.0' })).not.toEqual([]);
    expect(valid({ version: '2.1.0', runs: [{ tool: { driver: { name: 'x' } }, results: [{ message: { text: 'm' }, level: 'critical' }] }] })).not.toEqual([]);
    expect(valid({ version: '2.1.0', runs: [{ tool: { driver: { name: 'x' } }, results: [{ ruleId: 'R' }] }] })).not.toEqual([]);
    expect(valid({ version: '2.1.0', runs: [{ tool: { driver: { name: 'x', informationUri: 'not a uri' } } }] })).not.toEqual([]);
  });
});

describe('renderSarif', () => {
  it('is valid SARIF 2.1.0 for a failing Android check, a passing package-only iOS check and hostile data, in both languages', () => {
    for (const r of [android, ios, hostile]) {
      for (const lang of ['zh', 'en'] as const) expect(valid(JSON.parse(renderSarif(r, lang)))).toEqual([]);
    }
  });

  it('has one run whose driver is eduscan and a rule descriptor per rule that fired', () => {
    const log: Log = JSON.parse(renderSarif(android));
    expect(log.$schema).toBe(SARIF_SCHEMA_URI);
    expect(log.version).toBe('2.1.0');
    expect(log.runs).toHaveLength(1);
    const driver = log.runs[0].tool.driver;
    expect([driver.name, driver.version, driver.properties.rulesDigest]).toEqual(['eduscan', '0.1.0', android.rules.digest]);
    expect(driver.rules.map((d: Log) => d.id).sort()).toEqual([...new Set(android.findings.map((f) => f.rule))].sort());
    const debuggable = driver.rules.find((d: Log) => d.id === 'EDU-AND-MAN-001');
    expect(debuggable).toMatchObject({
      name: 'AppIsDebuggable',
      shortDescription: { text: '应用可调试' },
      fullDescription: { text: '应用可调试会带来风险。' },
      help: { text: '应用可调试会带来风险。\n依据: GB/T 41391-2022' },
      defaultConfiguration: { level: 'error' },
      properties: { 'security-severity': '8.0', tags: ['security', 'eduscan', 'high'] },
    });
    const level = (id: string) => driver.rules.find((d: Log) => d.id === id);
    expect([level('EDU-AND-MAN-004').defaultConfiguration.level, level('EDU-AND-MAN-004').properties['security-severity']]).toEqual(['warning', '5.5']);
    expect([level('EDU-FIL-020').defaultConfiguration.level, level('EDU-FIL-020').properties['security-severity']]).toEqual(['note', '3.0']);
    expect([level('EDU-AND-PRV-014').defaultConfiguration.level, level('EDU-AND-PRV-014').properties['security-severity']]).toEqual(['note', '0.0']);
  });

  it('gives every finding a result: rule, level, message, fingerprint, package location and evidence as logical locations', () => {
    const log: Log = JSON.parse(renderSarif(android));
    const { results, tool } = log.runs[0];
    expect(results).toHaveLength(android.findings.length);
    const levels = { high: 'error', medium: 'warning', low: 'note', info: 'note' };
    for (const f of android.findings) {
      const res = results.find((x: Log) => x.partialFingerprints[FINGERPRINT_KEY] === f.fingerprint);
      expect(res, f.rule).toBeDefined();
      expect(res.ruleId).toBe(f.rule);
      expect(tool.driver.rules[res.ruleIndex].id).toBe(f.rule);
      expect(res.level).toBe(levels[f.severity]);
      expect(res.message.text).toBe(f.message.zh);
      expect(res.properties.message).toEqual(f.message);
      const loc = res.locations[0];
      expect(loc.physicalLocation.artifactLocation.uri).toBe('smartclass.apk');
      expect(loc.logicalLocations.map((l: Log) => l.name)).toEqual([...new Set(f.evidence.map((e) => e.value))]);
    }
    const debuggable = results.find((x: Log) => x.ruleId === 'EDU-AND-MAN-001');
    expect(debuggable.locations[0].logicalLocations[0]).toEqual({
      name: 'android:debuggable=true',
      fullyQualifiedName: 'AndroidManifest.xml <application>: android:debuggable=true',
      kind: 'attribute',
      properties: { evidenceKind: 'manifest', strength: 'D' },
    });
    expect(log.runs[0].artifacts[0]).toMatchObject({
      location: { uri: 'smartclass.apk' }, length: android.package.file.size,
      hashes: { md5: android.package.file.md5, 'sha-256': android.package.file.sha256 },
    });
  });

  it('keeps suppressed findings as results with an external suppression carrying the reason', () => {
    const results: Log[] = JSON.parse(renderSarif(android)).runs[0].results;
    const suppressed = android.findings.filter((f) => f.suppressed);
    expect(suppressed).toHaveLength(1);
    for (const res of results) {
      const f = android.findings.find((x) => x.fingerprint === res.partialFingerprints[FINGERPRINT_KEY])!;
      if (f.suppressed) {
        expect(res.suppressions).toEqual([{
          kind: 'external', status: 'accepted', justification: f.suppressed.reason,
          properties: { by: f.suppressed.by, until: f.suppressed.until },
        }]);
      } else {
        expect(res.suppressions).toBeUndefined();
      }
    }
  });

  it('carries the verdict, undeclared categories and the rest of the check in run.properties', () => {
    const props: Log = JSON.parse(renderSarif(android)).runs[0].properties;
    expect(props.verdict).toBe('fail');
    expect(props.verdictText).toBe('不通过');
    expect(props.undeclared.map((u: Log) => [u.label, u.labelEn])).toEqual([['短信', 'SMS'], ['通讯录', 'Contacts']]);
    expect(props.notDetected).toEqual(['日历']);
    expect(props.expiredSuppressions).toEqual(android.expiredSuppressions);
    expect(props.package.md5).toBe(android.package.file.md5);
  });

  it('carries the SDK inventory beside the verdict, and stays valid SARIF', () => {
    const sdks = [{ id: 'pangle', name: '穿山甲', vendor: '字节跳动', category: 'advertising' as const, evidence: [{ kind: 'class' as const, value: 'com.bytedance.sdk.openadsdk', location: 'classes.dex' }] }];
    const withSdks: CheckResult = { ...android, package: { ...android.package, sdks } };
    const log = JSON.parse(renderSarif(withSdks));
    expect(valid(log)).toEqual([]);
    expect(log.runs[0].properties.sdks).toEqual(sdks);
    expect(JSON.parse(renderSarif(android)).runs[0].properties.sdks).toEqual(android.package.sdks ?? []);
  });

  it('writes English text with lang en and says which language it is', () => {
    const zh: Log = JSON.parse(renderSarif(android, 'zh')).runs[0];
    const en: Log = JSON.parse(renderSarif(android, 'en')).runs[0];
    expect([zh.language, en.language]).toEqual(['zh-CN', 'en-US']);
    const f = android.findings[0]!;
    const res = (run: Log) => run.results.find((x: Log) => x.ruleId === f.rule);
    expect([res(zh).message.text, res(en).message.text]).toEqual([f.message.zh, f.message.en]);
    const rule = (run: Log) => run.tool.driver.rules.find((d: Log) => d.id === f.rule);
    expect([rule(zh).shortDescription.text, rule(en).shortDescription.text]).toEqual([f.title.zh, f.title.en]);
  });

  it('encodes a hostile file name as one URI segment, and dedupes repeated evidence (uniqueItems)', () => {
    const r = structuredClone(hostile);
    const ev = { kind: 'permission', value: 'android.permission.READ_SMS', location: 'AndroidManifest.xml <uses-permission>' };
    r.findings.push(finding(r.package, { rule: 'EDU-AND-PRV-001', severity: 'high', title: ['短信', 'SMS'], evidence: [ev, { ...ev }] }));
    const log: Log = JSON.parse(renderSarif(r));
    expect(valid(log)).toEqual([]);
    const uri: string = log.runs[0].artifacts[0].location.uri;
    expect(uri).not.toMatch(/[ #%](?![0-9A-F]{2})/);
    expect(decodeURIComponent(uri)).toBe(HOSTILE.fileName);
    const sms = log.runs[0].results.find((x: Log) => x.ruleId === 'EDU-AND-PRV-001');
    expect(sms.locations[0].logicalLocations).toHaveLength(1);
  });

  it('takes the highest severity for the descriptor when a rule fired at several', () => {
    const r = structuredClone(android);
    const ev = [{ kind: 'component', value: 'cn.example.smartclass.HomeworkActivity' }];
    r.findings.push(
      finding(r.package, { rule: 'EDU-AND-CMP-002', severity: 'medium', title: ['导出组件', 'Exported component'], evidence: ev }),
      finding(r.package, { rule: 'EDU-AND-CMP-002', severity: 'high', title: ['导出组件', 'Exported component'], evidence: [{ ...ev[0]!, value: 'x.Y' }] }),
    );
    const run: Log = JSON.parse(renderSarif(r)).runs[0];
    const d = run.tool.driver.rules.filter((x: Log) => x.id === 'EDU-AND-CMP-002');
    expect(d).toHaveLength(1);
    expect(d[0].defaultConfiguration.level).toBe('error');
    expect(run.results.filter((x: Log) => x.ruleId === 'EDU-AND-CMP-002').map((x: Log) => x.level).sort()).toEqual(['error', 'warning']);
    expect(valid(JSON.parse(renderSarif(r)))).toEqual([]);
  });

  it('leaves out an unparseable createdAt rather than writing an invalid date-time', () => {
    const log: Log = JSON.parse(renderSarif({ ...ios, createdAt: 'yesterday' }));
    expect(log.runs[0].invocations[0].endTimeUtc).toBeUndefined();
    expect(valid(log)).toEqual([]);
    expect(JSON.parse(renderSarif(ios)).runs[0].invocations[0].endTimeUtc).toBe('2026-05-01T08:00:00.000Z');
  });
});
