// Rule and permission-map data as loaded from rules/*.yaml (validated by src/rules/schema.ts). The rules are
// data: conditions are trees of the node kinds below, evaluated by src/rules/condition.ts.
import type { PermissionLabel, Severity, Text } from '../check/types.js';

export const PLATFORMS = ['android', 'ios', 'both'] as const;
export type RulePlatform = (typeof PLATFORMS)[number];

export const RULE_CATEGORIES = [
  'filing', 'package', 'signing', 'manifest', 'network', 'component', 'privacy', 'provisioning', 'transport', 'binary',
] as const;
export type RuleCategory = (typeof RULE_CATEGORIES)[number];

export const EVIDENCE_KINDS = [
  'permission', 'usage-key', 'component', 'manifest', 'network-config', 'signing', 'plist', 'provisioning', 'macho',
  'sdk', 'zip', 'record', 'file', 'category', 'api',
] as const;

export type Scalar = string | number | boolean | null;
/** A literal, or the value found at another path of the context (`{ref: 'facts.file.md5'}`). */
export type Operand = Scalar | Scalar[] | { ref: string };

export const COMPARATORS = ['eq', 'ne', 'lt', 'lte', 'gt', 'gte', 'in', 'notIn', 'contains', 'matches', 'exists', 'empty'] as const;
export type Comparator = (typeof COMPARATORS)[number];

export type Comparisons = Partial<Record<Exclude<Comparator, 'exists' | 'empty'>, Operand>> & {
  exists?: boolean;
  empty?: boolean;
  /** Case-insensitive eq/ne/in/notIn/contains/matches. */
  ci?: boolean;
};

export interface Iteration {
  path: string;
  /** Name the current element is bound to inside `where` (default `item`). */
  as?: string;
  where?: Condition;
}

export type CmpNode = { path: string } & Comparisons;
export interface AllNode { all: Condition[] }
export interface AnyNode { any: Condition[] }
export interface NotNode { not: Condition }
export interface SomeNode { some: Iteration }
export type CountNode = { count: Iteration } & Comparisons;
export type Condition = AllNode | AnyNode | NotNode | SomeNode | CountNode | CmpNode;

export interface EvidenceTemplate {
  /** A binding (`as` of a `some`) whose matched elements each give one evidence item. */
  for?: string;
  kind: string;
  value: string;
  location?: string;
  strength?: 'D' | 'I' | 'R';
}
export interface EvidenceCopy {
  for: string;
  /** Field of each matched element holding Evidence objects to copy as they are (e.g. a category's `evidence`). */
  copy: string;
}
export type EvidenceSpec = EvidenceTemplate | EvidenceCopy;

/** One inline RuleTester case: a real package (sample or corpus), optionally mutated, and an optional record app. */
export interface RuleTestCase {
  /** `sample:android/smartclass.apk` (repo samples/) or `corpus:apk/<file>` (EDUSCAN_CORPUS). */
  base: string;
  note?: string;
  /** path → value; paths start at `facts.` or `app.`; `[key=value]` selects an array element. */
  set?: Record<string, unknown>;
  unset?: string[];
  push?: Record<string, unknown>;
  /** Fields of the record's app over the default one built from the package; `null` = no record. */
  app?: Record<string, unknown> | null;
  /** Use filings of the app (root `uses`). */
  uses?: Record<string, unknown>[];
  today?: string;
  /** trigger cases: expected severity after severityWhen, expected evidence values (subset). */
  severity?: Severity;
  evidence?: string[];
  findings?: number;
}

export interface Rule {
  id: string;
  platform: RulePlatform;
  severity: Severity;
  category: RuleCategory;
  title: Text;
  message: Text;
  rationale: Text;
  basis: string;
  references?: string[];
  cwe?: string;
  when: Condition;
  /** One finding per element bound to this name by a `some` in `when` (default: one finding per rule). */
  each?: string;
  evidence: EvidenceSpec[];
  severityWhen?: { when: Condition; severity: Severity }[];
  /** A finding means part of the package cannot be checked: the verdict becomes 不可评估 unless something fails. */
  notAssessable?: boolean;
  tests?: { trigger: RuleTestCase[]; pass: RuleTestCase[] };
  /** rules/ file the rule came from (set by the loader). */
  file: string;
}

export interface ComponentMatch {
  kind?: 'activity' | 'activity-alias' | 'service' | 'receiver' | 'provider';
  permission: string;
}

export interface CategoryMapEntry {
  label: PermissionLabel;
  interpretation?: Text;
  android?: { permissions?: string[]; components?: ComponentMatch[] };
  ios?: { usageKeys?: string[] };
  /** Sensitive-API categories (rules/sensitive-apis.yaml) whose use in the code is indicative (I) evidence for this box. */
  apiCategories?: string[];
}

export interface PermissionMap {
  schemaVersion: number;
  categories: CategoryMapEntry[];
  android: { otherFallbackPrefixes: string[]; noCheckbox: string[] };
  ios: { otherFallbackPattern: string };
}

export interface RuleSet {
  rules: Rule[];
  permissionMap: PermissionMap;
  version: string;
  /** sha256 over every data file of the rules directory, by sorted name: name NUL content NUL. */
  digest: string;
}
