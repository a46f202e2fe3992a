// One check per field format, shared by the zod schema (field refinements) and the cross-field pass in
// validate.ts. Each returns the problem detail without the field label, or undefined when the value is fine.
import type { FilingProblemCode } from './problems.js';
import { shown } from './problems.js';
import { checkFilingNo, checkIcp, checkMlpsFilingNo, isCalendarDate, isDomain, isIpAddress, isIsoDateTime, isMd5, isPhone, isSha256 } from './formats.js';
import { checkOrgCode, checkUscc } from './uscc.js';

export interface Detail {
  code: FilingProblemCode;
  zh: string;
  en: string;
}

export type FieldCheck = (v: string) => Detail | undefined;

export const notBlank: FieldCheck = (v) => (v.trim() === '' ? { code: 'EMPTY', zh: '不能为空', en: 'must not be empty' } : undefined);

export const icpCheck: FieldCheck = (v) => {
  const i = checkIcp(v);
  if (!i) return undefined;
  if (i.kind === 'licence') {
    return { code: 'ICP_LICENCE', zh: `${shown(v)} 是增值电信业务经营许可证号（ICP证），此处应填 ICP 备案号（如 京ICP备12345678号-1）`, en: `${shown(v)} is an ICP licence (ICP证) number; the form asks for the ICP filing number (e.g. 京ICP备12345678号-1)` };
  }
  if (i.kind === 'province') {
    const hintZh = i.suggest ? `（应为“${i.suggest}”）` : '';
    const hintEn = i.suggest ? ` (use "${i.suggest}")` : '';
    return { code: 'ICP_PROVINCE', zh: `开头的“${i.found}”不是通信管理局的省份简称${hintZh}`, en: `"${i.found}" is not a provincial abbreviation used by ICP filings${hintEn}` };
  }
  return { code: 'ICP_FORMAT', zh: `应为“省份简称ICP备数字号”，可带“-序号”（如 京ICP备12345678号-1），实际为 ${shown(v)}`, en: `expected <province>ICP备<digits>号 with an optional -<n> suffix (e.g. 京ICP备12345678号-1), found ${shown(v)}` };
};

export const mlpsCheck: FieldCheck = (v) => {
  const i = checkMlpsFilingNo(v);
  if (!i) return undefined;
  if (i.kind === 'region') {
    return { code: 'MLPS_REGION', zh: `前 6 位 ${i.region} 不是受理备案的公安机关行政区划代码`, en: `the first 6 digits ${i.region} are not the region code of a public-security office` };
  }
  return { code: 'MLPS_FORMAT', zh: `应为 11 位数字-5 位数字（如 11010843001-20001），实际为 ${shown(v)}`, en: `expected 11 digits, a hyphen and 5 digits (e.g. 11010843001-20001), found ${shown(v)}` };
};

export const filingNoCheck: FieldCheck = (v) => {
  const i = checkFilingNo(v);
  if (!i) return undefined;
  if (i.kind === 'province') {
    return { code: 'FILING_NO_PROVINCE', zh: `前两位 ${i.prefix} 不是省级行政区划代码`, en: `the first two digits ${i.prefix} are not a province code` };
  }
  return { code: 'FILING_NO_FORMAT', zh: `应为“教APP备”+7 位数字+“号”（如 教APP备3100012号），实际为 ${shown(v)}`, en: `expected 教APP备 + 7 digits + 号 (e.g. 教APP备3100012号), found ${shown(v)}` };
};

export const md5Check: FieldCheck = (v) =>
  isMd5(v) ? undefined : { code: 'MD5_FORMAT', zh: `应为 32 位十六进制数字，实际为 ${shown(v)}`, en: `expected 32 hex digits, found ${shown(v)}` };

export const sha256Check: FieldCheck = (v) =>
  isSha256(v) ? undefined : { code: 'SHA256_FORMAT', zh: `应为 64 位小写十六进制数字，实际为 ${shown(v)}`, en: `expected 64 lower-case hex digits, found ${shown(v)}` };

export const phoneCheck: FieldCheck = (v) =>
  isPhone(v) ? undefined : { code: 'PHONE_FORMAT', zh: `应为手机号（11 位）或带区号的座机号，实际为 ${shown(v)}`, en: `expected a mobile (11 digits) or landline number with area code, found ${shown(v)}` };

