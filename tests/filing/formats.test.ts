// Formats of the other numbers on the forms. Valid examples are numbers published by their holders (site
// footers and app "about" screens in public repositories, the seeds' filing numbers); invalid ones are those
// numbers with one thing wrong.
import { describe, expect, it } from 'vitest';
import {
  checkFilingNo, checkIcp, checkMlpsFilingNo, isAndroidPackageId, isBundleId, isCalendarDate, isDomain, isIpAddress,
  isIsoDateTime, isMd5, isPhone,
} from '../../src/filing/formats.js';
import { icpCheck } from '../../src/filing/field-checks.js';

describe('ICP filing number', () => {
  // Published in site footers / app about screens (GitHub code search): a website filing, a numbered site of a
  // filing, and 2023+ app filings ending in A.
  const VALID = ['粤ICP备2023007649号', '蜀ICP备2023023736号-3', '陕ICP备2023001571号-1', '陕ICP备2024026116号-1A', '沪ICP备2025152989号-1A', '鄂ICP备2024036893号-1A', '京ICP备05002571号'];

  it('accepts published numbers', () => {
    for (const n of VALID) expect(checkIcp(n), n).toBeUndefined();
  });

  it('tells the licence (ICP证) from the filing (ICP备)', () => {
    expect(checkIcp('京ICP证030173号')).toEqual({ kind: 'licence' });
  });

  it('rejects a province the ICP system does not use, suggesting the one it does', () => {
    expect(checkIcp('川ICP备2023023736号-3')).toEqual({ kind: 'province', found: '川', suggest: '蜀' });
    expect(checkIcp('港ICP备2023023736号')).toEqual({ kind: 'province', found: '港' });
    expect(icpCheck('川ICP备2023023736号-3')?.zh).toContain('应为“蜀”');
  });

  it('rejects broken shapes', () => {
    for (const n of ['ICP备2023007649号', '粤ICP备2023007649', '粤icp备2023007649号', '粤ICP备号', '粤ICP备2023007649号-', '粤ICP备2023007649号-1B', '粤ICP备20230076491234号', ' 粤ICP备2023007649号']) {
      expect(checkIcp(n), n).toBeDefined();
    }
  });
});

describe('等级保护备案号', () => {
  it('accepts 11 digits-5 digits with a region prefix, with or without the hyphen', () => {
    expect(checkMlpsFilingNo('11010843001-20001')).toBeUndefined();
    expect(checkMlpsFilingNo('3101150000020001')).toBeUndefined();
    expect(checkMlpsFilingNo('44030099999-00001')).toBeUndefined();
  });

  it('rejects other shapes and non-region prefixes', () => {
    for (const n of ['1101084300-20001', '11010843001-2001', '11010843001_20001', 'A1010843001-20001', '']) {
      expect(checkMlpsFilingNo(n), n).toEqual({ kind: 'format' });
    }
    expect(checkMlpsFilingNo('99010843001-20001')).toEqual({ kind: 'region', region: '990108' });
  });
});

describe('教APP备 filing number', () => {
  // Seed 004 (宝山区 meeting notes) lists 教APP备3100012号, 教APP备1100016号, 教APP备3500001号 ...
  it('accepts the numbers in the seeds', () => {
    for (const n of ['教APP备3100012号', '教APP备3100013号', '教APP备3100001号', '教APP备1100016号', '教APP备1100023号', '教APP备3500002号']) {
      expect(checkFilingNo(n), n).toBeUndefined();
    }
  });

  it('rejects wrong lengths, spellings and provinces', () => {
    for (const n of ['教APP备310001号', '教APP备31000121号', '教app备3100012号', '教APP备3100012', 'APP备3100012号', '教APP备 3100012号']) {
      expect(checkFilingNo(n), n).toEqual({ kind: 'format' });
    }
    expect(checkFilingNo('教APP备9900001号')).toEqual({ kind: 'province', prefix: '99' });
  });
});

describe('other fields', () => {
  it('MD5: 32 hex digits', () => {
    expect(isMd5('58ba3e77dbf731f6c975eb36598d52fc')).toBe(true);
    expect(isMd5('58BA3E77DBF731F6C975EB36598D52FC')).toBe(true);
    expect(isMd5('58ba3e77dbf731f6c975eb36598d52f')).toBe(false);
    expect(isMd5('58ba3e77dbf731f6c975eb36598d52fg')).toBe(false);
    expect(isMd5('41293a80444f76c55e818af645b33562696ade816ae5b9b3b77f670d5ff2f089')).toBe(false);
  });

  it('phone numbers', () => {
    for (const p of ['13800000000', '+86 13800000000', '021-50000000', '0755-8888888', '010-66096457', '029-83858017', '400-680-9298', '021-66782929-7013']) {
      expect(isPhone(p), p).toBe(true);
    }
    for (const p of ['12800000000', '1380000000', '83858017', 'abc', '021-5000']) expect(isPhone(p), p).toBe(false);
  });

  it('IP addresses and domains', () => {
    expect(isIpAddress('203.0.113.10')).toBe(true);
    expect(isIpAddress('2001:db8::1')).toBe(true);
    expect(isIpAddress('203.0.113')).toBe(false);
    expect(isIpAddress('203.0.113.256')).toBe(false);
    expect(isDomain('app.eduyun.cn')).toBe(true);
    expect(isDomain('xn--fiqs8s.cn')).toBe(true);
    expect(isDomain('https://app.eduyun.cn/')).toBe(false);
    expect(isDomain('localhost')).toBe(false);
    expect(isDomain('-bad.cn')).toBe(false);
    expect(isDomain('1.2.3.4')).toBe(false);
  });

  it('calendar dates and date-times', () => {
    expect(isCalendarDate('2024-02-29')).toBe(true);
    expect(isCalendarDate('2023-02-29')).toBe(false);
    expect(isCalendarDate('2025-13-01')).toBe(false);
    expect(isCalendarDate('2025-1-01')).toBe(false);
    expect(isIsoDateTime('2025-01-31T08:00:00Z')).toBe(true);
    expect(isIsoDateTime('2025-01-31T08:00:00.123+08:00')).toBe(true);
    expect(isIsoDateTime('2025-01-31T08:00:00')).toBe(false);
    expect(isIsoDateTime('2025-02-30T08:00:00Z')).toBe(false);
    expect(isIsoDateTime('2025-01-31 08:00:00Z')).toBe(false);
  });

  it('package ids', () => {
    expect(isAndroidPackageId('cn.example.smartclass')).toBe(true);
    expect(isAndroidPackageId('cn.example.smart_class2')).toBe(true);
    expect(isAndroidPackageId('smartclass')).toBe(false);
    expect(isAndroidPackageId('cn.2example.app')).toBe(false);
    expect(isAndroidPackageId('cn.example-app.x')).toBe(false);
    expect(isBundleId('com.example.eduscan-sample')).toBe(true);
    expect(isBundleId('com example')).toBe(false);
  });
});
