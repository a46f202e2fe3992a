// The README's iOS sample (samples/ios/eduscan-sample.ipa, built by samples/ios/build-sample.ts) gives
// back what the builder put in.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { IosFactsSchema } from '../../src/facts/ios-schema.js';
import { SAMPLE } from '../../samples/ios/build-sample.js';
import { scanBuilt } from './helpers/build-ipa.js';

describe('samples/ios/eduscan-sample.ipa', () => {
  const buf = readFileSync(SAMPLE.file);
  const { facts, anomalies } = scanBuilt(buf);
  it('is a few KB', () => expect(buf.length).toBeLessThan(16 * 1024));
  it('identity, zh-Hans label, usage descriptions', () => {
    expect({ id: facts.id, versionName: facts.versionName, versionCode: facts.versionCode, label: facts.label, labelZh: facts.labelZh, minOs: facts.minOs, permissions: facts.permissions })
      .toEqual({ id: SAMPLE.id, versionName: SAMPLE.versionName, versionCode: SAMPLE.versionCode, label: SAMPLE.label, labelZh: SAMPLE.labelZh, minOs: SAMPLE.minOs, permissions: SAMPLE.permissions });
    expect(anomalies).toEqual([]);
  });
  it('ATS exception, ad-hoc profile, privacy manifest, fat executable', () => {
    expect(facts.ios.ats?.exceptionDomains.map((d) => [d.domain, d.allowsInsecureHttpLoads])).toEqual([[SAMPLE.insecureDomain, true]]);
    expect(facts.ios.provisioning).toMatchObject({ type: 'ad-hoc', teamId: SAMPLE.teamId, envelope: 'cms', getTaskAllow: false });
    expect(facts.ios.privacyManifests.map((m) => m.accessedApiTypes)).toEqual([[{ type: 'NSPrivacyAccessedAPICategoryUserDefaults', reasons: ['CA92.1'] }]]);
    expect(facts.ios.macho).toMatchObject({ fat: true, primaryArch: 'arm64', pie: true, encrypted: false, stackCanary: true, arc: true });
    expect(IosFactsSchema.safeParse(facts.ios).success).toBe(true);
  });
});
