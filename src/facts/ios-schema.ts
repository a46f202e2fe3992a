// iOS-specific part of PackageFacts (`facts.ios`), filled by src/ipa. Identity, versions, labels, minimum
// OS and usage descriptions live in the common top-level fields; everything else is here.
import { z } from 'zod';

export const ProvisioningSchema = z.object({
  /** Zip entry the profile was read from (always <bundle>/embedded.mobileprovision). */
  entry: z.string(),
  /** cms: content of a well-formed CMS envelope; sliced: cut out of a damaged one; none: a bare plist. */
  envelope: z.enum(['cms', 'sliced', 'none']),
  /** enterprise: ProvisionsAllDevices; development: get-task-allow or devices with a development
   *  certificate; ad-hoc: devices otherwise; app-store: none of those. */
  type: z.enum(['development', 'ad-hoc', 'enterprise', 'app-store']),
  name: z.string().optional(),
  uuid: z.string().optional(),
  appIdName: z.string().optional(),
  /** Entitlements.application-identifier, e.g. TEAMID.com.example.app */
  appId: z.string().optional(),
  teamId: z.string().optional(),
  teamName: z.string().optional(),
  platforms: z.array(z.string()),
  creationDate: z.string().optional(),
  expirationDate: z.string().optional(),
  provisionedDevices: z.number().int().nonnegative(),
  provisionsAllDevices: z.boolean(),
  xcodeManaged: z.boolean().optional(),
  getTaskAllow: z.boolean().optional(),
  apsEnvironment: z.string().optional(),
  applicationGroups: z.array(z.string()),
  associatedDomains: z.array(z.string()),
  keychainAccessGroups: z.array(z.string()),
  /** Every entitlement as JSON (big integers as strings, dates ISO, data as {$data: length, sha256}). */
  entitlements: z.record(z.string(), z.json()),
  /** DeveloperCertificates: SHA-1 of the DER, and subject/expiry when the certificate parses. */
  certificates: z.array(z.object({ sha1: z.string(), subject: z.string().optional(), notAfter: z.string().optional() })),
});

export const AtsSchema = z.object({
  allowsArbitraryLoads: z.boolean().optional(),
  allowsArbitraryLoadsForMedia: z.boolean().optional(),
  allowsArbitraryLoadsInWebContent: z.boolean().optional(),
  allowsLocalNetworking: z.boolean().optional(),
  exceptionDomains: z.array(z.object({
    domain: z.string(),
    includesSubdomains: z.boolean().optional(),
    /** NSExceptionAllowsInsecureHTTPLoads, or NSThirdPartyExceptionAllowsInsecureHTTPLoads (thirdParty). */
    allowsInsecureHttpLoads: z.boolean().optional(),
    minimumTlsVersion: z.string().optional(),
    requiresForwardSecrecy: z.boolean().optional(),
    requiresCertificateTransparency: z.boolean().optional(),
    /** Keys used the NSThirdParty... spelling. */
    thirdParty: z.boolean(),
  })),
});

export const PrivacyManifestSchema = z.object({
  entry: z.string(),
  /** Path of the bundle holding the manifest, relative to the main bundle ("" for the app itself). */
  bundle: z.string(),
  bundleId: z.string().optional(),
  tracking: z.boolean().optional(),
  trackingDomains: z.array(z.string()),
  collectedDataTypes: z.array(z.object({
    type: z.string(),
    linked: z.boolean().optional(),
    tracking: z.boolean().optional(),
    purposes: z.array(z.string()),
  })),
  accessedApiTypes: z.array(z.object({ type: z.string(), reasons: z.array(z.string()) })),
});

/**
 * What the code-level checks read of a Mach-O slice (its lists feed facts.sdks / facts.code): classes of
 * __objc_classlist (Swift ones among them), selectors of __objc_methname, defined external symbols.
 * complete is false when something could not be read (encryption, damaged or cut sections: see gaps).
 */
export const MachOCodeSummarySchema = z.object({
  arch: z.string(),
  classCount: z.number().int().nonnegative(),
  swiftClassCount: z.number().int().nonnegative(),
  /** Listed classes whose name could not be followed (a Swift class renamed with @objc(Name), damage). */
  unnamedClassCount: z.number().int().nonnegative(),
  selectorCount: z.number().int().nonnegative(),
  definedSymbolCount: z.number().int().nonnegative(),
  complete: z.boolean(),
  gaps: z.array(z.string()).optional(),
});

export const EmbeddedBundleSchema = z.object({
  /** Relative to the main bundle, e.g. "Frameworks/Foo.framework", "PlugIns/Share.appex", "Watch/W.app". */
  path: z.string(),
  kind: z.enum(['framework', 'appex', 'app', 'xctest', 'bundle']),
  id: z.string().optional(),
  name: z.string().optional(),
  versionName: z.string().optional(),
  versionCode: z.string().optional(),
  executable: z.string().optional(),
  minOs: z.string().optional(),
  /** App extensions: NSExtension.NSExtensionPointIdentifier. */
  extensionPoint: z.string().optional(),
  /** Frameworks: the executable read for the code-level checks... */
  binary: MachOCodeSummarySchema.extend({
    entry: z.string(),
    encrypted: z.boolean(),
    importedSymbolCount: z.number().int().nonnegative(),
  }).optional(),
  /** ...or why it was not read (over a size cap, unreadable). */
  binaryUnread: z.string().optional(),
});

