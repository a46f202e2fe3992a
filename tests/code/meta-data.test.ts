// SDKs named by the <meta-data> keys their set-up asks for (UMENG_APPKEY, PUSH_APPID…): evidence that survives
// packing and obfuscation. The APK is built here with aapt from a text manifest; the names eduscan reports are
// compared with what `aapt dump xmltree` prints, and the SDKs with the signature data in rules/sdks.yaml.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadCodeRules } from '../../src/code/load.js';
import { closeHashPool } from '../../src/hash/hash.js';
import { scanPackage } from '../../src/scan.js';
import { FRAMEWORK_RES, hasFrameworkRes, hasTool } from '../helpers/tools.js';

const KEYS = ['UMENG_APPKEY', 'PUSH_APPID', 'com.amap.api.v2.apikey', 'channel', 'umeng_appkey'];
const MANIFEST = `<?xml version="1.0" encoding="utf-8"?>
<manifest xmlns:android="http://schemas.android.com/apk/res/android" package="cn.example.metadata" android:versionCode="1" android:versionName="1.0">
  <uses-sdk android:minSdkVersion="21" android:targetSdkVersion="33"/>
  <application android:label="meta">
${KEYS.map((k, i) => `    <meta-data android:name="${k}" android:value="v${i}"/>`).join('\n')}
  </application>
</manifest>
`;

describe.skipIf(!hasTool('aapt') || !hasFrameworkRes())('SDKs from <meta-data> keys (APK built with aapt)', () => {
  afterAll(async () => {
    await closeHashPool();
  });

  it('names the SDKs whose keys are present, exactly and case-sensitively, and ignores other keys', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'eduscan-meta-'));
    writeFileSync(join(dir, 'AndroidManifest.xml'), MANIFEST);
    const apk = join(dir, 'meta.apk');
    execFileSync('aapt', ['package', '-f', '-M', join(dir, 'AndroidManifest.xml'), '-I', FRAMEWORK_RES, '-F', apk]);
    // The oracle for the keys themselves: aapt's own reading of the binary manifest.
    const tree = execFileSync('aapt', ['dump', 'xmltree', apk, 'AndroidManifest.xml'], { encoding: 'utf8' });
    const aaptKeys = [...tree.matchAll(/A: android:name\(0x01010003\)="([^"]+)"/g)].map((m) => m[1]);
    const facts = await scanPackage(apk);
    expect(facts.manifest?.metaData.map((m) => m.name)).toEqual(aaptKeys);

    const rules = loadCodeRules();
    const expected = rules.sdks.filter((s) => s.android?.metaData.some((k) => aaptKeys.includes(k))).map((s) => s.id).sort();
    expect(expected).toEqual(['amap', 'getui-push', 'umeng-analytics']);
    const found = (facts.sdks ?? []).filter((s) => s.evidence.some((e) => e.kind === 'meta-data'));
    expect(found.map((s) => s.id).sort()).toEqual(expected);
    for (const s of found) {
      for (const e of s.evidence) expect(e).toEqual({ kind: 'meta-data', value: expect.any(String), location: 'AndroidManifest.xml <meta-data>' });
      expect(s.evidence.every((e) => rules.sdks.find((x) => x.id === s.id)!.android!.metaData.includes(e.value))).toBe(true);
    }
  });
});
