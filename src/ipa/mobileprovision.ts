// embedded.mobileprovision: a plist (team, app id, devices, entitlements, developer certificates) inside a
// CMS SignedData envelope. The signature itself is not verified here; the profile is read for its facts.
import { X509Certificate, createHash } from 'node:crypto';
import { EduscanError, isEduscanError } from '../errors.js';
import { cmsSignedContent } from './cms.js';
import { BPLIST_MAGIC } from './plist-binary.js';
import { bool, isDict, parsePlist, plistToJson, str, strArray, type JsonValue, type PlistContext, type PlistDict, type PlistValue } from './plist.js';
import type { ProvisioningFacts } from '../facts/ios-schema.js';

const XML_START = Buffer.from('<?xml', 'latin1');
const PLIST_START = Buffer.from('<plist', 'latin1');
const PLIST_END = Buffer.from('</plist>', 'latin1');
const DER_SEQUENCE = 0x30;
/** Subject CN prefixes of development signing certificates (old and new naming). */
const DEV_CERT_RE = /^(iPhone Developer|Apple Development|Mac Developer):/;
const MAX_CERTIFICATES = 64;

export type ProfileEnvelope = 'cms' | 'sliced' | 'none';

/** The plist bytes of a profile: from the CMS content, or cut out of a damaged envelope. */
export function extractProfilePlist(buf: Buffer, ctx: PlistContext): { plist: Buffer; envelope: ProfileEnvelope } {
  if (buf.length === 0) throw new EduscanError('E_BAD_PLIST', `${ctx.entry ?? 'profile'}: empty provisioning profile: expected a CMS envelope or a plist, found 0 bytes`, { offset: 0 });
  if (buf[0] !== DER_SEQUENCE) return { plist: buf, envelope: 'none' };
  try {
    return { plist: cmsSignedContent(buf), envelope: 'cms' };
  } catch (e) {
    if (!isEduscanError(e)) throw e;
    // Damaged envelopes exist (one real profile had every 0x0D byte rewritten as 0x0A by a text-mode
    // copy); the plist inside is still whole, so cut it out and say so.
    const sliced = slicePlist(buf);
    if (sliced === undefined) throw e;
    ctx.anomalies.push({ code: 'PROFILE_CMS_DAMAGED', detail: `${e.message}; the plist was cut out of the raw bytes`, ...(ctx.entry === undefined ? {} : { entry: ctx.entry }) });
    return { plist: sliced, envelope: 'sliced' };
  }
}

function slicePlist(buf: Buffer): Buffer | undefined {
  let start = buf.indexOf(XML_START);
  if (start < 0) start = buf.indexOf(PLIST_START);
  if (start < 0) {
    const b = buf.indexOf(BPLIST_MAGIC);
    return b < 0 ? undefined : buf.subarray(b);
  }
  const end = buf.indexOf(PLIST_END, start);
  return end < 0 ? undefined : buf.subarray(start, end + PLIST_END.length);
}

export function readProvisioningProfile(buf: Buffer, ctx: PlistContext & { entry: string }): ProvisioningFacts {
  const { plist, envelope } = extractProfilePlist(buf, ctx);
  const { value } = parsePlist(plist, ctx);
  if (!isDict(value)) throw new EduscanError('E_BAD_PLIST', `${ctx.entry}: expected a dictionary in the provisioning profile, found ${Array.isArray(value) ? 'an array' : typeof value}`);
  return profileFacts(value, ctx.entry, envelope);
}

export function profileFacts(d: PlistDict, entry: string, envelope: ProfileEnvelope): ProvisioningFacts {
  const ent = isDict(d.Entitlements) ? d.Entitlements : undefined;
  const devices = Array.isArray(d.ProvisionedDevices) ? d.ProvisionedDevices.length : 0;
  const allDevices = bool(d.ProvisionsAllDevices) === true;
  const getTaskAllow = ent ? bool(ent['get-task-allow']) : undefined;
  const certificates = certs(d.DeveloperCertificates);
  const devCert = certificates.some((c) => c.development);
  let type: ProvisioningFacts['type'];
  if (allDevices) type = 'enterprise';
  else if (getTaskAllow === true || (devices > 0 && devCert)) type = 'development';
  else if (devices > 0) type = 'ad-hoc';
  else type = 'app-store';
  // No prototype: an entitlement named "__proto__" stays a key.
  const entitlements = Object.create(null) as Record<string, JsonValue>;
  if (ent) for (const k of Object.keys(ent)) entitlements[k] = plistToJson(ent[k] as PlistValue, { dataDigest: digest });
  return {
    entry,
    envelope,
    type,
    name: str(d.Name),
    uuid: str(d.UUID),
    appIdName: str(d.AppIDName),
    appId: ent ? str(ent['application-identifier']) : undefined,
    teamId: strArray(d.TeamIdentifier)[0],
    teamName: str(d.TeamName),
    platforms: strArray(d.Platform),
    creationDate: iso(d.CreationDate),
    expirationDate: iso(d.ExpirationDate),
    provisionedDevices: devices,
    provisionsAllDevices: allDevices,
    xcodeManaged: bool(d.IsXcodeManaged),
    getTaskAllow,
    apsEnvironment: ent ? str(ent['aps-environment']) : undefined,
    applicationGroups: ent ? strArray(ent['com.apple.security.application-groups']) : [],
    associatedDomains: ent ? strArray(ent['com.apple.developer.associated-domains']) : [],
    keychainAccessGroups: ent ? strArray(ent['keychain-access-groups']) : [],
    entitlements,
    certificates: certificates.map(({ development: _d, ...c }) => c),
  };
}

function iso(v: PlistValue | undefined): string | undefined {
  return v instanceof Date && !Number.isNaN(v.getTime()) ? v.toISOString().replace('.000Z', 'Z') : undefined;
}

function digest(b: Buffer): JsonValue {
  return { $data: b.length, sha256: createHash('sha256').update(b).digest('hex') };
}

interface CertInfo {
  sha1: string;
  subject?: string;
  notAfter?: string;
  development: boolean;
}

function certs(v: PlistValue | undefined): CertInfo[] {
  if (!Array.isArray(v)) return [];
  const out: CertInfo[] = [];
  for (const c of v.slice(0, MAX_CERTIFICATES)) {
    if (!Buffer.isBuffer(c) || c.length === 0) continue;
    const info: CertInfo = { sha1: createHash('sha1').update(c).digest('hex'), development: false };
    try {
      const x = new X509Certificate(c);
      const cn = /^CN=(.*)$/m.exec(x.subject)?.[1];
      info.subject = x.subject.replace(/\n/g, ', ');
      info.notAfter = new Date(x.validTo).toISOString().replace('.000Z', 'Z');
      info.development = cn !== undefined && DEV_CERT_RE.test(cn);
    } catch {
      // Redacted or damaged certificate bytes: keep the digest only.
    }
    out.push(info);
  }
  return out;
}
