// PKCS#7 / CMS SignedData, as found in the JAR signature block files (META-INF/*.RSA|.DSA|.EC). Only the
// structure is read: the certificates as shipped and, per signer info, who signed (issuer + serial) and
// with what. Old signers wrote BER with indefinite lengths; those parse, and `ber` says so.
import { EduscanError } from '../errors.js';
import { DER_CLASS, DER_TAG, DerReader, DEFAULT_MAX_DER_DEPTH, type DerNode } from '../util/der.js';
import { algorithmName, formatName, nameKey } from './x509.js';

// ContentInfo ::= SEQUENCE { contentType OID (1.2.840.113549.1.7.2 = signedData), content [0] EXPLICIT SignedData }
// SignedData ::= SEQUENCE { version INTEGER, digestAlgorithms SET OF AlgorithmIdentifier,
//   encapContentInfo SEQUENCE, certificates [0] IMPLICIT SET OF Certificate OPTIONAL,
//   crls [1] IMPLICIT OPTIONAL, signerInfos SET OF SignerInfo }
// SignerInfo ::= SEQUENCE { version INTEGER, sid (IssuerAndSerialNumber SEQUENCE | [0] SubjectKeyIdentifier),
//   digestAlgorithm AlgorithmIdentifier, signedAttrs [0] IMPLICIT OPTIONAL, signatureAlgorithm AlgorithmIdentifier,
//   signature OCTET STRING, unsignedAttrs [1] IMPLICIT OPTIONAL }
// IssuerAndSerialNumber ::= SEQUENCE { issuer Name, serialNumber INTEGER }
export const OID_PKCS7_SIGNED_DATA = '1.2.840.113549.1.7.2';
const CONTENT_TAG = 0;
const CERTIFICATES_TAG = 0;
const CRLS_TAG = 1;
const SUBJECT_KEY_ID_TAG = 0;
const SIGNED_ATTRS_TAG = 0;
// Attribute ::= SEQUENCE { attrType OID, attrValues SET OF ANY }; messageDigest's value is an OCTET STRING.
const OID_MESSAGE_DIGEST = '1.2.840.113549.1.9.4';

export interface Pkcs7SignerInfo {
  /** IssuerAndSerialNumber, when the signer is named that way (always, in APKs). */
  issuerRaw?: Buffer;
  issuer?: string;
  issuerKey?: string;
  serialHex?: string;
  /** CMS v3 signer infos may name the signer by subject key identifier instead. */
  subjectKeyId?: Buffer;
  /** Names such as sha256 / sha256WithRSAEncryption / rsaEncryption, or the dotted OID. */
  digestAlgorithm: string;
  signatureAlgorithm: string;
  hasSignedAttributes: boolean;
  /** The [0] IMPLICIT signed attributes as shipped: the signature covers them re-tagged as a SET (0x31). */
  signedAttributes?: Buffer;
  /** The messageDigest signed attribute: the digest of the signed content (the .SF file). */
  messageDigest?: Buffer;
  signature: Buffer;
}

export interface Pkcs7Certificate {
  raw: Buffer;
  /** Offset of the certificate in the block. */
  offset: number;
}

export interface Pkcs7SignedData {
  digestAlgorithms: string[];
  certificates: Pkcs7Certificate[];
  signerInfos: Pkcs7SignerInfo[];
  /** Indefinite lengths were met (BER, which Android's parser accepts, but not DER). */
  ber: boolean;
}

