// Filing checkboxes detected from real packages. Expected permission names come from aapt's stored
// `dump permissions` outputs (tests/oracle/aapt/) and, for iOS, from python plistlib's reading of Info.plist
// (tests/oracle/ipa/plists.json); the map file decides which box a name belongs to, as documented in it.
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PERMISSION_LABELS, type CategoryDetection, type PermissionLabel } from '../../src/check/types.js';
import type { PackageFacts } from '../../src/facts/schema.js';
import { compareCategories, detectCategories } from '../../src/rules/categories.js';
import { deriveFacts } from '../../src/rules/derived.js';
import { loadRuleSet } from '../../src/rules/load.js';
import { scanPackage } from '../../src/scan.js';
import { CORPUS, corpusFiles } from '../helpers/corpus.js';
import { loadAaptOracle, type AaptOracle } from '../oracle/aapt.js';
import { REPO } from './bases.js';

const { permissionMap: map } = loadRuleSet();
const SAMPLE_APK = join(REPO, 'samples', 'android', 'smartclass.apk');
const SAMPLE_IPA = join(REPO, 'samples', 'ios', 'eduscan-sample.ipa');

function labelsOf(name: string): PermissionLabel[] {
  return map.categories.filter((c) => c.android?.permissions?.includes(name)).map((c) => c.label);
}
function usageLabelsOf(key: string): PermissionLabel[] {
  const l = map.categories.filter((c) => c.ios?.usageKeys?.includes(key)).map((c) => c.label);
  return l.length > 0 ? l : new RegExp(map.ios.otherFallbackPattern, 'u').test(key) ? ['其它'] : [];
}
function evidenceOf(detected: CategoryDetection[], label: PermissionLabel, kind = 'permission'): string[] {
  return (detected.find((d) => d.label === label)?.evidence ?? []).filter((e) => e.kind === kind).map((e) => e.value).sort();
}
function allValues(detected: CategoryDetection[], kind: string): Set<string> {
  return new Set(detected.flatMap((d) => d.evidence.filter((e) => e.kind === kind).map((e) => e.value)));
}

/** What the map file says about one aapt permission name: the boxes it ticks, or why it ticks none. */
function expectedFor(name: string, aapt: AaptOracle): { labels: PermissionLabel[]; unclassified: boolean } {
  const labels = labelsOf(name);
  if (labels.length > 0) return { labels, unclassified: false };
  if (map.android.noCheckbox.includes(name) || aapt.declaredPermissions.includes(name)) return { labels: [], unclassified: false };
  if (map.android.otherFallbackPrefixes.some((p) => name.startsWith(p))) return { labels: ['其它'], unclassified: false };
  return { labels: [], unclassified: true };
}

describe('detectCategories on the sample APK', () => {
  it('ticks the boxes of the sample\'s permissions, in form order, with definite evidence', async () => {
    const facts = await scanPackage(SAMPLE_APK);
    const detected = detectCategories(facts, map);
    const order = detected.map((d) => PERMISSION_LABELS.indexOf(d.label));
    expect(order).toEqual([...order].sort((a, b) => a - b));
    for (const d of detected) for (const e of d.evidence) expect(e.strength).toBe('D');
    // Every requested permission the map names lands in its boxes.
    for (const p of facts.permissions) for (const l of labelsOf(p.name)) expect(evidenceOf(detected, l)).toContain(p.name);
  });

  it('keeps a maxSdkVersion-limited permission and says so in the location', async () => {
    const facts = await scanPackage(SAMPLE_APK);
    const limited = facts.permissions.find((p) => p.maxSdkVersion !== undefined);
    expect(limited).toBeDefined();
    const ev = detectCategories(facts, map).flatMap((d) => d.evidence).find((e) => e.value === limited!.name);
    expect(ev?.location).toContain(`android:maxSdkVersion="${limited!.maxSdkVersion}"`);
  });

  it('compareCategories: undeclared = detected minus filed, notDetected = filed minus detected (form order)', async () => {
    const detected = detectCategories(await scanPackage(SAMPLE_APK), map);
    const labels = detected.map((d) => d.label);
    const filed: PermissionLabel[] = ['使用呼叫转移', ...labels.slice(1), '日历'];
    const { undeclared, notDetected } = compareCategories(detected, filed);
    expect(undeclared.map((d) => d.label)).toEqual([labels[0]]);
    expect(undeclared[0]!.evidence).toEqual(detected[0]!.evidence);
    expect(notDetected).toEqual(PERMISSION_LABELS.filter((l) => l === '使用呼叫转移' || l === '日历'));
  });
});

