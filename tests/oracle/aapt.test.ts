// Unit tests of the aapt-output parser on stored raw aapt outputs (committed, so no corpus needed).
// Expected values are read off the raw files aapt wrote (tests/oracle/aapt/*.txt).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AAPT_ORACLE_DIR, loadAaptOracle, parseAttrs, parseBadging, parsePermissions, unescapeAapt, versionCodeMatches } from './aapt.js';

const raw = (f: string) => readFileSync(join(AAPT_ORACLE_DIR, f), 'utf8');

describe('aapt raw-output parser', () => {
  it('reads duplicate and sdk-23 permissions the way aapt prints them (no de-duplication)', () => {
    const p = parsePermissions(raw('androguard__duplicate.permisssions_9999999.apk.permissions.txt'));
    expect(p.ok).toBe(true);
    expect(p.package).toBe('duplicate.permisssions');
    expect(p.permissions).toHaveLength(8);
    expect(p.permissions.filter((x) => x.name === 'android.permission.INTERNET')).toHaveLength(2);
    expect(p.permissions).toContainEqual({ name: 'android.permission.REQUEST_IGNORE_BATTERY_OPTIMIZATIONS', maxSdkVersion: 27, sdk23: true });
    expect(p.permissions).toContainEqual({ name: 'android.permission.REQUEST_INSTALL_PACKAGES', sdk23: true });
    expect(p.permissions).toContainEqual({ name: 'android.permission.WRITE_EXTERNAL_STORAGE', maxSdkVersion: 18, sdk23: false });
  });

  it('reads the package line, sdk values, labels and debuggable from badging', () => {
    const o = loadAaptOracle('androguard__duplicate.permisssions_9999999.apk');
    expect(o).toBeDefined();
    expect(o!.ok).toBe(true);
    expect(o!.package).toBe('duplicate.permisssions');
    expect(o!.versionCode).toBe('9999999');
    expect(o!.versionName).toBe('0.3-7-gb817ac8');
    expect(o!.sdkVersion).toBe('18');
    expect(o!.targetSdkVersion).toBe('27');
    expect(o!.maxSdkVersion).toBeUndefined();
    expect(o!.label).toBe('urzip');
    expect(o!.debuggable).toBe(true);
  });

  it('marks android:required="false" from optional-permission lines without adding a permission', () => {
    const p = parsePermissions(raw('androguard__a2dp.Vol_137.apk.permissions.txt'));
    expect(p.permissions).toHaveLength(17);
    expect(p.permissions.filter((x) => x.optional).map((x) => x.name)).toEqual([
      'android.permission.CHANGE_WIFI_STATE', 'android.permission.ACCESS_WIFI_STATE', 'android.permission.RECEIVE_SMS',
    ]);
  });

  it('keeps preview codenames as strings and reads zh-CN labels', () => {
    const lib = parseBadging(raw('apktool__library.apk.badging.txt'));
    expect(lib.ok).toBe(false);
    expect(lib.sdkVersion).toBe('VanillaIceCream');
    expect(lib.versionName).toBe('VanillaIceCream');
    const styling = parseBadging(raw('androguard__com.android.example.text.styling.apk.badging.txt'));
    expect(styling.labelZh).toBe('TextStylingJava');
    expect(styling.labels['zh-TW']).toBe('TextStylingJava');
  });

  it('reads native-code lists and failures', () => {
    const many = parseBadging(raw('fdroidserver__org.dyndns.fules.ck_20.apk.badging.txt'));
    expect(many.nativeCode).toEqual(['arm64-v8a', 'armeabi', 'armeabi-v7a', 'mips', 'mips64', 'x86', 'x86_64']);
    expect(parseBadging(raw('androguard__golden-aligned-in.apk.badging.txt')).nativeCode).toEqual(['armeabi']);
    const cert = loadAaptOracle('androguard__CertChain.apk');
    expect(cert!.ok).toBe(false);
    expect(cert!.badgingExit).toBe(1);
    expect(cert!.errors).toEqual(['ERROR: dump failed because no AndroidManifest.xml found', 'ERROR: dump failed because no AndroidManifest.xml found']);
    expect(cert!.package).toBeUndefined();
  });

  it('splits values that contain a bare quote and undoes normalizeForOutput escapes', () => {
    expect(parseAttrs("package: name='a.b' versionCode='1' versionName='it's 2\\n\\\"x\\\\'")).toEqual({
      name: 'a.b', versionCode: '1', versionName: 'it\'s 2\n"x\\',
    });
    expect(unescapeAapt('a\\\\n')).toBe('a\\n');
  });

  it('mirrors aapt versionCode printing (> 0 as int32, else empty)', () => {
    expect(versionCodeMatches('5', '5')).toBe(true);
    expect(versionCodeMatches('5', '6')).toBe(false);
    expect(versionCodeMatches('', undefined)).toBe(true);
    expect(versionCodeMatches('', '0')).toBe(true);
    expect(versionCodeMatches('', '4294967295')).toBe(true);
    expect(versionCodeMatches('', '7')).toBe(false);
  });
});
