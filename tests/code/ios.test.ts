// iOS code facts: SDKs from frameworks, dylibs, linked libraries, class lists and class symbols; sensitive
// APIs from imported symbols and selectors, attributed to the framework's SDK or the app; when the code is
// assessable. Then IPAs built from parts (main executable with a class list + an SDK framework) through
// both IPA readers, and corpus IPAs whose symbols and selectors LLVM lists.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { classNameParts, extractIosCode, type IosCodeInput } from '../../src/code/ios.js';
import { loadCodeRules } from '../../src/code/load.js';
import { EduscanError, type Anomaly } from '../../src/errors.js';
import type { IosFacts } from '../../src/facts/ios-schema.js';
import { PackageFactsSchema } from '../../src/facts/schema.js';
import { closeHashPool } from '../../src/hash/hash.js';
import { BufferSource, FileSource } from '../../src/io/source.js';
import { extractIpaFacts, extractIpaFactsAsync } from '../../src/ipa/ipa.js';
import type { MachOCode } from '../../src/ipa/macho.js';
import { DEFAULT_LIMITS } from '../../src/limits.js';
import { scanPackage } from '../../src/scan.js';
import { openZip, readEntry } from '../../src/zip/zip.js';
import { CORPUS } from '../helpers/corpus.js';
import { rng } from '../helpers/rng.js';
import { hasTool } from '../helpers/tools.js';
import { binaryPlist, buildZip, xmlPlist } from '../ipa/helpers/build-ipa.js';
import { buildObjcMachO } from '../ipa/helpers/build-objc.js';
import { objdumpSectionStrings } from '../ipa/helpers/llvm-objc.js';

afterAll(() => closeHashPool());

const rules = loadCodeRules();

function iosFacts(over: Partial<IosFacts>): IosFacts {
  return {
    bundle: { root: 'Payload/A.app/', name: 'A.app', layout: 'payload' }, infoPlist: { entry: 'Payload/A.app/Info.plist', format: 'xml' },
    supportedPlatforms: [], deviceFamily: [], backgroundModes: [], urlTypes: [], queriesSchemes: [], requiredDeviceCapabilities: [],
    localizations: [], privacyManifests: [], embeddedBundles: [], dylibs: [], ...over,
  };
}

const MACHO: NonNullable<IosFacts['macho']> = {
  entry: 'Payload/A.app/A', fat: false, primaryArch: 'arm64', pie: true, encrypted: false, stackCanary: true, arc: true,
  archs: [{ cpu: 'arm64', cpuType: 0, cpuSubtype: 0, offset: 0, size: 1, bits: 64, fileType: 'execute', flags: [], pie: true, encrypted: false, codeSignature: true, dylibs: [], rpaths: [], importedSymbolCount: 0, stackCanary: true, arc: true }],
  importedSymbols: [],
};

function binary(entry: string, over: Partial<MachOCode>): MachOCode {
  return { entry, arch: 'arm64', encrypted: false, classes: [], swiftClasses: 0, unnamedClasses: 0, selectors: [], definedClassSymbols: [], importedSymbols: [], gaps: [], ...over };
}

const sdk = (id: string) => rules.sdks.find((s) => s.id === id)!;

