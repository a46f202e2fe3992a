// PackageFacts: the core's contract. Every later stage (filing comparison, rules, reports, registry)
// reads only this shape, so it is versioned: bump FACTS_SCHEMA_VERSION on any incompatible change.
import { z } from 'zod';
import { CodeFactsSchema, SdkFactsSchema } from './code-schema.js';
import { IosFactsSchema } from './ios-schema.js';

import { FACTS_SCHEMA_VERSION } from './version.js';

export { FACTS_SCHEMA_VERSION };

export const AnomalySchema = z.object({
  code: z.string(),
  detail: z.string(),
  offset: z.number().int().optional(),
  entry: z.string().optional(),
});

export const FileFactsSchema = z.object({
  name: z.string(),
  size: z.number().int().nonnegative(),
  md5: z.string().regex(/^[0-9a-f]{32}$/),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});

export const PermissionSchema = z.object({
  name: z.string(),
  /** Android: android:maxSdkVersion of the uses-permission element. */
  maxSdkVersion: z.number().int().optional(),
  /** Android: declared with <uses-permission-sdk-23> (requested only on API 23+). */
  sdk23: z.boolean().optional(),
  /** iOS: the *UsageDescription text (base language) and its zh-Hans localisation. */
  text: z.string().optional(),
  textZh: z.string().optional(),
});

export const CertificateSchema = z.object({
  certSha256: z.string().regex(/^[0-9a-f]{64}$/),
  certSha1: z.string().regex(/^[0-9a-f]{40}$/).optional(),
  subject: z.string(),
  issuer: z.string(),
  serialNumber: z.string(),
  notBefore: z.string(),
  notAfter: z.string(),
  /** rsa, ec, dsa, ed25519 ... */
  keyAlgorithm: z.string(),
  keySize: z.number().int().optional(),
  /** Signature algorithm of the certificate itself, e.g. sha256WithRSAEncryption. */
  signatureAlgorithm: z.string().optional(),
  selfSigned: z.boolean(),
  /** Subject is the Android debug certificate (CN=Android Debug, O=Android, C=US). */
  debug: z.boolean(),
});

export const SignerSchema = z.object({
  /** v1 | v2 | v3 | v3.1 */
  scheme: z.string(),
  /** First certificate is the signer's; the rest is its chain as shipped. */
  certificates: z.array(CertificateSchema),
  /** v1: digest algorithms used in MANIFEST.MF/.SF and the PKCS#7 signer info; v2/v3: signature algorithm ids. */
  digestAlgorithms: z.array(z.string()),
  signatureAlgorithms: z.array(z.string()),
  minSdk: z.number().int().optional(),
  maxSdk: z.number().int().optional(),
  /** v1: the .SF/.RSA pair; informational. */
  source: z.string().optional(),
});

export const SigningSchema = z.object({
  /** Schemes present in the package: v1, v2, v3, v3.1, (v4 is a separate file: never in the APK). */
  schemes: z.array(z.string()),
  signers: z.array(SignerSchema),
  /** v3 proof-of-rotation lineage: oldest first. */
  lineage: z.array(z.object({ certSha256: z.string(), subject: z.string(), flags: z.number().int().optional() })).optional(),
  sourceStamp: z.boolean(),
  /** Other blocks found in the APK Signing Block (ids in hex), e.g. padding, frosting, channel ids. */
  otherBlocks: z.array(z.string()),
  /** Set when --verify asked for the v2/v3 content digests to be checked. */
  verified: z.object({ v2: z.boolean().optional(), v3: z.boolean().optional(), detail: z.array(z.string()) }).optional(),
});

export const IntentFilterSchema = z.object({
  actions: z.array(z.string()),
  categories: z.array(z.string()),
  schemes: z.array(z.string()),
  hosts: z.array(z.string()),
  paths: z.array(z.string()).optional(),
  autoVerify: z.boolean().optional(),
});

export const ComponentSchema = z.object({
  kind: z.enum(['activity', 'activity-alias', 'service', 'receiver', 'provider']),
  name: z.string(),
  /** Effective exported state: explicit attribute, else the platform default for the targetSdk. */
  exported: z.boolean(),
  exportedExplicit: z.boolean().optional(),
  enabled: z.boolean().optional(),
  permission: z.string().optional(),
  readPermission: z.string().optional(),
  writePermission: z.string().optional(),
  authorities: z.array(z.string()).optional(),
  grantUriPermissions: z.boolean().optional(),
  launchMode: z.string().optional(),
  taskAffinity: z.string().optional(),
  targetActivity: z.string().optional(),
  intentFilters: z.array(IntentFilterSchema),
});

