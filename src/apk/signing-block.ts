// The APK Signing Block (APK Signature Scheme v2+), the v2/v3/v3.1 scheme blocks inside it, the v3
// proof-of-rotation lineage, and the chunked content digests that v2/v3 signers sign.
// Spec: source.android.com/docs/security/features/apksigning/v2 and .../v3. Where the block is damaged,
// Android ignores it (the APK then counts as v1-signed only); so do we, with an anomaly, never a throw.
import { createHash } from 'node:crypto';
import { EduscanError, type Anomaly } from '../errors.js';
import type { ByteSource } from '../io/source.js';
import type { ZipArchive } from '../zip/zip.js';

// APK Signing Block, right before the central directory:
//   0 u64 size of the block in bytes, not counting this field
//   8 pairs: u64 pair length | u32 id | value (pair length - 4 bytes)
//   size-16 u64 size again | size-8 16-byte magic "APK Sig Block 42"  (the footer: 24 bytes)
export const APK_SIG_BLOCK_MAGIC = Buffer.from('APK Sig Block 42', 'latin1');
const MAGIC_PREFIX = Buffer.from('APK Sig Block ', 'latin1');
const BLOCK_SIZE_FIELD = 8;
const BLOCK_FOOTER_SIZE = 24;
const BLOCK_MIN_SIZE = BLOCK_FOOTER_SIZE; // the size field counts the pairs and the footer
const PAIR_HEADER_SIZE = 12; // u64 length + u32 id
const PAIR_ID_SIZE = 4;
/** A real block holds a handful of pairs; thousands mean a crafted file. */
export const MAX_BLOCK_PAIRS = 1024;
/** Scheme blocks are a few KiB (certificates and signatures); a larger one is not read. */
export const MAX_SCHEME_BLOCK_BYTES = 16 * 1024 * 1024;
/** apksig accepts at most 10 signers; beyond a few dozen the block is crafted. */
export const MAX_SIGNERS = 64;
export const MAX_ITEMS_PER_SEQUENCE = 256;

// End of central directory: 16 u32 central directory offset. Zip64 EOCD locator signature, 20 bytes before.
const EOCD_CD_OFFSET = 16;
const ZIP64_LOCATOR_SIGNATURE = 0x07064b50;
const ZIP64_LOCATOR_SIZE = 20;

export const BLOCK_ID = {
  V2: 0x7109871a,
  V3: 0xf05368c0,
  V31: 0x1b93ad61,
  SOURCE_STAMP_V1: 0x2b09189e,
  SOURCE_STAMP_V2: 0x6dff800d,
  VERITY_PADDING: 0x42726577,
} as const;

/** Ids seen in the wild that are not signatures: named in anomalies so a reviewer knows what they are. */
export const KNOWN_OTHER_BLOCKS: Record<number, string> = {
  0x71777777: 'Walle channel id (Meituan): a distribution channel written into the signed APK after signing',
  0x881155ff: 'VasDolly channel id (Tencent): a distribution channel written into the signed APK after signing',
  0x504b4453: 'dependency metadata (Android Gradle Plugin, encrypted for Google Play)',
  0x2146444e: 'Google Play frosting (Play Store metadata)',
  0x70e1c89f: 'APK Signature Scheme v3.2 block (hybrid signing), not read by eduscan',
};

// v3 signer additional attributes
export const ATTR_PROOF_OF_ROTATION = 0x3ba06f8c;
export const ATTR_ROTATION_MIN_SDK = 0x559f8b02;
/** v2 signer attribute: "this APK was also signed with scheme N" (here 3), against stripping. */
export const ATTR_STRIPPING_PROTECTION = 0xbeeff00d;
const LINEAGE_VERSION = 1;

export type ContentDigest = 'CHUNKED_SHA256' | 'CHUNKED_SHA512' | 'VERITY_CHUNKED_SHA256';

export interface SignatureAlgorithmInfo {
  name: string;
  digest: ContentDigest;
  /** Hash and padding for node:crypto verify(). */
  hash: 'sha256' | 'sha512';
  kind: 'rsa-pss' | 'rsa-pkcs1' | 'ecdsa' | 'dsa';
  saltLength?: number;
}

