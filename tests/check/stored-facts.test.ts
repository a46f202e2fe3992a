// The registry checks stored facts without re-validating them (src/registry/evaluate.ts): only the facts
// schema version is checked, so a cache row of another shape is an error of that package, never a wrong verdict.
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FACTS_SCHEMA_VERSION } from '../../src/facts/schema.js';
import { Evaluator } from '../../src/registry/evaluate.js';
import { loadRuleSet } from '../../src/rules/load.js';
import { scanPackage } from '../../src/scan.js';

const SAMPLE = join(resolve(import.meta.dirname, '../..'), 'samples/android/smartclass.apk');

describe('Evaluator on stored facts', () => {
  it('checks facts of this schema version, and refuses another version with E_DB', async () => {
    const facts = JSON.parse(JSON.stringify(await scanPackage(SAMPLE)));
    const ev = new Evaluator(loadRuleSet(), '2026-06-01');
    const ok = ev.evaluate(facts, undefined, null);
    expect(ok.error).toBeUndefined();
    expect(ok.result?.verdict).toBe('fail'); // the sample is debuggable (a high finding without any record)
    const other = ev.evaluate({ ...facts, schemaVersion: FACTS_SCHEMA_VERSION + 1 }, undefined, null);
    expect(other.result).toBeUndefined();
    expect(other.error?.code).toBe('E_DB');
    expect(other.error?.message).toContain(`schema version ${FACTS_SCHEMA_VERSION + 1}`);
  });
});
