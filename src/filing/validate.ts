// Validate a filing record: the zod shape (every issue, translated to the form's Chinese and English labels) and
// then the rules that relate fields, run on the raw value so that a shape error elsewhere never hides them.
// A bad record yields every problem with its field path; nothing stops at the first.
import type { z } from 'zod';
import { usccRegistrationPrefix } from './uscc.js';
import { orgCodeDetails, usccDetails, type Detail } from './field-checks.js';
import { isAndroidPackageId, isBundleId } from './formats.js';
import { problem, shown, type FilingProblem, type FilingProblemCode } from './problems.js';
import { ProviderFilingSchema, UseFilingSchema, type ProviderFiling, type UseFiling } from './schema.js';
import { VERDICT_ZH, type Verdict } from '../check/types.js';

export type FilingKind = 'provider' | 'use';

/** Listing stops here: a file of garbage should not print a million lines. */
export const MAX_PROBLEMS = 500;

type Path = (string | number)[];
type Obj = Record<string, unknown>;

/**
 * USCC prefixes (登记管理部门代码 + 机构类别代码, GB 32100 表 1 as assigned: 1 机构编制 / 3 司法行政 / 5 民政 /
 * 9 工商 / A 军委编办) that fit each 单位性质. Y1 (其他) fits anything and is not checked.
 */
const NATURE_PREFIXES: Readonly<Record<string, readonly string[]>> = {
  政府机关: ['11'],
  事业单位: ['12', 'A1'],
  企业: ['91', '92', '93'],
  社会团体: ['51', '13'],
  民办非企业: ['52'],
  基金会: ['53'],
  律师事务所: ['31'],
  教育行政部门: ['11'],
  // Public schools are 事业单位 (12), private ones 民办非企业 (52) or, for-profit, companies (91).
  学校: ['12', '52', '91', 'A1'],
};
const PREFIX_NAMES: Readonly<Record<string, string>> = {
  '11': '机构编制/机关', '12': '机构编制/事业单位', '13': '机构编制/群众团体', '31': '司法行政/律师执业机构',
  '51': '民政/社会团体', '52': '民政/民办非企业单位', '53': '民政/基金会', '91': '工商/企业', '92': '工商/个体工商户',
  '93': '工商/农民专业合作社', A1: '军委编办/军队事业单位',
};
const ANY_NATURE_PREFIX = 'Y1';

// Sorting key: the order fields appear on the forms, so problems read top to bottom.
const KEY_ORDER = [
  'kind', 'provider', 'developer', 'unit', 'name', 'nature', 'certificate', 'type', 'number', 'registeredAddress', 'address',
  'legalRepresentative', 'contact', 'phone', 'email', 'systems', 'ip', 'domain', 'icp', 'securityLevel', 'securityFilingNo',
  'app', 'users', 'scenario', 'usage', 'collectiveDecision', 'agreementSigned', 'selfDeveloped', 'providerFiling', 'apps',
  'version', 'platform', 'packageId', 'md5', 'securityCertNo', 'functionType', 'audience', 'serviceContent', 'permissions',
  'permissionsOther', 'features', 'filingNo', 'scan', 'tool', 'toolVersion', 'rulesDigest', 'checkedAt', 'sha256', 'verdict',
  'verdictZh', 'counts', 'high', 'medium', 'low', 'info', 'findings', 'undeclared', 'attachments', 'suppress', 'rule', 'reason', 'by', 'until', 'packages',
];

export interface Validation<T> {
  /** The typed record, when its shape is valid (cross-field problems do not remove it). */
  data: T | undefined;
  problems: FilingProblem[];
}

/** Which form a parsed record is: its `kind`, else inferred from its sections; undefined when neither fits. */
export function detectKind(raw: unknown): FilingKind | undefined {
  if (!isObj(raw)) return undefined;
  if (raw.kind === 'provider' || raw.kind === 'use') return raw.kind;
  const provider = 'provider' in raw || 'apps' in raw || 'systems' in raw;
  const use = 'unit' in raw || 'usage' in raw || 'users' in raw || 'app' in raw;
  return provider === use ? undefined : provider ? 'provider' : 'use';
}

