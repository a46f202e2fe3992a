// What is wrong with a filing record: one problem per field and rule, with the field's path and a Chinese and an
// English message that name the form's own label. Codes are stable; messages may be reworded.
import type { Text } from '../check/types.js';

export interface FilingProblem {
  /** Field path in the record, e.g. "apps[0].md5", "provider.certificate.number"; "" for the whole record. */
  path: string;
  code: FilingProblemCode;
  zh: string;
  en: string;
}

export const FILING_PROBLEM_CODES = {
  REQUIRED: 'a required field is missing',
  WRONG_TYPE: 'the value has the wrong type (text, number, yes/no, list, mapping)',
  NOT_ALLOWED: 'the value is not one of the form\'s choices',
  EMPTY: 'the text is empty',
  TOO_FEW: 'a list has fewer entries than the form requires',
  OUT_OF_RANGE: 'a number is outside the allowed range',
  UNKNOWN_KEY: 'a field the form does not have (a typo?)',
  DUPLICATE: 'the same entry appears twice in a list',
  USCC_LENGTH: '统一社会信用代码 is not 18 characters',
  USCC_CHARSET: '统一社会信用代码 has a character GB 32100 does not use',
  USCC_REGION: '统一社会信用代码 positions 3-8 are not a GB/T 2260 region code',
  USCC_CHECK: '统一社会信用代码 check character (position 18) is wrong',
  USCC_ORG_CHECK: 'the organisation code inside the 统一社会信用代码 (positions 9-17) fails its GB 11714 check',
  USCC_NATURE: 'the 统一社会信用代码 prefix does not match the declared 单位性质',
  ORG_CODE_FORMAT: '组织机构代码 is not 8 characters + check character',
  ORG_CODE_CHECK: '组织机构代码 check character is wrong',
  ICP_FORMAT: 'not an ICP filing number (京ICP备12345678号-1)',
  ICP_LICENCE: 'an ICP licence (ICP证) number where the filing number (ICP备) is asked',
  ICP_PROVINCE: 'the ICP number does not start with a provincial abbreviation',
  MLPS_FORMAT: 'not a 等级保护备案号 (11 digits-5 digits)',
  MLPS_REGION: 'the 等级保护备案号 does not start with a public-security office region code',
  MLPS_REQUIRED: 'a level 2-4 system has no 等级保护备案号',
  FILING_NO_FORMAT: 'not an education-app filing number (教APP备NNNNNNN号)',
  FILING_NO_PROVINCE: 'the filing number does not start with a province code',
  FILING_NO_REQUIRED: 'a use filing for an app that is not self-developed names no filing number',
  MD5_FORMAT: 'not an MD5 (32 hex digits)',
  SHA256_FORMAT: 'not a SHA-256 (64 lower-case hex digits)',
  PHONE_FORMAT: 'not a mainland phone number',
  EMAIL_FORMAT: 'not an e-mail address',
  IP_FORMAT: 'not an IPv4/IPv6 address',
  DOMAIN_FORMAT: 'not a domain name',
  PACKAGE_ID_FORMAT: 'not an Android package name / iOS bundle id',
  DATE_FORMAT: 'not a yyyy-mm-dd calendar date',
  DATETIME_FORMAT: 'not an ISO 8601 date-time with offset',
  USE_REQUIRED_DECISION: '要求使用 without 集体决策',
  USE_REQUIRED_AGREEMENT: '要求使用 without a signed agreement/contract',
  SELF_DEVELOPED_PROVIDER: '自研自用 without the provider filing information',
  SELF_DEVELOPED_APP: 'the provider filing of a 自研自用 app does not list the app',
  OTHER_PERMISSIONS_TEXT: '其它 ticked without saying which permissions',
  OTHER_PERMISSIONS_UNTICKED: 'other permissions described but 其它 not ticked',
  DEVELOPER_IS_PROVIDER: 'the developer section repeats the provider (leave it out)',
  SCAN_VERDICT: 'the scan block verdict and its Chinese label disagree',
  SUPPRESS_REASON: 'a suppression without a reason',
  TOO_MANY_PROBLEMS: 'more problems than are listed',
} as const satisfies Record<string, string>;

export type FilingProblemCode = keyof typeof FILING_PROBLEM_CODES;

export type PathSegment = string | number;

/** apps[0].permissions[2]; keys that are not identifiers are quoted: x["a b"]. */
export function formatPath(path: readonly PropertyKey[]): string {
  let s = '';
  for (const seg of path) {
    if (typeof seg === 'number') s += `[${seg}]`;
    else if (typeof seg === 'string' && /^[A-Za-z_$][\w$]*$/.test(seg)) s += s === '' ? seg : `.${seg}`;
    else s += `[${JSON.stringify(String(seg))}]`;
  }
  return s;
}

