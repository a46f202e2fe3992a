// IPAs built from parts (plists from the plist package, profiles signed by openssl, Mach-O images built
// byte by byte and checked with llvm-objdump): the facts must give back exactly what went in.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EduscanError, type Anomaly } from '../../src/errors.js';
import { IosFactsSchema } from '../../src/facts/ios-schema.js';
import { PackageFactsSchema } from '../../src/facts/schema.js';
import { extractIpaFacts, looksLikeIpa, mainExecutableEntry } from '../../src/ipa/ipa.js';
import { readEntry } from '../../src/zip/zip.js';
import { parseMachO } from '../../src/ipa/macho.js';
import { readProvisioningProfile } from '../../src/ipa/mobileprovision.js';
import { DEFAULT_LIMITS } from '../../src/limits.js';
import { buildFat, buildMachO, type MachOSpec } from './helpers/build-macho.js';
import { binaryPlist, buildZip, hasTool, makeSigner, openBuilt, scanBuilt, stringsText, xmlPlist, type Signer } from './helpers/build-ipa.js';
import { parseNm, parseObjdump } from './helpers/llvm-text.js';

const HAS_OPENSSL = hasTool('openssl');
const HAS_LLVM = hasTool('llvm-objdump') && hasTool('llvm-nm');

const APP = 'Payload/Edu.app/';
const ID = 'cn.example.edu';
const INFO = {
  CFBundleIdentifier: ID,
  CFBundleShortVersionString: '2.3.1',
  CFBundleVersion: '231',
  CFBundleName: 'EduApp',
  CFBundleDisplayName: 'Edu Learning',
  CFBundleExecutable: 'Edu',
  MinimumOSVersion: '13.0',
  DTPlatformName: 'iphoneos',
  DTSDKName: 'iphoneos17.2',
  CFBundleSupportedPlatforms: ['iPhoneOS'],
  UIDeviceFamily: [1, 2],
  UIBackgroundModes: ['audio', 'location'],
  LSApplicationQueriesSchemes: ['weixin', 'mqq'],
  UIRequiredDeviceCapabilities: { arm64: true, 'front-facing-camera': true, gps: false },
  UIFileSharingEnabled: true,
  CFBundleURLTypes: [{ CFBundleURLName: 'wechat', CFBundleTypeRole: 'Editor', CFBundleURLSchemes: ['wx123456'] }, { CFBundleURLSchemes: ['eduapp'] }],
  NSCameraUsageDescription: 'Scan homework QR codes',
  NSMicrophoneUsageDescription: 'Record oral English practice',
  NSLocationWhenInUseUsageDescription: 'Find nearby classes',
  NSAppTransportSecurity: {
    NSAllowsArbitraryLoads: true,
    NSAllowsArbitraryLoadsInWebContent: false,
    NSExceptionDomains: {
      'legacy.example.cn': { NSIncludesSubdomains: true, NSExceptionAllowsInsecureHTTPLoads: true, NSExceptionMinimumTLSVersion: 'TLSv1.0', NSExceptionRequiresForwardSecrecy: false },
      'cdn.partner.com': { NSThirdPartyExceptionAllowsInsecureHTTPLoads: true },
    },
  },
};
const ZH = { CFBundleDisplayName: '教育学习', NSCameraUsageDescription: '扫描作业二维码', NSMicrophoneUsageDescription: '录制"英语口语"练习' };
const PROFILE = {
  AppIDName: 'Edu App',
  ApplicationIdentifierPrefix: ['ABCDE12345'],
  CreationDate: new Date('2024-01-02T03:04:05Z'),
  ExpirationDate: new Date('2025-01-02T03:04:05Z'),
  Name: 'Edu Ad Hoc',
  Platform: ['iOS'],
  ProvisionedDevices: ['00008030-001A2B3C4D5E6F70', '00008101-000A1B2C3D4E5F60'],
  TeamIdentifier: ['ABCDE12345'],
  TeamName: 'Example Education Ltd',
  UUID: '11111111-2222-3333-4444-555555555555',
  Version: 1,
  Entitlements: {
    'application-identifier': `ABCDE12345.${ID}`,
    'get-task-allow': false,
    'aps-environment': 'production',
    'com.apple.security.application-groups': ['group.cn.example.edu'],
    'com.apple.developer.associated-domains': ['applinks:edu.example.cn'],
    'keychain-access-groups': ['ABCDE12345.*'],
  },
};
const MAIN_PRIVACY = {
  NSPrivacyTracking: false,
  NSPrivacyTrackingDomains: [],
  NSPrivacyCollectedDataTypes: [{ NSPrivacyCollectedDataType: 'NSPrivacyCollectedDataTypeAudioData', NSPrivacyCollectedDataTypeLinked: true, NSPrivacyCollectedDataTypeTracking: false, NSPrivacyCollectedDataTypePurposes: ['NSPrivacyCollectedDataTypePurposeAppFunctionality'] }],
  NSPrivacyAccessedAPITypes: [{ NSPrivacyAccessedAPIType: 'NSPrivacyAccessedAPICategoryUserDefaults', NSPrivacyAccessedAPITypeReasons: ['CA92.1'] }],
};
const SDK_PRIVACY = {
  NSPrivacyTracking: true,
  NSPrivacyTrackingDomains: ['track.ads.example.com'],
  NSPrivacyAccessedAPITypes: [{ NSPrivacyAccessedAPIType: 'NSPrivacyAccessedAPICategorySystemBootTime', NSPrivacyAccessedAPITypeReasons: ['35F9.1'] }],
};
const ARM64: MachOSpec = {
  cpu: 'arm64',
  build: { platform: 2, minos: '13.0', sdk: '17.2' },
  cryptid: 1,
  dylibs: ['/usr/lib/libSystem.B.dylib', '/System/Library/Frameworks/UIKit.framework/UIKit', '@rpath/AdSDK.framework/AdSDK'],
  weakDylibs: ['/usr/lib/swift/libswiftCore.dylib'],
  rpaths: ['@executable_path/Frameworks'],
  codeSignature: true,
  imports: ['_OBJC_CLASS_$_CLLocationManager', '___stack_chk_fail', '___stack_chk_guard', '_objc_msgSend', '_objc_release'],
};
const ARMV7: MachOSpec = { cpu: 'armv7', versionMin: { minos: '9.0', sdk: '11.0' }, flags: 0x85, dylibs: ['/usr/lib/libSystem.B.dylib'], imports: ['_objc_msgSend'] };