describe('iOS code facts from the executables\' lists', () => {
  it('class prefixes and whole class names in the class list, Swift module/class names, defined class symbols, imported ones', () => {
    const main = binary('Payload/A.app/A', {
      classes: ['GDTSplashAd', 'GDTSplashAdView', 'GDTSDKConfig', 'Bugly', 'BuglyLog', 'AdjustableSlider', 'LessonView', '_TtC9SentrySDK9SentryHub'],
      definedClassSymbols: ['_OBJC_CLASS_$_WXApi', '_OBJC_METACLASS_$_AlipaySDK', '_main'],
      importedSymbols: ['_OBJC_CLASS_$_FIRApp', '_OBJC_CLASS_$_NSObject'],
    });
    const { sdks } = extractIosCode(iosFacts({ macho: MACHO }), rules, { binaries: [{ bundle: '', code: main }], skipped: [] });
    const by = new Map(sdks!.map((s) => [s.id, s.evidence]));
    expect(by.get('tencent-gdt')).toEqual([
      { kind: 'class', value: 'GDTSplashAd*', location: 'Payload/A.app/A', count: 2 },
      { kind: 'class', value: 'GDTSDKConfig', location: 'Payload/A.app/A' },
    ]);
    // "Bugly" is a whole class name; BuglyLog is not BuglyConfig*, and no Adjust* prefix catches AdjustableSlider.
    expect(by.get('tencent-bugly')).toEqual([{ kind: 'class', value: 'Bugly', location: 'Payload/A.app/A' }]);
    expect(by.has('adjust')).toBe(false);
    expect(by.get('sentry')).toEqual([{ kind: 'class', value: '_TtC9SentrySDK9SentryHub', location: 'Payload/A.app/A' }]);
    expect(by.get('wechat-opensdk')).toEqual([{ kind: 'class', value: 'WXApi', location: 'Payload/A.app/A' }]);
    expect(by.has('alipay-sdk')).toBe(false); // a metaclass symbol is not a class of its own
    expect(by.get('firebase-core')).toEqual([{ kind: 'symbol', value: '_OBJC_CLASS_$_FIRApp', location: 'Payload/A.app/A' }]);
    expect(classNameParts('_TtCC10SmartClass5Outer5Inner')).toEqual(['SmartClass', 'Outer', 'Inner']);
    expect(classNameParts('_TtC3Bad99')).toEqual(['Bad']);
    expect(classNameParts('GDTSplashAd')).toEqual(['GDTSplashAd']);
  });

  it('APIs from symbols and selectors: the main executable\'s are the app\'s, a framework\'s are its SDK\'s', () => {
    const main = binary('Payload/A.app/A', { selectors: ['identifierForVendor', 'viewDidLoad', 'systemUptime'], importedSymbols: ['_stat', '_objc_msgSend'] });
    const bu = binary('Payload/A.app/Frameworks/BUAdSDK.framework/BUAdSDK', { selectors: ['advertisingIdentifier', 'activeInputModes'], importedSymbols: ['_OBJC_CLASS_$_ASIdentifierManager'] });
    const anon = binary('Payload/A.app/Frameworks/Anon.framework/Anon', { classes: ['KSAdSDKManager', 'KSSplashAd'], selectors: ['generalPasteboard'] });
    const facts = iosFacts({ macho: MACHO, embeddedBundles: [{ path: 'Frameworks/BUAdSDK.framework', kind: 'framework' }, { path: 'Frameworks/Anon.framework', kind: 'framework', id: 'com.example.anon' }] });
    const input: IosCodeInput = { binaries: [{ bundle: '', code: main }, { bundle: 'Frameworks/BUAdSDK.framework', code: bu }, { bundle: 'Frameworks/Anon.framework', code: anon }], skipped: [] };
    const { sdks, code } = extractIosCode(facts, rules, input);
    expect(code.sensitiveApis.map((a) => `${a.id}|${a.api}|${a.owner}|${a.bundle}|${a.requiredReasonType ?? '-'}|${a.evidence[0]!.kind}`).sort()).toEqual([
      'ios-idfa|_OBJC_CLASS_$_ASIdentifierManager|pangle-csj|Frameworks/BUAdSDK.framework|-|symbol',
      'ios-idfa|advertisingIdentifier|pangle-csj|Frameworks/BUAdSDK.framework|-|selector',
      'ios-idfv|identifierForVendor|app||-|selector',
      // No name or id signature knows Anon.framework: the SDK whose classes it holds owns its code.
      'ios-pasteboard|generalPasteboard|kuaishou-ads|Frameworks/Anon.framework|-|selector',
      'ios-rr-active-keyboards|activeInputModes|pangle-csj|Frameworks/BUAdSDK.framework|NSPrivacyAccessedAPICategoryActiveKeyboards|selector',
      'ios-rr-file-timestamp|_stat|app||NSPrivacyAccessedAPICategoryFileTimestamp|symbol',
      'ios-rr-system-boot-time|systemUptime|app||NSPrivacyAccessedAPICategorySystemBootTime|selector',
    ]);
    expect(code.sensitiveApis).toHaveLength(7);
    expect(code.sensitiveApis.find((a) => a.api === 'systemUptime')).toMatchObject({ requiredReasonType: 'NSPrivacyAccessedAPICategorySystemBootTime', evidence: [{ kind: 'selector', value: 'systemUptime', location: 'Payload/A.app/A' }] });
    expect(sdks!.find((s) => s.id === 'pangle-csj')!.evidence).toEqual([{ kind: 'framework', value: 'BUAdSDK.framework', location: 'Payload/A.app/Frameworks/BUAdSDK.framework' }]);
    expect(code.assessable).toBe(true);
    expect(code.notAssessableReason).toBeUndefined();
    expect(sdk('pangle-csj').category).toBe('advertising');
  });

  it('not assessable: encrypted executables, gaps, frameworks left unread, --no-code, facts without the lists', () => {
    const main = binary('Payload/A.app/A', {});
    const reason = (input: IosCodeInput | undefined, macho: IosFacts['macho'] = MACHO) => extractIosCode(iosFacts(macho ? { macho } : {}), rules, input).code;
    expect(reason({ binaries: [{ bundle: '', code: { ...main, encrypted: true } }], skipped: [] }).notAssessableReason).toMatch(/main executable is FairPlay-encrypted/);
    expect(reason({ binaries: [{ bundle: '', code: { ...main, gaps: ['__objc_methname not fully read'] } }], skipped: [] }).notAssessableReason).toMatch(/__objc_methname not fully read/);
    expect(reason({ binaries: [{ bundle: '', code: main }], skipped: [{ bundle: 'Frameworks/Big.framework', why: 'not read: too big' }] }).notAssessableReason).toBe('Frameworks/Big.framework: not read: too big');
    expect(reason({ binaries: [], skipped: [], disabled: true }).notAssessableReason).toBe('code was not scanned (--no-code)');
    expect(reason({ binaries: [], skipped: [] }, undefined).notAssessableReason).toMatch(/could not be read/);
    const legacy = reason(undefined);
    expect(legacy.assessable).toBe(false);
    expect(legacy.notAssessableReason).toMatch(/imported symbols/);
  });
});

