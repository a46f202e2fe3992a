// One APK against every stored oracle: apksigner verify (min SDK 24 and 1), apksigner lineage, openssl pkcs7.
// Returns the differences instead of asserting, so the corpus suite can also count agreement.
import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parsePkcs7SignedData } from '../../src/apk/pkcs7.js';
import { readSigning } from '../../src/apk/signing.js';
import { EduscanError, type Anomaly } from '../../src/errors.js';
import type { SigningFacts } from '../../src/facts/schema.js';
import { FileSource } from '../../src/io/source.js';
import { openZip, readEntry } from '../../src/zip/zip.js';
import { compareWithVerify, readLineage, readOpenssl, readVerify, type OracleVerify } from './oracle.js';

export interface ApkCheck {
  name: string;
  /** The typed error when the zip itself cannot be opened. */
  zipError?: EduscanError;
  facts?: SigningFacts;
  verified?: SigningFacts;
  anomalies: Anomaly[];
  oracle24?: OracleVerify;
  oracle1?: OracleVerify;
  /** apksigner runs that verified and were compared. */
  compared: number;
  lineageCompared: boolean;
  opensslBlocksCompared: number;
  problems: string[];
  /** Time of readSigning without verify, in ms. */
  ms: number;
}

const SCHEME_ERROR = /^APK Signature Scheme (v2|v3) signer #\d+: .*(did not verify|digest mismatch|Public key mismatch)/;

export function checkApk(path: string): ApkCheck {
  const name = basename(path);
  const check: ApkCheck = { name, anomalies: [], compared: 0, lineageCompared: false, opensslBlocksCompared: 0, problems: [], ms: 0 };
  const oracle24 = readVerify(name, 24);
  const oracle1 = readVerify(name, 1);
  if (oracle24) check.oracle24 = oracle24;
  if (oracle1) check.oracle1 = oracle1;
  const problem = (p: string): void => void check.problems.push(p);
  const source = new FileSource(path);
  try {
    let zip;
    try {
      zip = openZip(source);
    } catch (e) {
      if (!(e instanceof EduscanError)) throw e;
      check.zipError = e;
      for (const o of [oracle24, oracle1]) if (o?.verifies) problem(`apksigner verifies a file our zip reader refuses (${e.code})`);
      return check;
    }
    const t0 = performance.now();
    const facts = readSigning(zip, { anomalies: check.anomalies });
    check.ms = performance.now() - t0;
    check.facts = facts;
    check.verified = readSigning(zip, { anomalies: [], verify: true });

    for (const o of [oracle24, oracle1]) {
      if (!o?.verifies) continue;
      check.compared++;
      for (const p of compareWithVerify(facts, o)) problem(p);
      if (o.verified.includes('v1') && check.verified.verified?.detail.some((d) => d.startsWith('v1 ') && d.includes('DOES NOT VERIFY'))) {
        problem('apksigner verified v1, our verify says a JAR signature does not verify');
      }
      for (const s of ['v2', 'v3'] as const) {
        if (o.verified.includes(s) && check.verified.verified?.[s] !== true) problem(`apksigner verified ${s}, our verify says ${check.verified.verified?.[s]}`);
      }
    }
    for (const o of [oracle24, oracle1]) {
      for (const err of o?.errors ?? []) {
        const m = SCHEME_ERROR.exec(err);
        if (m && check.verified.verified?.[m[1] as 'v2' | 'v3'] !== false) problem(`apksigner: "${err.slice(0, 120)}", our verify says ${check.verified.verified?.[m[1] as 'v2' | 'v3']}`);
        const jar = /JAR signature (META-INF\/\S+) did not verify against/.exec(err);
        if (jar && !check.verified.verified?.detail.some((d) => d.startsWith(`v1 ${jar[1]}: DOES NOT VERIFY`))) problem(`apksigner: "${err}", our verify does not say so`);
        if (/Signature stripped\?/.test(err) && !check.anomalies.some((a) => a.code === 'SIGNING_SCHEME_STRIPPED')) problem(`apksigner: "${err.slice(0, 120)}", we have no SIGNING_SCHEME_STRIPPED anomaly`);
      }
    }
    // With min SDK 24 apksigner asks for a JAR signature only when it found no v2/v3 block.
    if (oracle24?.errors.some((e) => e === 'Missing META-INF/MANIFEST.MF' || e === 'No JAR signatures') && facts.schemes.length > 0) {
      problem(`apksigner finds no signature at all, we report ${facts.schemes.join(',')}`);
    }

    const lineage = readLineage(name);
    // apksigner 0.9 predates v3.1, so it cannot see a lineage that only a v3.1 signer carries.
    if (lineage === null && facts.lineage && !facts.schemes.includes('v3.1')) problem('apksigner finds no lineage, we report one');
    if (lineage) {
      check.lineageCompared = true;
      const ours = facts.lineage ?? [];
      if (JSON.stringify(ours.map((n) => [n.certSha256, n.flags])) !== JSON.stringify(lineage.map((n) => [n.sha256, n.flags]))) {
        problem(`lineage ${JSON.stringify(ours)} differs from apksigner's ${JSON.stringify(lineage)}`);
      }
    }

    // openssl lists every certificate of each PKCS#7 block: our PKCS#7 parser must list the same (for DER
    // certificates: openssl re-encodes a BER one, while we and apksigner hash the bytes as shipped).
    const openssl = readOpenssl(name) ?? new Map<string, string[]>();
    for (const [entryName, expected] of openssl) {
      const entry = zip.get(entryName);
      if (!entry) continue;
      let ours: string[];
      try {
        ours = parsePkcs7SignedData(readEntry(zip, entry), entryName).certificates.map((c) => sha256(c.raw));
      } catch (e) {
        problem(`${entryName}: openssl lists its certificates, our PKCS#7 parser fails: ${(e as Error).message}`);
        continue;
      }
      check.opensslBlocksCompared++;
      const rawSigned = [oracle24, oracle1].flatMap((o) => o?.signers.map((s) => s.sha256) ?? []);
      const same = ours.length === expected.length && ours.every((h, i) => h === expected[i] || rawSigned.includes(h));
      if (!same) problem(`${entryName}: certificates ${ours.join(',')} but openssl lists ${expected.join(',')}`);
      for (const s of facts.signers.filter((x) => x.scheme === 'v1' && x.source?.endsWith(` + ${entryName}`))) {
        if (!ours.includes(s.certificates[0]!.certSha256)) problem(`${entryName}: our v1 signer certificate is not in the block`);
      }
    }
  } finally {
    source.close();
  }
  return check;
}

function sha256(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}