export const NetworkSecurityConfigSchema = z.object({
  source: z.string(),
  baseCleartextPermitted: z.boolean().optional(),
  baseTrustAnchors: z.array(z.string()),
  domains: z.array(z.object({
    domains: z.array(z.string()),
    includeSubdomains: z.boolean(),
    cleartextPermitted: z.boolean().optional(),
    trustAnchors: z.array(z.string()),
    pins: z.number().int(),
    pinExpiration: z.string().optional(),
    overridePins: z.boolean(),
  })),
  debugOverrides: z.object({ trustAnchors: z.array(z.string()) }).optional(),
  /** Any trust anchor anywhere includes `user` certificates (outside debug-overrides). */
  trustsUserCerts: z.boolean(),
  overridePins: z.boolean(),
});

export const AndroidManifestSchema = z.object({
  application: z.object({
    debuggable: z.boolean().optional(),
    allowBackup: z.boolean().optional(),
    usesCleartextTraffic: z.boolean().optional(),
    testOnly: z.boolean().optional(),
    extractNativeLibs: z.boolean().optional(),
    requestLegacyExternalStorage: z.boolean().optional(),
    fullBackupContent: z.string().optional(),
    dataExtractionRules: z.string().optional(),
    networkSecurityConfig: z.string().optional(),
    name: z.string().optional(),
    appComponentFactory: z.string().optional(),
  }),
  sharedUserId: z.string().optional(),
  installLocation: z.string().optional(),
  targetSandboxVersion: z.number().int().optional(),
  declaredPermissions: z.array(z.object({ name: z.string(), protectionLevel: z.string().optional() })),
  queries: z.object({ packages: z.array(z.string()), intents: z.number().int(), providers: z.array(z.string()) }),
  usesFeatures: z.array(z.object({ name: z.string(), required: z.boolean() })),
  usesLibraries: z.array(z.object({ name: z.string(), required: z.boolean() })),
  components: z.array(ComponentSchema),
  networkSecurityConfig: NetworkSecurityConfigSchema.optional(),
  metaData: z.array(z.object({ name: z.string(), value: z.string().optional() })),
});

export const AndroidFactsSchema = z.object({
  manifest: AndroidManifestSchema,
  minSdk: z.number().int().optional(),
  /** Raw value when it is a preview codename such as "VanillaIceCream". */
  minSdkCodename: z.string().optional(),
  targetSdk: z.number().int().optional(),
  targetSdkCodename: z.string().optional(),
  maxSdk: z.number().int().optional(),
  versionCodeMajor: z.number().int().optional(),
  nativeAbis: z.array(z.string()),
  dexCount: z.number().int(),
});

export const PackageFactsSchema = z.object({
  schemaVersion: z.literal(FACTS_SCHEMA_VERSION),
  platform: z.enum(['android', 'ios']),
  file: FileFactsSchema,
  id: z.string(),
  versionName: z.string().optional(),
  versionCode: z.string().optional(),
  /** Default label, and the zh-CN / zh-Hans one where the package has it. */
  label: z.string().optional(),
  labelZh: z.string().optional(),
  minSdk: z.number().int().optional(),
  targetSdk: z.number().int().optional(),
  minOs: z.string().optional(),
  permissions: z.array(PermissionSchema),
  signing: SigningSchema.optional(),
  manifest: AndroidManifestSchema.optional(),
  android: AndroidFactsSchema.omit({ manifest: true, minSdk: true, targetSdk: true }).optional(),
  /** Platform-specific iOS facts; filled by the IPA reader. */
  ios: IosFactsSchema.optional(),
  /** Third-party SDK inventory (issue 5): from dex classes, native libs and components, or iOS frameworks and symbols. */
  sdks: z.array(SdkFactsSchema).optional(),
  /** Code-level facts: dex files, hidden dex, packers, sensitive API references, and whether the code was assessable. */
  code: CodeFactsSchema.optional(),
  zip: z.object({ entries: z.number().int(), prependedBytes: z.number().int(), comment: z.number().int() }),
  anomalies: z.array(AnomalySchema),
});

export type PackageFacts = z.infer<typeof PackageFactsSchema>;
export type AndroidManifestFacts = z.infer<typeof AndroidManifestSchema>;
export type ComponentFacts = z.infer<typeof ComponentSchema>;
export type SigningFacts = z.infer<typeof SigningSchema>;
export type SignerFacts = z.infer<typeof SignerSchema>;
export type CertificateFacts = z.infer<typeof CertificateSchema>;
export type NetworkSecurityConfigFacts = z.infer<typeof NetworkSecurityConfigSchema>;
export type PermissionFacts = z.infer<typeof PermissionSchema>;