export const SIGNATURE_ALGORITHMS: Record<number, SignatureAlgorithmInfo> = {
  0x0101: { name: 'RSA_PSS_WITH_SHA256', digest: 'CHUNKED_SHA256', hash: 'sha256', kind: 'rsa-pss', saltLength: 32 },
  0x0102: { name: 'RSA_PSS_WITH_SHA512', digest: 'CHUNKED_SHA512', hash: 'sha512', kind: 'rsa-pss', saltLength: 64 },
  0x0103: { name: 'RSA_PKCS1_V1_5_WITH_SHA256', digest: 'CHUNKED_SHA256', hash: 'sha256', kind: 'rsa-pkcs1' },
  0x0104: { name: 'RSA_PKCS1_V1_5_WITH_SHA512', digest: 'CHUNKED_SHA512', hash: 'sha512', kind: 'rsa-pkcs1' },
  0x0201: { name: 'ECDSA_WITH_SHA256', digest: 'CHUNKED_SHA256', hash: 'sha256', kind: 'ecdsa' },
  0x0202: { name: 'ECDSA_WITH_SHA512', digest: 'CHUNKED_SHA512', hash: 'sha512', kind: 'ecdsa' },
  0x0301: { name: 'DSA_WITH_SHA256', digest: 'CHUNKED_SHA256', hash: 'sha256', kind: 'dsa' },
  0x0421: { name: 'VERITY_RSA_PKCS1_V1_5_WITH_SHA256', digest: 'VERITY_CHUNKED_SHA256', hash: 'sha256', kind: 'rsa-pkcs1' },
  0x0423: { name: 'VERITY_ECDSA_WITH_SHA256', digest: 'VERITY_CHUNKED_SHA256', hash: 'sha256', kind: 'ecdsa' },
  0x0425: { name: 'VERITY_DSA_WITH_SHA256', digest: 'VERITY_CHUNKED_SHA256', hash: 'sha256', kind: 'dsa' },
};

export function signatureAlgorithmName(id: number): string {
  return SIGNATURE_ALGORITHMS[id]?.name ?? `0x${id.toString(16).padStart(4, '0')}`;
}

export function hexId(id: number): string {
  return `0x${(id >>> 0).toString(16).padStart(8, '0')}`;
}

export interface SigningBlockPair {
  id: number;
  /** Absolute offset and length of the value. */
  offset: number;
  length: number;
}

export interface SigningBlock {
  /** Absolute offset of the block (its first size field) and its total length. */
  offset: number;
  length: number;
  pairs: SigningBlockPair[];
}

function note(anomalies: Anomaly[], code: string, detail: string, offset?: number): void {
  anomalies.push({ code, detail, ...(offset === undefined ? {} : { offset }) });
}

/**
 * Locates the APK Signing Block and lists its pairs. Returns undefined when there is none, or when it is
 * damaged (with an anomaly): Android then ignores the block and the APK counts as unsigned by v2+.
 * Reads only the footer and the 12-byte pair headers.
 */
