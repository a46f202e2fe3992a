// 统一社会信用代码 (GB 32100-2015) and the organisation code embedded in it (组织机构代码, GB 11714-1997).
// Pure functions over strings; the form validator turns the issues into bilingual problems.
//
// USCC layout (18 characters):
//   pos 1      登记管理部门代码   registration authority (1 机构编制, 3 司法行政, 5 民政, 9 工商, Y 其他 ...)
//   pos 2      机构类别代码       entity category within that authority
//   pos 3-8    登记管理机关行政区划码  GB/T 2260 region of the registering office (digits)
//   pos 9-17   主体标识码         the GB 11714 organisation code: 8 body characters + its own check character
//   pos 18     校验码             GB/T 17710 (ISO 7064 style) check character over positions 1-17, mod 31

/** GB 32100 character set; a character's value is its index. I, O, Z, S and V are not used. */
export const USCC_CHARSET = '0123456789ABCDEFGHJKLMNPQRTUWXY';
export const USCC_LENGTH = 18;
const USCC_MODULUS = 31;
const USCC_BODY_LENGTH = 17;
/** W_i = 3^(i-1) mod 31 for positions i = 1..17 (GB 32100-2015 §5.2). */
const USCC_WEIGHTS: readonly number[] = Array.from({ length: USCC_BODY_LENGTH }, (_, i) => powMod(3, i, USCC_MODULUS));

const REGION_START = 2;
const REGION_END = 8;
const ORG_START = 8;
const ORG_END = 17;

/** GB 11714: 8 body characters, then the check character. */
export const ORG_CODE_BODY_LENGTH = 8;
const ORG_WEIGHTS: readonly number[] = [3, 7, 9, 10, 5, 8, 4, 2];
const ORG_MODULUS = 11;
/** Value 10 is written X, value 11 is written 0. */
const ORG_CHECK_TEN = 'X';

/**
 * GB/T 2260 two-digit province prefixes (mainland 11-65, 71 Taiwan, 81 Hong Kong, 82 Macao), plus 10: the national
 * level, written 100000 by offices that register nationally (e.g. 民政部-registered social organisations).
 */
export const PROVINCE_CODES: ReadonlySet<string> = new Set([
  '11', '12', '13', '14', '15', '21', '22', '23', '31', '32', '33', '34', '35', '36', '37',
  '41', '42', '43', '44', '45', '46', '50', '51', '52', '53', '54', '61', '62', '63', '64', '65', '71', '81', '82',
]);
export const NATIONAL_REGION_PREFIX = '10';

export type UsccIssue =
  | { kind: 'length'; found: number }
  | { kind: 'charset'; position: number; char: string }
  | { kind: 'region'; region: string }
  | { kind: 'check'; expected: string; found: string }
  | { kind: 'org-check'; expected: string; found: string };

function powMod(base: number, exp: number, mod: number): number {
  let r = 1;
  for (let i = 0; i < exp; i++) r = (r * base) % mod;
  return r;
}

/** The 18th character for a 17-character body, or undefined when the body has characters outside the set. */
export function usccCheckChar(body: string): string | undefined {
  if (body.length !== USCC_BODY_LENGTH) return undefined;
  let sum = 0;
  for (let i = 0; i < USCC_BODY_LENGTH; i++) {
    const v = USCC_CHARSET.indexOf(body[i] ?? '');
    if (v < 0) return undefined;
    sum += v * (USCC_WEIGHTS[i] ?? 0);
  }
  // C18 = 31 - MOD(sum, 31); the value 31 wraps to 0.
  return USCC_CHARSET[(USCC_MODULUS - (sum % USCC_MODULUS)) % USCC_MODULUS];
}

function orgCharValue(c: string): number {
  if (c >= '0' && c <= '9') return c.charCodeAt(0) - 48;
  if (c >= 'A' && c <= 'Z') return c.charCodeAt(0) - 55; // A = 10 ... Z = 35
  return -1;
}

/** GB 11714 check character for an 8-character organisation-code body. */
export function orgCodeCheckChar(body: string): string | undefined {
  if (body.length !== ORG_CODE_BODY_LENGTH) return undefined;
  let sum = 0;
  for (let i = 0; i < ORG_CODE_BODY_LENGTH; i++) {
    const v = orgCharValue(body[i] ?? '');
    if (v < 0) return undefined;
    sum += v * (ORG_WEIGHTS[i] ?? 0);
  }
  const c = ORG_MODULUS - (sum % ORG_MODULUS);
  return c === 10 ? ORG_CHECK_TEN : c === 11 ? '0' : String(c);
}

/** Every problem with a USCC, not just the first. An empty list means the code is well formed. */
export function checkUscc(code: string): UsccIssue[] {
  if (code.length !== USCC_LENGTH) return [{ kind: 'length', found: code.length }];
  const issues: UsccIssue[] = [];
  for (let i = 0; i < USCC_LENGTH; i++) {
    const c = code[i] ?? '';
    // Positions 3-8 are a GB/T 2260 region code: digits only.
    const ok = i >= REGION_START && i < REGION_END ? c >= '0' && c <= '9' : USCC_CHARSET.includes(c);
    if (!ok) issues.push({ kind: 'charset', position: i + 1, char: c });
  }
  if (issues.length > 0) return issues;
  const region = code.slice(REGION_START, REGION_END);
  const prefix = region.slice(0, 2);
  if (!PROVINCE_CODES.has(prefix) && prefix !== NATIONAL_REGION_PREFIX) issues.push({ kind: 'region', region });
  const org = code.slice(ORG_START, ORG_END);
  const orgExpected = orgCodeCheckChar(org.slice(0, ORG_CODE_BODY_LENGTH));
  if (orgExpected !== undefined && orgExpected !== org[ORG_CODE_BODY_LENGTH]) {
    issues.push({ kind: 'org-check', expected: orgExpected, found: org[ORG_CODE_BODY_LENGTH] ?? '' });
  }
  const expected = usccCheckChar(code.slice(0, USCC_BODY_LENGTH));
  if (expected !== undefined && expected !== code[USCC_BODY_LENGTH]) {
    issues.push({ kind: 'check', expected, found: code[USCC_BODY_LENGTH] ?? '' });
  }
  return issues;
}

export type OrgCodeIssue = { kind: 'format' } | { kind: 'check'; expected: string; found: string };

/** 组织机构代码 as printed on the old certificate: 8 characters, optional hyphen, check character (e.g. 60003734-1). */
export function checkOrgCode(code: string): OrgCodeIssue[] {
  const m = /^([0-9A-Z]{8})-?([0-9X])$/.exec(code);
  if (!m) return [{ kind: 'format' }];
  const body = m[1] ?? '';
  const found = m[2] ?? '';
  const expected = orgCodeCheckChar(body);
  return expected === undefined || expected === found ? [] : [{ kind: 'check', expected, found }];
}

/** First two characters of a USCC: 登记管理部门代码 + 机构类别代码, e.g. "91" = 工商/企业, "12" = 机构编制/事业单位. */
export function usccRegistrationPrefix(code: string): string {
  return code.slice(0, 2);
}
