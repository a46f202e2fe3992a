// The filing forms as zod schemas: 提供者备案信息表 (附件1) and 使用者备案信息表 (附件2) of 教技厅〔2019〕3号
// (seeds 002/003), plus the platform's 自研应用备案 and 使用者备案 screens (seed 004). Keys are English; each
// field's form label is its .describe() text. Field formats are checked here (custom issues carry the problem
// code); rules that relate two fields (要求使用 ⇒ 集体决策, level ≥ 2 ⇒ 备案号, 单位性质 ⇔ credit code ...)
// are in validate.ts, which also runs when the shape is wrong.
//
// Objects are strict: an unknown key is reported (a misspelt `permision` would otherwise be silently dropped).
import { z } from 'zod';
import { PERMISSION_LABELS, VERDICTS, VERDICT_ZH } from '../check/types.js';
import {
  dateCheck, dateTimeCheck, domainCheck, emailCheck, filingNoCheck, icpCheck, ipCheck, md5Check, mlpsCheck, notBlank,
  phoneCheck, sha256Check, type FieldCheck,
} from './field-checks.js';

/** 单位性质 on the provider form (填表说明 1 lists 政府机关、事业单位、企业、社会团体、民办非企业 "等"). */
export const PROVIDER_NATURES = ['政府机关', '事业单位', '企业', '社会团体', '民办非企业', '基金会', '律师事务所'] as const;
/** 单位性质 on the use form (附件2 填表说明 1). */
export const USE_UNIT_NATURES = ['教育行政部门', '直属单位', '学校'] as const;
/** 单位有效证明 (附件1 填表说明 2). */
export const CERTIFICATE_TYPES = ['统一社会信用代码证书', '组织机构代码证书', '事业法人证书', '工商营业执照', '社团法人证书', '民办非企业单位登记证书'] as const;
/** 附件2 填表说明 2: the credit-code certificate first, the organisation code when there is none. */
export const USE_CERTIFICATE_TYPES = ['统一社会信用代码证书', '组织机构代码证书'] as const;
/** 服务对象 / 使用对象: 学生 carries its stage (附件1 填表说明 7; 附件2 填表说明 3 "学生需填写教育阶段"). */
export const AUDIENCES = ['学生-高等院校', '学生-中小学', '学生-幼儿园', '家长', '教师'] as const;
export const FUNCTION_TYPES = ['学习类', '管理服务类'] as const;
export const FEATURES = ['论坛', '收费', '直播', '中小学学科培训'] as const;
/** 应用平台: the form's IOS / 安卓. */
export const PLATFORMS = ['android', 'ios'] as const;
export const USAGES = ['要求使用', '推荐使用'] as const;
export const SECURITY_LEVEL_MIN = 1;
export const SECURITY_LEVEL_MAX = 4;

/** Run checks in order and report the first that fails (a blank value gets EMPTY, not a format error too). */
function refine(...checks: FieldCheck[]) {
  return (v: string, ctx: z.RefinementCtx) => {
    for (const check of checks) {
      const d = check(v);
      if (d) {
        ctx.addIssue({ code: 'custom', message: d.en, params: { code: d.code, zh: d.zh } });
        return;
      }
    }
  };
}

const text = (label: string) => z.string().superRefine(refine(notBlank)).describe(label);
const checked = (label: string, ...checks: FieldCheck[]) => z.string().superRefine(refine(notBlank, ...checks)).describe(label);

export const CertificateSchema = z.strictObject({
  type: z.enum(CERTIFICATE_TYPES).describe('证明类型'),
  // The number's format depends on the type (credit code or organisation code): checked in validate.ts.
  number: text('证明编号'),
}).describe('单位有效证明');

/** 法人信息: the platform asks 单位法人 and 单位法人手机号 (seed 004); the paper form just "法人信息". */
export const LegalRepresentativeSchema = z.strictObject({
  name: text('法人姓名'),
  phone: checked('法人电话', phoneCheck).optional(),
}).describe('法人信息');

export const ContactSchema = z.strictObject({
  name: text('联系人姓名'),
  phone: checked('联系人电话', phoneCheck),
  email: checked('联系人电子邮箱', emailCheck).optional(),
}).describe('联系人信息');

