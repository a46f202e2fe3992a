// zod schemas of the rules/ data files: bundle.yaml (version, retired ids), permissions.yaml (checkbox map)
// and every other *.yaml ({rules: [...]}). Unknown keys are rejected everywhere. Semantic checks that need
// more than one field (paths exist, placeholders resolve, ids unique) are in load.ts.
import { z } from 'zod';
import { PERMISSION_LABELS, SEVERITIES } from '../check/types.js';
import { COMPARATORS, EVIDENCE_KINDS, PLATFORMS, RULE_CATEGORIES } from './types.js';

export const RULE_ID_RE = /^EDU-(?:[A-Z]{2,4}-){1,2}\d{3}$/;
const NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;
const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;

const TextSchema = z.strictObject({ zh: z.string().trim().min(1), en: z.string().trim().min(1) });

const ScalarSchema = z.union([z.string(), z.number(), z.boolean(), z.null()]);
const OperandSchema = z.union([ScalarSchema, z.array(ScalarSchema), z.strictObject({ ref: z.string().min(1) })]);

const comparisonFields = {
  eq: OperandSchema.optional(),
  ne: OperandSchema.optional(),
  lt: OperandSchema.optional(),
  lte: OperandSchema.optional(),
  gt: OperandSchema.optional(),
  gte: OperandSchema.optional(),
  in: OperandSchema.optional(),
  notIn: OperandSchema.optional(),
  contains: OperandSchema.optional(),
  matches: OperandSchema.optional(),
  exists: z.boolean().optional(),
  empty: z.boolean().optional(),
  ci: z.boolean().optional(),
};

const IterationSchema = z.strictObject({
  path: z.string().min(1),
  as: z.string().regex(NAME_RE).optional(),
  get where() {
    return ConditionSchema.optional();
  },
});

const NODE_SCHEMAS = {
  all: z.strictObject({ all: z.array(z.lazy(() => ConditionSchema)).min(1) }),
  any: z.strictObject({ any: z.array(z.lazy(() => ConditionSchema)).min(1) }),
  not: z.strictObject({ not: z.lazy(() => ConditionSchema) }),
  some: z.strictObject({ some: IterationSchema }),
  count: z.strictObject({ count: IterationSchema, ...comparisonFields }),
  path: z.strictObject({ path: z.string().min(1), ...comparisonFields }),
} as const;
const NODE_KINDS = Object.keys(NODE_SCHEMAS) as (keyof typeof NODE_SCHEMAS)[];

/** A condition node: the key that names its kind picks the schema, so errors speak about that kind only. */
export const ConditionSchema: z.ZodType<unknown> = z.unknown().superRefine((v, ctx) => {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) {
    ctx.addIssue({ code: 'custom', message: `a condition must be a mapping with one of: ${NODE_KINDS.join(', ')}` });
    return;
  }
  const kinds = NODE_KINDS.filter((k) => Object.hasOwn(v, k));
  if (kinds.length !== 1) {
    ctx.addIssue({
      code: 'custom',
      message: kinds.length === 0 ? `a condition needs one of: ${NODE_KINDS.join(', ')} (comparators: ${COMPARATORS.join(', ')})` : `a condition has exactly one of ${kinds.join(', ')}`,
    });
    return;
  }
  const r = NODE_SCHEMAS[kinds[0]!].safeParse(v);
  if (!r.success) {
    for (const issue of r.error.issues) {
      const path = issue.path as (string | number)[];
      // Re-raised as custom issues; an unknown key keeps its name in the path, as at the top level.
      if (issue.code === 'unrecognized_keys') ctx.addIssue({ code: 'custom', message: `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.join(', ')}`, path: [...path, issue.keys[0]!] });
      else ctx.addIssue({ code: 'custom', message: issue.message, path });
    }
  }
});

const EvidenceSchema = z.union([
  z.strictObject({
    for: z.string().regex(NAME_RE).optional(),
    kind: z.enum(EVIDENCE_KINDS),
    value: z.string().min(1),
    location: z.string().min(1).optional(),
    strength: z.enum(['D', 'I', 'R']).optional(),
  }),
  z.strictObject({ for: z.string().regex(NAME_RE), copy: z.string().min(1) }),
]);

