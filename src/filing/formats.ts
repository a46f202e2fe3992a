// Formats of the numbers and strings the filing forms ask for. Each check returns a problem kind (or nothing);
// validate.ts turns it into a bilingual FilingProblem with the field path.
import { isIP } from 'node:net';
import { NATIONAL_REGION_PREFIX, PROVINCE_CODES } from './uscc.js';

/**
 * ICP filing numbers start with the one-character abbreviation of the provincial communications administration
 * that issued them. Sichuan, Guizhou, Yunnan and Gansu use 蜀/黔/滇/陇, not 川/贵/云/甘.
 */
export const ICP_PROVINCES = [
  '京', '津', '冀', '晋', '蒙', '辽', '吉', '黑', '沪', '苏', '浙', '皖', '闽', '赣', '鲁', '豫', '鄂', '湘', '粤', '桂',
  '琼', '渝', '蜀', '黔', '滇', '藏', '陕', '陇', '青', '宁', '新',
] as const;
/** Abbreviations people write that the ICP system does not use, with the one it does. */
export const ICP_PROVINCE_ALIASES: Readonly<Record<string, string>> = { 川: '蜀', 贵: '黔', 云: '滇', 甘: '陇' };

// 京ICP备05002571号, 粤ICP备2023007649号-1, and since the 2023 MIIT app filing, 陕ICP备2024026116号-1A
// (A = an app, X = a mini-program). The number grew from 6-8 digits to year + serial (10 digits).
const ICP_RE = /^(.)ICP备(\d{5,10})号(?:-(\d{1,3})([AX])?)?$/;
// 京ICP证030173号 is the commercial-service licence (经营许可证), a different number from the filing.
const ICP_LICENCE_RE = /^.ICP证\d+号$/;

export type IcpIssue = { kind: 'licence' } | { kind: 'format' } | { kind: 'province'; found: string; suggest?: string };

export function checkIcp(s: string): IcpIssue | undefined {
  if (ICP_LICENCE_RE.test(s)) return { kind: 'licence' };
  const m = ICP_RE.exec(s);
  if (!m) return { kind: 'format' };
  const p = m[1] ?? '';
  if ((ICP_PROVINCES as readonly string[]).includes(p)) return undefined;
  const suggest = ICP_PROVINCE_ALIASES[p];
  return suggest === undefined ? { kind: 'province', found: p } : { kind: 'province', found: p, suggest };
}

// 网络安全等级保护备案证明编号: 11 digits (6-digit GB/T 2260 code of the public-security office that accepted the
// filing + 5-digit serial of the filing unit), a hyphen, then the 5-digit system number, e.g. 11010843001-20001.
// Written without the hyphen on some certificates, so 16 digits in a row are accepted too.
const MLPS_RE = /^(\d{11})-?(\d{5})$/;

export type MlpsIssue = { kind: 'format' } | { kind: 'region'; region: string };

export function checkMlpsFilingNo(s: string): MlpsIssue | undefined {
  const m = MLPS_RE.exec(s);
  if (!m) return { kind: 'format' };
  const region = (m[1] ?? '').slice(0, 6);
  const prefix = region.slice(0, 2);
  // 公安部 accepts the filings of national systems; its office code is not province-prefixed.
  if (!PROVINCE_CODES.has(prefix) && prefix !== NATIONAL_REGION_PREFIX && prefix !== '00') return { kind: 'region', region };
  return undefined;
}

// 教APP备 + 7 digits + 号. The seeds show the first two digits are the province of the filing office
// (教APP备3100012号 Shanghai, 教APP备1100016号 Beijing, 教APP备3500001号 Fujian); 00/10 are allowed for
// filings made with the Ministry itself, whose prefix the seeds do not show.
const FILING_NO_RE = /^教APP备(\d{7})号$/;

export type FilingNoIssue = { kind: 'format' } | { kind: 'province'; prefix: string };

export function checkFilingNo(s: string): FilingNoIssue | undefined {
  const m = FILING_NO_RE.exec(s);
  if (!m) return { kind: 'format' };
  const prefix = (m[1] ?? '').slice(0, 2);
  if (!PROVINCE_CODES.has(prefix) && prefix !== NATIONAL_REGION_PREFIX && prefix !== '00') return { kind: 'province', prefix };
  return undefined;
}

/** 安装包MD5码: 32 hex digits; either case (the platform displays lower case, some tools upper). */
export function isMd5(s: string): boolean {
  return /^[0-9a-fA-F]{32}$/.test(s);
}

export function isSha256(s: string): boolean {
  return /^[0-9a-f]{64}$/.test(s);
}

/**
 * Mainland phone numbers: mobile 1[3-9]xxxxxxxxx, landline 0AA(A)-NNNNNNN(N) with an optional extension, and
 * 400/800 service numbers; an optional +86 / 0086 prefix. Spaces and hyphens between groups are tolerated.
 */
export function isPhone(s: string): boolean {
  const t = s.replace(/^(\+86|0086)[\s-]?/, '');
  if (/^1[3-9]\d{9}$/.test(t.replace(/[\s-]/g, ''))) return true;
  if (/^0\d{2,3}[\s-]?\d{7,8}(?:[\s-]?(?:转|ext\.?|-)?\s?\d{1,6})?$/i.test(t)) return true;
  return /^[48]00[\s-]?\d{3}[\s-]?\d{4}$/.test(t);
}

export function isIpAddress(s: string): boolean {
  return isIP(s) !== 0;
}

/** A host name as entered in 域名: labels of letters, digits and hyphens (punycode allowed), at least two labels. */
export function isDomain(s: string): boolean {
  if (s.length > 253) return false;
  const labels = s.replace(/\.$/, '').split('.');
  if (labels.length < 2) return false;
  return labels.every((l) => /^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$/.test(l)) && !/^\d+$/.test(labels[labels.length - 1] ?? '');
}

/** yyyy-mm-dd naming a real calendar day. */
export function isCalendarDate(s: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (!m) return false;
  const y = Number(m[1]);
  const mo = Number(m[2]);
  const d = Number(m[3]);
  const t = new Date(Date.UTC(y, mo - 1, d));
  return t.getUTCFullYear() === y && t.getUTCMonth() === mo - 1 && t.getUTCDate() === d;
}

/** ISO 8601 date-time with seconds and an explicit offset (Z or ±hh:mm), naming a real instant. */
export function isIsoDateTime(s: string): boolean {
  const m = /^(\d{4}-\d{2}-\d{2})T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d{1,9})?(?:Z|[+-](?:[01]\d|2[0-3]):[0-5]\d)$/.exec(s);
  return m !== null && isCalendarDate(m[1] ?? '');
}

/** Android applicationId: two or more dot-separated Java identifiers. */
export function isAndroidPackageId(s: string): boolean {
  return /^[A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z][A-Za-z0-9_]*)+$/.test(s);
}

/** iOS CFBundleIdentifier: letters, digits, hyphens and dots (Apple's "reverse-DNS" string). */
export function isBundleId(s: string): boolean {
  return /^[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+$/.test(s);
}
