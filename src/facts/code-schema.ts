// Code-level part of PackageFacts (`facts.sdks`, `facts.code`), filled by src/code from DEX files (Android)
// and from the Mach-O executables and frameworks: names, symbols, classes and selectors (iOS). The scan path
// imports only the types.
import { z } from 'zod';

export const CodeEvidenceSchema = z.object({
  /** class: a class defined in (or, for APIs, the class whose code refers to it); native-lib: a .so file;
   *  component: a manifest component or the <application> class; framework: an embedded iOS framework or
   *  dylib; symbol: a Mach-O symbol (imported, or defined by the binary); selector: an Objective-C selector
   *  a Mach-O binary uses or defines; file: any other entry of the package (a packer's payload). */
  kind: z.enum(['class', 'native-lib', 'component', 'meta-data', 'framework', 'symbol', 'selector', 'file']),
  /** com.igexin.* (a signature's package), a class name, libjiagu.so, GTSDK.framework, _OBJC_CLASS_$_X. */
  value: z.string(),
  /** Where: zip entry (classes2.dex, lib/arm64-v8a/libx.so), AndroidManifest.xml, the Mach-O entry. */
  location: z.string(),
  /** How many classes (or references) this one line stands for, when more than one. */
  count: z.number().int().positive().optional(),
});

export const SdkFactsSchema = z.object({
  /** Id in rules/sdks.yaml (or rules/packers.yaml for category packer). */
  id: z.string(),
  name: z.string(),
  vendor: z.string(),
  category: z.enum(['advertising', 'analytics', 'push', 'social', 'payment', 'location', 'crash', 'speech-ocr', 'device-id', 'hot-update', 'packer', 'other']),
  evidence: z.array(CodeEvidenceSchema),
});

export const DexFactsSchema = z.object({
  /** Zip entry; "outer!inner" for a dex inside a jar/apk inside the package. */
  entry: z.string(),
  /** Bytes of the dex file (inflated). */
  size: z.number().int().nonnegative(),
  classCount: z.number().int().nonnegative(),
  methodRefCount: z.number().int().nonnegative(),
  stringCount: z.number().int().nonnegative().optional(),
});

export const PackerFactsSchema = z.object({
  id: z.string(),
  name: z.string(),
  evidence: z.array(CodeEvidenceSchema),
});

export const SensitiveApiFactsSchema = z.object({
  /** Id in rules/sensitive-apis.yaml. */
  id: z.string(),
  category: z.string(),
  /** What is referred to: android.telephony.TelephonyManager.getDeviceId, "content://sms…", _OBJC_CLASS_$_UIPasteboard. */
  api: z.string(),
  /** SDK id whose class holds the reference, or 'app' for code no SDK signature claims (app or unrecognised library). */
  owner: z.string(),
  evidence: z.array(CodeEvidenceSchema),
  /** Instructions (Android) referring to it across the package. */
  count: z.number().int().positive().optional(),
  /** iOS: the bundle whose binary refers to it, relative to the app ("" for the app itself, Frameworks/X.framework). */
  bundle: z.string().optional(),
  /** iOS required-reason APIs: the NSPrivacyAccessedAPIType a privacy manifest of that bundle must declare. */
  requiredReasonType: z.string().optional(),
});

export const CodeFactsSchema = z.object({
  /** Every dex file read: classes*.dex in load order, then hidden ones. */
  dex: z.array(DexFactsSchema),
  /** Dex files outside classes*.dex (assets/x.dex, assets/plugin.jar!classes.dex): loaded at run time. */
  hiddenDex: z.array(z.string()),
  packers: z.array(PackerFactsSchema),
  sensitiveApis: z.array(SensitiveApiFactsSchema),
  /** False when the code could not (fully) be read: a packer, an unreadable or oversized dex, code skipped,
   *  an encrypted or partly readable iOS executable. Then "no API found" proves nothing. */
  assessable: z.boolean(),
  notAssessableReason: z.string().optional(),
});

export type CodeEvidence = z.infer<typeof CodeEvidenceSchema>;
export type SdkFacts = z.infer<typeof SdkFactsSchema>;
export type DexFacts = z.infer<typeof DexFactsSchema>;
export type PackerFacts = z.infer<typeof PackerFactsSchema>;
export type SensitiveApiFacts = z.infer<typeof SensitiveApiFactsSchema>;
export type CodeFacts = z.infer<typeof CodeFactsSchema>;
