// The code pass must give exactly the facts it gave before the issue 5 speed work, on every corpus APK:
// SDK inventory with evidence, packers, sensitive APIs with owners and callers, dex list, code anomalies.
// The expected lines are eduscan's own earlier output (tests/oracle/code/android-code.jsonl, made by
// gen-code-oracle.mts at the commit named in its header), for the shipped signature data frozen beside it
// and for a wide signature set drawn from the corpus; dexdump stays the real-tool oracle for the class
// names and references themselves (tests/dex/dex-oracle.test.ts, android-oracle.test.ts).
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { describe, expect, it } from 'vitest';
import { codeFactsOf, oracleRules, ORACLE_FILE, type CodeOracleLine, type RuleSetName } from '../oracle/code/gen-code-oracle.mjs';
import { CORPUS, corpusFiles } from '../helpers/corpus.js';

describe.skipIf(!CORPUS)('code facts equal the stored pre-change output (corpus)', () => {
  const lines = readFileSync(ORACLE_FILE, 'utf8').trim().split('\n').slice(1).map((l) => JSON.parse(l) as CodeOracleLine);
  const apks = corpusFiles('apk').filter((f) => f.endsWith('.apk'));

  for (const name of ['shipped', 'wide'] as RuleSetName[]) {
    describe(`${name} signatures`, () => {
      const mine = lines.filter((l) => l.rules === name);
      const expected = new Map(mine.map((l) => [l.file, l]));
      const rules = oracleRules(name);

      it('covers every corpus APK, and the comparison is not vacuous', () => {
        expect(apks.map((f) => basename(f)).sort()).toEqual([...expected.keys()].sort());
        const has = (f: (l: CodeOracleLine) => unknown[] | undefined): number => mine.filter((l) => (f(l)?.length ?? 0) > 0).length;
        expect(has((l) => l.sdks as unknown[])).toBeGreaterThan(name === 'wide' ? 40 : 3);
        expect(has((l) => (l.code as { sensitiveApis: unknown[] } | undefined)?.sensitiveApis)).toBeGreaterThan(name === 'wide' ? 30 : 10);
        if (name === 'wide') expect(has((l) => (l.code as { packers: unknown[] } | undefined)?.packers)).toBeGreaterThan(10);
      });

      it.each(apks.map((f) => [basename(f), f]))('%s', (file, path) => {
        expect(codeFactsOf(path, name, rules)).toEqual(expected.get(file));
      });
    });
  }
});