/** Parses a SignedData ContentInfo; throws E_BAD_DER (structure) or E_BAD_SIGNATURE (not SignedData). */
export function parsePkcs7SignedData(buf: Buffer, what: string, maxDepth: number = DEFAULT_MAX_DER_DEPTH): Pkcs7SignedData {
  const der = new DerReader(buf, 0, what, maxDepth);
  const contentInfo = der.expect(0, buf.length, DER_TAG.SEQUENCE, 'ContentInfo');
  const [type, explicit] = der.children(contentInfo);
  const oid = der.oid(der.check(type, DER_TAG.OID, 'ContentInfo.contentType'));
  if (oid !== OID_PKCS7_SIGNED_DATA) {
    throw new EduscanError('E_BAD_SIGNATURE', `${what}: expected PKCS#7 signedData (${OID_PKCS7_SIGNED_DATA}), found content type ${oid}`, { offset: type!.start });
  }
  der.check(explicit, CONTENT_TAG, 'ContentInfo.content', DER_CLASS.context);
  const signedData = der.check(der.children(explicit!)[0], DER_TAG.SEQUENCE, 'SignedData');
  const fields = der.children(signedData);
  der.check(fields[0], DER_TAG.INTEGER, 'SignedData.version');
  const digestSet = der.check(fields[1], DER_TAG.SET, 'SignedData.digestAlgorithms');
  der.check(fields[2], DER_TAG.SEQUENCE, 'SignedData.encapContentInfo');
  let i = 3;
  const certificates: Pkcs7Certificate[] = [];
  const certs = fields[i];
  if (certs && certs.cls === DER_CLASS.context && certs.tag === CERTIFICATES_TAG) {
    for (const c of der.children(certs)) {
      // Other CertificateChoices (attribute certificates...) are not X.509 certificates.
      if (c.cls === DER_CLASS.universal && c.tag === DER_TAG.SEQUENCE) certificates.push({ raw: der.raw(c), offset: c.start });
    }
    i++;
  }
  const crls = fields[i];
  if (crls && crls.cls === DER_CLASS.context && crls.tag === CRLS_TAG) i++;
  const signerSet = der.check(fields[i], DER_TAG.SET, 'SignedData.signerInfos');
  return {
    digestAlgorithms: der.children(digestSet).map((a) => algorithmOf(der, a, 'SignedData.digestAlgorithms')),
    certificates,
    signerInfos: der.children(signerSet).map((s) => readSignerInfo(der, s)),
    ber: der.sawIndefinite,
  };
}

function algorithmOf(der: DerReader, n: DerNode | undefined, what: string): string {
  const seq = der.check(n, DER_TAG.SEQUENCE, what);
  return algorithmName(der.oid(der.check(der.children(seq)[0], DER_TAG.OID, `${what}.algorithm`)));
}

function readSignerInfo(der: DerReader, node: DerNode): Pkcs7SignerInfo {
  der.check(node, DER_TAG.SEQUENCE, 'SignerInfo');
  const f = der.children(node);
  der.check(f[0], DER_TAG.INTEGER, 'SignerInfo.version');
  const sid = f[1];
  const out: Partial<Pkcs7SignerInfo> = {};
  if (sid && sid.cls === DER_CLASS.context && sid.tag === SUBJECT_KEY_ID_TAG) {
    out.subjectKeyId = Buffer.from(der.content(sid));
  } else {
    der.check(sid, DER_TAG.SEQUENCE, 'SignerInfo.issuerAndSerialNumber');
    const [issuer, serial] = der.children(sid!);
    der.check(issuer, DER_TAG.SEQUENCE, 'IssuerAndSerialNumber.issuer');
    out.issuerRaw = Buffer.from(der.raw(issuer!));
    out.issuer = formatName(der, issuer!);
    out.issuerKey = nameKey(out.issuer);
    out.serialHex = der.integerHex(der.check(serial, DER_TAG.INTEGER, 'IssuerAndSerialNumber.serialNumber'));
  }
  const digestAlgorithm = algorithmOf(der, f[2], 'SignerInfo.digestAlgorithm');
  let j = 3;
  let hasSignedAttributes = false;
  const attrs = f[j];
  if (attrs && attrs.cls === DER_CLASS.context && attrs.tag === SIGNED_ATTRS_TAG) {
    hasSignedAttributes = true;
    out.signedAttributes = Buffer.from(der.raw(attrs));
    for (const a of der.children(attrs)) {
      der.check(a, DER_TAG.SEQUENCE, 'signed attribute');
      const [type, values] = der.children(a);
      if (der.oid(der.check(type, DER_TAG.OID, 'signed attribute type')) !== OID_MESSAGE_DIGEST) continue;
      const value = der.children(der.check(values, DER_TAG.SET, 'messageDigest values'))[0];
      out.messageDigest = Buffer.from(der.content(der.check(value, DER_TAG.OCTET_STRING, 'messageDigest')));
    }
    j++;
  }
  const signatureAlgorithm = algorithmOf(der, f[j], 'SignerInfo.signatureAlgorithm');
  const signature = der.check(f[j + 1], DER_TAG.OCTET_STRING, 'SignerInfo.signature');
  return { ...out, digestAlgorithm, signatureAlgorithm, hasSignedAttributes, signature: Buffer.from(octets(der, signature)) };
}

/** An OCTET STRING's bytes; BER allows a constructed one made of primitive pieces. */
function octets(der: DerReader, n: DerNode): Buffer {
  if (!n.constructed) return der.content(n);
  return Buffer.concat(der.children(n).map((c) => octets(der, der.check(c, DER_TAG.OCTET_STRING, 'OCTET STRING segment'))));
}