export const MachOArchSchema = z.object({
  /** arm64, arm64e, armv7, armv7s, x86_64, i386, ... (cputype/cpusubtype names as in cctools). */
  cpu: z.string(),
  cpuType: z.number().int(),
  cpuSubtype: z.number().int(),
  /** Slice offset and size inside the file (0 and the file size for a thin binary). */
  offset: z.number().int(),
  size: z.number().int(),
  bits: z.union([z.literal(32), z.literal(64)]),
  /** execute, dylib, bundle, ... */
  fileType: z.string(),
  /** Header flag names (NOUNDEFS, DYLDLINK, TWOLEVEL, PIE, ...). */
  flags: z.array(z.string()),
  pie: z.boolean(),
  /** LC_ENCRYPTION_INFO(_64) cryptid when the command is present. */
  cryptid: z.number().int().optional(),
  encrypted: z.boolean(),
  /** LC_BUILD_VERSION platform (ios, tvos, iossimulator, ...) when present. */
  platform: z.string().optional(),
  minOs: z.string().optional(),
  sdk: z.string().optional(),
  codeSignature: z.boolean(),
  /** LC_LOAD_DYLIB / LC_LOAD_WEAK_DYLIB / LC_REEXPORT_DYLIB / LC_LAZY_LOAD_DYLIB names, in order. */
  dylibs: z.array(z.string()),
  rpaths: z.array(z.string()),
  /** Undefined external symbols in LC_SYMTAB (per LC_DYSYMTAB when present). */
  importedSymbolCount: z.number().int(),
  stackCanary: z.boolean(),
  arc: z.boolean(),
});

export const MachOSchema = z.object({
  entry: z.string(),
  fat: z.boolean(),
  archs: z.array(MachOArchSchema),
  /** The arch the top-level flags and importedSymbols describe: arm64e > arm64 > armv7s > armv7 > first. */
  primaryArch: z.string(),
  pie: z.boolean(),
  encrypted: z.boolean(),
  stackCanary: z.boolean(),
  arc: z.boolean(),
  importedSymbols: z.array(z.string()),
  /** What the code-level checks read of the primary slice (absent with --no-code). */
  code: MachOCodeSummarySchema.optional(),
});

export const IosFactsSchema = z.object({
  bundle: z.object({
    /** Entry-name prefix of the main bundle, e.g. "Payload/App.app/". */
    root: z.string(),
    name: z.string(),
    /** payload: Payload/X.app; app-at-root: X.app (.app.zip); wrapped-payload: <dir>/Payload/X.app. */
    layout: z.enum(['payload', 'app-at-root', 'wrapped-payload']),
  }),
  infoPlist: z.object({ entry: z.string(), format: z.enum(['binary', 'xml', 'openstep']) }),
  executable: z.string().optional(),
  bundleName: z.string().optional(),
  displayName: z.string().optional(),
  platformName: z.string().optional(),
  sdk: z.string().optional(),
  supportedPlatforms: z.array(z.string()),
  deviceFamily: z.array(z.number().int()),
  backgroundModes: z.array(z.string()),
  urlTypes: z.array(z.object({ name: z.string().optional(), role: z.string().optional(), schemes: z.array(z.string()) })),
  queriesSchemes: z.array(z.string()),
  requiredDeviceCapabilities: z.array(z.string()),
  fileSharingEnabled: z.boolean().optional(),
  supportsOpeningDocumentsInPlace: z.boolean().optional(),
  /** *.lproj folders of the main bundle, and the one the zh-Hans label/usage texts came from. */
  localizations: z.array(z.string()),
  zhLocalization: z.string().optional(),
  ats: AtsSchema.optional(),
  provisioning: ProvisioningSchema.optional(),
  privacyManifests: z.array(PrivacyManifestSchema),
  embeddedBundles: z.array(EmbeddedBundleSchema),
  /** *.dylib files inside the main bundle (relative paths), e.g. Frameworks/libswiftCore.dylib. */
  dylibs: z.array(z.string()),
  /** Absent when the executable is missing or over the read cap (see anomalies). */
  macho: MachOSchema.optional(),
});

export type IosFacts = z.infer<typeof IosFactsSchema>;
export type ProvisioningFacts = z.infer<typeof ProvisioningSchema>;
export type AtsFacts = z.infer<typeof AtsSchema>;
export type PrivacyManifestFacts = z.infer<typeof PrivacyManifestSchema>;
export type EmbeddedBundleFacts = z.infer<typeof EmbeddedBundleSchema>;
export type MachOFacts = z.infer<typeof MachOSchema>;
export type MachOArchFacts = z.infer<typeof MachOArchSchema>;