export const emailCheck: FieldCheck = (v) =>
  /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(v) ? undefined : { code: 'EMAIL_FORMAT', zh: `不是有效的电子邮箱：${shown(v)}`, en: `not an e-mail address: ${shown(v)}` };

export const ipCheck: FieldCheck = (v) =>
  isIpAddress(v) ? undefined : { code: 'IP_FORMAT', zh: `应为一个 IPv4 或 IPv6 地址，实际为 ${shown(v)}`, en: `expected one IPv4 or IPv6 address, found ${shown(v)}` };

export const domainCheck: FieldCheck = (v) => {
  if (isDomain(v)) return undefined;
  const hint = /^[a-z]+:\/\//i.test(v) ? { zh: '（只填域名，不带 http:// 和路径）', en: ' (the host name only, without http:// or a path)' } : { zh: '', en: '' };
  return { code: 'DOMAIN_FORMAT', zh: `不是域名：${shown(v)}${hint.zh}`, en: `not a domain name: ${shown(v)}${hint.en}` };
};

export const dateCheck: FieldCheck = (v) =>
  isCalendarDate(v) ? undefined : { code: 'DATE_FORMAT', zh: `应为 yyyy-mm-dd 格式的有效日期，实际为 ${shown(v)}`, en: `expected a real yyyy-mm-dd date, found ${shown(v)}` };

export const dateTimeCheck: FieldCheck = (v) =>
  isIsoDateTime(v) ? undefined : { code: 'DATETIME_FORMAT', zh: `应为带时区的 ISO 8601 时间（如 2025-01-31T08:00:00Z），实际为 ${shown(v)}`, en: `expected an ISO 8601 date-time with offset (e.g. 2025-01-31T08:00:00Z), found ${shown(v)}` };

/** Every problem with a 统一社会信用代码. */
export function usccDetails(v: string): Detail[] {
  const out: Detail[] = [];
  for (const i of checkUscc(v)) {
    switch (i.kind) {
      case 'length':
        out.push({ code: 'USCC_LENGTH', zh: `统一社会信用代码应为 18 位，实际为 ${i.found} 位`, en: `a unified social credit code has 18 characters, found ${i.found}` });
        break;
      case 'charset':
        out.push({
          code: 'USCC_CHARSET',
          zh: `第 ${i.position} 位 ${shown(i.char)} 不允许（${i.position >= 3 && i.position <= 8 ? '第 3-8 位为行政区划数字' : '只用数字和大写字母，不用 I、O、Z、S、V'}）`,
          en: `character ${i.position} ${shown(i.char)} is not allowed (${i.position >= 3 && i.position <= 8 ? 'positions 3-8 are region digits' : 'digits and capitals only, no I, O, Z, S, V'})`,
        });
        break;
      case 'region':
        out.push({ code: 'USCC_REGION', zh: `第 3-8 位 ${i.region} 不是行政区划代码`, en: `positions 3-8 (${i.region}) are not a region code` });
        break;
      case 'org-check':
        out.push({ code: 'USCC_ORG_CHECK', zh: `第 9-17 位的组织机构代码校验位应为 ${i.expected}，实际为 ${i.found}`, en: `the organisation code in positions 9-17 should end in ${i.expected}, found ${i.found}` });
        break;
      case 'check':
        out.push({ code: 'USCC_CHECK', zh: `校验码（第 18 位）应为 ${i.expected}，实际为 ${i.found}（代码有误或抄写错误）`, en: `check character (position 18) should be ${i.expected}, found ${i.found} (mistyped code?)` });
        break;
    }
  }
  return out;
}

export function orgCodeDetails(v: string): Detail[] {
  return checkOrgCode(v).map((i) =>
    i.kind === 'format'
      ? { code: 'ORG_CODE_FORMAT' as const, zh: `组织机构代码应为 8 位数字或大写字母加 1 位校验码（如 60003734-1），实际为 ${shown(v)}`, en: `an organisation code is 8 digits/capitals and a check character (e.g. 60003734-1), found ${shown(v)}` }
      : { code: 'ORG_CODE_CHECK' as const, zh: `组织机构代码校验码应为 ${i.expected}，实际为 ${i.found}`, en: `organisation code check character should be ${i.expected}, found ${i.found}` },
  );
}
