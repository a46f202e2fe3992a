// Record validation: every problem of a bad record, each with its field path and a Chinese and English message;
// the forms' own rules (要求使用 ⇒ 集体决策 + 协议, 自研自用 ⇒ 提供者信息, level ≥ 2 ⇒ 备案号 ...).
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { readFilingFile } from '../../src/filing/load.js';
import { FILING_PROBLEM_CODES } from '../../src/filing/problems.js';
import { MAX_PROBLEMS, validateFiling } from '../../src/filing/validate.js';

const ROOT = resolve(import.meta.dirname, '../..');
const FIX = join(ROOT, 'tests', 'fixtures', 'filing');
const SAMPLES = join(ROOT, 'samples', 'filing');

function sample(name: string): Record<string, unknown> {
  return parse(readFileSync(join(SAMPLES, name), 'utf8')) as Record<string, unknown>;
}

function codes(raw: unknown, kind: 'provider' | 'use'): [string, string][] {
  return validateFiling(raw, kind).problems.map((p) => [p.path, p.code]);
}

describe('the sample records are valid', () => {
  it('provider and use filings have no problems', () => {
    const p = readFilingFile(join(SAMPLES, 'smartclass.provider.yaml'));
    expect(p.kind).toBe('provider');
    expect(p.problems).toEqual([]);
    expect(p.kind === 'provider' && p.data?.apps[0]?.packageId).toBe('cn.example.smartclass');
    const u = readFilingFile(join(SAMPLES, 'use-filing.yaml'));
    expect(u.kind).toBe('use');
    expect(u.problems).toEqual([]);
  });
});

describe('a malformed record lists every problem with its path', () => {
  it('provider filing (YAML): all 27, in form order', () => {
    const d = readFilingFile(join(FIX, 'malformed.provider.yaml'));
    expect(d.data).toBeUndefined();
    expect(d.problems.map((p) => [p.path, p.code])).toEqual([
      ['provider.name', 'REQUIRED'],
      ['provider.nature', 'NOT_ALLOWED'],
      ['provider.certificate.number', 'USCC_CHECK'],
      ['provider.contact.phone', 'WRONG_TYPE'],
      ['provider.contact.emial', 'UNKNOWN_KEY'],
      ['developer.certificate.number', 'USCC_NATURE'],
      ['systems[0].ip', 'IP_FORMAT'],
      ['systems[0].icp', 'ICP_PROVINCE'],
      ['systems[0].securityLevel', 'OUT_OF_RANGE'],
      ['systems[1].domain', 'DOMAIN_FORMAT'],
      ['systems[1].icp', 'ICP_LICENCE'],
      ['systems[1].securityFilingNo', 'MLPS_REQUIRED'],
      ['apps[0].version', 'WRONG_TYPE'],
      ['apps[0].platform', 'NOT_ALLOWED'],
      ['apps[0].packageId', 'PACKAGE_ID_FORMAT'],
      ['apps[0].md5', 'MD5_FORMAT'],
      ['apps[0].functionType', 'REQUIRED'],
      ['apps[0].audience', 'TOO_FEW'],
      ['apps[0].serviceContent', 'REQUIRED'],
      ['apps[0].permissions[1]', 'DUPLICATE'],
      ['apps[0].permissions[3]', 'NOT_ALLOWED'],
      ['apps[0].permissionsOther', 'OTHER_PERMISSIONS_TEXT'],
      ['apps[0].features', 'WRONG_TYPE'],
      ['apps[0].filingNo', 'FILING_NO_FORMAT'],
      ['apps[0].permision', 'UNKNOWN_KEY'],
      ['suppress[0].reason', 'SUPPRESS_REASON'],
      ['suppress[0].until', 'DATE_FORMAT'],
    ]);
  });

  it('use filing (JSON): all 11', () => {
    const d = readFilingFile(join(FIX, 'malformed.use.json'));
    expect(d.kind).toBe('use');
    expect(d.problems.map((p) => [p.path, p.code])).toEqual([
      ['unit.nature', 'NOT_ALLOWED'],
      ['unit.certificate.type', 'NOT_ALLOWED'],
      ['unit.certificate.number', 'USCC_LENGTH'],
      ['unit.contact.phone', 'REQUIRED'],
      ['app.filingNo', 'FILING_NO_REQUIRED'],
      ['users[0]', 'NOT_ALLOWED'],
      ['scenario', 'EMPTY'],
      ['collectiveDecision', 'USE_REQUIRED_DECISION'],
      ['agreementSigned', 'WRONG_TYPE'],
      ['agreementSigned', 'USE_REQUIRED_AGREEMENT'],
    ]);
  });

  it('every message is one line, Chinese with the form label, English, and the code is documented', () => {
    for (const f of ['malformed.provider.yaml', 'malformed.use.json']) {
      for (const p of readFilingFile(join(FIX, f)).problems) {
        expect(p.code in FILING_PROBLEM_CODES).toBe(true);
        expect(p.zh).toMatch(/[\u4e00-\u9fff]/);
        expect(p.zh).toContain('：');
        expect(p.en).toMatch(/^[^\n]+$/);
        expect(p.zh).toMatch(/^[^\n]+$/);
      }
    }
  });

  it('tells YAML number pitfalls apart: version 2.10 is read as 2.1', () => {
    const d = readFilingFile(join(FIX, 'malformed.provider.yaml'));
    const v = d.problems.find((p) => p.path === 'apps[0].version');
    expect(v?.zh).toContain('2.1');
    expect(v?.zh).toContain('加引号');
    expect(v?.en).toContain('quotes');
  });

  it('stops listing at MAX_PROBLEMS and says how many more there are', () => {
    const raw = sample('smartclass.provider.yaml');
    const app = (raw.apps as Record<string, unknown>[])[0] as Record<string, unknown>;
    raw.apps = Array.from({ length: 200 }, (_, i) => ({ ...app, name: `App ${i}`, packageId: `cn.x.a${i}`, md5: 'x', version: 1, platform: 'pc' }));
    const ps = validateFiling(raw, 'provider').problems;
    expect(ps).toHaveLength(MAX_PROBLEMS + 1);
    expect(ps[MAX_PROBLEMS]).toMatchObject({ path: '', code: 'TOO_MANY_PROBLEMS' });
    expect(ps[MAX_PROBLEMS]?.en).toBe(`${200 * 3 - MAX_PROBLEMS} more problems not listed`);
  });
});