// ---- IPAs built from parts

const MAIN = buildObjcMachO({
  cpu: 'arm64', pointers: 'ptr64-offset',
  classes: ['AppDelegate', 'LessonViewController', 'GDTSplashAd', 'GDTSDKConfig', 'Bugly'],
  swiftClasses: ['_TtC10SmartClass13HomeViewModel'],
  selectors: ['viewDidLoad', 'identifierForVendor', 'systemUptime', 'standardUserDefaults'],
  imports: ['_objc_msgSend', '_OBJC_CLASS_$_NSUserDefaults', '_OBJC_CLASS_$_UIDevice', '___stack_chk_guard', '_objc_release'],
  exports: ['_main'],
});
const FRAMEWORK = buildObjcMachO({
  cpu: 'arm64', pointers: 'ptr64', fileType: 6,
  classes: ['BUAdSDKManager', 'BUSplashAd', 'BUNativeExpressAdManager'],
  selectors: ['advertisingIdentifier', 'loadAdData', 'statfsHelper'],
  imports: ['_OBJC_CLASS_$_ASIdentifierManager', '_statfs', '_objc_msgSend'],
});

function ipa(opts: { encryptedFramework?: boolean; frameworkManifest?: boolean; main?: Buffer; framework?: Buffer } = {}): Buffer {
  const fw = opts.framework ?? (opts.encryptedFramework ? buildObjcMachO({ cpu: 'arm64', cryptid: 1, fileType: 6, classes: ['BUAdSDKManager'], selectors: ['x'], imports: ['_statfs'] }).bytes : FRAMEWORK.bytes);
  const files: Record<string, Buffer> = {
    'Payload/S.app/Info.plist': binaryPlist({ CFBundleIdentifier: 'com.example.s', CFBundleExecutable: 'S', CFBundleShortVersionString: '1.0' }),
    'Payload/S.app/S': opts.main ?? MAIN.bytes,
    'Payload/S.app/PrivacyInfo.xcprivacy': xmlPlist({ NSPrivacyTracking: false, NSPrivacyAccessedAPITypes: [{ NSPrivacyAccessedAPIType: 'NSPrivacyAccessedAPICategoryUserDefaults', NSPrivacyAccessedAPITypeReasons: ['CA92.1'] }] }),
    'Payload/S.app/Frameworks/BUAdSDK.framework/Info.plist': xmlPlist({ CFBundleIdentifier: 'com.bytedance.BUAdSDK', CFBundleExecutable: 'BUAdSDK' }),
    'Payload/S.app/Frameworks/BUAdSDK.framework/BUAdSDK': fw,
    'Payload/S.app/Frameworks/Resources.framework/Info.plist': xmlPlist({ CFBundleIdentifier: 'com.example.res' }),
  };
  if (opts.frameworkManifest) {
    files['Payload/S.app/Frameworks/BUAdSDK.framework/PrivacyInfo.xcprivacy'] = xmlPlist({ NSPrivacyAccessedAPITypes: [{ NSPrivacyAccessedAPIType: 'NSPrivacyAccessedAPICategoryDiskSpace', NSPrivacyAccessedAPITypeReasons: ['E174.1'] }] });
  }
  return buildZip(files);
}