let signer: Signer | undefined;
beforeAll(() => {
  if (HAS_OPENSSL) signer = makeSigner('iPhone Distribution: Example Education Ltd (ABCDE12345)');
});
afterAll(() => signer?.dispose());

function fullIpa(): Buffer {
  const executable = buildFat([{ cpu: 'armv7', bytes: buildMachO(ARMV7) }, { cpu: 'arm64', bytes: buildMachO(ARM64) }]);
  const profile = { ...PROFILE, DeveloperCertificates: [signer!.certDer] };
  return buildZip({
    [`${APP}Info.plist`]: binaryPlist(INFO),
    [`${APP}Edu`]: executable,
    [`${APP}embedded.mobileprovision`]: signer!.sign(xmlPlist(profile)),
    // A decoy with another team: only embedded.mobileprovision is the profile.
    [`${APP}embedded copy.mobileprovision`]: signer!.sign(xmlPlist({ ...profile, TeamIdentifier: ['DECOY00000'], ProvisionsAllDevices: true })),
    [`${APP}zh-Hans.lproj/InfoPlist.strings`]: stringsText(ZH),
    [`${APP}en.lproj/InfoPlist.strings`]: stringsText({ CFBundleDisplayName: 'Edu Learning' }, 'utf8'),
    [`${APP}PrivacyInfo.xcprivacy`]: xmlPlist(MAIN_PRIVACY),
    [`${APP}Frameworks/AdSDK.framework/Info.plist`]: binaryPlist({ CFBundleIdentifier: 'com.ads.sdk', CFBundleShortVersionString: '5.1.0', CFBundleVersion: '510', CFBundleExecutable: 'AdSDK' }),
    [`${APP}Frameworks/AdSDK.framework/AdSDK`]: buildMachO({ cpu: 'arm64', fileType: 6 }),
    [`${APP}Frameworks/AdSDK.framework/PrivacyInfo.xcprivacy`]: xmlPlist(SDK_PRIVACY),
    [`${APP}Frameworks/libswiftCore.dylib`]: Buffer.from('not read'),
    [`${APP}PlugIns/Share.appex/Info.plist`]: xmlPlist({ CFBundleIdentifier: `${ID}.share`, CFBundleShortVersionString: '2.3.1', CFBundleVersion: '231', NSExtension: { NSExtensionPointIdentifier: 'com.apple.share-services' } }),
    [`${APP}Watch/EduWatch.app/Info.plist`]: binaryPlist({ CFBundleIdentifier: `${ID}.watchkitapp`, CFBundleShortVersionString: '2.3.1', CFBundleVersion: '231', MinimumOSVersion: '8.0' }),
    // Finder decoys: must not be mistaken for the app or its Info.plist.
    '__MACOSX/Payload/Edu.app/._Info.plist': Buffer.from([0, 5, 22, 7, 0, 2, 0, 0]),
    [`${APP}._Edu`]: Buffer.from('AppleDouble'),
  });
}