describe('the use form\'s own rules (附件2 填表说明 5, 管理办法 第十八/二十一条)', () => {
  const base = () => sample('use-filing.yaml');

  it('要求使用 needs 集体决策 and a signed agreement; 推荐使用 does not', () => {
    const r = { ...base(), collectiveDecision: false, agreementSigned: false };
    expect(codes(r, 'use')).toEqual([['collectiveDecision', 'USE_REQUIRED_DECISION'], ['agreementSigned', 'USE_REQUIRED_AGREEMENT']]);
    expect(codes({ ...r, usage: '推荐使用' }, 'use')).toEqual([]);
  });

  it('自研自用 needs the provider filing information, which must list the app', () => {
    const r: Record<string, unknown> = { ...base(), selfDeveloped: true };
    delete (r.app as Record<string, unknown>).filingNo;
    expect(codes(r, 'use')).toEqual([['providerFiling', 'SELF_DEVELOPED_PROVIDER']]);
    const provider = sample('smartclass.provider.yaml');
    const providerFiling = { provider: provider.provider, apps: provider.apps };
    expect(codes({ ...r, providerFiling }, 'use')).toEqual([]);
    const other = { ...providerFiling, apps: [{ ...(provider.apps as object[])[0], name: '别的应用' }] };
    expect(codes({ ...r, providerFiling: other }, 'use')).toEqual([['providerFiling.apps', 'SELF_DEVELOPED_APP']]);
    // The nested provider filing is checked like a provider filing.
    const bad = { ...providerFiling, provider: { ...(provider.provider as object), certificate: { type: '统一社会信用代码证书', number: '91310115MA1FX0ED8X' } } };
    expect(codes({ ...r, providerFiling: bad }, 'use')).toEqual([['providerFiling.provider.certificate.number', 'USCC_CHECK']]);
  });

  it('an app that is not self-developed carries its 教APP备 number', () => {
    const r = base();
    delete (r.app as Record<string, unknown>).filingNo;
    expect(codes(r, 'use')).toEqual([['app.filingNo', 'FILING_NO_REQUIRED']]);
  });

  it('教育行政部门 must hold a 11 (机构编制/机关) credit code', () => {
    const r = base();
    r.unit = { ...(r.unit as object), nature: '教育行政部门' };
    expect(codes(r, 'use')).toEqual([['unit.certificate.number', 'USCC_NATURE']]);
  });
});

