// facts + record -> verdict, on real packages. Expected permission evidence comes from aapt's stored dumps and
// apksigner's stored verdicts; records are built in the test from the package itself (as `eduscan fill` would).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { checkFacts, failsAt } from '../../src/check/check.js';
import type { Suppression } from '../../src/check/types.js';
import { closeHashPool } from '../../src/hash/hash.js';
import { detectCategories } from '../../src/rules/categories.js';
import { loadRuleSet } from '../../src/rules/load.js';
import { scanPackage } from '../../src/scan.js';
import type { PackageFacts } from '../../src/facts/schema.js';
import { CORPUS } from '../helpers/corpus.js';
import { hasTool } from '../helpers/tools.js';

const ROOT = resolve(import.meta.dirname, '../..');
const SAMPLE = join(ROOT, 'samples/android/smartclass.apk');
const RECORD = join(ROOT, 'samples/filing/smartclass.provider.yaml');
const ORACLE = join(ROOT, 'tests/oracle');
const set = loadRuleSet();
afterAll(() => closeHashPool());

/** A record app that says exactly what the package is, as `eduscan fill` would write it. */
function honestApp(facts: PackageFacts): Record<string, unknown> {
  return {
    name: facts.label ?? facts.id, version: facts.versionName, platform: facts.platform, packageId: facts.id, md5: facts.file.md5,
    functionType: '学习类', audience: ['教师'], serviceContent: 'test', features: [],
    permissions: detectCategories(facts, set.permissionMap).map((d) => d.label),
  };
}

function check(facts: PackageFacts, app?: Record<string, unknown>, extra: { suppressions?: Suppression[]; today?: string } = {}) {
  return checkFacts({ facts, ruleSet: set, ...(app ? { app: { data: app, index: 0, name: String(app.name) } } : {}), today: extra.today ?? '2026-11-24', ...(extra.suppressions ? { suppressions: extra.suppressions } : {}) });
}

describe('the shipped sample and its record', () => {
  it('fails, naming 短信 as undeclared with READ_SMS (which aapt lists) as evidence', async () => {
    const facts = await scanPackage(SAMPLE);
    const record = parse(readFileSync(RECORD, 'utf8'));
    const app = record.apps[0];
    expect(app.permissions).not.toContain('短信');
    const r = check(facts, app);
    expect(r.verdict).toBe('fail');
    expect(r.undeclared.map((u) => u.label)).toEqual(['短信']);
    if (hasTool('aapt')) {
      const aapt = execFileSync('aapt', ['dump', 'permissions', SAMPLE]).toString();
      for (const e of r.undeclared[0]!.evidence) expect(aapt).toContain(`name='${e.value}'`);
    }
    expect(r.findings.some((f) => f.rule === 'EDU-PKG-005' && !f.suppressed)).toBe(true);
    expect(failsAt(r, 'high')).toBe(true);
  });

  it('suppressing every high finding with a reason turns fail into explain; an expired suppression does not count', async () => {
    const facts = await scanPackage(SAMPLE);
    const app = parse(readFileSync(RECORD, 'utf8')).apps[0];
    const highs = [...new Set(check(facts, app).findings.filter((f) => f.severity === 'high').map((f) => f.rule))];
    const suppressions = highs.map((rule) => ({ rule, reason: '审核确认', by: 'reviewer-1', until: '2026-12-31' }));
    const r = check(facts, app, { suppressions });
    expect(r.verdict).toBe('explain');
    expect(r.counts.high).toBe(0);
    expect(r.findings.filter((f) => f.severity === 'high').every((f) => f.suppressed?.by === 'reviewer-1')).toBe(true);
    const later = check(facts, app, { suppressions, today: '2027-01-01' });
    expect(later.verdict).toBe('fail');
    expect(later.expiredSuppressions.map((s) => s.rule).sort()).toEqual([...highs].sort());
    expect(failsAt(r, 'medium')).toBe(true);
    expect(failsAt(r, 'high')).toBe(false);
  });

  it('a suppression limited to other packages does not apply', async () => {
    const facts = await scanPackage(SAMPLE);
    const app = parse(readFileSync(RECORD, 'utf8')).apps[0];
    const r = check(facts, app, { suppressions: [{ rule: 'EDU-PKG-005', reason: 'x', by: 'r', packages: ['com.other.*'] }] });
    expect(r.findings.find((f) => f.rule === 'EDU-PKG-005')?.suppressed).toBeUndefined();
  });
});