describe.skipIf(!HAS_OPENSSL)('an IPA built from parts', () => {
  let facts: ReturnType<typeof scanBuilt>['facts'];
  let anomalies: Anomaly[];
  beforeAll(() => {
    ({ facts, anomalies } = scanBuilt(fullIpa()));
  });

  it('identity, versions, labels and minimum OS', () => {
    expect({ id: facts.id, versionName: facts.versionName, versionCode: facts.versionCode, label: facts.label, labelZh: facts.labelZh, minOs: facts.minOs })
      .toEqual({ id: ID, versionName: '2.3.1', versionCode: '231', label: 'Edu Learning', labelZh: ZH.CFBundleDisplayName, minOs: '13.0' });
    expect(anomalies).toEqual([]);
  });

  it('every *UsageDescription with its zh-Hans text', () => {
    expect(facts.permissions).toEqual([
      { name: 'NSCameraUsageDescription', text: INFO.NSCameraUsageDescription, textZh: ZH.NSCameraUsageDescription },
      { name: 'NSLocationWhenInUseUsageDescription', text: INFO.NSLocationWhenInUseUsageDescription },
      { name: 'NSMicrophoneUsageDescription', text: INFO.NSMicrophoneUsageDescription, textZh: ZH.NSMicrophoneUsageDescription },
    ]);
  });

  it('Info.plist keys', () => {
    const ios = facts.ios;
    expect(ios.bundle).toEqual({ root: APP, name: 'Edu.app', layout: 'payload' });
    expect(ios.infoPlist).toEqual({ entry: `${APP}Info.plist`, format: 'binary' });
    expect(ios.deviceFamily).toEqual([1, 2]);
    expect(ios.backgroundModes).toEqual(INFO.UIBackgroundModes);
    expect(ios.queriesSchemes).toEqual(INFO.LSApplicationQueriesSchemes);
    expect(ios.requiredDeviceCapabilities).toEqual(['arm64', 'front-facing-camera']);
    expect(ios.urlTypes).toEqual([{ name: 'wechat', role: 'Editor', schemes: ['wx123456'] }, { schemes: ['eduapp'] }]);
    expect(ios.fileSharingEnabled).toBe(true);
    expect(ios.localizations).toEqual(['en', 'zh-Hans']);
    expect(ios.zhLocalization).toBe('zh-Hans.lproj');
    expect({ platformName: ios.platformName, sdk: ios.sdk, supportedPlatforms: ios.supportedPlatforms, executable: ios.executable })
      .toEqual({ platformName: 'iphoneos', sdk: 'iphoneos17.2', supportedPlatforms: ['iPhoneOS'], executable: 'Edu' });
  });

  it('App Transport Security', () => {
    expect(facts.ios.ats).toEqual({
      allowsArbitraryLoads: true,
      allowsArbitraryLoadsInWebContent: false,
      exceptionDomains: [
        { domain: 'legacy.example.cn', includesSubdomains: true, allowsInsecureHttpLoads: true, minimumTlsVersion: 'TLSv1.0', requiresForwardSecrecy: false, thirdParty: false },
        { domain: 'cdn.partner.com', allowsInsecureHttpLoads: true, thirdParty: true },
      ],
    });
  });

  it('the real provisioning profile, not the decoy', () => {
    const p = facts.ios.provisioning!;
    expect(p).toMatchObject({
      entry: `${APP}embedded.mobileprovision`, envelope: 'cms', type: 'ad-hoc', name: 'Edu Ad Hoc', uuid: PROFILE.UUID, appIdName: 'Edu App',
      appId: `ABCDE12345.${ID}`, teamId: 'ABCDE12345', teamName: PROFILE.TeamName, platforms: ['iOS'], creationDate: '2024-01-02T03:04:05Z',
      expirationDate: '2025-01-02T03:04:05Z', provisionedDevices: 2, provisionsAllDevices: false, getTaskAllow: false, apsEnvironment: 'production',
      applicationGroups: ['group.cn.example.edu'], associatedDomains: ['applinks:edu.example.cn'], keychainAccessGroups: ['ABCDE12345.*'],
    });
    expect(Object.keys(p.entitlements).sort()).toEqual(Object.keys(PROFILE.Entitlements).sort());
    expect(p.certificates).toHaveLength(1);
    expect(p.certificates[0]!.subject).toContain('CN=iPhone Distribution: Example Education Ltd (ABCDE12345)');
  });

  it('privacy manifests, attributed to the bundle that holds them', () => {
    expect(facts.ios.privacyManifests).toEqual([
      { entry: `${APP}Frameworks/AdSDK.framework/PrivacyInfo.xcprivacy`, bundle: 'Frameworks/AdSDK.framework', bundleId: 'com.ads.sdk', tracking: true, trackingDomains: ['track.ads.example.com'], collectedDataTypes: [], accessedApiTypes: [{ type: 'NSPrivacyAccessedAPICategorySystemBootTime', reasons: ['35F9.1'] }] },
      { entry: `${APP}PrivacyInfo.xcprivacy`, bundle: '', bundleId: ID, tracking: false, trackingDomains: [], collectedDataTypes: [{ type: 'NSPrivacyCollectedDataTypeAudioData', linked: true, tracking: false, purposes: ['NSPrivacyCollectedDataTypePurposeAppFunctionality'] }], accessedApiTypes: [{ type: 'NSPrivacyAccessedAPICategoryUserDefaults', reasons: ['CA92.1'] }] },
    ]);
  });

  it('embedded frameworks, extensions, watch app and dylibs', () => {
    expect(facts.ios.embeddedBundles).toEqual([
      {
        path: 'Frameworks/AdSDK.framework', kind: 'framework', id: 'com.ads.sdk', versionName: '5.1.0', versionCode: '510', executable: 'AdSDK',
        // Its executable is read for the code-level checks (an N_ABS _main is not a defined N_SECT symbol).
        binary: { entry: `${APP}Frameworks/AdSDK.framework/AdSDK`, encrypted: false, importedSymbolCount: 0, arch: 'arm64', classCount: 0, swiftClassCount: 0, unnamedClassCount: 0, selectorCount: 0, definedSymbolCount: 0, complete: true },
      },
      { path: 'PlugIns/Share.appex', kind: 'appex', id: `${ID}.share`, versionName: '2.3.1', versionCode: '231', extensionPoint: 'com.apple.share-services' },
      { path: 'Watch/EduWatch.app', kind: 'app', id: `${ID}.watchkitapp`, versionName: '2.3.1', versionCode: '231', minOs: '8.0' },
    ]);
    expect(facts.ios.dylibs).toEqual(['Frameworks/libswiftCore.dylib']);
  });

  it('the fat executable: archs, PIE, encryption, minimum OS, dylibs, imports', () => {
    const m = facts.ios.macho!;
    expect(m.fat).toBe(true);
    expect(m.archs.map((a) => a.cpu)).toEqual(['armv7', 'arm64']);
    expect(m.primaryArch).toBe('arm64');
    expect({ pie: m.pie, encrypted: m.encrypted, stackCanary: m.stackCanary, arc: m.arc }).toEqual({ pie: true, encrypted: true, stackCanary: true, arc: true });
    expect(m.importedSymbols).toEqual(ARM64.imports);
    const [v7, a64] = m.archs as [typeof m.archs[0], typeof m.archs[0]];
    expect(v7.cryptid).toBeUndefined();
    expect(v7).toMatchObject({ bits: 32, pie: false, encrypted: false, minOs: '9.0', sdk: '11.0', codeSignature: false, stackCanary: false, arc: false, importedSymbolCount: 1, flags: ['NOUNDEFS', 'DYLDLINK', 'TWOLEVEL'] });
    expect(a64).toMatchObject({ bits: 64, fileType: 'execute', cryptid: 1, platform: 'ios', minOs: '13.0', sdk: '17.2', codeSignature: true, rpaths: ARM64.rpaths, dylibs: [...ARM64.dylibs!, ...ARM64.weakDylibs!] });
  });

  it('fits the facts schema', () => {
    expect(IosFactsSchema.safeParse(facts.ios).success).toBe(true);
    const pkg = { schemaVersion: 1, platform: 'ios', file: { name: 'x.ipa', size: 1, md5: '0'.repeat(32), sha256: '0'.repeat(64) }, ...facts, zip: { entries: 1, prependedBytes: 0, comment: 0 }, anomalies };
    const r = PackageFactsSchema.safeParse(pkg);
    expect(r.success, r.success ? '' : JSON.stringify(r.error.issues.slice(0, 3))).toBe(true);
  });
});