const TestCaseSchema = z.strictObject({
  base: z.string().regex(/^(sample|corpus|fixture):[^\s]+$/, 'base is sample:<path under samples/>, fixture:<path under tests/fixtures/> or corpus:<apk|ipa>/<file>'),
  note: z.string().optional(),
  set: z.record(z.string(), z.unknown()).optional(),
  unset: z.array(z.string()).optional(),
  push: z.record(z.string(), z.unknown()).optional(),
  app: z.record(z.string(), z.unknown()).nullable().optional(),
  /** Use filings of the app (root `uses`), e.g. [{usage: 要求使用, users: [学生-中小学]}]. */
  uses: z.array(z.record(z.string(), z.unknown())).optional(),
  today: z.string().regex(DATE_RE).optional(),
  severity: z.enum(SEVERITIES).optional(),
  evidence: z.array(z.string()).optional(),
  findings: z.number().int().positive().optional(),
});

export const RuleSchema = z.strictObject({
  id: z.string().regex(RULE_ID_RE, 'id looks like EDU-AND-MAN-001 / EDU-PKG-002'),
  platform: z.enum(PLATFORMS),
  severity: z.enum(SEVERITIES),
  category: z.enum(RULE_CATEGORIES),
  title: TextSchema,
  message: TextSchema,
  rationale: TextSchema,
  basis: z.string().trim().min(1),
  references: z.array(z.string().min(1)).optional(),
  cwe: z.string().regex(/^CWE-\d+$/).optional(),
  when: ConditionSchema,
  each: z.string().regex(NAME_RE).optional(),
  evidence: z.array(EvidenceSchema).min(1),
  severityWhen: z.array(z.strictObject({ when: ConditionSchema, severity: z.enum(SEVERITIES) })).min(1).optional(),
  /** A finding of this rule means part of the package cannot be checked (packed code, encrypted binary): the verdict is 不可评估 unless something fails. */
  notAssessable: z.boolean().optional(),
  tests: z.strictObject({ trigger: z.array(TestCaseSchema), pass: z.array(TestCaseSchema) }).optional(),
});

/** A rules file; each rule is checked on its own (RuleSchema) so one bad rule does not hide the others' problems. */
export const RuleFileSchema = z.strictObject({ rules: z.array(z.unknown()).min(1) });

export const BundleSchema = z.strictObject({
  schemaVersion: z.literal(1),
  version: z.string().regex(/^\d+\.\d+\.\d+$/),
  /** Ids of withdrawn rules: never to be used again. */
  retired: z.array(z.string().regex(RULE_ID_RE)),
  /** Other loaders' files in this folder (e.g. the code-signature data): part of the digest, not rule files. */
  dataFiles: z.array(z.string().regex(/^[A-Za-z0-9._-]+\.ya?ml$/)).optional(),
});

const LabelSchema = z.enum(PERMISSION_LABELS);
export const PermissionMapSchema = z.strictObject({
  schemaVersion: z.literal(1),
  categories: z
    .array(
      z.strictObject({
        label: LabelSchema,
        interpretation: TextSchema.optional(),
        android: z
          .strictObject({
            permissions: z.array(z.string().min(1)).optional(),
            components: z
              .array(z.strictObject({ kind: z.enum(['activity', 'activity-alias', 'service', 'receiver', 'provider']).optional(), permission: z.string().min(1) }))
              .optional(),
          })
          .optional(),
        ios: z.strictObject({ usageKeys: z.array(z.string().min(1)).optional() }).optional(),
        apiCategories: z.array(z.string().regex(/^[a-z][a-z0-9-]*$/)).optional(),
      }),
    )
    .length(PERMISSION_LABELS.length),
  android: z.strictObject({ otherFallbackPrefixes: z.array(z.string().min(1)), noCheckbox: z.array(z.string().min(1)) }),
  ios: z.strictObject({ otherFallbackPattern: z.string().min(1) }),
});
