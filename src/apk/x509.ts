// X.509 certificates of APK signers -> CertificateFacts. node:crypto (OpenSSL) supplies the public key and
// checks the self-signature; our DER reader supplies names, serial, validity and the signature algorithm,
// so that a certificate OpenSSL refuses (apksig's tests ship BER-encoded ones) still yields what can be read.
// Digests are always taken over the bytes exactly as shipped, as apksig does.
import { createHash, createPublicKey, X509Certificate, type KeyObject } from 'node:crypto';
import { isEduscanError, type Anomaly } from '../errors.js';
import type { CertificateFacts } from '../facts/schema.js';
import { DER_CLASS, DER_TAG, DerReader, type DerNode } from '../util/der.js';

// Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm AlgorithmIdentifier, signature BIT STRING }
// TBSCertificate ::= SEQUENCE { [0] EXPLICIT version OPTIONAL, serialNumber INTEGER, signature AlgorithmIdentifier,
//   issuer Name, validity SEQUENCE { notBefore, notAfter }, subject Name, subjectPublicKeyInfo SEQUENCE, ... }
// Name ::= SEQUENCE OF SET OF SEQUENCE { type OID, value ANY }
const TBS_VERSION_TAG = 0;

/** The debug keystore Android Studio creates: subject (and issuer) CN=Android Debug,O=Android,C=US. */
export const ANDROID_DEBUG_SUBJECT = 'CN=Android Debug,O=Android,C=US';
const DEBUG_RDNS = ANDROID_DEBUG_SUBJECT.split(',').sort().join(',');

/** Other build tools (apktool's, older SDKs) write the same three RDNs in the opposite order. */
export function isDebugSubject(subject: string): boolean {
  return subject.split(',').sort().join(',') === DEBUG_RDNS;
}

/** Short names for the attribute types of RFC 4514 (and a few common others). */
const NAME_ATTRIBUTES: Record<string, string> = {
  '2.5.4.3': 'CN',
  '2.5.4.4': 'SURNAME',
  '2.5.4.5': 'SERIALNUMBER',
  '2.5.4.6': 'C',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.9': 'STREET',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '2.5.4.12': 'T',
  '2.5.4.42': 'GIVENNAME',
  '2.5.4.46': 'DNQUALIFIER',
  '0.9.2342.19200300.100.1.1': 'UID',
  '0.9.2342.19200300.100.1.25': 'DC',
  '1.2.840.113549.1.9.1': 'EMAILADDRESS',
};

/** Signature / key algorithm object identifiers met in APK certificates and PKCS#7 signer infos. */
export const ALGORITHM_OIDS: Record<string, string> = {
  '1.2.840.113549.1.1.1': 'rsaEncryption',
  '1.2.840.113549.1.1.2': 'md2WithRSAEncryption',
  '1.2.840.113549.1.1.4': 'md5WithRSAEncryption',
  '1.2.840.113549.1.1.5': 'sha1WithRSAEncryption',
  '1.2.840.113549.1.1.10': 'rsassaPss',
  '1.2.840.113549.1.1.11': 'sha256WithRSAEncryption',
  '1.2.840.113549.1.1.12': 'sha384WithRSAEncryption',
  '1.2.840.113549.1.1.13': 'sha512WithRSAEncryption',
  '1.2.840.113549.1.1.14': 'sha224WithRSAEncryption',
  '1.2.840.10040.4.1': 'dsa',
  '1.2.840.10040.4.3': 'dsaWithSHA1',
  '2.16.840.1.101.3.4.3.1': 'dsaWithSHA224',
  '2.16.840.1.101.3.4.3.2': 'dsaWithSHA256',
  '1.2.840.10045.2.1': 'ecPublicKey',
  '1.2.840.10045.4.1': 'ecdsaWithSHA1',
  '1.2.840.10045.4.3.1': 'ecdsaWithSHA224',
  '1.2.840.10045.4.3.2': 'ecdsaWithSHA256',
  '1.2.840.10045.4.3.3': 'ecdsaWithSHA384',
  '1.2.840.10045.4.3.4': 'ecdsaWithSHA512',
  '1.3.101.112': 'ed25519',
  '1.3.101.113': 'ed448',
  '1.3.14.3.2.26': 'sha1',
  '1.2.840.113549.2.5': 'md5',
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
  '2.16.840.1.101.3.4.2.4': 'sha224',
};

