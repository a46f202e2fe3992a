// JAR signing (APK signature scheme v1): META-INF/<NAME>.SF + META-INF/<NAME>.RSA|.DSA|.EC. We read who
// signed and with which algorithms, not whether every digest matches. The signer's certificate is the one
// the PKCS#7 signer info names (issuer + serial): a block may ship extra certificates, and META-INF may hold
// stray blocks with no .SF, and neither says anything about who signed (fdroidserver issue 1128).
import { createHash, verify as cryptoVerify } from 'node:crypto';
import { constants as zlibConstants, inflateRawSync } from 'node:zlib';
import { isEduscanError, type Anomaly } from '../errors.js';
import type { SignerFacts } from '../facts/schema.js';
import type { Limits } from '../limits.js';
import { entryDataOffset, METHOD_STORED, readEntry, type ZipArchive, type ZipEntry } from '../zip/zip.js';
import { parsePkcs7SignedData, type Pkcs7SignerInfo } from './pkcs7.js';
import { nameKey, parseCertificate, type ParsedCertificate } from './x509.js';

const META_INF = 'META-INF/';
const MANIFEST_NAME = 'META-INF/MANIFEST.MF';
/** Signature block extensions; case-sensitive, as in Android's StrictJarVerifier and apksig. */
const BLOCK_EXTENSIONS = ['.RSA', '.DSA', '.EC'] as const;
const SF_EXTENSION = '.SF';
/** PKCS#7 blocks hold a few certificates: a few KiB. */
export const MAX_SIGNATURE_BLOCK_BYTES = 1024 * 1024;
/** Digest names sit in the first sections of MANIFEST.MF and .SF; only this much compressed data is inflated. */
const HEAD_COMPRESSED_BYTES = 8 * 1024;
const HEAD_TEXT_BYTES = 64 * 1024;
/** Android caps JAR signers at 10 (apksig MAX_APK_SIGNERS); more is a crafted file. */
export const MAX_V1_SIGNERS = 32;

export interface V1Result {
  signers: SignerFacts[];
  /** Scheme ids listed in X-Android-APK-Signed by any .SF (2, 3): stripping protection. */
  claimedSchemes: Set<number>;
}

/** JAR digest names as written in manifests and in PKCS#7 (SHA1, SHA-256, sha256...) -> SHA-1, SHA-256... */
export function normalizeDigestName(name: string): string {
  const m = /^(sha|md)-?(\d+)$/i.exec(name.trim());
  if (!m) return name.toUpperCase();
  return m[1]!.toLowerCase() === 'md' ? `MD${m[2]}` : `SHA-${m[2]}`;
}

/** The first bytes of an entry's text, inflating only a little: enough for the digest attribute names. */
function readHead(zip: ZipArchive, entry: ZipEntry): string {
  const at = entryDataOffset(zip, entry);
  const available = Math.max(0, Math.min(entry.compressedSize, zip.source.size - at));
  if (entry.method === METHOD_STORED) return zip.source.read(at, Math.min(available, HEAD_TEXT_BYTES)).toString('latin1');
  const raw = zip.source.read(at, Math.min(available, HEAD_COMPRESSED_BYTES));
  // A sync flush makes zlib return what a truncated stream inflates to, instead of failing on its end.
  // Deflate expands at most ~1032:1, so 8 KiB can never pass the output cap.
  const text = inflateRawSync(raw, { finishFlush: zlibConstants.Z_SYNC_FLUSH, maxOutputLength: HEAD_COMPRESSED_BYTES * 1100 });
  return text.subarray(0, HEAD_TEXT_BYTES).toString('latin1');
}

function isZlibError(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' && code.startsWith('Z_');
}

function digestNames(text: string, pattern: RegExp): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(pattern)) out.push(normalizeDigestName(m[1]!));
  return out;
}

const MANIFEST_DIGEST = /^([A-Za-z0-9]+(?:-[0-9]+)?)-Digest:/gm;
const SF_MANIFEST_DIGEST = /^([A-Za-z0-9]+(?:-[0-9]+)?)-Digest-Manifest(?:-Main-Attributes)?:/gm;
const SF_APK_SIGNED = /^X-Android-APK-Signed:[ \t]*([^\r\n]*)/m;

/** Java-style name of a PKCS#7 signer's algorithm: SHA256withRSA, SHA1withDSA, SHA256withECDSA. */
function signerAlgorithm(info: Pkcs7SignerInfo): string {
  const digest = normalizeDigestName(info.digestAlgorithm).replace('-', '');
  const sig = info.signatureAlgorithm;
  const m = /^(md\d|sha\d+)With(RSA)Encryption$/i.exec(sig) ?? /^(?:(ecdsa|dsa)With(SHA\d+))$/i.exec(sig);
  if (m) {
    if (/^(md|sha)/i.test(m[1]!)) return `${m[1]!.toUpperCase()}withRSA`;
    return `${m[2]!.toUpperCase()}with${m[1]!.toUpperCase()}`;
  }
  if (sig === 'rsaEncryption') return `${digest}withRSA`;
  if (sig === 'dsa') return `${digest}withDSA`;
  if (sig === 'ecPublicKey') return `${digest}withECDSA`;
  return `${digest}with${sig}`;
}

