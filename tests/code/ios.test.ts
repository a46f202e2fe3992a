// iOS code facts from the IPA reader's facts: frameworks, dylibs, linked libraries and imported symbols
// matched against the shipped signature data, and corpus IPAs whose imports llvm-nm lists.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { extractIosCode } from '../../src/code/ios.js';
import { loadCodeRules } from '../../src/code/load.js';
import type { IosFacts } from '../../src/facts/ios-schema.js';
import { closeHashPool } from '../../src/hash/hash.js';
import { FileSource } from '../../src/io/source.js';
import { scanPackage } from '../../src/scan.js';
import { openZip, readEntry } from '../../src/zip/zip.js';
import { CORPUS } from '../helpers/corpus.js';
import { hasTool } from '../helpers/tools.js';

afterAll(() => closeHashPool());

function iosFacts(over: Partial<IosFacts>): IosFacts {
  return {
    bundle: { root: 'Payload/A.app/', name: 'A.app', layout: 'payload' }, infoPlist: { entry: 'Payload/A.app/Info.plist', format: 'xml' },
    supportedPlatforms: [], deviceFamily: [], backgroundModes: [], urlTypes: [], queriesSchemes: [], requiredDeviceCapabilities: [],
    localizations: [], privacyManifests: [], embeddedBundles: [], dylibs: [], ...over,
  };
}

describe('iOS code facts', () => {
  const rules = loadCodeRules();
  const sdkWith = (pred: (s: (typeof rules.sdks)[number]) => boolean): (typeof rules.sdks)[number] => rules.sdks.find(pred)!;

  it('finds SDKs by framework name, bundle id, linked library and imported class, each with its evidence', () => {
    const byFramework = sdkWith((s) => (s.ios?.frameworks.length ?? 0) > 0);
    const byClass = sdkWith((s) => s.id !== byFramework.id && (s.ios?.classPrefixes.length ?? 0) > 0);
    const fw = byFramework.ios!.frameworks[0]!;
    const cls = `${byClass.ios!.classPrefixes[0]!}Manager`;
    const facts = iosFacts({
      embeddedBundles: [{ path: `Frameworks/${fw}.framework`, kind: 'framework', id: 'com.example.whatever' }],
      macho: {
        entry: 'Payload/A.app/A', fat: false, primaryArch: 'arm64', pie: true, encrypted: false, stackCanary: true, arc: true,
        archs: [{ cpu: 'arm64', cpuType: 0, cpuSubtype: 0, offset: 0, size: 1, bits: 64, fileType: 'execute', flags: [], pie: true, encrypted: false, codeSignature: true, dylibs: [`@rpath/${fw}.framework/${fw}`, '/usr/lib/libz.dylib'], rpaths: [], importedSymbolCount: 3, stackCanary: true, arc: true }],
        importedSymbols: [`_OBJC_CLASS_$_${cls}`, '_OBJC_CLASS_$_ASIdentifierManager', '_stat', '_OBJC_CLASS_$_NSObject'],
      },
    });
    const { sdks, code } = extractIosCode(facts, rules);
    const f = sdks!.find((s) => s.id === byFramework.id)!;
    expect(f.evidence.map((e) => e.kind)).toEqual(['framework', 'framework']);
    expect(sdks!.find((s) => s.id === byClass.id)!.evidence).toEqual([{ kind: 'symbol', value: `_OBJC_CLASS_$_${cls}`, location: 'Payload/A.app/A' }]);
    expect(code.sensitiveApis.map((a) => [a.id, a.owner])).toEqual([['ios-idfa', 'app'], ['ios-rr-file-timestamp', 'app']]);
    expect(code.assessable).toBe(false);
    expect(code.notAssessableReason).toMatch(/imported symbols/);
  });

  it('says why an encrypted or missing executable leaves the code unread', () => {
    expect(extractIosCode(iosFacts({}), rules).code.notAssessableReason).toMatch(/could not be read/);
    expect(extractIosCode(iosFacts({}), rules).sdks).toBeUndefined();
  });

  it.skipIf(!CORPUS || !hasTool('llvm-nm'))('reports exactly the sensitive symbols llvm-nm lists as undefined in corpus executables', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'eduscan-ios-'));
    const wanted = new Set(rules.apis.flatMap((a) => a.ios?.symbols ?? []));
    let compared = 0;
    for (const name of ['appiumjava__TestApp.app.zip', 'appiumjava__vodqa.zip', 'runloop__CalSmoke.ipa', 'appinfo__apple-tv.ipa']) {
      const path = join(CORPUS!, 'ipa', name);
      const facts = await scanPackage(path);
      const macho = facts.ios!.macho!;
      const src = new FileSource(path);
      const bytes = readEntry(openZip(src), openZip(src).get(macho.entry)!, 512 * 1024 * 1024);
      src.close();
      const file = join(tmp, name);
      writeFileSync(file, bytes);
      const nm = execFileSync('llvm-nm', ['--undefined-only', '--just-symbol-name', `--arch=${macho.primaryArch}`, file], { maxBuffer: 1 << 28 }).toString();
      const expected = [...new Set(nm.split('\n').map((l) => l.trim()).filter((s) => wanted.has(s)))].sort();
      expect(facts.code!.sensitiveApis.map((a) => a.api).sort(), name).toEqual(expected);
      compared += expected.length;
    }
    expect(compared).toBeGreaterThan(3);
  });
});