describe.skipIf(!CORPUS)('detectCategories on corpus APKs, names from aapt dump permissions', () => {
  const apks = corpusFiles('apk').filter((f) => loadAaptOracle(basename(f))?.ok);

  it('souch.smsbypass: 短信 and 发送彩信 from its SMS permissions, 通讯录, 读取应用数据; VIBRATE ticks nothing', async () => {
    const file = apks.find((f) => f.endsWith('fdroidserver__souch.smsbypass_9.apk'))!;
    const aapt = loadAaptOracle(basename(file))!;
    const names = aapt.permissions.map((p) => p.name);
    const smsList = map.categories.find((c) => c.label === '短信')!.android!.permissions!;
    const detected = detectCategories(await scanPackage(file), map);
    expect(evidenceOf(detected, '短信')).toEqual(names.filter((n) => smsList.includes(n)).sort());
    expect(evidenceOf(detected, '短信').length).toBeGreaterThan(0);
    expect(evidenceOf(detected, '发送彩信')).toEqual(names.filter((n) => n === 'android.permission.SEND_SMS'));
    expect(detected.map((d) => d.label)).toEqual(PERMISSION_LABELS.filter((l) => names.some((n) => labelsOf(n).includes(l))));
    const vibrate = names.find((n) => n.endsWith('.VIBRATE'));
    expect(vibrate).toBeDefined();
    expect(allValues(detected, 'permission').has(vibrate!)).toBe(false);
  });

  it(`accounts for every permission aapt lists, as permissions.yaml decides (${apks.length} APKs)`, async () => {
    let checked = 0;
    for (const file of apks) {
      const aapt = loadAaptOracle(basename(file))!;
      const facts: PackageFacts = await scanPackage(file);
      const detected = detectCategories(facts, map);
      const derived = deriveFacts(facts, map);
      const aaptNames = new Set(aapt.permissions.map((p) => p.name));
      for (const v of allValues(detected, 'permission')) expect(aaptNames, `${file}: ${v} is not in aapt's list`).toContain(v);
      for (const name of aaptNames) {
        const exp = expectedFor(name, aapt);
        for (const l of exp.labels) expect(evidenceOf(detected, l), `${basename(file)} ${name} → ${l}`).toContain(name);
        if (exp.labels.length === 0) expect(allValues(detected, 'permission').has(name), `${basename(file)} ${name} ticks nothing`).toBe(false);
        expect(derived.unclassifiedPermissions.includes(name), `${basename(file)} ${name} unclassified`).toBe(exp.unclassified);
        checked++;
      }
      for (const p of aapt.permissions) {
        if (p.maxSdkVersion === undefined) continue;
        const ev = detected.flatMap((d) => d.evidence).find((e) => e.value === p.name);
        if (ev) expect(ev.location).toContain(`android:maxSdkVersion="${p.maxSdkVersion}"`);
      }
    }
    expect(checked).toBeGreaterThan(50);
  });

  it('a2dp.Vol: the notification-listener service (aapt xmltree) ticks 读取应用数据 as a component', async () => {
    const file = corpusFiles('apk').find((f) => f.endsWith('androguard__a2dp.Vol_137.apk'))!;
    const xml = readFileSync(join(REPO, 'tests', 'oracle', 'xmltree', `${basename(file)}.txt`), 'utf8').split('\n');
    const at = xml.findIndex((l) => l.includes('android:permission(0x01010006)="android.permission.BIND_NOTIFICATION_LISTENER_SERVICE"'));
    const service = xml.slice(Math.max(0, at - 6), at).reverse().find((l) => l.includes('android:name(0x01010003)='))!;
    const name = /="([^"]+)"/.exec(service)![1]!;
    const detected = detectCategories(await scanPackage(file), map);
    expect(evidenceOf(detected, '读取应用数据', 'component')).toEqual([name]);
  });
});

interface PlistOracle {
  items: Record<string, { value?: Record<string, unknown> }>;
}

describe.skipIf(!CORPUS)('detectCategories on corpus IPAs, usage keys from plistlib', () => {
  const oracle = JSON.parse(readFileSync(join(REPO, 'tests', 'oracle', 'ipa', 'plists.json'), 'utf8')) as PlistOracle;

  it('ticks exactly the boxes of the *UsageDescription keys plistlib reads from Info.plist', async () => {
    let withKeys = 0;
    for (const file of corpusFiles('ipa')) {
      let facts: PackageFacts;
      try {
        facts = await scanPackage(file);
      } catch {
        continue;
      }
      const info = oracle.items[`ipa/${basename(file)}!${facts.ios!.infoPlist.entry}`]?.value;
      expect(info, `${basename(file)}: plistlib reading`).toBeDefined();
      const keys = Object.keys(info!).filter((k) => /UsageDescription$/.test(k));
      if (keys.length > 0) withKeys++;
      const detected = detectCategories(facts, map);
      const expected = PERMISSION_LABELS.filter((l) => keys.some((k) => usageLabelsOf(k).includes(l)));
      expect(detected.map((d) => d.label), basename(file)).toEqual(expected);
      for (const l of expected) expect(evidenceOf(detected, l, 'usage-key')).toEqual(keys.filter((k) => usageLabelsOf(k).includes(l)).sort());
    }
    expect(withKeys).toBeGreaterThanOrEqual(4);
  });
});

describe('detectCategories on the sample IPA', () => {
  it('camera, microphone and location keys tick their boxes; evidence points at Info.plist', async () => {
    const facts = await scanPackage(SAMPLE_IPA);
    const detected = detectCategories(facts, map);
    expect(detected.map((d) => d.label)).toEqual(PERMISSION_LABELS.filter((l) => facts.permissions.some((p) => usageLabelsOf(p.name).includes(l))));
    for (const e of detected.flatMap((d) => d.evidence)) expect(e.location).toBe(facts.ios!.infoPlist.entry);
  });
});
