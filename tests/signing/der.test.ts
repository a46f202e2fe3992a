// The DER reader, PKCS#7 and X.509 parsers against OpenSSL (node:crypto X509Certificate) and the stored
// `openssl pkcs7 -print_certs` lists, on the certificates of the fixture APKs (and of the corpus, when set).
import { createHash, X509Certificate } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parsePkcs7SignedData } from '../../src/apk/pkcs7.js';
import { parseCertificate } from '../../src/apk/x509.js';
import { EduscanError, type Anomaly } from '../../src/errors.js';
import { FileSource } from '../../src/io/source.js';
import { DerReader } from '../../src/util/der.js';
import { openZip, readEntry } from '../../src/zip/zip.js';
import { CORPUS } from '../helpers/corpus.js';
import { readOpenssl } from './oracle.js';
import { loadSeeds } from './seeds.js';

const seeds = loadSeeds();

function corpusCertificates(): Buffer[] {
  if (!CORPUS) return [];
  const out: Buffer[] = [];
  const dir = join(CORPUS, 'apk');
  for (const f of readdirSync(dir)) {
    const source = new FileSource(join(dir, f));
    try {
      const zip = openZip(source);
      for (const e of zip.entries) {
        if (!/^META-INF\/[^/]+\.(RSA|DSA|EC)$/.test(e.name)) continue;
        try {
          out.push(...parsePkcs7SignedData(readEntry(zip, e), e.name).certificates.map((c) => Buffer.from(c.raw)));
        } catch {
          // Damaged blocks are the fuzz and corpus suites' business.
        }
      }
    } catch {
      // Not a zip: nothing to take.
    } finally {
      source.close();
    }
  }
  return out;
}

/** OpenSSL's one-RDN-per-line name (escaped as RFC 2253 does) in RFC 4514 order. */
function opensslName(multiline: string): string {
  return multiline.split('\n').reverse().map((l) => l.replace(/^emailAddress=/, 'EMAILADDRESS=')).join(',');
}

function hexNoColons(fp: string): string {
  return fp.replace(/:/g, '').toLowerCase();
}

describe('X.509 certificate facts agree with OpenSSL', () => {
  const certs = [...seeds.certificates, ...corpusCertificates()];

  it('has certificates to compare', () => {
    expect(seeds.certificates.length).toBeGreaterThanOrEqual(10);
    if (CORPUS) expect(certs.length).toBeGreaterThan(100);
  });

  it('reads subject, issuer, serial, validity, digests, key and self-signature as OpenSSL does', () => {
    let compared = 0;
    for (const raw of certs) {
      const x = new X509Certificate(raw);
      const anomalies: Anomaly[] = [];
      const { facts } = parseCertificate(raw, anomalies, 'test');
      expect(anomalies).toEqual([]);
      const label = x.subject;
      expect(facts.subject, label).toBe(opensslName(x.subject));
      expect(facts.issuer, label).toBe(opensslName(x.issuer));
      expect(facts.serialNumber, label).toBe(x.serialNumber.toLowerCase().replace(/^(00)+(?=.)/, ''));
      expect(facts.notBefore, label).toBe(new Date(x.validFrom).toISOString().replace('.000Z', 'Z'));
      expect(facts.notAfter, label).toBe(new Date(x.validTo).toISOString().replace('.000Z', 'Z'));
      if (x.raw.equals(raw)) {
        expect(facts.certSha256, label).toBe(hexNoColons(x.fingerprint256));
        expect(facts.certSha1, label).toBe(hexNoColons(x.fingerprint));
      } else {
        // A BER certificate: OpenSSL hashes its DER re-encoding, apksigner and we the shipped bytes.
        expect(facts.certSha256).toBe(createHash('sha256').update(raw).digest('hex'));
      }
      expect(facts.keyAlgorithm, label).toBe(x.publicKey.asymmetricKeyType);
      expect(facts.selfSigned, label).toBe(x.checkIssued(x) && x.verify(x.publicKey));
      compared++;
    }
    expect(compared).toBe(certs.length);
  });
});