function matches(cert: ParsedCertificate, info: Pkcs7SignerInfo): boolean {
  if (info.serialHex === undefined || cert.serialHex !== info.serialHex) return false;
  if (info.issuerRaw && cert.issuerRaw && info.issuerRaw.equals(cert.issuerRaw)) return true;
  // Same name written with other string types: Android compares X500Principals, not bytes.
  return info.issuerKey !== undefined && info.issuerKey === cert.issuerKey;
}

/** The signer's certificate, then the certificates that chain up from it; the rest are ignored. */
function chainFrom(signer: ParsedCertificate, all: ParsedCertificate[]): ParsedCertificate[] {
  const chain = [signer];
  let current = signer;
  while (chain.length < all.length) {
    if (current.facts.selfSigned || current.facts.issuer === current.facts.subject) break;
    const issuerKey = nameKey(current.facts.issuer);
    const next = all.find((c) => !chain.includes(c) && nameKey(c.facts.subject) === issuerKey);
    if (!next) break;
    chain.push(next);
    current = next;
  }
  return chain;
}

/** node:crypto hash names for the JAR digest names. */
const NODE_HASH: Record<string, string> = { 'SHA-1': 'sha1', 'SHA-224': 'sha224', 'SHA-256': 'sha256', 'SHA-384': 'sha384', 'SHA-512': 'sha512', MD5: 'md5' };
const SET_TAG = 0x31;

/**
 * Whether the PKCS#7 signature covers the .SF: directly, or through signed attributes whose messageDigest
 * is the .SF's digest (the signature then covers the attributes re-tagged as a SET). Entry digests in
 * MANIFEST.MF are not checked: that would read every entry.
 */
function verifySfSignature(info: Pkcs7SignerInfo, cert: ParsedCertificate, sf: Buffer): string | undefined {
  const hash = NODE_HASH[normalizeDigestName(info.digestAlgorithm)];
  if (!hash) return `digest algorithm ${info.digestAlgorithm} is not supported`;
  if (!cert.publicKey) return "the signer's public key cannot be read";
  let data = sf;
  if (info.signedAttributes) {
    if (!info.messageDigest) return 'the signed attributes have no messageDigest';
    if (!createHash(hash).update(sf).digest().equals(info.messageDigest)) return 'the messageDigest attribute is not the digest of the .SF';
    data = Buffer.from(info.signedAttributes);
    data[0] = SET_TAG;
  }
  try {
    return cryptoVerify(hash, data, cert.publicKey, info.signature) ? undefined : 'the signature does not verify';
  } catch (e) {
    return `the signature cannot be checked (${(e as Error).message.split('\n')[0]})`;
  }
}

/**
 * Reads the JAR signers. Never throws for a damaged signature: each problem becomes an anomaly. With
 * `verifyDetail`, each signer's PKCS#7 signature over its .SF is also checked, one line per signer.
 */