export function findSigningBlock(zip: ZipArchive, anomalies: Anomaly[]): SigningBlock | undefined {
  const { source, cdOffset } = zip;
  if (cdOffset < BLOCK_SIZE_FIELD + BLOCK_FOOTER_SIZE) return undefined;
  const footer = source.read(cdOffset - BLOCK_FOOTER_SIZE, BLOCK_FOOTER_SIZE);
  const magic = footer.subarray(BLOCK_SIZE_FIELD);
  if (!magic.equals(APK_SIG_BLOCK_MAGIC)) {
    if (magic.subarray(0, MAGIC_PREFIX.length).equals(MAGIC_PREFIX)) {
      note(anomalies, 'SIGNING_BLOCK_BAD_MAGIC', `APK Signing Block magic is "${magic.toString('latin1').replace(/[^\x20-\x7e]/g, '?')}", expected "APK Sig Block 42"; Android ignores the block`, cdOffset - APK_SIG_BLOCK_MAGIC.length);
    }
    return undefined;
  }
  const fail = (code: string, detail: string, offset?: number): undefined => {
    note(anomalies, code, `${detail}; Android ignores the APK Signing Block, so no v2/v3 signature counts`, offset);
    return undefined;
  };
  // Android's own lookup (ApkSigningBlockUtils.findSignature) requires the central directory to end where
  // the end record starts, and refuses zip64 archives.
  if (cdOffset + zip.cdSize !== zip.eocdOffset) {
    return fail('SIGNING_BLOCK_IGNORED', `the central directory (${zip.cdSize} bytes at ${cdOffset}) is not immediately followed by the end record at ${zip.eocdOffset}`, cdOffset);
  }
  if (zip.eocdOffset >= ZIP64_LOCATOR_SIZE && source.read(zip.eocdOffset - ZIP64_LOCATOR_SIZE, 4).readUInt32LE(0) === ZIP64_LOCATOR_SIGNATURE) {
    return fail('SIGNING_BLOCK_IGNORED', 'the archive is zip64', zip.eocdOffset - ZIP64_LOCATOR_SIZE);
  }
  const footerSize = footer.readBigUInt64LE(0);
  const footerAt = cdOffset - BLOCK_FOOTER_SIZE;
  if (footerSize < BigInt(BLOCK_MIN_SIZE) || footerSize > BigInt(cdOffset - BLOCK_SIZE_FIELD)) {
    return fail('SIGNING_BLOCK_OUT_OF_RANGE', `APK Signing Block size ${footerSize} is out of range: expected ${BLOCK_MIN_SIZE} to ${cdOffset - BLOCK_SIZE_FIELD} (the bytes before the central directory)`, footerAt);
  }
  const size = Number(footerSize);
  const offset = cdOffset - size - BLOCK_SIZE_FIELD;
  const headerSize = source.read(offset, BLOCK_SIZE_FIELD).readBigUInt64LE(0);
  if (headerSize !== footerSize) {
    return fail('SIGNING_BLOCK_SIZE_MISMATCH', `APK Signing Block size in the header is ${headerSize}, in the footer ${footerSize}`, offset);
  }
  const pairs: SigningBlockPair[] = [];
  const pairsEnd = cdOffset - BLOCK_FOOTER_SIZE;
  let p = offset + BLOCK_SIZE_FIELD;
  while (p < pairsEnd) {
    if (pairs.length >= MAX_BLOCK_PAIRS) {
      note(anomalies, 'SIGNING_BLOCK_TOO_MANY_PAIRS', `more than ${MAX_BLOCK_PAIRS} pairs in the APK Signing Block; the rest were not read`, p);
      break;
    }
    const remaining = pairsEnd - p;
    if (remaining < PAIR_HEADER_SIZE) {
      note(anomalies, 'SIGNING_BLOCK_PAIR_MALFORMED', `APK Signing Block pair #${pairs.length + 1} needs ${PAIR_HEADER_SIZE} header bytes, ${remaining} remain; Android rejects such an APK`, p);
      break;
    }
    const head = source.read(p, PAIR_HEADER_SIZE);
    const length = head.readBigUInt64LE(0);
    if (length < BigInt(PAIR_ID_SIZE) || length > BigInt(remaining - BLOCK_SIZE_FIELD)) {
      note(anomalies, 'SIGNING_BLOCK_PAIR_MALFORMED', `APK Signing Block pair #${pairs.length + 1} length ${length} is out of range: expected ${PAIR_ID_SIZE} to ${remaining - BLOCK_SIZE_FIELD}; Android rejects such an APK`, p);
      break;
    }
    const n = Number(length);
    pairs.push({ id: head.readUInt32LE(BLOCK_SIZE_FIELD), offset: p + PAIR_HEADER_SIZE, length: n - PAIR_ID_SIZE });
    p += BLOCK_SIZE_FIELD + n;
  }
  return { offset, length: size + BLOCK_SIZE_FIELD, pairs };
}

/** Reads a pair's value; an oversized one is an E_BAD_SIGNATURE (the caller records it as an anomaly). */
export function readPairValue(source: ByteSource, pair: SigningBlockPair, what: string): Buffer {
  if (pair.length > MAX_SCHEME_BLOCK_BYTES) {
    throw new EduscanError('E_BAD_SIGNATURE', `${what}: ${pair.length} bytes, more than the ${MAX_SCHEME_BLOCK_BYTES} a signature block may have`, { offset: pair.offset });
  }
  return source.read(pair.offset, pair.length);
}