export function algorithmName(oid: string): string {
  return ALGORITHM_OIDS[oid] ?? oid;
}

export interface ParsedCertificate {
  facts: CertificateFacts;
  /** The bytes as shipped. */
  raw: Buffer;
  /** DER of the issuer Name and the serial (hex), to match a PKCS#7 IssuerAndSerialNumber; absent when unreadable. */
  issuerRaw?: Buffer;
  issuerKey?: string;
  serialHex?: string;
  publicKey?: KeyObject;
  /** SubjectPublicKeyInfo DER, to compare with the public key a v2/v3 signer record carries. */
  spki?: Buffer;
}

interface TbsFields {
  serialHex: string;
  signatureAlgorithm: string;
  issuerRaw: Buffer;
  issuer: string;
  subjectRaw: Buffer;
  subject: string;
  notBefore: string;
  notAfter: string;
  spki: Buffer;
}

function readTbs(der: DerReader): TbsFields {
  const cert = der.expect(0, der.buf.length, DER_TAG.SEQUENCE, 'certificate');
  const [tbs, sigAlg] = der.children(cert);
  der.check(tbs, DER_TAG.SEQUENCE, 'tbsCertificate');
  const fields = der.children(tbs!);
  let i = 0;
  if (fields[0] && fields[0].cls === DER_CLASS.context && fields[0].tag === TBS_VERSION_TAG) i = 1;
  const serial = der.check(fields[i], DER_TAG.INTEGER, 'serialNumber');
  const issuer = der.check(fields[i + 2], DER_TAG.SEQUENCE, 'issuer');
  const validity = der.check(fields[i + 3], DER_TAG.SEQUENCE, 'validity');
  const subject = der.check(fields[i + 4], DER_TAG.SEQUENCE, 'subject');
  const spki = der.check(fields[i + 5], DER_TAG.SEQUENCE, 'subjectPublicKeyInfo');
  const [notBefore, notAfter] = der.children(validity);
  if (!notBefore || !notAfter) throw der.fail('validity: expected two times', validity.start);
  // The outer signatureAlgorithm is the one that counts (the inner copy must equal it).
  const alg = der.check(sigAlg, DER_TAG.SEQUENCE, 'signatureAlgorithm');
  const algOid = der.children(alg)[0];
  return {
    serialHex: der.integerHex(serial),
    signatureAlgorithm: algorithmName(der.oid(der.check(algOid, DER_TAG.OID, 'signatureAlgorithm.algorithm'))),
    issuerRaw: der.raw(issuer),
    issuer: formatName(der, issuer),
    subjectRaw: der.raw(subject),
    subject: formatName(der, subject),
    notBefore: der.time(notBefore),
    notAfter: der.time(notAfter),
    spki: der.raw(spki),
  };
}

/** A Name as a one-line RFC 4514 string: most specific RDN first, "," between RDNs, "+" inside one. */
export function formatName(der: DerReader, name: DerNode): string {
  const rdns: string[] = [];
  for (const rdn of der.children(name)) {
    der.check(rdn, DER_TAG.SET, 'relative distinguished name');
    const parts: string[] = [];
    for (const atv of der.children(rdn)) {
      der.check(atv, DER_TAG.SEQUENCE, 'attribute type and value');
      const [type, value] = der.children(atv);
      const oid = der.oid(der.check(type, DER_TAG.OID, 'attribute type'));
      if (!value) throw der.fail('attribute value missing', atv.start);
      const key = NAME_ATTRIBUTES[oid] ?? oid;
      const text = isStringTag(value) ? escapeValue(der.string(value)) : `#${der.raw(value).toString('hex')}`;
      parts.push(`${key}=${text}`);
    }
    rdns.push(parts.join('+'));
  }
  return rdns.reverse().join(',');
}

function isStringTag(n: DerNode): boolean {
  if (n.cls !== DER_CLASS.universal || n.constructed) return false;
  return [DER_TAG.UTF8_STRING, DER_TAG.PRINTABLE_STRING, DER_TAG.T61_STRING, DER_TAG.IA5_STRING, DER_TAG.NUMERIC_STRING,
    DER_TAG.VISIBLE_STRING, DER_TAG.BMP_STRING, DER_TAG.UNIVERSAL_STRING].includes(n.tag as never);
}

