// Signature data for code-level facts (rules/sdks.yaml, rules/sensitive-apis.yaml, rules/packers.yaml) as
// loaded and checked by load.ts. Class names are written the Java way in the data (com.igexin.) and
// compared as DEX type descriptors (Lcom/igexin/) by the matchers.

export const SDK_CATEGORIES = [
  'advertising', 'analytics', 'push', 'social', 'payment', 'location', 'crash', 'speech-ocr', 'device-id', 'hot-update', 'packer', 'other',
] as const;
export type SdkCategory = (typeof SDK_CATEGORIES)[number];

/**
 * What a sensitive API gives access to. The rules map these to the filing form's checkboxes; the names
 * follow permissions-and-rules.md §1 (device-id = IMEI/MEID/IMSI/ICCID/serial/Android ID/MAC/Bluetooth
 * address, the "其它" identifiers; required-reason-* = Apple's required-reason API categories).
 */
export const API_CATEGORIES = [
  'device-id', 'phone-number', 'installed-apps', 'running-apps', 'clipboard', 'sms', 'mms', 'call-log', 'contacts', 'calendar', 'accounts',
  'location', 'camera', 'microphone', 'call-forwarding', 'browser-history', 'advertising-id', 'tracking-authorization', 'vendor-id',
  'required-reason-file-timestamp', 'required-reason-system-boot-time', 'required-reason-disk-space', 'required-reason-active-keyboards', 'required-reason-user-defaults',
] as const;
export type ApiCategory = (typeof API_CATEGORIES)[number];

export interface SdkSignature {
  id: string;
  name: string;
  vendor: string;
  category: SdkCategory;
  android?: {
    /** Package prefixes ending in "." (com.igexin.) or whole class names (com.stub.StubApp). */
    classPrefixes: string[];
    /** File names of native libraries; "*" matches any run of characters (libjiagu*.so). */
    nativeLibs: string[];
    /** Manifest component class names; "*" as in nativeLibs (*.wxapi.WXPayEntryActivity). */
    components: string[];
    /** Names of <application> <meta-data> keys the SDK's setup asks for (UMENG_APPKEY), exact and case-sensitive. */
    metaData: string[];
  };
  ios?: {
    /** Framework / dylib names without extension (GTSDK for GTSDK.framework), compared case-insensitively. */
    frameworks: string[];
    /** Bundle identifiers of embedded frameworks, or prefixes of them ending in ".". */
    bundleIds: string[];
    /**
     * Objective-C class name prefixes (BUAdSDK), matched against the classes of the executables' class lists,
     * their defined _OBJC_CLASS_$_ symbols and imported ones.
     */
    classPrefixes: string[];
    /** Whole class names, for SDKs whose main class name is too generic to be a prefix (Bugly, Adjust). */
    classes: string[];
  };
  /** Where the signature was documented (vendor integration docs, public manifest snippets). */
  source: string;
}

export interface ApiMember {
  /** Java class name, e.g. android.telephony.TelephonyManager. */
  class: string;
  names: string[];
}

export interface SensitiveApi {
  id: string;
  category: ApiCategory;
  /** Short description for reports. */
  label: string;
  android?: {
    methods: ApiMember[];
    fields: ApiMember[];
    /** String constants used by code (const-string), compared exactly. */
    strings: string[];
    /** Same, compared as prefixes (content://sms matches content://sms/inbox). */
    stringPrefixes: string[];
  };
  ios?: {
    /** Imported symbols of an executable, exactly as in the symbol table (_OBJC_CLASS_$_UIPasteboard, _stat). */
    symbols: string[];
    /** Objective-C selectors an executable uses or defines (__objc_methname): identifierForVendor, systemUptime. */
    selectors: string[];
  };
  source: string;
}

export interface PackerSignature {
  id: string;
  name: string;
  vendor: string;
  android: {
    nativeLibs: string[];
    /** Stub classes in classes.dex (whole class names or package prefixes ending in "."). */
    classes: string[];
    /** android:name of <application> that the packer installs. */
    applicationClasses: string[];
    /** Other entries of the APK (assets/ijiami.dat); "*" as in nativeLibs. */
    files: string[];
  };
  source: string;
}

export interface CodeRules {
  sdks: SdkSignature[];
  apis: SensitiveApi[];
  packers: PackerSignature[];
  /** sha256 of the three files, for reports that record which signature data was used. */
  digest: string;
}
