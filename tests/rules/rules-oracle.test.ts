// The whole rule set on the whole corpus: nothing throws, every finding is fully rendered, and the rules whose
// condition an independent tool can decide agree with that tool — aapt (debuggable, targetSdk, launcher
// activity), apksigner (debug certificate, key size), python plistlib (ATS, background modes, get-task-allow).
import { readFileSync, existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { PackageFacts } from '../../src/facts/schema.js';
import { deriveFacts } from '../../src/rules/derived.js';
import { evaluateRules, type RuleFinding } from '../../src/rules/engine.js';
import { loadRuleSet } from '../../src/rules/load.js';
import { findingProblems, testContext } from '../../src/rules/tester.js';
import { scanPackage } from '../../src/scan.js';
import { CORPUS, corpusFiles } from '../helpers/corpus.js';
import { loadAaptOracle, parseAaptRaw } from '../oracle/aapt.js';
import { REPO } from './bases.js';

const set = loadRuleSet();
const APKSIGNER_OUT = join(REPO, 'tests', 'oracle', 'apksigner', 'out');
const AAPT_OUT = join(REPO, 'tests', 'oracle', 'aapt');

interface Scanned {
  file: string;
  facts: PackageFacts;
  /** Findings with the default record (files exactly what the package is). */
  findings: RuleFinding[];
}

const fired = (s: Scanned, id: string): boolean => s.findings.some((f) => f.rule === id);

describe.skipIf(!CORPUS)('all rules on the corpus', () => {
  const scanned: Scanned[] = [];
  beforeAll(async () => {
    for (const file of [...corpusFiles('apk'), ...corpusFiles('ipa')]) {
      let facts: PackageFacts;
      try {
        facts = await scanPackage(file);
      } catch {
        continue; // unreadable packages have no facts: the check reports them as input errors
      }
      scanned.push({ file, facts, findings: evaluateRules(set, testContext(set, facts, { base: 'corpus' })) });
    }
  });

  it('run on every readable package, without a record too, and render every finding fully', () => {
    expect(scanned.length).toBeGreaterThan(150);
    const problems: string[] = [];
    for (const s of scanned) {
      const noRecord = evaluateRules(set, testContext(set, s.facts, { base: 'corpus', app: null }));
      for (const f of [...s.findings, ...noRecord]) for (const p of findingProblems(f)) problems.push(`${basename(s.file)} ${f.rule}: ${p}`);
    }
    expect(problems).toEqual([]);
  });

  it('a record that files exactly what the package is raises no filing mismatch', () => {
    const mismatch = ['EDU-PKG-002', 'EDU-PKG-003', 'EDU-PKG-004', 'EDU-PKG-005', 'EDU-PKG-006', 'EDU-PKG-011'];
    for (const s of scanned) expect(s.findings.filter((f) => mismatch.includes(f.rule)).map((f) => f.rule), basename(s.file)).toEqual([]);
  });

  describe('APK rules agree with aapt', () => {
    const withAapt = () => scanned.filter((s) => s.facts.platform === 'android').map((s) => ({ s, aapt: loadAaptOracle(basename(s.file)) })).filter((x) => x.aapt?.ok);

    it('EDU-AND-MAN-001 fires exactly when aapt prints application-debuggable', () => {
      const list = withAapt();
      expect(list.length).toBeGreaterThan(100);
      for (const { s, aapt } of list) expect(fired(s, 'EDU-AND-MAN-001'), basename(s.file)).toBe(aapt!.debuggable);
      expect(list.filter(({ aapt }) => aapt!.debuggable).length).toBeGreaterThan(10);
    });

    it('EDU-AND-MAN-003 fires exactly when aapt\'s targetSdkVersion (else sdkVersion, else 1) is below 23', () => {
      let n = 0;
      for (const { s, aapt } of withAapt()) {
        const raw = aapt!.targetSdkVersion ?? aapt!.sdkVersion ?? '1';
        if (!/^\d+$/.test(raw)) continue; // a preview codename
        expect(fired(s, 'EDU-AND-MAN-003'), `${basename(s.file)} target ${raw}`).toBe(Number(raw) < 23);
        n++;
      }
      expect(n).toBeGreaterThan(100);
    });

    it('derived.launcherActivities holds aapt\'s launchable-activity', () => {
      let n = 0;
      for (const { s } of withAapt()) {
        const raw = parseAaptRaw(readFileSync(join(AAPT_OUT, `${basename(s.file)}.badging.txt`), 'utf8'));
        const line = raw.stdout.find((l) => l.startsWith('launchable-activity: '));
        if (!line) continue;
        const name = /name='([^']*)'/.exec(line)![1]!;
        expect(deriveFacts(s.facts, set.permissionMap).launcherActivities, basename(s.file)).toContain(name);
        n++;
      }
      expect(n).toBeGreaterThan(30);
    });
  });

  describe('signing rules agree with apksigner', () => {
    const verified = () =>
      scanned
        .filter((s) => s.facts.platform === 'android')
        .map((s) => {
          const p = join(APKSIGNER_OUT, `${basename(s.file)}.min1.txt`);
          return { s, text: existsSync(p) ? readFileSync(p, 'utf8') : '' };
        })
        .filter((x) => x.text.includes('\n# exit: 0\n'));

    it('EDU-AND-SIG-002 fires exactly when a signer DN apksigner prints is CN=Android Debug', () => {
      const list = verified();
      expect(list.length).toBeGreaterThan(40);
      for (const { s, text } of list) {
        const dns = [...text.matchAll(/Signer #\d+ certificate DN: (.*)/g)].map((m) => m[1]!);
        expect(fired(s, 'EDU-AND-SIG-002'), basename(s.file)).toBe(dns.some((d) => d.includes('CN=Android Debug')));
      }
    });

    it('EDU-AND-SIG-006 fires exactly when apksigner reports an RSA/DSA key under 2048 or an EC key under 224 bits', () => {
      for (const { s, text } of verified()) {
        const keys = [...text.matchAll(/Signer #(\d+) key algorithm: (\w+)\nSigner #\1 key size \(bits\): (\d+)/g)].map((m) => ({ alg: m[2]!, bits: Number(m[3]) }));
        const weak = keys.some((k) => ((k.alg === 'RSA' || k.alg === 'DSA') && k.bits < 2048) || (k.alg === 'EC' && k.bits < 224));
        expect(fired(s, 'EDU-AND-SIG-006'), basename(s.file)).toBe(weak);
      }
    });
  });

  describe('iOS rules agree with python plistlib', () => {
    interface PlistItem {
      value?: Record<string, unknown>;
    }
    let items: Record<string, PlistItem> = {};
    beforeAll(() => {
      items = (JSON.parse(readFileSync(join(REPO, 'tests', 'oracle', 'ipa', 'plists.json'), 'utf8')) as { items: Record<string, PlistItem> }).items;
    });
    const ipas = () => scanned.filter((s) => s.facts.platform === 'ios');
    const info = (s: Scanned) => items[`ipa/${basename(s.file)}!${s.facts.ios!.infoPlist.entry}`]?.value ?? {};

    it('EDU-IOS-ATS-001 fires exactly when NSAppTransportSecurity.NSAllowsArbitraryLoads is true', () => {
      let yes = 0;
      for (const s of ipas()) {
        const ats = info(s)['NSAppTransportSecurity'] as Record<string, unknown> | undefined;
        const want = ats?.['NSAllowsArbitraryLoads'] === true;
        if (want) yes++;
        expect(fired(s, 'EDU-IOS-ATS-001'), basename(s.file)).toBe(want);
      }
      expect(yes).toBeGreaterThan(0);
    });

    it('EDU-IOS-PLS-003 fires exactly when UIBackgroundModes has location or an NSLocationAlways* key is present', () => {
      for (const s of ipas()) {
        const i = info(s);
        const modes = Array.isArray(i['UIBackgroundModes']) ? (i['UIBackgroundModes'] as unknown[]) : [];
        const want = modes.includes('location') || 'NSLocationAlwaysUsageDescription' in i || 'NSLocationAlwaysAndWhenInUseUsageDescription' in i;
        expect(fired(s, 'EDU-IOS-PLS-003'), basename(s.file)).toBe(want);
      }
    });

    it('EDU-IOS-PKG-001 fires exactly when the embedded profile\'s Entitlements grant get-task-allow', () => {
      let yes = 0;
      for (const s of ipas()) {
        const prov = s.facts.ios!.provisioning;
        const profile = prov ? items[`ipa/${basename(s.file)}!${prov.entry}`]?.value : undefined;
        const ent = profile?.['Entitlements'] as Record<string, unknown> | undefined;
        const want = ent?.['get-task-allow'] === true;
        if (want) yes++;
        expect(fired(s, 'EDU-IOS-PKG-001'), basename(s.file)).toBe(want);
      }
      expect(yes).toBeGreaterThan(3);
    });
  });
});
