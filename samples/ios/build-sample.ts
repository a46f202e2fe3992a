// Builds samples/ios/eduscan-sample.ipa, the README's iOS quick-start input (a few KB):
//   npx tsx samples/ios/build-sample.ts
// An education app "智慧课堂" (Smart Classroom) with a binary Info.plist, three usage descriptions and their
// zh-Hans texts, an ATS exception, a privacy manifest, an ad-hoc provisioning profile signed by a
// throwaway key with `openssl cms -sign`, and a fat armv7+arm64 executable built byte by byte.
// The profile's key is generated on every run, so rebuilding changes the file's MD5.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildFat, buildMachO } from '../../tests/ipa/helpers/build-macho.js';
import { binaryPlist, buildZip, makeSigner, stringsText, xmlPlist } from '../../tests/ipa/helpers/build-ipa.js';

export const SAMPLE = {
  file: join(import.meta.dirname, 'eduscan-sample.ipa'),
  id: 'cn.example.smartclass',
  versionName: '1.4.0',
  versionCode: '140',
  label: 'Smart Classroom',
  labelZh: '智慧课堂',
  minOs: '13.0',
  permissions: [
    { name: 'NSCameraUsageDescription', text: 'Scan homework QR codes', textZh: '扫描作业二维码' },
    { name: 'NSLocationWhenInUseUsageDescription', text: 'Show nearby study centres', textZh: '显示附近的学习中心' },
    { name: 'NSMicrophoneUsageDescription', text: 'Record spoken English practice', textZh: '录制英语口语练习' },
  ],
  teamId: 'SMART12345',
  insecureDomain: 'media.smartclass.example.cn',
};

function build(): Buffer {
  const info = {
    CFBundleIdentifier: SAMPLE.id,
    CFBundleShortVersionString: SAMPLE.versionName,
    CFBundleVersion: SAMPLE.versionCode,
    CFBundleName: 'SmartClass',
    CFBundleDisplayName: SAMPLE.label,
    CFBundleExecutable: 'SmartClass',
    CFBundlePackageType: 'APPL',
    MinimumOSVersion: SAMPLE.minOs,
    UIDeviceFamily: [1, 2],
    ...Object.fromEntries(SAMPLE.permissions.map((p) => [p.name, p.text])),
    NSAppTransportSecurity: { NSExceptionDomains: { [SAMPLE.insecureDomain]: { NSExceptionAllowsInsecureHTTPLoads: true, NSIncludesSubdomains: true } } },
  };
  const zh = { CFBundleDisplayName: SAMPLE.labelZh, ...Object.fromEntries(SAMPLE.permissions.map((p) => [p.name, p.textZh])) };
  const executable = buildFat([
    { cpu: 'armv7', bytes: buildMachO({ cpu: 'armv7', versionMin: { minos: SAMPLE.minOs, sdk: '17.2' }, dylibs: ['/usr/lib/libSystem.B.dylib'], imports: ['___stack_chk_guard', '_objc_release'] }) },
    { cpu: 'arm64', bytes: buildMachO({ cpu: 'arm64', build: { platform: 2, minos: SAMPLE.minOs, sdk: '17.2' }, cryptid: 0, codeSignature: true,
      dylibs: ['/usr/lib/libSystem.B.dylib', '/System/Library/Frameworks/UIKit.framework/UIKit', '/System/Library/Frameworks/AVFoundation.framework/AVFoundation'],
      imports: ['_OBJC_CLASS_$_AVAudioRecorder', '_OBJC_CLASS_$_CLLocationManager', '___stack_chk_fail', '___stack_chk_guard', '_objc_msgSend', '_objc_release'] }) },
  ]);
  const signer = makeSigner(`iPhone Distribution: Smart Classroom Ltd (${SAMPLE.teamId})`);
  try {
    const profile = signer.sign(xmlPlist({
      AppIDName: 'Smart Classroom', ApplicationIdentifierPrefix: [SAMPLE.teamId], Name: 'Smart Classroom Ad Hoc', Platform: ['iOS'],
      CreationDate: new Date('2026-01-05T08:00:00Z'), ExpirationDate: new Date('2027-01-05T08:00:00Z'),
      ProvisionedDevices: ['00008110-000A1B2C3D4E5F60'], TeamIdentifier: [SAMPLE.teamId], TeamName: 'Smart Classroom Ltd', UUID: '0b5e7c1a-4d2f-4c1e-9a7b-5d3e2f1a0c9b', Version: 1,
      DeveloperCertificates: [signer.certDer],
      Entitlements: { 'application-identifier': `${SAMPLE.teamId}.${SAMPLE.id}`, 'get-task-allow': false, 'aps-environment': 'production' },
    }));
    const app = 'Payload/SmartClass.app/';
    return buildZip({
      [`${app}Info.plist`]: binaryPlist(info),
      [`${app}SmartClass`]: executable,
      [`${app}embedded.mobileprovision`]: profile,
      [`${app}zh-Hans.lproj/InfoPlist.strings`]: stringsText(zh),
      [`${app}en.lproj/InfoPlist.strings`]: stringsText({ CFBundleDisplayName: SAMPLE.label }, 'utf8'),
      [`${app}PrivacyInfo.xcprivacy`]: xmlPlist({
        NSPrivacyTracking: false, NSPrivacyTrackingDomains: [],
        NSPrivacyCollectedDataTypes: [{ NSPrivacyCollectedDataType: 'NSPrivacyCollectedDataTypeAudioData', NSPrivacyCollectedDataTypeLinked: false, NSPrivacyCollectedDataTypeTracking: false, NSPrivacyCollectedDataTypePurposes: ['NSPrivacyCollectedDataTypePurposeAppFunctionality'] }],
        NSPrivacyAccessedAPITypes: [{ NSPrivacyAccessedAPIType: 'NSPrivacyAccessedAPICategoryUserDefaults', NSPrivacyAccessedAPITypeReasons: ['CA92.1'] }],
      }),
      [`${app}PkgInfo`]: 'APPL????',
    });
  } finally {
    signer.dispose();
  }
}

if (process.argv[1] && import.meta.filename === process.argv[1]) {
  const buf = build();
  writeFileSync(SAMPLE.file, buf);
  console.log(`wrote ${SAMPLE.file} (${buf.length} bytes)`);
}
