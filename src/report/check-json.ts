// CheckResult as pretty JSON, the canonical report. Its shape is documented (and checked in tests) by
// CheckResultSchema in src/check/schema.ts; zod is not loaded here so the CLI stays quick to start.
import type { CheckResult } from '../check/types.js';

/** The verdict and what decides it first, the package facts (long) last; every field of `r` is kept. */
export function renderCheckJson(r: CheckResult): string {
  const { verdict, verdictReasons, counts, undeclared, findings, package: facts, ...rest } = r;
  const ordered = { verdict, verdictReasons, counts, undeclared, findings, ...rest, package: facts };
  return `${JSON.stringify(ordered, null, 2)}\n`;
}