function escapeValue(s: string): string {
  let out = s.replace(/[\\"+,;<>]/g, (c) => `\\${c}`).replace(/\0/g, '\\00');
  if (out.startsWith('#') || out.startsWith(' ')) out = `\\${out}`;
  if (out.endsWith(' ') && out.length > 1) out = `${out.slice(0, -1)}\\ `;
  return out;
}

/** Case- and space-insensitive form of a name, for matching issuers written with different string types. */
export function nameKey(formatted: string): string {
  return formatted.toLowerCase().replace(/\s+/g, ' ');
}

// SubjectPublicKeyInfo ::= SEQUENCE { algorithm SEQUENCE { OID, parameters ANY OPTIONAL }, subjectPublicKey BIT STRING }
// RSA key: BIT STRING holding RSAPublicKey SEQUENCE { modulus INTEGER, publicExponent INTEGER }
// DSA parameters: SEQUENCE { p INTEGER, q INTEGER, g INTEGER }; EC parameters: namedCurve OID.
const KEY_TYPES: Record<string, string> = {
  '1.2.840.113549.1.1.1': 'rsa',
  '1.2.840.113549.1.1.10': 'rsa-pss',
  '1.2.840.10040.4.1': 'dsa',
  '1.2.840.10045.2.1': 'ec',
  '1.3.101.112': 'ed25519',
  '1.3.101.113': 'ed448',
};
const CURVE_BITS: Record<string, number> = {
  '1.2.840.10045.3.1.7': 256, // P-256
  '1.3.132.0.34': 384, // P-384
  '1.3.132.0.35': 521, // P-521
  '1.3.132.0.33': 224, // P-224
  '1.3.132.0.10': 256, // secp256k1
};
const BIT_STRING_UNUSED_BITS = 1;

function bitLength(integer: Buffer): number {
  let i = 0;
  while (i < integer.length && integer[i] === 0) i++;
  if (i === integer.length) return 0;
  return (integer.length - i - 1) * 8 + (32 - Math.clz32(integer[i]!));
}

/**
 * Key type and size read from the SubjectPublicKeyInfo DER. Not from KeyObject.asymmetricKeyDetails: on
 * Node 20 that aborts the process (a native assertion) for some malformed DSA keys OpenSSL still loads.
 */
export function keyFacts(spki: Buffer): { keyAlgorithm: string; keySize?: number } {
  const der = new DerReader(spki, 0, 'SubjectPublicKeyInfo');
  const top = der.expect(0, spki.length, DER_TAG.SEQUENCE, 'SubjectPublicKeyInfo');
  const [alg, key] = der.children(top);
  const [oidNode, params] = der.children(der.check(alg, DER_TAG.SEQUENCE, 'algorithm'));
  const oid = der.oid(der.check(oidNode, DER_TAG.OID, 'algorithm.algorithm'));
  const keyAlgorithm = KEY_TYPES[oid] ?? algorithmName(oid);
  let keySize: number | undefined;
  if (keyAlgorithm === 'rsa' || keyAlgorithm === 'rsa-pss') {
    const bits = der.content(der.check(key, DER_TAG.BIT_STRING, 'subjectPublicKey'));
    const inner = new DerReader(bits.subarray(BIT_STRING_UNUSED_BITS), 0, 'RSAPublicKey');
    const seq = inner.expect(0, bits.length - BIT_STRING_UNUSED_BITS, DER_TAG.SEQUENCE, 'RSAPublicKey');
    keySize = bitLength(inner.content(inner.check(inner.children(seq)[0], DER_TAG.INTEGER, 'modulus')));
  } else if (keyAlgorithm === 'dsa' && params && params.cls === DER_CLASS.universal && params.tag === DER_TAG.SEQUENCE) {
    keySize = bitLength(der.content(der.check(der.children(params)[0], DER_TAG.INTEGER, 'p')));
  } else if (keyAlgorithm === 'ec' && params && params.cls === DER_CLASS.universal && params.tag === DER_TAG.OID) {
    keySize = CURVE_BITS[der.oid(params)];
  } else if (keyAlgorithm === 'ed25519') {
    keySize = 256;
  } else if (keyAlgorithm === 'ed448') {
    keySize = 456;
  }
  return keySize === undefined ? { keyAlgorithm } : { keyAlgorithm, keySize };
}

function hex(algo: 'sha256' | 'sha1', data: Buffer): string {
  return createHash(algo).update(data).digest('hex');
}

/**
 * Facts about one certificate. Never throws: what cannot be read becomes an anomaly (code
 * SIGNING_CERT_UNPARSABLE) and empty fields, and the digests still cover the shipped bytes.
 */
export function parseCertificate(raw: Buffer, anomalies: Anomaly[], where: string, offset?: number): ParsedCertificate {
  // The same certificate usually sits in the v1, v2 and v3 blocks of one APK, and release keys repeat
  // across a registry; OpenSSL parsing and the self-signature check were a third of a corpus scan.
  const certSha256 = hex('sha256', raw);
  let hit = certificateCache.get(certSha256);
  if (hit) {
    certificateCache.delete(certSha256); // keep recently used entries last
  } else {
    const notes: string[] = [];
    hit = { parsed: parseUncached(raw, certSha256, notes), notes };
  }
  certificateCache.set(certSha256, hit);
  if (certificateCache.size > CERTIFICATE_CACHE_ENTRIES) certificateCache.delete(certificateCache.keys().next().value!);
  for (const detail of hit.notes) {
    anomalies.push({ code: 'SIGNING_CERT_UNPARSABLE', detail: `${where}: ${detail}`, ...(offset === undefined ? {} : { offset }) });
  }
  return { ...hit.parsed, raw, facts: { ...hit.parsed.facts } };
}

/** Parsed certificates by SHA-256 of their bytes (a certificate's facts depend on nothing else). */
const CERTIFICATE_CACHE_ENTRIES = 256;
const certificateCache = new Map<string, { parsed: ParsedCertificate; notes: string[] }>();

function parseUncached(raw: Buffer, certSha256: string, notes: string[]): ParsedCertificate {
  const out: ParsedCertificate = {
    raw,
    facts: {
      certSha256,
      certSha1: hex('sha1', raw),
      subject: '',
      issuer: '',
      serialNumber: '',
      notBefore: '',
      notAfter: '',
      keyAlgorithm: 'unknown',
      selfSigned: false,
      debug: false,
    },
  };
  const note = (detail: string): void => {
    notes.push(detail);
  };
  let tbs: TbsFields | undefined;
  try {
    tbs = readTbs(new DerReader(raw, 0, 'certificate')); // offsets relative to the certificate: cached across files
  } catch (e) {
    if (!isEduscanError(e)) throw e;
    note(e.message);
  }
  if (tbs) {
    Object.assign(out.facts, {
      subject: tbs.subject,
      issuer: tbs.issuer,
      serialNumber: tbs.serialHex,
      notBefore: tbs.notBefore,
      notAfter: tbs.notAfter,
      signatureAlgorithm: tbs.signatureAlgorithm,
      debug: isDebugSubject(tbs.subject),
    });
    out.issuerRaw = tbs.issuerRaw;
    out.issuerKey = nameKey(tbs.issuer);
    out.serialHex = tbs.serialHex;
    out.spki = tbs.spki;
  }
  let x509: X509Certificate | undefined;
  try {
    x509 = new X509Certificate(raw);
  } catch (e) {
    if (tbs) note(`OpenSSL cannot parse the certificate (${(e as Error).message.split('\n')[0]}); fields were read from the DER`);
  }
  try {
    out.publicKey = x509 ? x509.publicKey : tbs ? createPublicKey({ key: tbs.spki, format: 'der', type: 'spki' }) : undefined;
  } catch {
    // An unsupported or damaged key: keyAlgorithm stays "unknown".
  }
  if (tbs) {
    try {
      Object.assign(out.facts, keyFacts(tbs.spki));
    } catch (e) {
      if (!isEduscanError(e)) throw e;
      note(`public key: ${e.message}`);
    }
  }
  if (tbs) {
    const selfIssued = tbs.issuerRaw.equals(tbs.subjectRaw) || nameKey(tbs.issuer) === nameKey(tbs.subject);
    let signed = false;
    if (selfIssued && x509 && out.publicKey) {
      try {
        signed = x509.verify(out.publicKey);
      } catch {
        signed = false;
      }
    }
    out.facts.selfSigned = selfIssued && signed;
  }
  return out;
}
