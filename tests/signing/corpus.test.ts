// Every corpus APK against the stored apksigner / openssl outputs (tests/oracle/apksigner/generate.sh).
import { basename } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EduscanError } from '../../src/errors.js';
import { CORPUS, corpusFiles } from '../helpers/corpus.js';
import { checkApk, type ApkCheck } from './check-apk.js';

const results: ApkCheck[] = [];

describe.skipIf(!CORPUS)('signing facts agree with apksigner and openssl on the corpus', () => {
  const files = corpusFiles('apk').filter((f) => f.endsWith('.apk'));

  it.each(files.map((f) => [basename(f), f]))('%s', (_name, path) => {
    const check = checkApk(path);
    results.push(check);
    expect(check.oracle24, 'stored apksigner output missing: run tests/oracle/apksigner/generate.sh').toBeDefined();
    expect(check.problems).toEqual([]);
    if (check.zipError) {
      expect(check.zipError).toBeInstanceOf(EduscanError);
    } else {
      expect(check.facts).toBeDefined();
    }
  });

  it('compares most of the corpus with a successful apksigner run', () => {
    const compared = results.filter((r) => r.compared > 0).length;
    const lineages = results.filter((r) => r.lineageCompared && (r.facts?.lineage?.length ?? 0) > 0).length;
    const blocks = results.reduce((n, r) => n + r.opensslBlocksCompared, 0);
    const ms = results.filter((r) => r.facts).map((r) => r.ms).sort((a, b) => a - b);
    const failed = results.filter((r) => !r.oracle24?.verifies && !r.oracle1?.verifies);
    // Figures for the report; the thresholds only guard against the oracle files going missing.
    console.log(`signing: ${results.length} APKs, ${compared} compared with a verifying apksigner run, ` +
      `${lineages} lineages, ${blocks} PKCS#7 blocks vs openssl, ${failed.length} where apksigner fails; ` +
      `readSigning median ${ms[Math.floor(ms.length / 2)]?.toFixed(2)} ms, p95 ${ms[Math.floor(ms.length * 0.95)]?.toFixed(2)} ms, max ${ms[ms.length - 1]?.toFixed(2)} ms`);
    expect(compared).toBeGreaterThan(90);
    expect(lineages).toBeGreaterThanOrEqual(2);
    expect(blocks).toBeGreaterThan(80);
  });
});

afterAll(() => {
  if (process.env.EDUSCAN_SIGNING_REPORT) {
    for (const r of results.filter((x) => !x.oracle24?.verifies && !x.oracle1?.verifies)) {
      console.log(`${r.name}\n  apksigner: ${(r.oracle24?.crashed ? 'crash ' : '') + (r.oracle24?.errors[0] ?? r.oracle1?.errors[0] ?? 'no error line')}\n  eduscan: ${r.zipError ? `throws ${r.zipError.code}` : `schemes=${r.facts?.schemes.join(',') || '-'} signers=${r.facts?.signers.length} verify=${JSON.stringify({ v2: r.verified?.verified?.v2, v3: r.verified?.verified?.v3 })} anomalies=${r.anomalies.map((a) => a.code).join(',')}`}`);
    }
  }
});
