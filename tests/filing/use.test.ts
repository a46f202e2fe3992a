// Use filings as rule context: read from the shipped sample, matched to provider apps by 教APP备 number or name.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { parseFilingText, readFilingFile } from '../../src/filing/load.js';
import { useContext, useIsFor } from '../../src/filing/use.js';
import { errorCode } from '../helpers/error-code.js';

const ROOT = join(import.meta.dirname, '../..');
const USE = join(ROOT, 'samples/filing/use-filing.yaml');
const PROVIDER = join(ROOT, 'samples/filing/smartclass.provider.yaml');

describe('useContext', () => {
  it('takes unit, usage, users and the app reference from the sample use filing', () => {
    const raw = parse(readFileSync(USE, 'utf8'));
    const u = useContext(readFilingFile(USE));
    expect(u).toEqual({
      unit: raw.unit.name, usage: raw.usage, users: raw.users, scenario: raw.scenario,
      collectiveDecision: raw.collectiveDecision, agreementSigned: raw.agreementSigned,
      app: raw.app.name, filingNo: raw.app.filingNo, file: USE,
    });
  });

  it('refuses a provider filing and an invalid use filing with E_RECORD', () => {
    expect(errorCode(() => useContext(readFilingFile(PROVIDER)))).toBe('E_RECORD');
    const broken = readFileSync(USE, 'utf8').replace('usage: 要求使用', 'usage: 必须使用');
    expect(errorCode(() => useContext(parseFilingText(broken, { format: 'yaml' })))).toBe('E_RECORD');
  });
});

describe('useIsFor', () => {
  const use = { app: '智慧课堂', filingNo: '教APP备3100000号' };
  it('matches by 教APP备 number when both sides have one, whatever the names', () => {
    expect(useIsFor(use, { name: '智慧课堂（学生版）', filingNo: '教APP备3100000号' })).toBe(true);
    expect(useIsFor(use, { name: '智慧课堂', filingNo: '教APP备3100001号' })).toBe(false);
  });
  it('falls back to the name when either side has no number', () => {
    expect(useIsFor(use, { name: '智慧课堂' })).toBe(true);
    expect(useIsFor({ app: '智慧课堂' }, { name: '智慧课堂', filingNo: '教APP备3100000号' })).toBe(true);
    expect(useIsFor(use, { name: '别的应用' })).toBe(false);
  });
});