export const ProviderUnitSchema = z.strictObject({
  name: text('单位名称'),
  nature: z.enum(PROVIDER_NATURES).describe('单位性质'),
  certificate: CertificateSchema,
  registeredAddress: text('注册地（住所地）'),
  legalRepresentative: LegalRepresentativeSchema,
  contact: ContactSchema,
}).describe('主管单位信息');

/** 开发者信息: the form asks name, nature, certificate and contact only; address and 法人 may be given. */
export const DeveloperSchema = ProviderUnitSchema.extend({
  registeredAddress: text('注册地（住所地）').optional(),
  legalRepresentative: LegalRepresentativeSchema.optional(),
}).describe('开发者信息（主管单位即为开发者时不填）');

export const SystemSchema = z.strictObject({
  name: text('业务系统名称'),
  ip: checked('IP 地址', ipCheck),
  domain: checked('域名（选填）', domainCheck).optional(),
  icp: checked('ICP 备案编号', icpCheck),
  securityLevel: z.number().int().min(SECURITY_LEVEL_MIN).max(SECURITY_LEVEL_MAX).describe('网络安全等级（1-4 级）'),
  // Level 1 systems are protected by the operator itself and get no filing certificate; levels 2-4 must have
  // one (checked in validate.ts).
  securityFilingNo: checked('等级保护备案号', mlpsCheck).optional(),
}).describe('业务系统信息（一个系统填一个）');

export const ScanCountsSchema = z.strictObject({
  high: z.number().int().min(0),
  medium: z.number().int().min(0),
  low: z.number().int().min(0),
  info: z.number().int().min(0),
}).describe('各级别问题数（高/中/低/提示）');

/** 检测结果: written by eduscan (`check --write`); people do not edit it. */
export const ScanBlockSchema = z.strictObject({
  tool: z.literal('eduscan'),
  toolVersion: text('工具版本'),
  rulesDigest: text('规则集摘要'),
  checkedAt: checked('检测时间', dateTimeCheck),
  md5: checked('安装包MD5码', md5Check),
  sha256: checked('安装包SHA-256', sha256Check),
  verdict: z.enum(VERDICTS).describe('结论'),
  verdictZh: z.enum(Object.values(VERDICT_ZH) as [string, ...string[]]).describe('结论（通过/需说明/不通过/不可评估）'),
  counts: ScanCountsSchema,
  findings: z.array(text('规则编号')).describe('未豁免的问题（规则编号）'),
  undeclared: z.array(z.enum(PERMISSION_LABELS)).describe('检测到但未申报的权限'),
  // Optional so that blocks written before the inventory existed still validate.
  sdks: z.array(z.strictObject({
    name: text('SDK 名称'),
    vendor: text('厂商'),
    category: text('类别'),
    where: z.array(z.string()).describe('发现位置（最多 3 处）'),
  })).optional().describe('第三方 SDK 清单'),
}).describe('检测结果');

/** One app on the provider form (教育移动应用信息，一个应用填一次). Field names are fixed by the check contract. */
export const FiledAppSchema = z.strictObject({
  name: text('应用名称'),
  version: text('版本号'),
  platform: z.enum(PLATFORMS).describe('应用平台（IOS / 安卓）'),
  // Not on the paper form: filled by `eduscan fill`, used to match a package to its app. Format depends on the
  // platform: checked in validate.ts.
  packageId: text('包名 / Bundle ID').optional(),
  md5: checked('安装包MD5码', md5Check).optional(),
  securityCertNo: text('安全认证号（中央网信办 App 安全认证，选填）').optional(),
  functionType: z.enum(FUNCTION_TYPES).describe('功能类型'),
  audience: z.array(z.enum(AUDIENCES)).min(1).describe('服务对象'),
  serviceContent: text('服务内容'),
  permissions: z.array(z.enum(PERMISSION_LABELS)).describe('获取的权限'),
  permissionsOther: text('其它权限说明').optional(),
  features: z.array(z.enum(FEATURES)).describe('是否具有以下功能'),
  filingNo: checked('备案号', filingNoCheck).optional(),
  scan: ScanBlockSchema.optional(),
}).describe('教育移动应用信息');

