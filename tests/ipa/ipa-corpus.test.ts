// All 25 corpus IPAs / .app.zips: facts compared with python plistlib's reading of the same entries
// (tests/oracle/ipa/plists.json) and llvm's of the executables (tests/oracle/ipa/macho/).
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EduscanError, type Anomaly } from '../../src/errors.js';
import { IosFactsSchema } from '../../src/facts/ios-schema.js';
import { FileSource } from '../../src/io/source.js';
import { extractIpaFacts, looksLikeIpa, type IpaFacts } from '../../src/ipa/ipa.js';
import { DEFAULT_LIMITS } from '../../src/limits.js';
import { openZip } from '../../src/zip/zip.js';
import { CORPUS } from '../helpers/corpus.js';
import type { OracleJson } from './helpers/oracle-json.js';

type Dict = Record<string, OracleJson>;
const oracleDir = join(import.meta.dirname, '..', 'oracle', 'ipa');
const plists = (JSON.parse(readFileSync(join(oracleDir, 'plists.json'), 'utf8')) as { items: Record<string, { value?: OracleJson }> }).items;

/**
 * Files that are not a readable app, and why (python zipfile listing): not-an-ipa is 15 bytes of text;
 * no-app-bundle holds only "Payload/"; with_no_swift and with_swift_twice hold Payload/Client.app/Frameworks
 * and no Info.plist; NotAnApp holds one NotAnApp.txt.
 */
const FAILS: Record<string, string> = {
  'fastlane__not-an-ipa.ipa': 'E_NOT_ZIP',
  'fastlane__no-app-bundle.ipa': 'E_NO_APP_BUNDLE',
  'fastlane__with_no_swift.ipa': 'E_NO_INFO_PLIST',
  'fastlane__with_swift_twice.ipa': 'E_NO_INFO_PLIST',
  'isign__NotAnApp.ipa': 'not an IPA',
};

function scan(file: string): { facts: IpaFacts; anomalies: Anomaly[] } | string {
  try {
    const zip = openZip(new FileSource(file), DEFAULT_LIMITS);
    if (!looksLikeIpa(zip)) return 'not an IPA';
    const anomalies: Anomaly[] = [...zip.anomalies];
    return { facts: extractIpaFacts(zip, { limits: DEFAULT_LIMITS, anomalies }), anomalies };
  } catch (e) {
    if (e instanceof EduscanError) return e.code;
    throw e;
  }
}

const str = (v: OracleJson | undefined) => (typeof v === 'string' ? v : undefined);

describe.skipIf(!CORPUS)('corpus IPAs', () => {
  const files = CORPUS ? readdirSync(join(CORPUS, 'ipa')).sort() : [];
  it('has the 25 files', () => expect(files.length).toBe(25));
  for (const f of files) {
    it(f, () => {
      const r = scan(join(CORPUS as string, 'ipa', f));
      if (f in FAILS) {
        expect(r).toBe(FAILS[f]);
        return;
      }
      if (typeof r === 'string') throw new Error(`${f}: ${r}`);
      const { facts } = r;
      const key = (entry: string) => `ipa/${f}!${entry}`;
      const info = plists[key(facts.ios.infoPlist.entry)]?.value as Dict;
      expect(info, 'plistlib read the same Info.plist').toBeDefined();
      expect(facts.id).toBe(info.CFBundleIdentifier);
      expect(facts.versionName).toBe(info.CFBundleShortVersionString);
      expect(facts.versionCode).toBe(info.CFBundleVersion);
      expect(facts.minOs).toBe(info.MinimumOSVersion);
      expect(facts.label).toBe(str(info.CFBundleDisplayName) ?? str(info.CFBundleName));
      expect(facts.permissions.map((p) => [p.name, p.text])).toEqual(Object.keys(info).filter((k) => /UsageDescription$/.test(k)).sort().map((k) => [k, info[k]]));
      expect(facts.ios.backgroundModes).toEqual(info.UIBackgroundModes ?? []);
      expect(facts.ios.deviceFamily).toEqual(info.UIDeviceFamily ?? []);
      expect(facts.ios.urlTypes.flatMap((u) => u.schemes)).toEqual(((info.CFBundleURLTypes ?? []) as Dict[]).flatMap((u) => (u.CFBundleURLSchemes ?? []) as string[]));
      const ats = info.NSAppTransportSecurity as Dict | undefined;
      expect(facts.ios.ats?.allowsArbitraryLoads).toBe(ats?.NSAllowsArbitraryLoads);
      expect(facts.ios.ats?.exceptionDomains.map((d) => d.domain)).toEqual(ats ? Object.keys((ats.NSExceptionDomains ?? {}) as Dict) : undefined);

      const profile = plists[key(facts.ios.bundle.root + 'embedded.mobileprovision')]?.value as Dict | undefined;
      if (profile === undefined) {
        expect(facts.ios.provisioning).toBeUndefined();
      } else {
        const p = facts.ios.provisioning!;
        const ent = profile.Entitlements as Dict;
        expect(p.entry).toBe(facts.ios.bundle.root + 'embedded.mobileprovision');
        expect({ name: p.name, uuid: p.uuid, teamId: p.teamId, teamName: p.teamName, appId: p.appId, devices: p.provisionedDevices, expiration: p.expirationDate, getTaskAllow: p.getTaskAllow })
          .toEqual({ name: profile.Name, uuid: profile.UUID, teamId: (profile.TeamIdentifier as string[])[0], teamName: profile.TeamName, appId: ent['application-identifier'],
            devices: ((profile.ProvisionedDevices ?? []) as string[]).length, expiration: (profile.ExpirationDate as { $date: string }).$date, getTaskAllow: ent['get-task-allow'] });
        if (profile.ProvisionsAllDevices === true) expect(p.type).toBe('enterprise');
        else if (!profile.ProvisionedDevices && ent['get-task-allow'] !== true) expect(p.type).toBe('app-store');
        else if (ent['get-task-allow'] === true) expect(p.type).toBe('development');
        else expect(['development', 'ad-hoc']).toContain(p.type);
      }

      const manifests = Object.keys(plists).filter((k) => k.startsWith(key(facts.ios.bundle.root)) && k.endsWith('/PrivacyInfo.xcprivacy'));
      expect(facts.ios.privacyManifests.map((m) => key(m.entry)).sort()).toEqual(manifests.sort());
      for (const m of facts.ios.privacyManifests) {
        const v = plists[key(m.entry)]?.value as Dict;
        expect(m.tracking).toBe(v.NSPrivacyTracking);
        expect(m.accessedApiTypes.map((a) => a.type)).toEqual(((v.NSPrivacyAccessedAPITypes ?? []) as Dict[]).map((a) => a.NSPrivacyAccessedAPIType));
      }
      for (const b of facts.ios.embeddedBundles) {
        const v = plists[key(`${facts.ios.bundle.root}${b.path}/Info.plist`)]?.value as Dict | undefined;
        expect(b.id).toBe(v?.CFBundleIdentifier);
      }

      const macho = join(oracleDir, 'macho', `${f}.objdump.txt`);
      if (existsSync(macho)) {
        expect(facts.ios.macho?.entry).toBe(readFileSync(macho, 'utf8').split('\n')[0]!.replace('# entry: ', ''));
      } else {
        expect(facts.ios.macho).toBeUndefined();
      }
      const parsed = IosFactsSchema.safeParse(facts.ios);
      expect(parsed.success, parsed.success ? '' : JSON.stringify(parsed.error.issues.slice(0, 3))).toBe(true);
    });
  }
});
