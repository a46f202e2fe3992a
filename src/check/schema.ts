// CheckResultSchema: the zod form of src/check/types.ts, and the documentation of `eduscan check --format json`.
// The objects are strict so that a field added to types.ts but not here fails the round-trip tests, and the
// type assertions at the bottom fail the build when the two drift apart in either direction.
// Not imported on the CLI's hot path: zod stays out of start-up (see src/scan.ts).
import { z } from 'zod';
import { PackageFactsSchema } from '../facts/schema.js';
import {
  PERMISSION_LABELS, SEVERITIES, VERDICTS,
  type CategoryDetection, type CheckResult, type Evidence, type Finding, type Suppression,
} from './types.js';

export const PermissionLabelSchema = z.enum(PERMISSION_LABELS);
export const SeveritySchema = z.enum(SEVERITIES);
export const VerdictSchema = z.enum(VERDICTS);

/** A message in both report languages. */
export const TextSchema = z.strictObject({ zh: z.string(), en: z.string() });

export const EvidenceSchema = z.strictObject({
  kind: z.string(),
  value: z.string(),
  location: z.string().optional(),
  strength: z.enum(['D', 'I', 'R']).optional(),
});

/** yyyy-mm-dd, as the filing record writes it. */
const DATE = /^\d{4}-\d{2}-\d{2}$/;

export const SuppressionSchema = z.strictObject({
  rule: z.string().min(1),
  reason: z.string().min(1),
  by: z.string(),
  until: z.string().regex(DATE).optional(),
  packages: z.array(z.string()).optional(),
});

export const FindingSchema = z.strictObject({
  rule: z.string().min(1),
  severity: SeveritySchema,
  title: TextSchema,
  message: TextSchema,
  rationale: TextSchema,
  basis: z.string(),
  evidence: z.array(EvidenceSchema),
  fingerprint: z.string().min(1),
  suppressed: SuppressionSchema.optional(),
});

export const CategoryDetectionSchema = z.strictObject({
  label: PermissionLabelSchema,
  evidence: z.array(EvidenceSchema),
});

const count = z.number().int().nonnegative();

export const CheckResultSchema = z.strictObject({
  tool: z.strictObject({ name: z.literal('eduscan'), version: z.string() }),
  rules: z.strictObject({ version: z.string(), digest: z.string(), count }),
  createdAt: z.string(),
  verdict: VerdictSchema,
  verdictReasons: z.array(TextSchema),
  counts: z.strictObject({ high: count, medium: count, low: count, info: count }),
  package: PackageFactsSchema,
  record: z.strictObject({ file: z.string().optional(), app: z.string(), index: z.number().int().nonnegative() }).optional(),
  uses: z.array(z.strictObject({ unit: z.string(), usage: z.string(), users: z.array(z.string()), file: z.string().optional() })).optional(),
  detected: z.array(CategoryDetectionSchema),
  filed: z.array(PermissionLabelSchema),
  undeclared: z.array(CategoryDetectionSchema),
  notDetected: z.array(PermissionLabelSchema),
  findings: z.array(FindingSchema),
  expiredSuppressions: z.array(SuppressionSchema),
  notAssessable: z.array(TextSchema),
  manual: z.array(TextSchema),
});

// Compile-time mirror check: each side must be assignable to the other, and (so that an optional field added
// on one side only is caught too) the objects must have the same keys.
type Mutual<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type SameShape<A, B> = Mutual<A, B> extends true ? Mutual<keyof A, keyof B> : false;
const MIRRORS: [
  SameShape<z.infer<typeof CheckResultSchema>, CheckResult>,
  SameShape<z.infer<typeof FindingSchema>, Finding>,
  SameShape<z.infer<typeof EvidenceSchema>, Evidence>,
  SameShape<z.infer<typeof SuppressionSchema>, Suppression>,
  SameShape<z.infer<typeof CategoryDetectionSchema>, CategoryDetection>,
  SameShape<NonNullable<z.infer<typeof CheckResultSchema>['record']>, NonNullable<CheckResult['record']>>,
] = [true, true, true, true, true, true];
void MIRRORS;

/** CheckResultSchema as JSON Schema (draft 2020-12): the published description of `--format json`. */
export function checkResultJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(CheckResultSchema, { target: 'draft-2020-12' }) as Record<string, unknown>;
}