describe('layouts and fatal errors', () => {
  const info = (extra: object = {}) => xmlPlist({ CFBundleIdentifier: 'com.example.layout', CFBundleShortVersionString: '1.0', CFBundleVersion: '7', ...extra });
  const code = (buf: Buffer): string => {
    try {
      scanBuilt(buf);
      return 'no error';
    } catch (e) {
      if (e instanceof EduscanError) return e.code;
      throw e;
    }
  };

  it('.app.zip (bundle at the root) with an XML Info.plist', () => {
    const { facts } = scanBuilt(buildZip({ 'Tool.app/Info.plist': info(), 'Tool.app/PkgInfo': 'APPL????' }));
    expect(facts.id).toBe('com.example.layout');
    expect(facts.ios.bundle).toEqual({ root: 'Tool.app/', name: 'Tool.app', layout: 'app-at-root' });
    expect(facts.ios.infoPlist.format).toBe('xml');
  });
  it('a folder around Payload/ (zipped by Finder), __MACOSX ignored', () => {
    const { facts } = scanBuilt(buildZip({ 'Build/Payload/A.app/Info.plist': info(), '__MACOSX/Build/Payload/A.app/._Info.plist': 'x' }));
    expect(facts.ios.bundle).toEqual({ root: 'Build/Payload/A.app/', name: 'A.app', layout: 'wrapped-payload' });
  });
  it('an OpenStep Info.plist', () => {
    const { facts } = scanBuilt(buildZip({ 'Payload/A.app/Info.plist': '{ CFBundleIdentifier = "com.example.openstep"; CFBundleVersion = 3; }' }));
    expect([facts.id, facts.versionCode, facts.ios.infoPlist.format]).toEqual(['com.example.openstep', '3', 'openstep']);
  });
  it('no bundle, only decoys, several bundles, no Info.plist, bad Info.plist', () => {
    expect(code(buildZip({ 'Payload/': '' }))).toBe('E_NO_APP_BUNDLE');
    expect(code(buildZip({ '__MACOSX/Payload/A.app/Info.plist': info() }))).toBe('E_NO_APP_BUNDLE');
    expect(code(buildZip({ 'Payload/A.app/Info.plist': info(), 'Payload/B.app/Info.plist': info() }))).toBe('E_MULTIPLE_APP_BUNDLES');
    expect(code(buildZip({ 'Payload/A.app/Info.plist': info(), 'B.app/Info.plist': info() }))).toBe('E_MULTIPLE_APP_BUNDLES');
    expect(code(buildZip({ 'Payload/A.app/Frameworks/x.dylib': 'x', 'Payload/A.app/._Info.plist': 'x' }))).toBe('E_NO_INFO_PLIST');
    expect(code(buildZip({ 'Payload/A.app/Info.plist': '<plist><dict><key>a</key>' }))).toBe('E_BAD_PLIST');
    expect(code(buildZip({ 'Payload/A.app/Info.plist': xmlPlist(['not', 'a', 'dict']) }))).toBe('E_BAD_PLIST');
    expect(code(buildZip({ 'Payload/A.app/Info.plist': xmlPlist({ CFBundleName: 'no id' }) }))).toBe('E_BAD_PLIST');
  });
  it('looksLikeIpa: Payload/ or a top-level .app, not an APK or a random zip', () => {
    expect(looksLikeIpa(openBuilt(buildZip({ 'Payload/': '' })))).toBe(true);
    expect(looksLikeIpa(openBuilt(buildZip({ 'X.app/Info.plist': info() })))).toBe(true);
    expect(looksLikeIpa(openBuilt(buildZip({ 'AndroidManifest.xml': 'x', 'classes.dex': 'x' })))).toBe(false);
    expect(looksLikeIpa(openBuilt(buildZip({ '__MACOSX/Payload/A.app/._x': 'x', 'notes.txt': 'x' })))).toBe(false);
  });
  it('a missing or damaged executable is an anomaly, the rest of the facts stay', () => {
    const missing = scanBuilt(buildZip({ 'Payload/A.app/Info.plist': info({ CFBundleExecutable: 'A' }) }));
    expect(missing.facts.ios.macho).toBeUndefined();
    expect(missing.anomalies.map((a) => a.code)).toEqual(['IPA_EXECUTABLE_MISSING']);
    const truncated = scanBuilt(buildZip({ 'Payload/A.app/Info.plist': info({ CFBundleExecutable: 'A' }), 'Payload/A.app/A': buildMachO(ARM64).subarray(0, 100) }));
    expect(truncated.facts.id).toBe('com.example.layout');
    expect(truncated.anomalies.map((a) => a.code)).toEqual(['IPA_EXECUTABLE_UNREADABLE']);
    expect(truncated.anomalies[0]!.detail).toMatch(/^E_BAD_MACHO: /);
  });
  it('the executable can be skipped or handed in already inflated (mainExecutableEntry)', () => {
    const buf = buildZip({ 'Payload/A.app/Info.plist': info({ CFBundleExecutable: 'A' }), 'Payload/A.app/A': buildMachO(ARM64) });
    const zip = openBuilt(buf);
    const entry = mainExecutableEntry(zip, DEFAULT_LIMITS);
    expect(entry?.name).toBe('Payload/A.app/A');
    const given = extractIpaFacts(zip, { limits: DEFAULT_LIMITS, anomalies: [], executable: readEntry(zip, entry!) });
    expect(given.ios.macho).toEqual(scanBuilt(buf).facts.ios.macho);
    expect(extractIpaFacts(openBuilt(buf), { limits: DEFAULT_LIMITS, anomalies: [], executable: 'skip' }).ios.macho).toBeUndefined();
  });
  it('a usage key whose value is not a string is kept, with an anomaly', () => {
    const { facts, anomalies } = scanBuilt(buildZip({ 'Payload/A.app/Info.plist': info({ NSContactsUsageDescription: true }) }));
    expect(facts.permissions).toEqual([{ name: 'NSContactsUsageDescription' }]);
    expect(anomalies.map((a) => a.code)).toEqual(['IPA_USAGE_DESCRIPTION_NOT_STRING', 'IPA_NO_EXECUTABLE_KEY']);
  });
  it('zh_CN.lproj with a binary InfoPlist.strings also gives the Chinese label', () => {
    const { facts } = scanBuilt(buildZip({ 'Payload/A.app/Info.plist': info({ CFBundleName: 'A' }), 'Payload/A.app/zh_CN.lproj/InfoPlist.strings': binaryPlist({ CFBundleName: '甲' }) }));
    expect([facts.label, facts.labelZh, facts.ios.zhLocalization]).toEqual(['A', '甲', 'zh_CN.lproj']);
  });
});