export function validateFiling(raw: unknown, kind: 'provider'): Validation<ProviderFiling>;
export function validateFiling(raw: unknown, kind: 'use'): Validation<UseFiling>;
export function validateFiling(raw: unknown, kind: FilingKind): Validation<ProviderFiling | UseFiling>;
export function validateFiling(raw: unknown, kind: FilingKind): Validation<ProviderFiling | UseFiling> {
  const out: FilingProblem[] = [];
  const r = kind === 'provider' ? ProviderFilingSchema.safeParse(raw, { reportInput: true }) : UseFilingSchema.safeParse(raw, { reportInput: true });
  if (!r.success) for (const issue of r.error.issues) out.push(...fromZodIssue(issue));
  if (isObj(raw)) {
    if (kind === 'provider') checkProviderFiling(raw, [], out);
    else checkUseFiling(raw, out);
  }
  const problems = sortProblems(out.map(specialise));
  if (problems.length > MAX_PROBLEMS) {
    const rest = problems.length - MAX_PROBLEMS;
    problems.length = MAX_PROBLEMS;
    problems.push({ path: '', code: 'TOO_MANY_PROBLEMS', zh: `还有 ${rest} 个问题未列出`, en: `${rest} more problems not listed` });
  }
  return { data: r.success ? r.data : undefined, problems };
}

// ---- zod issues → problems

const TYPE_ZH: Record<string, string> = {
  string: '文本', number: '数字', int: '整数', boolean: '是/否（true/false）', array: '列表', object: '键值表', null: '空值', undefined: '空',
};
const TYPE_EN: Record<string, string> = { object: 'mapping', int: 'whole number', boolean: 'yes/no (true/false)', array: 'list' };

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

function fromZodIssue(issue: z.core.$ZodIssue): FilingProblem[] {
  const path = issue.path as Path;
  const input = (issue as { input?: unknown }).input;
  switch (issue.code) {
    case 'invalid_type': {
      if (input === undefined) return [problem(path, 'REQUIRED', '必填项缺失', 'required field is missing')];
      const expected = String(issue.expected);
      const found = typeOf(input);
      let hintZh = '';
      let hintEn = '';
      if ((expected === 'string') && (found === 'number' || found === 'boolean')) {
        // YAML reads `version: 2.10` as the number 2.1 and `phone: 13800000000` as a number.
        hintZh = `；YAML 把 ${shown(input)} 读成了${TYPE_ZH[found]}，请加引号`;
        hintEn = `; YAML read ${shown(input)} as a ${found}: put it in quotes`;
      }
      return [problem(path, 'WRONG_TYPE', `应为${TYPE_ZH[expected] ?? expected}，实际为${TYPE_ZH[found] ?? found} ${shown(input)}${hintZh}`, `expected ${TYPE_EN[expected] ?? expected}, found ${TYPE_EN[found] ?? found} ${shown(input)}${hintEn}`)];
    }
    case 'invalid_value': {
      if (input === undefined) return [problem(path, 'REQUIRED', '必填项缺失', 'required field is missing')];
      const values = issue.values.map((v) => String(v));
      return [problem(path, 'NOT_ALLOWED', `应为以下之一：${values.join('、')}；实际为 ${shown(input)}`, `expected one of ${values.join(', ')}; found ${shown(input)}`)];
    }
    case 'too_small': {
      const min = Number(issue.minimum);
      if (issue.origin === 'array') return [problem(path, 'TOO_FEW', `至少填写 ${min} 项`, `needs at least ${min} ${min === 1 ? 'entry' : 'entries'}`)];
      if (issue.origin === 'string') return [problem(path, 'EMPTY', '不能为空', 'must not be empty')];
      return [problem(path, 'OUT_OF_RANGE', `不能小于 ${min}，实际为 ${shown(input)}`, `must be at least ${min}, found ${shown(input)}`)];
    }
    case 'too_big': {
      const max = Number(issue.maximum);
      return [problem(path, 'OUT_OF_RANGE', `不能大于 ${max}，实际为 ${shown(input)}`, `must be at most ${max}, found ${shown(input)}`)];
    }
    case 'unrecognized_keys':
      return issue.keys.map((k) => problem([...path, k], 'UNKNOWN_KEY', '表单中没有这一项（拼写错误？）', 'the form has no such field (a typo?)'));
    case 'custom': {
      const params = (issue.params ?? {}) as { code?: FilingProblemCode; zh?: string };
      if (params.code && params.zh) return [problem(path, params.code, params.zh, issue.message)];
      return [problem(path, 'WRONG_TYPE', issue.message, issue.message)];
    }
    default:
      return [problem(path, 'WRONG_TYPE', `格式不符：${issue.message}`, issue.message)];
  }
}