async function both(buf: Buffer, code?: boolean) {
  const a1: Anomaly[] = [];
  const a2: Anomaly[] = [];
  const sync = extractIpaFacts(openZip(new BufferSource(buf), DEFAULT_LIMITS), { limits: DEFAULT_LIMITS, anomalies: a1, ...(code === undefined ? {} : { code }) });
  const async = await extractIpaFactsAsync(openZip(new BufferSource(buf), DEFAULT_LIMITS), { limits: DEFAULT_LIMITS, anomalies: a2, ...(code === undefined ? {} : { code }) });
  expect(async).toEqual(sync);
  expect(a2).toEqual(a1);
  return { facts: sync, anomalies: a1 };
}

describe('IPAs built from parts: main executable with a class list, an SDK framework with its own executable', () => {
  it('SDKs from the class list and the framework, APIs attributed, frameworks summarised; both readers agree', async () => {
    const { facts, anomalies } = await both(ipa());
    expect(anomalies).toEqual([]);
    const by = new Map(facts.sdks!.map((s) => [s.id, s.evidence]));
    expect(by.get('tencent-gdt')).toEqual([{ kind: 'class', value: 'GDTSplashAd', location: 'Payload/S.app/S' }, { kind: 'class', value: 'GDTSDKConfig', location: 'Payload/S.app/S' }]);
    expect(by.get('tencent-bugly')).toEqual([{ kind: 'class', value: 'Bugly', location: 'Payload/S.app/S' }]);
    expect(by.get('pangle-csj')).toEqual([
      { kind: 'framework', value: 'BUAdSDK.framework', location: 'Payload/S.app/Frameworks/BUAdSDK.framework' },
      { kind: 'class', value: 'BUAdSDKManager', location: 'Payload/S.app/Frameworks/BUAdSDK.framework/BUAdSDK' },
      { kind: 'class', value: 'BUSplashAd', location: 'Payload/S.app/Frameworks/BUAdSDK.framework/BUAdSDK' },
      { kind: 'class', value: 'BUNativeExpressAdManager', location: 'Payload/S.app/Frameworks/BUAdSDK.framework/BUAdSDK' },
    ]);
    expect(facts.code!.sensitiveApis.map((a) => `${a.id}|${a.api}|${a.owner}|${a.bundle}`).sort()).toEqual([
      'ios-idfa|_OBJC_CLASS_$_ASIdentifierManager|pangle-csj|Frameworks/BUAdSDK.framework',
      'ios-idfa|advertisingIdentifier|pangle-csj|Frameworks/BUAdSDK.framework',
      'ios-idfv|identifierForVendor|app|',
      'ios-rr-disk-space|_statfs|pangle-csj|Frameworks/BUAdSDK.framework',
      'ios-rr-system-boot-time|systemUptime|app|',
      'ios-rr-user-defaults|_OBJC_CLASS_$_NSUserDefaults|app|',
    ]);
    expect(facts.code).toMatchObject({ assessable: true });
    expect(facts.ios.macho!.code).toEqual({ arch: 'arm64', classCount: 6, swiftClassCount: 1, unnamedClassCount: 0, selectorCount: 4, definedSymbolCount: MAIN.definedSymbols.length, complete: true });
    const fw = facts.ios.embeddedBundles.find((b) => b.path === 'Frameworks/BUAdSDK.framework')!;
    expect(fw.binary).toEqual({ entry: 'Payload/S.app/Frameworks/BUAdSDK.framework/BUAdSDK', encrypted: false, importedSymbolCount: 3, arch: 'arm64', classCount: 3, swiftClassCount: 0, unnamedClassCount: 0, selectorCount: 3, definedSymbolCount: FRAMEWORK.definedSymbols.length, complete: true });
    expect(facts.ios.embeddedBundles.find((b) => b.path === 'Frameworks/Resources.framework')).toEqual({ path: 'Frameworks/Resources.framework', kind: 'framework', id: 'com.example.res' });
  });

  it('an encrypted framework executable makes the code not assessable, naming it', async () => {
    const { facts } = await both(ipa({ encryptedFramework: true }));
    expect(facts.code).toMatchObject({ assessable: false, notAssessableReason: expect.stringMatching(/^Frameworks\/BUAdSDK\.framework is FairPlay-encrypted/) });
  });

  it('code: false (--no-code) reads no lists and no framework executable', async () => {
    const { facts } = await both(ipa(), false);
    expect(facts.ios.macho!.code).toBeUndefined();
    expect(facts.ios.embeddedBundles.every((b) => b.binary === undefined)).toBe(true);
    expect(facts.code).toMatchObject({ assessable: false, notAssessableReason: 'code was not scanned (--no-code)', sensitiveApis: [] });
  });

  it('scanPackage passes --no-code through to the IPA reader', async () => {
    const sample = join(import.meta.dirname, '../../samples/ios/eduscan-sample.ipa');
    expect((await scanPackage(sample, { code: false })).code).toMatchObject({ assessable: false, notAssessableReason: 'code was not scanned (--no-code)', sensitiveApis: [] });
    expect((await scanPackage(sample)).code?.notAssessableReason).not.toBe('code was not scanned (--no-code)');
  });

  it('the scan facts validate against the schema', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'eduscan-ios-code-'));
    try {
      const path = join(dir, 's.ipa');
      writeFileSync(path, ipa({ frameworkManifest: true }));
      const facts = await scanPackage(path);
      expect(PackageFactsSchema.safeParse(facts).success).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('500 IPAs with mutated executables: only EduscanError, and both readers agree', async () => {
    const r = rng(31);
    const flip = (seed: Buffer) => {
      const b = Buffer.from(seed);
      const n = 1 + Math.floor(r() * 6);
      for (let k = 0; k < n; k++) {
        const at = Math.floor(r() * b.length);
        if (r() < 0.5) b[at]! ^= 1 << Math.floor(r() * 8);
        else if (at + 4 <= b.length) b.writeUInt32LE([0, 0xffffffff, 0x80000000, Math.floor(r() * b.length)][Math.floor(r() * 4)]!, at & ~3);
      }
      return r() < 0.1 ? b.subarray(0, Math.floor(r() * b.length)) : b;
    };
    const outcomes = new Set<string>();
    for (let i = 0; i < 500; i++) {
      const buf = ipa({ main: flip(MAIN.bytes), framework: flip(FRAMEWORK.bytes) });
      try {
        const { facts, anomalies } = await both(buf);
        outcomes.add(anomalies.length ? 'anomalies' : 'clean');
        outcomes.add(facts.code!.assessable ? 'assessable' : 'not assessable');
      } catch (e) {
        if (!(e instanceof EduscanError)) throw new Error(`case ${i}: ${(e as Error).stack}`);
        outcomes.add('error');
      }
    }
    expect([...outcomes].sort()).toEqual(['anomalies', 'assessable', 'clean', 'not assessable']);
  });

  it('500 IPAs with random bit flips anywhere: only EduscanError from either reader', async () => {
    const seed = ipa();
    const r = rng(32);
    for (let i = 0; i < 500; i++) {
      const b = Buffer.from(seed);
      for (let k = 0, n = 1 + Math.floor(r() * 8); k < n; k++) b[Math.floor(r() * b.length)]! ^= 1 << Math.floor(r() * 8);
      for (const run of [
        async () => extractIpaFacts(openZip(new BufferSource(b), DEFAULT_LIMITS), { limits: DEFAULT_LIMITS, anomalies: [] }),
        async () => extractIpaFactsAsync(openZip(new BufferSource(b), DEFAULT_LIMITS), { limits: DEFAULT_LIMITS, anomalies: [] }),
      ]) {
        try {
          await run();
        } catch (e) {
          if (!(e instanceof EduscanError)) throw new Error(`case ${i}: ${(e as Error).stack}`);
        }
      }
    }
  });
});