/** Cursor over little-endian, u32-length-prefixed data; every read is checked against what remains. */
export class LengthPrefixed {
  private pos: number;
  constructor(
    readonly buf: Buffer,
    /** Absolute offset of buf[0] in the file, for messages. */
    readonly base: number,
    readonly what: string,
    start = 0,
    private readonly end = buf.length,
  ) {
    this.pos = start;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  get offset(): number {
    return this.base + this.pos;
  }

  private fail(field: string, needed: number): EduscanError {
    return new EduscanError('E_BAD_SIGNATURE', `${this.what}: ${field} needs ${needed} bytes, ${this.remaining} remain at offset ${this.offset}`, { offset: this.offset });
  }

  u32(field: string): number {
    if (this.remaining < 4) throw this.fail(field, 4);
    const v = this.buf.readUInt32LE(this.pos);
    this.pos += 4;
    return v;
  }

  /** A u32-length-prefixed field, as a nested cursor. */
  slice(field: string): LengthPrefixed {
    const length = this.u32(`${field} length`);
    if (length > this.remaining) throw this.fail(field, length);
    const sub = new LengthPrefixed(this.buf, this.base, `${this.what} > ${field}`, this.pos, this.pos + length);
    this.pos += length;
    return sub;
  }

  /** The bytes of a u32-length-prefixed field. */
  bytes(field: string): Buffer {
    const s = this.slice(field);
    return s.rest();
  }

  /** Everything left, without consuming it. */
  view(): Buffer {
    return this.buf.subarray(this.pos, this.end);
  }

  /** Everything left. */
  rest(): Buffer {
    const b = this.buf.subarray(this.pos, this.end);
    this.pos = this.end;
    return b;
  }

  /** A length-prefixed sequence of length-prefixed items. */
  sequence(field: string, max: number = MAX_ITEMS_PER_SEQUENCE): LengthPrefixed[] {
    const seq = this.slice(field);
    const items: LengthPrefixed[] = [];
    while (seq.remaining > 0) {
      if (items.length >= max) {
        throw new EduscanError('E_BAD_SIGNATURE', `${seq.what}: more than ${max} items`, { offset: seq.offset });
      }
      items.push(seq.slice(`${field}[${items.length}]`));
    }
    return items;
  }
}

export type SchemeName = 'v2' | 'v3' | 'v3.1';

export interface SchemeSigner {
  scheme: SchemeName;
  /** 1-based, as apksig numbers them. */
  index: number;
  /** The bytes the signatures cover. */
  signedData: Buffer;
  digests: { algorithm: number; digest: Buffer }[];
  certificates: { raw: Buffer; offset: number }[];
  /** v3: from the signed data, and the unsigned copy that must equal it. */
  minSdk?: number;
  maxSdk?: number;
  outerMinSdk?: number;
  outerMaxSdk?: number;
  attributes: { id: number; value: Buffer; offset: number }[];
  signatures: { algorithm: number; signature: Buffer }[];
  publicKey: Buffer;
}

export interface SchemeBlock {
  signers: SchemeSigner[];
  /** One per signer that could not be read; the other signers still are. */
  errors: EduscanError[];
}

// v2 block:   seq of signer { signed data { seq digests {u32 alg, lp digest}, seq certs {lp DER},
//                                           seq attributes {u32 id, value} },
//                             seq signatures {u32 alg, lp signature}, lp public key (SubjectPublicKeyInfo) }
// v3 / v3.1:  signed data adds u32 minSdk, u32 maxSdk after the certificates; the signer repeats them
//             (unsigned) between the signed data and the signatures.
export function parseSchemeBlock(value: Buffer, base: number, scheme: SchemeName): SchemeBlock {
  const what = `APK Signature Scheme ${scheme} block`;
  const top = new LengthPrefixed(value, base, what);
  const signerSlices = top.sequence('signers', MAX_SIGNERS);
  const signers: SchemeSigner[] = [];
  const errors: EduscanError[] = [];
  signerSlices.forEach((s, i) => {
    try {
      signers.push(parseSigner(s, scheme, i + 1));
    } catch (e) {
      if (!(e instanceof EduscanError)) throw e;
      errors.push(e);
    }
  });
  return { signers, errors };
}

function parseSigner(s: LengthPrefixed, scheme: SchemeName, index: number): SchemeSigner {
  const sd = s.slice('signed data');
  const signedData = sd.view();
  const digests = sd.sequence('digests').map((d) => ({ algorithm: d.u32('signature algorithm id'), digest: d.bytes('digest') }));
  const certificates = sd.sequence('certificates').map((c) => ({ offset: c.offset, raw: c.rest() }));
  const signer: SchemeSigner = { scheme, index, signedData, digests, certificates, attributes: [], signatures: [], publicKey: Buffer.alloc(0) };
  if (scheme !== 'v2') {
    signer.minSdk = sd.u32('minSdk');
    signer.maxSdk = sd.u32('maxSdk');
  }
  signer.attributes = sd.sequence('additional attributes').map((a) => {
    const id = a.u32('attribute id');
    const offset = a.offset;
    return { id, offset, value: a.rest() };
  });
  if (scheme !== 'v2') {
    signer.outerMinSdk = s.u32('minSdk');
    signer.outerMaxSdk = s.u32('maxSdk');
  }
  signer.signatures = s.sequence('signatures').map((g) => ({ algorithm: g.u32('signature algorithm id'), signature: g.bytes('signature') }));
  signer.publicKey = s.bytes('public key');
  return signer;
}

export interface LineageNode {
  certificate: Buffer;
  certificateOffset: number;
  /** Algorithm the previous node's key used to sign this node (0 for the first). */
  parentSignatureAlgorithm: number;
  flags: number;
  /** Algorithm this node's key uses to sign the next node. */
  signatureAlgorithm: number;
  signedData: Buffer;
  signature: Buffer;
}

// Proof-of-rotation (attribute 0x3ba06f8c): u32 version (1), then length-prefixed nodes, oldest first:
//   lp signed data { lp certificate, u32 parent's signature algorithm } | u32 flags
//   | u32 signature algorithm | lp signature by the previous node's key over the signed data
export function parseLineage(value: Buffer, base: number, max: number = MAX_ITEMS_PER_SEQUENCE): LineageNode[] {
  const r = new LengthPrefixed(value, base, 'proof-of-rotation lineage');
  const version = r.u32('version');
  if (version !== LINEAGE_VERSION) {
    throw new EduscanError('E_BAD_SIGNATURE', `proof-of-rotation lineage: expected version ${LINEAGE_VERSION}, found ${version} at offset ${base}`, { offset: base });
  }
  const nodes: LineageNode[] = [];
  while (r.remaining > 0) {
    if (nodes.length >= max) throw new EduscanError('E_BAD_SIGNATURE', `proof-of-rotation lineage: more than ${max} nodes`, { offset: r.offset });
    const node = r.slice(`node ${nodes.length + 1}`);
    const sd = node.slice('signed data');
    const signedData = sd.view();
    const certificateOffset = sd.offset + 4;
    const certificate = sd.bytes('certificate');
    const parentSignatureAlgorithm = sd.u32('parent signature algorithm');
    const flags = node.u32('flags');
    const signatureAlgorithm = node.u32('signature algorithm');
    const signature = node.bytes('signature');
    nodes.push({ certificate, certificateOffset, parentSignatureAlgorithm, flags, signatureAlgorithm, signedData, signature });
  }
  return nodes;
}

// Chunked content digest (v2/v3): the three sections (entries before the signing block, the central
// directory, the end record with its cd-offset field pointing at the signing block) are cut into 1 MiB
// chunks; each chunk digest = H(0xa5 | u32 chunk length | chunk); the result = H(0x5a | u32 chunk count |
// chunk digests in order).
export const CHUNK_SIZE = 1024 * 1024;
const CHUNK_PREFIX = 0xa5;
const TOP_PREFIX = 0x5a;

export interface ContentSections {
  blockOffset: number;
  cdOffset: number;
  cdSize: number;
  eocdOffset: number;
}

export function computeContentDigests(source: ByteSource, sections: ContentSections, hashes: ('sha256' | 'sha512')[]): Map<'sha256' | 'sha512', Buffer> {
  const eocd = Buffer.from(source.read(sections.eocdOffset, source.size - sections.eocdOffset));
  eocd.writeUInt32LE(sections.blockOffset, EOCD_CD_OFFSET);
  const chunkDigests = new Map<'sha256' | 'sha512', Buffer[]>(hashes.map((h) => [h, []]));
  const header = Buffer.alloc(5);
  header[0] = CHUNK_PREFIX;
  const digestChunk = (chunk: Buffer): void => {
    header.writeUInt32LE(chunk.length, 1);
    for (const h of hashes) chunkDigests.get(h)!.push(createHash(h).update(header).update(chunk).digest());
  };
  const fromFile = (start: number, length: number): void => {
    for (let p = 0; p < length; p += CHUNK_SIZE) digestChunk(source.read(start + p, Math.min(CHUNK_SIZE, length - p)));
  };
  fromFile(0, sections.blockOffset);
  fromFile(sections.cdOffset, sections.cdSize);
  for (let p = 0; p < eocd.length; p += CHUNK_SIZE) digestChunk(eocd.subarray(p, Math.min(eocd.length, p + CHUNK_SIZE)));
  const out = new Map<'sha256' | 'sha512', Buffer>();
  for (const h of hashes) {
    const list = chunkDigests.get(h)!;
    const top = Buffer.alloc(5);
    top[0] = TOP_PREFIX;
    top.writeUInt32LE(list.length, 1);
    const hash = createHash(h).update(top);
    for (const d of list) hash.update(d);
    out.set(h, hash.digest());
  }
  return out;
}