describe.skipIf(!CORPUS)('corpus packages against records built from them', () => {
  const apk = (name: string) => join(CORPUS!, 'apk', name);

  it('a clean package with an honest record passes; a changed version or MD5 fails', async () => {
    // appinfo__android.apk passed here until EDU-API-004: its code reads the IMEI (getDeviceId/getImei), see below.
    const facts = await scanPackage(apk('fdroidserver__apk.embedded_1.apk'));
    const app = honestApp(facts);
    expect(check(facts, app).verdict).toBe('pass');
    const r2 = check(facts, { ...app, version: `${facts.versionName}.1` });
    expect(r2.verdict).toBe('fail');
    expect(r2.findings.map((f) => f.rule)).toContain('EDU-PKG-003');
    const r3 = check(facts, { ...app, md5: '0'.repeat(32) });
    expect(r3.verdict).toBe('fail');
    expect(r3.findings.map((f) => f.rule)).toContain('EDU-PKG-002');
  });

  it('an honest record gives explain for a package with medium findings; unticking a category fails naming it', async () => {
    const facts = await scanPackage(apk('exoduscore__blooddonation.apk'));
    const app = honestApp(facts);
    expect(check(facts, app).verdict).toBe('explain');
    const labels = app.permissions as string[];
    expect(labels).toContain('读取位置信息');
    const r = check(facts, { ...app, permissions: labels.filter((l) => l !== '读取位置信息') });
    expect(r.verdict).toBe('fail');
    expect(r.undeclared.map((u) => u.label)).toEqual(['读取位置信息']);
    const aapt = readFileSync(join(ORACLE, 'aapt/exoduscore__blooddonation.apk.permissions.txt'), 'utf8');
    for (const e of r.undeclared[0]!.evidence) expect(aapt).toContain(`name='${e.value}'`);
  });

  it('code that reads device identifiers needs explaining (EDU-API-004)', async () => {
    const facts = await scanPackage(apk('appinfo__android.apk'));
    const r = check(facts, honestApp(facts));
    expect(r.verdict).toBe('explain');
    const f = r.findings.find((x) => x.rule === 'EDU-API-004')!;
    expect(f.severity).toBe('medium');
    expect(f.evidence.map((e) => e.value)).toContain('android.telephony.TelephonyManager.getDeviceId');
  });

  it('medium findings only: explain', async () => {
    const facts = await scanPackage(apk('androguard__hello-world.apk'));
    const r = check(facts, honestApp(facts));
    expect(r.verdict).toBe('explain');
    expect(r.counts.high).toBe(0);
  });

  it('an IPA without an executable is not assessable', async () => {
    const facts = await scanPackage(join(CORPUS!, 'ipa', 'fastlane__iOSAppOnly.ipa'));
    const r = check(facts, honestApp(facts));
    expect(r.verdict).toBe('unassessable');
    expect(r.notAssessable.length).toBeGreaterThan(0);
  });
});

describe('signatures checked with --verify', () => {
  const fixture = join(ROOT, 'tests/fixtures/signing/androguard__v2-only-with-ecdsa-sha256-p256-digest-mismatch.apk');
  it('a v2 digest mismatch apksigner rejects is a high finding only when verified', async () => {
    const apksigner = readFileSync(join(ORACLE, 'apksigner/out/androguard__v2-only-with-ecdsa-sha256-p256-digest-mismatch.apk.min24.txt'), 'utf8');
    expect(apksigner).toContain('DOES NOT VERIFY');
    const plain = check(await scanPackage(fixture));
    expect(plain.findings.map((f) => f.rule)).not.toContain('EDU-AND-SIG-010');
    const verified = check(await scanPackage(fixture, { verify: true }));
    expect(verified.findings.map((f) => f.rule)).toContain('EDU-AND-SIG-010');
    expect(verified.verdict).toBe('fail');
  });
});
