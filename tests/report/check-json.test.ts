// The JSON report round-trips through CheckResultSchema, and the schema rejects what the contract forbids.
import ajv2020 from 'ajv/dist/2020.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkResultJsonSchema, CheckResultSchema } from '../../src/check/schema.js';
import type { CheckResult } from '../../src/check/types.js';
import { renderCheckJson } from '../../src/report/check-json.js';
import { androidResult, hostileResult, iosPackageOnlyResult } from './build-result.js';

let android: CheckResult;
let ios: CheckResult;
let hostile: CheckResult;
beforeAll(async () => {
  [android, ios, hostile] = await Promise.all([androidResult(), iosPackageOnlyResult(), hostileResult()]);
});

/** What JSON can carry of a value: undefined-valued keys dropped. */
const plain = (v: unknown) => JSON.parse(JSON.stringify(v)) as unknown;

describe('renderCheckJson', () => {
  it('round-trips through CheckResultSchema without losing or adding anything', () => {
    for (const r of [android, ios, hostile]) {
      const text = renderCheckJson(r);
      const parsed = CheckResultSchema.parse(JSON.parse(text));
      expect(parsed).toEqual(plain(r));
    }
  });

  it('is pretty, ends with a newline, and starts with the verdict', () => {
    const text = renderCheckJson(android);
    expect(text.split('\n').slice(0, 3)).toEqual(['{', '  "verdict": "fail",', '  "verdictReasons": [']);
    expect(text.endsWith('}\n')).toBe(true);
    expect(Object.keys(JSON.parse(text) as object).at(-1)).toBe('package');
  });

  it('carries what the issue asks of the JSON: verdict, undeclared with evidence, findings, file.md5', () => {
    const j = JSON.parse(renderCheckJson(android)) as CheckResult;
    expect(j.verdict).toBe('fail');
    expect(j.undeclared.map((u) => [u.label, u.evidence[0]!.value])).toEqual([['短信', 'android.permission.READ_SMS'], ['通讯录', 'android.permission.READ_CONTACTS']]);
    expect(j.findings.map((f) => [f.rule, f.severity, typeof f.title.zh, f.evidence.length > 0, f.suppressed !== undefined]))
      .toContainEqual(['EDU-AND-NET-001', 'high', 'string', true, true]);
    expect(j.package.file.md5).toBe(android.package.file.md5);
  });
});

describe('CheckResultSchema', () => {
  const ok = () => plain(android) as Record<string, unknown>;
  it.each([
    ['an unknown verdict', (j: any) => { j.verdict = 'ok'; }],
    ['an extra top-level field', (j: any) => { j.score = 3; }],
    ['an extra finding field', (j: any) => { j.findings[0].cwe = 'CWE-1'; }],
    ['an unknown severity', (j: any) => { j.findings[0].severity = 'critical'; }],
    ['a suppression without a reason', (j: any) => { j.findings[1].suppressed.reason = ''; }],
    ['a suppression date that is not yyyy-mm-dd', (j: any) => { j.expiredSuppressions[0].until = '31/01/2020'; }],
    ['a label that is not one of the 13 checkboxes', (j: any) => { j.filed.push('麦克风'); }],
    ['a negative count', (j: any) => { j.counts.high = -1; }],
    ['a tool that is not eduscan', (j: any) => { j.tool.name = 'other'; }],
    ['package facts without an md5', (j: any) => { delete j.package.file.md5; }],
  ])('rejects %s', (_, mutate) => {
    const j = ok();
    expect(CheckResultSchema.safeParse(j).success).toBe(true);
    mutate(j);
    expect(CheckResultSchema.safeParse(j).success).toBe(false);
  });
});

describe('checkResultJsonSchema', () => {
  // The zod schema as JSON Schema, checked by an independent validator (ajv, draft 2020-12).
  const ajv = new ajv2020.default({ allErrors: true, strict: false });
  const validate = ajv.compile(checkResultJsonSchema());
  it('accepts the JSON report and rejects a bad verdict or an extra field', () => {
    for (const r of [android, ios, hostile]) expect(validate(JSON.parse(renderCheckJson(r))), JSON.stringify(validate.errors)).toBe(true);
    const j = JSON.parse(renderCheckJson(android)) as Record<string, unknown>;
    expect(validate({ ...j, verdict: 'ok' })).toBe(false);
    expect(validate({ ...j, score: 1 })).toBe(false);
    const { findings, ...noFindings } = j;
    expect(findings).toBeDefined();
    expect(validate(noFindings)).toBe(false);
  });
});