describe.skipIf(!HAS_OPENSSL)('provisioning profile types and envelopes', () => {
  const read = (buf: Buffer) => {
    const anomalies: Anomaly[] = [];
    return { p: readProvisioningProfile(buf, { limits: DEFAULT_LIMITS, anomalies, entry: 'embedded.mobileprovision' }), anomalies };
  };
  const base = { Name: 'P', TeamIdentifier: ['T1'], Entitlements: { 'application-identifier': 'T1.x' } as Record<string, unknown> };
  it('development: get-task-allow, or devices with a development certificate', () => {
    expect(read(signer!.sign(xmlPlist({ ...base, Entitlements: { 'get-task-allow': true }, ProvisionedDevices: ['a'] }))).p.type).toBe('development');
    const dev = makeSigner('Apple Development: Jane Doe (XYZ9876543)');
    try {
      expect(read(signer!.sign(xmlPlist({ ...base, ProvisionedDevices: ['a'], DeveloperCertificates: [dev.certDer] }))).p.type).toBe('development');
    } finally {
      dev.dispose();
    }
  });
  it('ad-hoc, enterprise, app-store', () => {
    expect(read(signer!.sign(xmlPlist({ ...base, ProvisionedDevices: ['a'], DeveloperCertificates: [signer!.certDer] }))).p.type).toBe('ad-hoc');
    expect(read(signer!.sign(xmlPlist({ ...base, ProvisionsAllDevices: true }))).p.type).toBe('enterprise');
    expect(read(signer!.sign(xmlPlist(base))).p.type).toBe('app-store');
  });
  it('BER with indefinite lengths (openssl cms -stream)', () => {
    const ber = signer!.sign(xmlPlist(base), { stream: true });
    expect(ber[1]).toBe(0x80);
    expect(read(ber).p).toMatchObject({ envelope: 'cms', teamId: 'T1', appId: 'T1.x' });
  });
  it('a bare XML or binary plist profile, and a damaged envelope', () => {
    expect(read(xmlPlist(base)).p.envelope).toBe('none');
    expect(read(binaryPlist(base)).p.teamId).toBe('T1');
    const der = signer!.sign(xmlPlist(base));
    der[1] = 0x84; // a length of 4 bytes that runs far past the file
    const r = read(der);
    expect(r.p).toMatchObject({ envelope: 'sliced', teamId: 'T1' });
    expect(r.anomalies.map((a) => a.code)).toEqual(['PROFILE_CMS_DAMAGED']);
  });
});