export function readV1(zip: ZipArchive, anomalies: Anomaly[], limits: Limits, verifyDetail?: string[]): V1Result {
  const result: V1Result = { signers: [], claimedSchemes: new Set() };
  const note = (code: string, detail: string, entry?: string): void => {
    anomalies.push({ code, detail, ...(entry === undefined ? {} : { entry }) });
  };
  const blocks: ZipEntry[] = [];
  const sfNames = new Set<string>();
  for (const e of zip.entries) {
    if (!e.name.startsWith(META_INF)) continue;
    const isBlock = BLOCK_EXTENSIONS.some((x) => e.name.endsWith(x));
    const isSf = e.name.endsWith(SF_EXTENSION);
    if (!isBlock && !isSf) continue;
    // Android reads signature files only directly inside META-INF/; a "META-INF/../x.RSA" is a trap.
    if (e.name.indexOf('/', META_INF.length) !== -1 || e.name.includes('\0')) {
      note('SIGNING_V1_NAME_IGNORED', 'a signature-like entry outside the top level of META-INF/ is not a JAR signature', e.name);
      continue;
    }
    if (zip.get(e.name) !== e) continue; // duplicates: the zip reader already noted them; the first one counts
    if (isBlock) blocks.push(e);
    else sfNames.add(e.name);
  }
  if (blocks.length === 0 && sfNames.size === 0) return result;
  const manifest = zip.get(MANIFEST_NAME);
  if (!manifest) {
    note('SIGNING_V1_NO_MANIFEST', 'JAR signature files without META-INF/MANIFEST.MF: Android treats the APK as having no v1 signature');
    return result;
  }
  let manifestDigests: string[] = [];
  try {
    manifestDigests = digestNames(readHead(zip, manifest), MANIFEST_DIGEST);
  } catch (e) {
    if (!isEduscanError(e) && !isZlibError(e)) throw e;
    note('SIGNING_V1_UNREADABLE', `cannot read MANIFEST.MF: ${(e as Error).message}`, MANIFEST_NAME);
  }
  const usedSf = new Set<string>();
  for (const block of blocks) {
    if (result.signers.length >= MAX_V1_SIGNERS) {
      note('SIGNING_V1_TOO_MANY_SIGNERS', `more than ${MAX_V1_SIGNERS} JAR signers; the rest were not read`);
      break;
    }
    const base = block.name.slice(0, block.name.lastIndexOf('.'));
    const sfName = base + SF_EXTENSION;
    const sf = sfNames.has(sfName) ? zip.get(sfName) : undefined;
    if (!sf) {
      note('SIGNING_V1_SF_MISSING', `signature block without its signature file ${sfName}: not a signature, ignored (its certificates say nothing about the signer)`, block.name);
      continue;
    }
    usedSf.add(sfName);
    let sfText = '';
    let blockBytes: Buffer;
    try {
      sfText = readHead(zip, sf);
      blockBytes = readEntry(zip, block, Math.min(MAX_SIGNATURE_BLOCK_BYTES, limits.maxEntryInflatedBytes));
    } catch (e) {
      if (!isEduscanError(e) && !isZlibError(e)) throw e;
      note('SIGNING_V1_UNREADABLE', `cannot read the JAR signature: ${(e as Error).message}`, block.name);
      continue;
    }
    let pkcs7;
    try {
      pkcs7 = parsePkcs7SignedData(blockBytes, block.name, limits.maxNestingDepth);
    } catch (e) {
      if (!isEduscanError(e)) throw e;
      note('SIGNING_V1_PKCS7_MALFORMED', e.message, block.name);
      continue;
    }
    if (pkcs7.ber) note('SIGNING_V1_BER', 'the PKCS#7 block uses BER indefinite lengths (old signer); Android accepts it', block.name);
    const certs = pkcs7.certificates.map((c, i) => parseCertificate(c.raw, anomalies, `${block.name} certificate #${i + 1}`));
    if (pkcs7.signerInfos.length === 0) {
      note('SIGNING_V1_NO_SIGNER_INFO', 'the PKCS#7 block has no signer info: it signs nothing', block.name);
      continue;
    }
    if (pkcs7.signerInfos.length > 1) {
      note('SIGNING_V1_MULTIPLE_SIGNER_INFOS', `the PKCS#7 block has ${pkcs7.signerInfos.length} signer infos; the first one whose certificate is present is used`, block.name);
    }
    let info: Pkcs7SignerInfo | undefined;
    let signerCert: ParsedCertificate | undefined;
    for (const candidate of pkcs7.signerInfos) {
      signerCert = certs.find((c) => matches(c, candidate));
      if (signerCert) {
        info = candidate;
        break;
      }
    }
    if (!info || !signerCert) {
      const first = pkcs7.signerInfos[0]!;
      const who = first.serialHex !== undefined ? `issuer "${first.issuer}" serial ${first.serialHex}` : 'a subject key identifier';
      note('SIGNING_V1_SIGNER_CERT_MISSING', `the signer info names ${who}, but no certificate in the block matches`, block.name);
      continue;
    }
    const chain = chainFrom(signerCert, certs);
    if (chain.length < certs.length) {
      note('SIGNING_V1_EXTRA_CERTIFICATES', `${certs.length - chain.length} certificate(s) in the block are neither the signer's nor its chain; ignored`, block.name);
    }
    if (verifyDetail) {
      let problem: string | undefined;
      try {
        problem = verifySfSignature(info, signerCert, readEntry(zip, sf, limits.maxEntryInflatedBytes));
      } catch (e) {
        if (!isEduscanError(e)) throw e;
        problem = `the .SF cannot be read (${e.message})`;
      }
      verifyDetail.push(`v1 ${block.name}: ${problem ? `DOES NOT VERIFY: ${problem}` : `signature over ${sfName} verifies`} (entry digests not checked)`);
    }
    const digests = new Set<string>([...manifestDigests, ...digestNames(sfText, SF_MANIFEST_DIGEST), normalizeDigestName(info.digestAlgorithm)]);
    const apkSigned = SF_APK_SIGNED.exec(sfText);
    if (apkSigned) {
      for (const id of apkSigned[1]!.split(',')) {
        const n = Number(id.trim());
        if (Number.isInteger(n) && n > 0) result.claimedSchemes.add(n);
      }
    }
    result.signers.push({
      scheme: 'v1',
      certificates: chain.map((c) => c.facts),
      digestAlgorithms: [...digests],
      signatureAlgorithms: [signerAlgorithm(info)],
      source: `${sfName} + ${block.name}`,
    });
  }
  for (const sfName of sfNames) {
    if (!usedSf.has(sfName)) note('SIGNING_V1_BLOCK_MISSING', 'signature file without a .RSA/.DSA/.EC block of the same name: ignored', sfName);
  }
  return result;
}