/** A reviewer's suppression of one rule (like trivy's .trivyignore.yaml); a reason is required. */
export const SuppressionSchema = z.strictObject({
  rule: text('规则编号'),
  reason: text('豁免理由'),
  by: text('审核人'),
  until: checked('有效期至（yyyy-mm-dd）', dateCheck).optional(),
  packages: z.array(text('包名')).optional(),
}).describe('豁免');

export const ProviderFilingSchema = z.strictObject({
  kind: z.literal('provider').optional(),
  provider: ProviderUnitSchema,
  developer: DeveloperSchema.optional(),
  systems: z.array(SystemSchema).min(1),
  apps: z.array(FiledAppSchema).min(1),
  suppress: z.array(SuppressionSchema).optional(),
}).describe('教育移动应用提供者备案信息表');

/**
 * The provider information a 自研自用 use filing carries (管理办法 第二十一条). The platform's 自研应用备案 screen
 * (seed 004) marks the network-security section (等级, 备案号, ICP) as not mandatory, so systems may be left out.
 */
export const SelfDevelopedProviderSchema = z.strictObject({
  provider: ProviderUnitSchema,
  developer: DeveloperSchema.optional(),
  systems: z.array(SystemSchema).optional(),
  apps: z.array(FiledAppSchema).min(1),
}).describe('提供者备案信息（自研自用）');

export const UseUnitSchema = z.strictObject({
  name: text('单位名称'),
  nature: z.enum(USE_UNIT_NATURES).describe('单位性质'),
  certificate: z.strictObject({
    type: z.enum(USE_CERTIFICATE_TYPES).describe('证明类型'),
    number: text('证明编号'),
  }).describe('单位有效证明'),
  address: text('住所地'),
  legalRepresentative: LegalRepresentativeSchema,
  contact: ContactSchema,
}).describe('主管单位信息');

/**
 * 所用应用: the paper form has one box; the platform picks a provider-filed app, so we keep what identifies it.
 * Decision: `filingNo` is required unless the app is self-developed (第十八条: users pick among apps that completed
 * provider filing, which gives them a 教APP备 number); checked in validate.ts.
 */
export const UsedAppSchema = z.strictObject({
  name: text('应用名称'),
  version: text('版本号').optional(),
  platform: z.enum(PLATFORMS).optional(),
  provider: text('提供者单位名称').optional(),
  filingNo: checked('备案号', filingNoCheck).optional(),
}).describe('所用应用');

export const UseFilingSchema = z.strictObject({
  kind: z.literal('use').optional(),
  unit: UseUnitSchema,
  app: UsedAppSchema,
  users: z.array(z.enum(AUDIENCES)).min(1).describe('使用对象'),
  scenario: text('使用场景'),
  usage: z.enum(USAGES).describe('使用性质'),
  // The paper form prints "是有集体决策" (a typo for 是否); the platform screen says 是否集体决策.
  collectiveDecision: z.boolean().describe('是否集体决策'),
  agreementSigned: z.boolean().describe('是否签订协议/合同'),
  selfDeveloped: z.boolean().describe('自研自用'),
  providerFiling: SelfDevelopedProviderSchema.optional(),
  /** 推荐使用 apps need 辅助证明材料 (填表说明 5); file names or references. */
  attachments: z.array(text('证明材料')).optional(),
  suppress: z.array(SuppressionSchema).optional(),
}).describe('教育移动应用使用者备案信息表');

export type ProviderNature = (typeof PROVIDER_NATURES)[number];
export type Audience = (typeof AUDIENCES)[number];
export type Feature = (typeof FEATURES)[number];
export type FiledApp = z.infer<typeof FiledAppSchema>;
export type ScanBlock = z.infer<typeof ScanBlockSchema>;
export type SuppressionEntry = z.infer<typeof SuppressionSchema>;
export type ProviderFiling = z.infer<typeof ProviderFilingSchema>;
export type SelfDevelopedProvider = z.infer<typeof SelfDevelopedProviderSchema>;
export type UseFiling = z.infer<typeof UseFilingSchema>;
export type SystemInfo = z.infer<typeof SystemSchema>;