/** A suppression's missing reason gets its own code: the checker treats such a suppression as invalid. */
function specialise(p: FilingProblem): FilingProblem {
  if ((p.code === 'REQUIRED' || p.code === 'EMPTY') && /(^|\.)suppress\[\d+\]\.reason$/.test(p.path)) return { ...p, code: 'SUPPRESS_REASON' };
  return p;
}

function sortKey(path: string): (string | number)[] {
  const out: (string | number)[] = [];
  for (const m of path.matchAll(/\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]|\.?([^.[\]]+)/g)) {
    if (m[1] !== undefined) out.push(Number(m[1]));
    else {
      const key = m[2] !== undefined ? String(JSON.parse(m[2])) : (m[3] ?? '');
      const i = KEY_ORDER.indexOf(key);
      out.push(i < 0 ? `~${key}` : String.fromCharCode(0x21 + i));
    }
  }
  return out;
}

function sortProblems(ps: FilingProblem[]): FilingProblem[] {
  const keyed = ps.map((p, i) => ({ p, i, k: sortKey(p.path) }));
  keyed.sort((a, b) => {
    const n = Math.min(a.k.length, b.k.length);
    for (let j = 0; j < n; j++) {
      const x = a.k[j] as string | number;
      const y = b.k[j] as string | number;
      if (x === y) continue;
      if (typeof x === 'number' && typeof y === 'number') return x - y;
      if (typeof x === 'number') return -1;
      if (typeof y === 'number') return 1;
      return x < y ? -1 : 1;
    }
    return a.k.length - b.k.length || a.i - b.i;
  });
  return keyed.map((k) => k.p);
}

// ---- rules across fields, on the raw value

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.trim() !== '' ? v : undefined;
}
function push(out: FilingProblem[], path: Path, d: Detail): void {
  out.push(problem(path, d.code, d.zh, d.en));
}

/** 单位有效证明 number (credit code or organisation code, by type) and its fit with 单位性质. */
function checkUnit(unit: unknown, path: Path, out: FilingProblem[]): void {
  if (!isObj(unit)) return;
  const cert = unit.certificate;
  if (!isObj(cert)) return;
  const number = str(cert.number);
  if (number === undefined) return;
  const numPath = [...path, 'certificate', 'number'];
  // Decision: every certificate type except the old 组织机构代码证书 carries the 18-character credit code (GB 32100
  // took effect 2015-10-01; licences without it were replaced under 三证合一). An 18-character number entered
  // under 组织机构代码证书 is read as a credit code too; an unknown type is judged by the length.
  const type = cert.type;
  const asOrgCode = number.length !== 18 && (type === '组织机构代码证书' || (typeof type !== 'string' && number.length <= 10));
  if (asOrgCode) {
    for (const d of orgCodeDetails(number)) push(out, numPath, d);
    return;
  }
  const details = usccDetails(number);
  for (const d of details) push(out, numPath, d);
  if (details.length > 0) return;
  const nature = unit.nature;
  if (typeof nature !== 'string') return;
  const allowed = NATURE_PREFIXES[nature];
  const prefix = usccRegistrationPrefix(number);
  if (!allowed || prefix === ANY_NATURE_PREFIX || allowed.includes(prefix)) return;
  const found = PREFIX_NAMES[prefix] ? `${prefix}（${PREFIX_NAMES[prefix]}）` : `${prefix} `;
  out.push(problem(numPath, 'USCC_NATURE', `统一社会信用代码前两位 ${found}与单位性质“${nature}”不符（应为 ${allowed.join(' / ')}）`, `credit code prefix ${prefix} does not fit the declared nature ${nature} (expected ${allowed.join(' / ')})`));
}