describe('PKCS#7 SignedData', () => {
  it('lists the certificates openssl pkcs7 -print_certs lists, in order', () => {
    let blocks = 0;
    for (const { name, bytes } of seeds.pkcs7) {
      const [apk, entry] = name.split('!') as [string, string];
      const expected = readOpenssl(apk)?.get(entry);
      expect(expected, name).toBeDefined();
      const ours = parsePkcs7SignedData(bytes, entry).certificates.map((c) => createHash('sha256').update(c.raw).digest('hex'));
      // The BER certificate is the one openssl re-encodes (see the X.509 suite).
      const der = ours.filter((h, i) => h === expected![i]);
      expect(der.length, name).toBeGreaterThanOrEqual(ours.length - (apk.includes('cert-not-der') ? 1 : 0));
      expect(ours.length).toBe(expected!.length);
      blocks++;
    }
    expect(blocks).toBeGreaterThanOrEqual(5);
  });

  it('reads BER indefinite lengths (old JAR signers) to the same result, and says so', () => {
    for (const { name, bytes } of seeds.pkcs7) {
      const der = parsePkcs7SignedData(bytes, name);
      const ber = toIndefinite(bytes, 3);
      expect(ber.equals(bytes)).toBe(false);
      const parsed = parsePkcs7SignedData(ber, name);
      expect(der.ber).toBe(false);
      expect(parsed.ber).toBe(true);
      expect(parsed.certificates.map((c) => c.raw.toString('hex'))).toEqual(der.certificates.map((c) => c.raw.toString('hex')));
      expect(parsed.signerInfos).toEqual(der.signerInfos);
    }
  });

  it('turns every truncation into a one-line E_BAD_DER / E_BAD_SIGNATURE with an offset', () => {
    const { bytes } = seeds.pkcs7[0]!;
    for (let n = 0; n < bytes.length; n++) {
      let err: unknown;
      try {
        parsePkcs7SignedData(bytes.subarray(0, n), 'cut');
      } catch (e) {
        err = e;
      }
      expect(err, `cut at ${n}`).toBeInstanceOf(EduscanError);
      const e = err as EduscanError;
      expect(['E_BAD_DER', 'E_BAD_SIGNATURE']).toContain(e.code);
      expect(e.message).not.toContain('\n');
      expect(e.message).toMatch(/offset \d+/);
    }
  });
});

describe('DER reader limits', () => {
  it('stops hostile nesting at the depth limit instead of recursing', () => {
    const deep = Buffer.alloc(200_000);
    for (let i = 0; i < deep.length; i += 2) deep.set([0x30, 0x80], i);
    const r = new DerReader(deep, 0, 'deep', 64);
    expect(() => r.node(0)).toThrow(/nesting deeper than 64/);
  });

  it('rejects a length larger than its parent, naming both numbers', () => {
    const r = new DerReader(Buffer.from([0x30, 0x84, 0x7f, 0xff, 0xff, 0xff, 0x02, 0x01, 0x00]), 1000, 'claim');
    expect(() => r.node(0)).toThrow('claim: element claims 2147483647 bytes, only 3 remain in its parent at offset 1000');
  });

  it('rejects lengths of more than four octets and indefinite primitive elements', () => {
    expect(() => new DerReader(Buffer.from([0x04, 0x85, 0, 0, 0, 0, 1, 0])).node(0)).toThrow(/at most 4/);
    expect(() => new DerReader(Buffer.from([0x04, 0x80, 0, 0])).node(0)).toThrow(/indefinite length on a primitive/);
  });
});

/** Re-encodes the constructed elements of the first `levels` levels with BER indefinite lengths. */
function toIndefinite(buf: Buffer, levels: number): Buffer {
  const r = new DerReader(buf);
  const encode = (at: number, end: number, level: number): Buffer => {
    const n = r.node(at, end);
    if (!n.constructed || level >= levels) return Buffer.from(buf.subarray(n.start, n.end));
    const header = buf.subarray(n.start, n.start + 1); // single-octet tags only, enough here
    const parts = r.children(n).map((c) => encode(c.start, c.end, level + 1));
    return Buffer.concat([header, Buffer.from([0x80]), ...parts, Buffer.from([0, 0])]);
  };
  return encode(0, buf.length, 0);
}
