// Committed apksig test APKs (tests/fixtures/signing, Apache-2.0) against their stored apksigner and openssl
// outputs: runs on a fresh clone, without the corpus.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readSigning } from '../../src/apk/signing.js';
import type { Anomaly } from '../../src/errors.js';
import { BufferSource, FileSource, type ByteSource } from '../../src/io/source.js';
import { openZip } from '../../src/zip/zip.js';
import { FIXTURES } from '../helpers/corpus.js';
import { checkApk } from './check-apk.js';
import { readLineage, readOpenssl, readVerify } from './oracle.js';

const DIR = join(FIXTURES, 'signing');
const APKS = readdirSync(DIR).filter((f) => f.endsWith('.apk')).sort();
const path = (name: string): string => join(DIR, name);

function signing(name: string, verify = false) {
  const source = new FileSource(path(name));
  try {
    const anomalies: Anomaly[] = [];
    const facts = readSigning(openZip(source), { anomalies, verify });
    return { facts, anomalies };
  } finally {
    source.close();
  }
}

describe('signing fixtures agree with apksigner and openssl', () => {
  it('has fixtures and their oracle outputs', () => {
    expect(APKS.length).toBeGreaterThanOrEqual(6);
    for (const a of APKS) expect(readVerify(a, 24), a).toBeDefined();
  });

  it.each(APKS)('%s', (name) => {
    const check = checkApk(path(name));
    expect(check.problems).toEqual([]);
    const crashed = check.oracle24?.crashed && check.oracle1?.crashed;
    const failedBoth = !check.oracle24?.verifies && !check.oracle1?.verifies;
    if (!crashed && !failedBoth) expect(check.compared).toBeGreaterThan(0);
  });

  it('reads the 3-certificate proof-of-rotation lineage apksigner prints, with its capability flags', () => {
    const name = 'androguard__v1v2v3-with-rsa-2048-lineage-3-signers.apk';
    const oracle = readLineage(name)!;
    expect(oracle).toHaveLength(3);
    const { facts } = signing(name);
    expect(facts.lineage!.map((n) => [n.certSha256, n.subject, n.flags])).toEqual(oracle.map((n) => [n.sha256, n.dn, n.flags]));
    // The v3 signer is the newest lineage node; v1/v2 still use the oldest key.
    const v3 = facts.signers.find((s) => s.scheme === 'v3')!;
    expect(v3.certificates[0]!.certSha256).toBe(oracle[2]!.sha256);
    expect(facts.signers.find((s) => s.scheme === 'v2')!.certificates[0]!.certSha256).toBe(oracle[0]!.sha256);
  });

  it('lists signers newest scheme first and reads v3.1 and its lineage', () => {
    const name = 'androguard__v31-ec-p256-2-tgt-33-1-tgt-28-targetSdk-30.apk';
    const { facts } = signing(name);
    expect(facts.schemes).toEqual(['v1', 'v2', 'v3', 'v3.1']);
    expect(facts.signers.map((s) => s.scheme)).toEqual(['v3.1', 'v3', 'v2', 'v1']);
    // apksigner 0.9 knows no v3.1: its signer is the v2 one, and it is also the first lineage node.
    const apksignerSigner = readVerify(name, 24)!.signers[0]!;
    expect(facts.signers[1]!.certificates[0]!.certSha256).toBe(apksignerSigner.sha256);
    expect(facts.lineage!.map((n) => n.certSha256)).toEqual([apksignerSigner.sha256, facts.signers[0]!.certificates[0]!.certSha256]);
  });

  it('with verify, finds the content digest mismatch apksigner reports, with the same digests', () => {
    const name = 'androguard__v2-only-with-ecdsa-sha256-p256-digest-mismatch.apk';
    const err = readVerify(name, 24)!.errors.find((e) => e.includes('digest mismatch'))!;
    const [, expected, actual] = /Expected: <([0-9a-f]+)>, actual: <([0-9a-f]+)>/.exec(err)!;
    const { facts } = signing(name, true);
    expect(facts.verified!.v2).toBe(false);
    expect(facts.verified!.detail.join('\n')).toContain(`signed ${expected}, computed ${actual}`);
    // Without verify the facts are the same but nothing is claimed about integrity.
    expect(signing(name).facts.verified).toBeUndefined();
  });

  it('verifies the v2 and v3 blocks apksigner verifies', () => {
    const name = 'androguard__golden-aligned-v1v2v3-out.apk';
    expect(readVerify(name, 24)!.verified).toEqual(['v2', 'v3']);
    const { facts } = signing(name, true);
    expect(facts.verified).toMatchObject({ v2: true, v3: true });
  });

  it('verifies an RSASSA-PSS signature (the JVM behind apksigner here lacks PSS)', () => {
    const name = 'androguard__v2-only-with-rsa-pss-sha256-2048.apk';
    expect(readVerify(name, 24)!.crashed).toBe(true);
    const { facts } = signing(name, true);
    expect(facts.signers[0]!.signatureAlgorithms).toEqual(['RSA_PSS_WITH_SHA256']);
    expect(facts.verified!.v2).toBe(true);
    // apksig's test key rsa-2048: apksigner prints its digest for the lineage fixture's first node.
    const rsa2048 = readLineage('androguard__v1v2v3-with-rsa-2048-lineage-3-signers.apk')![0]!;
    expect(facts.signers[0]!.certificates[0]!.certSha256).toBe(rsa2048.sha256);
  });

  it('hashes a BER (not DER) certificate as shipped, like apksigner; openssl re-encodes it', () => {
    const name = 'androguard__v1-only-with-rsa-1024-cert-not-der.apk';
    const apksigner = readVerify(name, 1)!.signers[0]!.sha256;
    const openssl = readOpenssl(name)!.get('META-INF/CERT.RSA')![0]!;
    expect(openssl).not.toBe(apksigner);
    expect(signing(name).facts.signers[0]!.certificates[0]!.certSha256).toBe(apksigner);
  });

  it('names the JAR signature algorithm apksig encoded in the file name (dsa-sha1-1.2.840.10040.4.1)', () => {
    const { facts } = signing('androguard__v1-only-with-dsa-sha1-1.2.840.10040.4.1-1024.apk');
    expect(facts.signers[0]!.signatureAlgorithms).toEqual(['SHA1withDSA']);
    expect(facts.signers[0]!.digestAlgorithms).toContain('SHA-1');
  });

  it('with verify, checks the PKCS#7 signature over the .SF (signed attributes included) as apksigner does', () => {
    const bad = 'androguard__v1-only-with-signed-attrs-wrong-signature.apk';
    const err = readVerify(bad, 24)!.errors.join('\n');
    expect(err).toContain('JAR signature META-INF/RSA-2048.RSA did not verify against META-INF/RSA-2048.SF');
    expect(signing(bad, true).facts.verified!.detail[0]).toMatch(/^v1 META-INF\/RSA-2048\.RSA: DOES NOT VERIFY/);
    const good = 'androguard__v1-only-two-signers.apk';
    expect(readVerify(good, 24)!.verified).toContain('v1');
    const detail = signing(good, true).facts.verified!.detail.filter((d) => d.startsWith('v1 '));
    expect(detail).toHaveLength(2);
    for (const d of detail) expect(d).toMatch(/signature over META-INF\/CERT\d\.SF verifies/);
  });

  it('keeps two JAR signers apart, each with its own certificate', () => {
    const name = 'androguard__v1-only-two-signers.apk';
    const { facts } = signing(name);
    expect(facts.signers.map((s) => s.certificates[0]!.certSha256)).toEqual(readVerify(name, 24)!.signers.map((s) => s.sha256));
    expect(facts.signers.map((s) => s.source)).toEqual(['META-INF/CERT0.SF + META-INF/CERT0.RSA', 'META-INF/CERT1.SF + META-INF/CERT1.EC']);
  });

  it('reads only the signing block and META-INF without verify, the whole file with it', () => {
    const name = 'androguard__v1v2v3-with-rsa-2048-lineage-3-signers.apk';
    const bytes = readFileSync(path(name));
    let read = 0;
    const base = new BufferSource(bytes);
    const counting: ByteSource = { size: base.size, read: (o, l) => ((read += l), base.read(o, l)), close: () => {} };
    const zip = openZip(counting);
    read = 0;
    readSigning(zip, { anomalies: [] });
    const block = read;
    read = 0;
    readSigning(zip, { anomalies: [], verify: true });
    expect(block).toBeLessThan(bytes.length / 2);
    expect(read).toBeGreaterThanOrEqual(bytes.length);
  });
});