function checkDuplicates(list: unknown, path: Path, out: FilingProblem[]): void {
  if (!Array.isArray(list)) return;
  const seen = new Set<string>();
  list.forEach((v, i) => {
    if (typeof v !== 'string') return;
    if (seen.has(v)) out.push(problem([...path, i], 'DUPLICATE', `“${v}”重复填写`, `${shown(v)} is listed twice`));
    seen.add(v);
  });
}

function checkApp(app: unknown, path: Path, out: FilingProblem[]): void {
  if (!isObj(app)) return;
  const id = str(app.packageId);
  if (id !== undefined) {
    const ok = app.platform === 'ios' ? isBundleId(id) : app.platform === 'android' ? isAndroidPackageId(id) : isBundleId(id);
    if (!ok) {
      out.push(problem([...path, 'packageId'], 'PACKAGE_ID_FORMAT', `${shown(id)} 不是${app.platform === 'ios' ? ' iOS Bundle ID' : ' Android 包名'}（如 cn.example.app）`, `${shown(id)} is not ${app.platform === 'ios' ? 'an iOS bundle id' : 'an Android package name'} (e.g. cn.example.app)`));
    }
  }
  const perms = app.permissions;
  const other = Array.isArray(perms) && perms.includes('其它');
  const otherText = str(app.permissionsOther);
  if (other && otherText === undefined && !('permissionsOther' in app && app.permissionsOther !== undefined)) {
    out.push(problem([...path, 'permissionsOther'], 'OTHER_PERMISSIONS_TEXT', '勾选了“其它”，请写明是哪些权限', '其它 (other) is ticked: say which permissions'));
  }
  if (!other && otherText !== undefined && Array.isArray(perms)) {
    out.push(problem([...path, 'permissions'], 'OTHER_PERMISSIONS_UNTICKED', '写了其它权限说明，但没有勾选“其它”', 'other permissions are described but 其它 is not ticked'));
  }
  checkDuplicates(app.permissions, [...path, 'permissions'], out);
  checkDuplicates(app.audience, [...path, 'audience'], out);
  checkDuplicates(app.features, [...path, 'features'], out);
  const scan = app.scan;
  if (isObj(scan) && typeof scan.verdict === 'string' && typeof scan.verdictZh === 'string') {
    const zh = (VERDICT_ZH as Record<string, string>)[scan.verdict];
    if (zh !== undefined && zh !== scan.verdictZh) {
      out.push(problem([...path, 'scan', 'verdictZh'], 'SCAN_VERDICT', `应为“${zh}”（结论 ${scan.verdict as Verdict}），实际为 ${shown(scan.verdictZh)}`, `should be ${zh} for verdict ${scan.verdict}, found ${shown(scan.verdictZh)}`));
    }
  }
}