describe.skipIf(!CORPUS || !hasTool('llvm-nm') || !hasTool('llvm-objdump'))('corpus IPAs', () => {
  it('report, per executable, exactly the sensitive symbols llvm-nm lists as undefined and the selectors of __objc_methname', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'eduscan-ios-'));
    const symbols = new Set(rules.apis.flatMap((a) => a.ios?.symbols ?? []));
    const selectors = new Set(rules.apis.flatMap((a) => a.ios?.selectors ?? []));
    let compared = 0;
    let frameworks = 0;
    try {
      for (const name of ['appiumjava__TestApp.app.zip', 'appiumjava__vodqa.zip', 'runloop__CalSmoke.ipa', 'appinfo__apple-tv.ipa']) {
        const path = join(CORPUS!, 'ipa', name);
        const facts = await scanPackage(path);
        expect(facts.code!.assessable, name).toBe(true);
        const ios = facts.ios!;
        const binaries = [{ bundle: '', entry: ios.macho!.entry, arch: ios.macho!.primaryArch }, ...ios.embeddedBundles.filter((b) => b.binary).map((b) => ({ bundle: b.path, entry: b.binary!.entry, arch: b.binary!.arch }))];
        const src = new FileSource(path);
        const zip = openZip(src);
        for (const b of binaries) {
          const file = join(tmp, 'exe');
          writeFileSync(file, readEntry(zip, zip.get(b.entry)!, 512 * 1024 * 1024));
          const arch = `--arch=${b.arch}`;
          const nm = execFileSync('llvm-nm', ['--undefined-only', '--just-symbol-name', arch, file], { maxBuffer: 1 << 28 }).toString();
          const od = execFileSync('llvm-objdump', ['--macho', '--section=__TEXT,__objc_methname', arch, file], { maxBuffer: 1 << 28 }).toString();
          const expected = [...new Set([...nm.split('\n').map((l) => l.trim()).filter((s) => symbols.has(s)), ...objdumpSectionStrings(od, '__TEXT,__objc_methname').filter((s) => selectors.has(s))])].sort();
          const got = facts.code!.sensitiveApis.filter((a) => a.bundle === b.bundle);
          expect(got.map((a) => a.api).sort(), `${name} ${b.entry}`).toEqual(expected);
          expect(got.every((a) => a.evidence.every((e) => e.location === b.entry))).toBe(true);
          compared += expected.length;
          if (b.bundle !== '') frameworks++;
        }
        src.close();
      }
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
    expect(compared).toBeGreaterThan(5);
    expect(frameworks).toBeGreaterThan(0);
  });
});
