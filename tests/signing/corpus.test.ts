// Every corpus APK against the stored apksigner / openssl outputs (tests/oracle/apksigner/generate.sh).
import { basename } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parsePkcs7SignedData } from '../../src/apk/pkcs7.js';
import { readSigning } from '../../src/apk/signing.js';
import { normalizeDigestName } from '../../src/apk/v1.js';
import { algorithmName } from '../../src/apk/x509.js';
import { EduscanError } from '../../src/errors.js';
import { FileSource } from '../../src/io/source.js';
import { openZip, readEntry } from '../../src/zip/zip.js';
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

  // apksig names its JAR test files after the signer info's algorithms: v1-only-with-<key>-<digest>-<OID>-<size>.
  it('names the JAR signature algorithms apksig encoded in its test file names', () => {
    const named = files.map((f) => [f, /v1-only-with-(rsa-pkcs1|dsa|ecdsa)-(md5|sha\d+)-([\d.]+)-/.exec(basename(f))] as const).filter(([, m]) => m);
    expect(named.length).toBeGreaterThanOrEqual(4);
    for (const [f, m] of named) {
      const zip = openZip(new FileSource(f));
      const block = zip.entries.find((e) => /^META-INF\/[^/]+\.(RSA|DSA|EC)$/.test(e.name))!;
      const info = parsePkcs7SignedData(readEntry(zip, block), block.name).signerInfos[0]!;
      expect(info.signatureAlgorithm, f).toBe(algorithmName(m![3]!));
      expect(normalizeDigestName(info.digestAlgorithm), f).toBe(normalizeDigestName(m![2]!));
      const key = { 'rsa-pkcs1': 'RSA', dsa: 'DSA', ecdsa: 'ECDSA' }[m![1] as 'rsa-pkcs1' | 'dsa' | 'ecdsa'];
      const facts = readSigning(zip, { anomalies: [] });
      expect(facts.signers[0]!.signatureAlgorithms, f).toEqual([`${m![2]!.toUpperCase()}with${key}`]);
      zip.source.close();
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