function checkProviderFiling(raw: Obj, base: Path, out: FilingProblem[]): void {
  checkUnit(raw.provider, [...base, 'provider'], out);
  checkUnit(raw.developer, [...base, 'developer'], out);
  if (isObj(raw.provider) && isObj(raw.developer) && str(raw.developer.name) !== undefined && raw.developer.name === raw.provider.name) {
    out.push(problem([...base, 'developer'], 'DEVELOPER_IS_PROVIDER', '与主管单位相同；主管单位即为开发者时无需填写', 'the developer is the provider itself: leave the developer section out'));
  }
  if (Array.isArray(raw.systems)) {
    raw.systems.forEach((s, i) => {
      if (!isObj(s)) return;
      const level = s.securityLevel;
      if (typeof level === 'number' && level >= 2 && str(s.securityFilingNo) === undefined && s.securityFilingNo === undefined) {
        out.push(problem([...base, 'systems', i, 'securityFilingNo'], 'MLPS_REQUIRED', `网络安全等级为第 ${level} 级，须填写公安机关的等级保护备案号`, `a level ${level} system needs its MLPS filing number from the public-security office`));
      }
    });
  }
  if (Array.isArray(raw.apps)) {
    const byName = new Map<string, number>();
    const byId = new Map<string, number>();
    raw.apps.forEach((a, i) => {
      checkApp(a, [...base, 'apps', i], out);
      if (!isObj(a)) return;
      const platform = typeof a.platform === 'string' ? a.platform : '';
      const name = str(a.name);
      if (name !== undefined) {
        const k = `${platform}\u0000${name}`;
        const first = byName.get(k);
        if (first !== undefined) out.push(problem([...base, 'apps', i, 'name'], 'DUPLICATE', `与 apps[${first}] 同名同平台（${name}）`, `same name and platform as apps[${first}] (${name})`));
        else byName.set(k, i);
      }
      const id = str(a.packageId);
      if (id !== undefined) {
        const k = `${platform}\u0000${id}`;
        const first = byId.get(k);
        if (first !== undefined) out.push(problem([...base, 'apps', i, 'packageId'], 'DUPLICATE', `与 apps[${first}] 包名相同（${id}）`, `same package id as apps[${first}] (${id})`));
        else byId.set(k, i);
      }
    });
  }
}

function checkUseFiling(raw: Obj, out: FilingProblem[]): void {
  checkUnit(raw.unit, ['unit'], out);
  checkDuplicates(raw.users, ['users'], out);
  // 附件2 填表说明 5: 要求使用的教育移动应用需经集体决策，并签订协议或合同。
  if (raw.usage === '要求使用') {
    if (raw.collectiveDecision !== true) {
      out.push(problem(['collectiveDecision'], 'USE_REQUIRED_DECISION', '“要求使用”的应用须经集体决策（应为 true）', 'an app whose use is required (要求使用) must be chosen by collective decision (true)'));
    }
    if (raw.agreementSigned !== true) {
      out.push(problem(['agreementSigned'], 'USE_REQUIRED_AGREEMENT', '“要求使用”的应用须签订协议或合同（应为 true）', 'an app whose use is required (要求使用) needs a signed agreement or contract (true)'));
    }
  }
  const app = isObj(raw.app) ? raw.app : undefined;
  if (raw.selfDeveloped === true) {
    // 管理办法 第二十一条: 自研自用 apps submit the provider filing information with the use filing.
    if (!isObj(raw.providerFiling)) {
      out.push(problem(['providerFiling'], 'SELF_DEVELOPED_PROVIDER', '自研自用的应用须同时提交提供者备案信息', 'a self-developed app needs the provider filing information as well'));
    } else {
      checkProviderFiling(raw.providerFiling, ['providerFiling'], out);
      const name = app ? str(app.name) : undefined;
      const apps = raw.providerFiling.apps;
      if (name !== undefined && Array.isArray(apps) && apps.length > 0 && !apps.some((a) => isObj(a) && a.name === name)) {
        out.push(problem(['providerFiling', 'apps'], 'SELF_DEVELOPED_APP', `提供者备案信息中没有所用应用“${name}”`, `the provider filing does not list the app ${shown(name)}`));
      }
    }
  } else if (raw.selfDeveloped === false && app && app.filingNo === undefined) {
    out.push(problem(['app', 'filingNo'], 'FILING_NO_REQUIRED', '非自研自用的应用应选自已完成提供者备案的应用，请填写其备案号（教APP备…号）', 'an app that is not self-developed must have completed provider filing: give its 教APP备 number'));
  }
}