describe.skipIf(!HAS_LLVM)('the Mach-O builder makes images llvm reads the same way', () => {
  const dir = mkdtempSync(join(tmpdir(), 'eduscan-macho-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const cases: [string, Buffer][] = [
    ['fat', buildFat([{ cpu: 'armv7', bytes: buildMachO(ARMV7) }, { cpu: 'arm64', bytes: buildMachO(ARM64) }])],
    ['fat64', buildFat([{ cpu: 'arm64', bytes: buildMachO(ARM64) }, { cpu: 'x86_64', bytes: buildMachO({ ...ARM64, cpu: 'x86_64', cryptid: undefined }) }], { fat64: true })],
    ['thin big-endian', buildMachO({ ...ARM64, bigEndian: true })],
    ['thin 32-bit', buildMachO(ARMV7)],
  ];
  for (const [name, bytes] of cases) {
    it(name, () => {
      const file = join(dir, name.replace(/\W/g, '_'));
      writeFileSync(file, bytes);
      const od = parseObjdump('# entry: x\n' + execFileSync('llvm-objdump', ['--macho', '--universal-headers', '--private-headers', '--arch=all', file], { encoding: 'utf8' }).replaceAll(file, 'EXE'));
      const nm = parseNm('# entry: x\n' + execFileSync('llvm-nm', ['--undefined-only', '--arch=all', file], { encoding: 'utf8' }).replaceAll(file, 'EXE'));
      const m = parseMachO(bytes, { anomalies: [], entry: name });
      expect(m.archs.length).toBe(od.slices.length);
      od.slices.forEach((s, i) => {
        const a = m.archs[i]!;
        expect(a.flags).toEqual(s.flags);
        expect(a.fileType).toBe(s.filetype.toLowerCase());
        const enc = s.commands.find((c) => c.cmd.startsWith('LC_ENCRYPTION_INFO'));
        expect(a.cryptid).toBe(enc ? Number(enc.fields.cryptid) : undefined);
        expect(a.dylibs).toEqual(s.commands.filter((c) => /^LC_(LOAD|LOAD_WEAK)_DYLIB$/.test(c.cmd)).map((c) => (c.fields.name as string).replace(/ \(offset \d+\)$/, '')));
        const undef = (nm.size === 1 ? [...nm.values()][0] : nm.get(s.arch ?? '')) ?? [];
        expect(a.importedSymbolCount).toBe(undef.length);
      });
    });
  }
});