// The form's labels, by field key; `name` depends on what it names.
const LABELS: Record<string, Text> = {
  kind: { zh: '表单类型', en: 'form kind' },
  provider: { zh: '主管单位信息', en: 'provider' },
  developer: { zh: '开发者信息', en: 'developer' },
  unit: { zh: '单位信息', en: 'unit' },
  nature: { zh: '单位性质', en: 'nature of the unit' },
  certificate: { zh: '单位有效证明', en: 'registration certificate' },
  type: { zh: '证明类型', en: 'certificate type' },
  number: { zh: '证明编号', en: 'certificate number' },
  registeredAddress: { zh: '注册地（住所地）', en: 'registered address' },
  address: { zh: '住所地', en: 'address' },
  legalRepresentative: { zh: '法人信息', en: 'legal representative' },
  contact: { zh: '联系人信息', en: 'contact' },
  phone: { zh: '电话', en: 'phone' },
  email: { zh: '电子邮箱', en: 'e-mail' },
  systems: { zh: '业务系统信息', en: 'business systems' },
  ip: { zh: 'IP 地址', en: 'IP address' },
  domain: { zh: '域名', en: 'domain' },
  icp: { zh: 'ICP 备案编号', en: 'ICP filing number' },
  securityLevel: { zh: '网络安全等级', en: 'security protection level' },
  securityFilingNo: { zh: '等级保护备案号', en: 'MLPS filing number' },
  apps: { zh: '教育移动应用信息', en: 'apps' },
  version: { zh: '版本号', en: 'version' },
  platform: { zh: '应用平台', en: 'platform' },
  packageId: { zh: '包名', en: 'package id' },
  md5: { zh: '安装包MD5码', en: 'package MD5' },
  sha256: { zh: '安装包SHA-256', en: 'package SHA-256' },
  securityCertNo: { zh: '安全认证号', en: 'security certification number' },
  functionType: { zh: '功能类型', en: 'function type' },
  audience: { zh: '服务对象', en: 'audience' },
  serviceContent: { zh: '服务内容', en: 'service content' },
  permissions: { zh: '获取的权限', en: 'permissions' },
  permissionsOther: { zh: '其它权限说明', en: 'other permissions' },
  features: { zh: '是否具有以下功能', en: 'features' },
  filingNo: { zh: '备案号', en: 'filing number' },
  scan: { zh: '检测结果', en: 'scan result' },
  app: { zh: '所用应用', en: 'app used' },
  users: { zh: '使用对象', en: 'users' },
  scenario: { zh: '使用场景', en: 'scenario' },
  usage: { zh: '使用性质', en: 'nature of use' },
  collectiveDecision: { zh: '是否集体决策', en: 'collective decision' },
  agreementSigned: { zh: '是否签订协议/合同', en: 'agreement signed' },
  selfDeveloped: { zh: '自研自用', en: 'self-developed for own use' },
  providerFiling: { zh: '提供者备案信息', en: 'provider filing' },
  attachments: { zh: '证明材料', en: 'attachments' },
  suppress: { zh: '豁免', en: 'suppressions' },
  rule: { zh: '规则', en: 'rule' },
  reason: { zh: '理由', en: 'reason' },
  by: { zh: '审核人', en: 'approved by' },
  until: { zh: '有效期至', en: 'until' },
  packages: { zh: '适用包名', en: 'packages' },
  tool: { zh: '检测工具', en: 'tool' },
  toolVersion: { zh: '工具版本', en: 'tool version' },
  rulesDigest: { zh: '规则摘要', en: 'rules digest' },
  checkedAt: { zh: '检测时间', en: 'checked at' },
  verdict: { zh: '结论', en: 'verdict' },
  verdictZh: { zh: '结论（中文）', en: 'verdict (zh)' },
  counts: { zh: '问题数', en: 'counts' },
  findings: { zh: '发现的问题', en: 'findings' },
  undeclared: { zh: '未申报的权限', en: 'undeclared permissions' },
};

const NAME_LABELS: Record<string, Text> = {
  provider: { zh: '单位名称', en: 'provider name' },
  developer: { zh: '单位名称', en: 'developer name' },
  unit: { zh: '单位名称', en: 'unit name' },
  systems: { zh: '业务系统名称', en: 'system name' },
  apps: { zh: '应用名称', en: 'app name' },
  app: { zh: '应用名称', en: 'app name' },
  contact: { zh: '联系人姓名', en: 'contact name' },
  legalRepresentative: { zh: '法人姓名', en: 'legal representative' },
};

/** The form label of the field at `path` (the nearest named key), in both languages. */
export function fieldLabel(path: readonly PropertyKey[]): Text {
  const keys = path.filter((p): p is string => typeof p === 'string');
  const key = keys[keys.length - 1];
  if (key === undefined) return { zh: '备案记录', en: 'record' };
  if (key === 'name') {
    const parent = keys[keys.length - 2];
    const n = parent === undefined ? undefined : NAME_LABELS[parent];
    if (n) return n;
  }
  return LABELS[key] ?? { zh: key, en: key };
}

/** Show a found value in a message: strings quoted, long ones cut, other types as JSON. */
export function shown(v: unknown): string {
  const s = typeof v === 'string' ? JSON.stringify(v) : v === undefined ? 'nothing' : JSON.stringify(v) ?? String(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

export function problem(path: readonly PropertyKey[], code: FilingProblemCode, zh: string, en: string): FilingProblem {
  const label = fieldLabel(path);
  return { path: formatPath(path), code, zh: `${label.zh}：${zh}`, en: `${label.en}: ${en}` };
}