describe('the provider form\'s cross-field rules', () => {
  const base = () => sample('smartclass.provider.yaml');
  const provider = (r: Record<string, unknown>) => r.provider as Record<string, unknown>;
  const app0 = (r: Record<string, unknown>) => (r.apps as Record<string, unknown>[])[0] as Record<string, unknown>;
  const sys0 = (r: Record<string, unknown>) => (r.systems as Record<string, unknown>[])[0] as Record<string, unknown>;

  it('单位性质 must fit the credit-code prefix (a published 12… code is a 事业单位, not a 企业)', () => {
    const r = base();
    provider(r).certificate = { type: '统一社会信用代码证书', number: '121200004013590816' };
    expect(codes(r, 'provider')).toEqual([['provider.certificate.number', 'USCC_NATURE']]);
    provider(r).nature = '事业单位';
    expect(codes(r, 'provider')).toEqual([]);
  });

  it('an 组织机构代码证书 is checked as an organisation code', () => {
    const r = base();
    provider(r).certificate = { type: '组织机构代码证书', number: '60003734-1' };
    expect(codes(r, 'provider')).toEqual([]);
    provider(r).certificate = { type: '组织机构代码证书', number: '60003734-2' };
    expect(codes(r, 'provider')).toEqual([['provider.certificate.number', 'ORG_CODE_CHECK']]);
  });

  it('level 2-4 systems need a 等级保护备案号, level 1 does not', () => {
    const r = base();
    delete sys0(r).securityFilingNo;
    expect(codes(r, 'provider')).toEqual([['systems[0].securityFilingNo', 'MLPS_REQUIRED']]);
    sys0(r).securityLevel = 1;
    expect(codes(r, 'provider')).toEqual([]);
  });

  it('其它 and its description go together', () => {
    const r = base();
    app0(r).permissions = ['其它'];
    expect(codes(r, 'provider')).toEqual([['apps[0].permissionsOther', 'OTHER_PERMISSIONS_TEXT']]);
    app0(r).permissionsOther = 'android.permission.BLUETOOTH_SCAN';
    expect(codes(r, 'provider')).toEqual([]);
    app0(r).permissions = [];
    expect(codes(r, 'provider')).toEqual([['apps[0].permissions', 'OTHER_PERMISSIONS_UNTICKED']]);
  });

  it('a developer identical to the provider, and duplicate apps, are reported', () => {
    const r = base();
    r.developer = { ...provider(r) };
    r.apps = [app0(r), { ...app0(r) }];
    expect(codes(r, 'provider')).toEqual([
      ['developer', 'DEVELOPER_IS_PROVIDER'],
      ['apps[1].name', 'DUPLICATE'],
      ['apps[1].packageId', 'DUPLICATE'],
    ]);
  });

  it('iOS apps take a bundle id; Android ids must be Java package names', () => {
    const r = base();
    Object.assign(app0(r), { platform: 'ios', packageId: 'com.example.eduscan-sample' });
    expect(codes(r, 'provider')).toEqual([]);
    app0(r).platform = 'android';
    expect(codes(r, 'provider')).toEqual([['apps[0].packageId', 'PACKAGE_ID_FORMAT']]);
  });

  it('the scan block written by eduscan is checked too', () => {
    const r = base();
    app0(r).scan = {
      tool: 'eduscan', toolVersion: '0.1.0', rulesDigest: 'sha256:abc', checkedAt: '2025-01-31T08:00:00Z',
      md5: '58ba3e77dbf731f6c975eb36598d52fc', sha256: '41293a80444f76c55e818af645b33562696ade816ae5b9b3b77f670d5ff2f089',
      verdict: 'fail', verdictZh: '不通过', counts: { high: 1, medium: 0, low: 0, info: 2 }, findings: ['EDU-PKG-005'], undeclared: ['短信'],
    };
    expect(codes(r, 'provider')).toEqual([]);
    Object.assign(app0(r).scan as object, { verdictZh: '通过', checkedAt: '2025-01-31', undeclared: ['SMS'] });
    expect(codes(r, 'provider')).toEqual([
      ['apps[0].scan.checkedAt', 'DATETIME_FORMAT'],
      ['apps[0].scan.verdictZh', 'SCAN_VERDICT'],
      ['apps[0].scan.undeclared[0]', 'NOT_ALLOWED'],
    ]);
  });

  it('a suppression needs a reason (blank is no reason)', () => {
    const r = base();
    r.suppress = [{ rule: 'EDU-AND-MAN-001', reason: '  ', by: '审核员' }, { rule: 'EDU-AND-MAN-002', reason: '已说明', by: '审核员', until: '2026-12-31', packages: ['cn.example.*'] }];
    expect(codes(r, 'provider')).toEqual([['suppress[0].reason', 'SUPPRESS_REASON']]);
  });

  it('unknown keys are reported at every level, including the developer section', () => {
    const r = base();
    r.developer = { ...provider(r), name: '开发商', registerdAddress: 'x' };
    r.extra = 1;
    expect(codes(r, 'provider')).toEqual([['developer.registerdAddress', 'UNKNOWN_KEY'], ['extra', 'UNKNOWN_KEY']]);
  });
});
