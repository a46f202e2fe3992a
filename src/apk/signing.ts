// Signing facts of an APK: JAR (v1) signers, the v2 / v3 / v3.1 signers of the APK Signing Block, the
// v3 rotation lineage, source stamp and other blocks; with `verify`, the v2/v3 content digests and
// signatures are checked too. Without `verify` only the signing block and META-INF signature files are
// read, never the whole file.
import { constants as cryptoConstants, createPublicKey, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import { isEduscanError, type Anomaly } from '../errors.js';
import type { SignerFacts, SigningFacts } from '../facts/schema.js';
import type { Limits } from '../limits.js';
import type { ZipArchive } from '../zip/zip.js';
import {
  ATTR_PROOF_OF_ROTATION,
  ATTR_ROTATION_MIN_SDK,
  ATTR_STRIPPING_PROTECTION,
  BLOCK_ID,
  computeContentDigests,
  findSigningBlock,
  hexId,
  KNOWN_OTHER_BLOCKS,
  parseLineage,
  parseSchemeBlock,
  readPairValue,
  SIGNATURE_ALGORITHMS,
  signatureAlgorithmName,
  type SchemeName,
  type SchemeSigner,
  type SigningBlock,
} from './signing-block.js';
import { readV1 } from './v1.js';
import { parseCertificate, type ParsedCertificate } from './x509.js';

export interface SigningOptions {
  verify?: boolean;
  anomalies: Anomaly[];
  limits?: Limits;
}

const SCHEME_BY_BLOCK_ID: Record<number, SchemeName> = {
  [BLOCK_ID.V2]: 'v2',
  [BLOCK_ID.V3]: 'v3',
  [BLOCK_ID.V31]: 'v3.1',
};
/** Signers are listed in the order the newest Android prefers them: signers[0] is the one it checks. */
const SIGNER_ORDER: SchemeName[] = ['v3.1', 'v3', 'v2'];
const SCHEME_ORDER = ['v1', 'v2', 'v3', 'v3.1'] as const;
/** Block ids written by channel-packaging tools (Walle, VasDolly): worth a reviewer's attention. */
const CHANNEL_BLOCK_IDS = new Set([0x71777777, 0x881155ff]);
/** The scheme number that X-Android-APK-Signed and the stripping-protection attribute use. */
const SCHEME_NUMBER: Record<number, SchemeName> = { 2: 'v2', 3: 'v3' };

interface ReadSigner {
  raw: SchemeSigner;
  certs: ParsedCertificate[];
  facts: SignerFacts;
}

export function readSigning(zip: ZipArchive, opts: SigningOptions): SigningFacts {
  const anomalies = opts.anomalies;
  const limits = opts.limits ?? zip.limits;
  const note = (code: string, detail: string, offset?: number): void => {
    anomalies.push({ code, detail, ...(offset === undefined ? {} : { offset }) });
  };

  const v1Detail: string[] | undefined = opts.verify ? [] : undefined;
  const v1 = readV1(zip, anomalies, limits, v1Detail);
  const block = findSigningBlock(zip, anomalies);
  const schemes = new Map<SchemeName, ReadSigner[]>();
  const otherBlocks: string[] = [];
  let sourceStamp = false;
  for (const pair of block?.pairs ?? []) {
    const scheme = SCHEME_BY_BLOCK_ID[pair.id];
    if (scheme) {
      if (schemes.has(scheme)) {
        // apksig and Android take the first block with an id.
        note('SIGNING_DUPLICATE_BLOCK', `a second APK Signature Scheme ${scheme} block; only the first one counts`, pair.offset);
        continue;
      }
      schemes.set(scheme, readScheme(zip, pair, scheme, anomalies, note));
    } else if (pair.id === BLOCK_ID.SOURCE_STAMP_V1 || pair.id === BLOCK_ID.SOURCE_STAMP_V2) {
      sourceStamp = true;
    } else if (pair.id !== BLOCK_ID.VERITY_PADDING) {
      otherBlocks.push(hexId(pair.id));
      if (CHANNEL_BLOCK_IDS.has(pair.id)) {
        note('SIGNING_CHANNEL_BLOCK', `APK Signing Block entry ${hexId(pair.id)}: ${KNOWN_OTHER_BLOCKS[pair.id]}`, pair.offset);
      }
    }
  }
  checkStripping(v1.claimedSchemes, schemes, note);

  const present = new Set<string>();
  if (v1.signers.length > 0) present.add('v1');
  const signers: SignerFacts[] = [];
  for (const scheme of SIGNER_ORDER) {
    const list = schemes.get(scheme) ?? [];
    if (list.length > 0) present.add(scheme);
    signers.push(...list.map((s) => s.facts));
  }
  signers.push(...v1.signers);

  const facts: SigningFacts = {
    schemes: SCHEME_ORDER.filter((s) => present.has(s)),
    signers,
    sourceStamp,
    otherBlocks,
  };
  const lineage = readLineage(schemes, anomalies, note);
  if (lineage) facts.lineage = lineage;
  if (opts.verify) {
    facts.verified = verifySchemes(zip, block, schemes);
    facts.verified.detail.unshift(...(v1Detail ?? []));
  }
  return facts;
}

function readScheme(zip: ZipArchive, pair: { id: number; offset: number; length: number }, scheme: SchemeName,
  anomalies: Anomaly[], note: (code: string, detail: string, offset?: number) => void): ReadSigner[] {
  let parsed;
  try {
    parsed = parseSchemeBlock(readPairValue(zip.source, pair, `APK Signature Scheme ${scheme} block`), pair.offset, scheme);
  } catch (e) {
    if (!isEduscanError(e)) throw e;
    note('SIGNING_SCHEME_MALFORMED', `${e.message}; Android rejects an APK whose ${scheme} block is damaged`, e.offset);
    return [];
  }
  for (const e of parsed.errors) {
    note('SIGNING_SIGNER_MALFORMED', `${e.message}; this ${scheme} signer is skipped (Android rejects the APK)`, e.offset);
  }
  if (parsed.signers.length === 0 && parsed.errors.length === 0) {
    note('SIGNING_NO_SIGNERS', `the APK Signature Scheme ${scheme} block has no signers`, pair.offset);
  }
  return parsed.signers.map((raw) => toSigner(raw, anomalies, note));
}

function toSigner(raw: SchemeSigner, anomalies: Anomaly[], note: (code: string, detail: string, offset?: number) => void): ReadSigner {
  const who = `${raw.scheme} signer #${raw.index}`;
  const certs = raw.certificates.map((c, i) => parseCertificate(c.raw, anomalies, `${who} certificate #${i + 1}`, c.offset));
  if (certs.length === 0) note('SIGNING_NO_CERTIFICATES', `${who} lists no certificate; Android rejects the APK`);
  const first = certs[0];
  if (first?.spki && !first.spki.equals(raw.publicKey)) {
    note('SIGNING_PUBLIC_KEY_MISMATCH', `${who}: the public key of the signer record differs from its certificate's; Android rejects the APK`);
  }
  if (raw.scheme !== 'v2' && (raw.minSdk !== raw.outerMinSdk || raw.maxSdk !== raw.outerMaxSdk)) {
    note('SIGNING_SDK_RANGE_MISMATCH', `${who}: signed SDK range ${raw.minSdk}-${raw.maxSdk} differs from the unsigned copy ${raw.outerMinSdk}-${raw.outerMaxSdk}`);
  }
  const digestAlgorithms = [...new Set(raw.digests.map((d) => SIGNATURE_ALGORITHMS[d.algorithm]?.digest ?? signatureAlgorithmName(d.algorithm)))];
  const facts: SignerFacts = {
    scheme: raw.scheme,
    certificates: certs.map((c) => c.facts),
    digestAlgorithms,
    signatureAlgorithms: raw.signatures.map((s) => signatureAlgorithmName(s.algorithm)),
  };
  if (raw.minSdk !== undefined) facts.minSdk = raw.minSdk;
  if (raw.maxSdk !== undefined) facts.maxSdk = raw.maxSdk;
  return { raw, certs, facts };
}

function checkStripping(claimed: Set<number>, schemes: Map<SchemeName, ReadSigner[]>, note: (code: string, detail: string) => void): void {
  for (const n of claimed) {
    const scheme = SCHEME_NUMBER[n];
    if (scheme && !schemes.has(scheme)) {
      note('SIGNING_SCHEME_STRIPPED', `the JAR signature says the APK is also signed with ${scheme} (X-Android-APK-Signed), but there is no ${scheme} block: signature stripped? Android rejects such an APK`);
    }
  }
  for (const s of schemes.get('v2') ?? []) {
    for (const a of s.raw.attributes) {
      if (a.id !== ATTR_STRIPPING_PROTECTION || a.value.length < 4) continue;
      const scheme = SCHEME_NUMBER[a.value.readUInt32LE(0)];
      if (scheme && !schemes.has(scheme)) {
        note('SIGNING_SCHEME_STRIPPED', `v2 signer #${s.raw.index} says the APK is also signed with ${scheme}, but there is no ${scheme} block: signature stripped? Android rejects such an APK`);
      }
    }
  }
  for (const s of schemes.get('v3') ?? []) {
    if (s.raw.attributes.some((a) => a.id === ATTR_ROTATION_MIN_SDK) && !schemes.has('v3.1')) {
      note('SIGNING_SCHEME_STRIPPED', `v3 signer #${s.raw.index} announces a v3.1 rotation block, but there is none: signature stripped? Android rejects such an APK`);
    }
  }
}

function readLineage(schemes: Map<SchemeName, ReadSigner[]>, anomalies: Anomaly[],
  note: (code: string, detail: string, offset?: number) => void): SigningFacts['lineage'] {
  let best: SigningFacts['lineage'];
  for (const scheme of ['v3.1', 'v3'] as const) {
    for (const s of schemes.get(scheme) ?? []) {
      const attr = s.raw.attributes.find((a) => a.id === ATTR_PROOF_OF_ROTATION);
      if (!attr) continue;
      try {
        const nodes = parseLineage(attr.value, attr.offset);
        const lineage = nodes.map((n, i) => {
          const c = parseCertificate(n.certificate, anomalies, `${scheme} signer #${s.raw.index} lineage node ${i + 1}`, n.certificateOffset);
          return { certSha256: c.facts.certSha256, subject: c.facts.subject, flags: n.flags };
        });
        if (!best || lineage.length > best.length) best = lineage;
      } catch (e) {
        if (!isEduscanError(e)) throw e;
        note('SIGNING_LINEAGE_MALFORMED', `${scheme} signer #${s.raw.index}: ${e.message}`, e.offset);
      }
    }
  }
  return best;
}

function verifyOne(algorithm: number, key: KeyObject, data: Buffer, signature: Buffer): boolean {
  const alg = SIGNATURE_ALGORITHMS[algorithm]!;
  const keyOpts = alg.kind === 'rsa-pss'
    ? { key, padding: cryptoConstants.RSA_PKCS1_PSS_PADDING, saltLength: alg.saltLength! }
    : alg.kind === 'rsa-pkcs1' ? { key, padding: cryptoConstants.RSA_PKCS1_PADDING } : key;
  try {
    return cryptoVerify(alg.hash, data, keyOpts, signature);
  } catch {
    // Wrong key type for the algorithm, malformed signature encoding...
    return false;
  }
}

function verifySchemes(zip: ZipArchive, block: SigningBlock | undefined, schemes: Map<SchemeName, ReadSigner[]>): NonNullable<SigningFacts['verified']> {
  const detail: string[] = [];
  const out: NonNullable<SigningFacts['verified']> = { detail };
  if (!block) {
    detail.push('no usable APK Signing Block: no v2/v3 signature to verify');
    return out;
  }
  const hashes = new Set<'sha256' | 'sha512'>();
  for (const list of schemes.values()) {
    for (const s of list) {
      for (const d of s.raw.digests) {
        const alg = SIGNATURE_ALGORITHMS[d.algorithm];
        if (alg && alg.digest !== 'VERITY_CHUNKED_SHA256') hashes.add(alg.hash);
      }
    }
  }
  const computed = computeContentDigests(zip.source, {
    blockOffset: block.offset,
    cdOffset: zip.cdOffset,
    cdSize: zip.cdSize,
    eocdOffset: zip.eocdOffset,
  }, [...hashes]);
  for (const scheme of ['v2', 'v3', 'v3.1'] as const) {
    const list = schemes.get(scheme);
    if (!list) continue;
    let ok = list.length > 0;
    if (!ok) detail.push(`${scheme}: no readable signer`);
    for (const s of list) ok = verifySigner(s, computed, detail) && ok;
    if (scheme === 'v2') out.v2 = ok;
    else if (scheme === 'v3') out.v3 = ok;
    detail.push(`${scheme}: ${ok ? 'verified' : 'DOES NOT VERIFY'}`);
  }
  return out;
}

function verifySigner(s: ReadSigner, computed: Map<'sha256' | 'sha512', Buffer>, detail: string[]): boolean {
  const who = `${s.raw.scheme} signer #${s.raw.index}`;
  const fail = (msg: string): false => {
    detail.push(`${who}: ${msg}`);
    return false;
  };
  let ok = true;
  let key: KeyObject;
  try {
    key = createPublicKey({ key: s.raw.publicKey, format: 'der', type: 'spki' });
  } catch {
    return fail('the public key cannot be read');
  }
  const known = s.raw.signatures.filter((g) => SIGNATURE_ALGORITHMS[g.algorithm]);
  if (known.length === 0) ok = fail('no signature with a known algorithm');
  for (const g of known) {
    const name = signatureAlgorithmName(g.algorithm);
    if (!verifyOne(g.algorithm, key, s.raw.signedData, g.signature)) ok = fail(`${name} signature over the signed data does not verify`);
  }
  const sigAlgs = [...new Set(s.raw.signatures.map((g) => g.algorithm))].sort();
  const digestAlgs = [...new Set(s.raw.digests.map((d) => d.algorithm))].sort();
  if (sigAlgs.join() !== digestAlgs.join()) ok = fail('the signature algorithms of the digests and of the signatures differ');
  for (const d of s.raw.digests) {
    const alg = SIGNATURE_ALGORITHMS[d.algorithm];
    if (!alg) continue;
    if (alg.digest === 'VERITY_CHUNKED_SHA256') {
      detail.push(`${who}: ${alg.digest} digest not checked (fs-verity tree)`);
      continue;
    }
    const actual = computed.get(alg.hash)!;
    if (!actual.equals(d.digest)) ok = fail(`${alg.digest} content digest mismatch: signed ${d.digest.toString('hex')}, computed ${actual.toString('hex')}`);
  }
  const certKey = s.certs[0]?.spki;
  if (!certKey || !certKey.equals(s.raw.publicKey)) ok = fail("the signer's public key is not its certificate's");
  return ok;
}
