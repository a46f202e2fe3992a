// Code facts of real corpus APKs against dexdump: every sensitive-API reference count and caller, and every
// SDK's class count per dex file, recomputed from dexdump's listing of the same dex files.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadCodeRules } from '../../src/code/load.js';
import { closeHashPool } from '../../src/hash/hash.js';
import { BufferSource, FileSource } from '../../src/io/source.js';
import { scanPackage } from '../../src/scan.js';
import { openZip, readEntry } from '../../src/zip/zip.js';
import { CORPUS } from '../helpers/corpus.js';
import { hasTool } from '../helpers/tools.js';
import { oracleRefs } from './dexdump-refs.js';

afterAll(() => closeHashPool());

/** Corpus APKs with real libraries in them (AdMob, Firebase, support libraries) and sensitive calls. */
const APKS = [
  'exoduscore__blooddonation.apk', 'appinfo__android.apk', 'androguard__com.example.android.wearable.wear.weardrawers.apk',
  'fdroidserver__souch.smsbypass_9.apk', 'androguard__a2dp.Vol_137.apk', 'mobsf__ClipDump.apk', 'fdroidserver__com.politedroid_6.apk',
  'fdroidserver__apk.embedded_1.apk', 'apktool__issue3533.apk',
];

describe.skipIf(!CORPUS || !hasTool('dexdump'))('code facts vs dexdump (corpus)', () => {
  const rules = loadCodeRules();
  const tmp = mkdtempSync(join(tmpdir(), 'eduscan-code-'));

  for (const apk of APKS) {
    it(apk, async () => {
      const path = join(CORPUS!, 'apk', apk);
      const facts = await scanPackage(path);
      const code = facts.code!;
      expect(code.dex.length).toBeGreaterThan(0);

      // The oracle: dexdump over the same dex entries (nested ones extracted the same way).
      const expectedCounts = new Map<string, number>();
      const expectedCallers = new Map<string, Set<string>>();
      const src = new FileSource(path);
      const zip = openZip(src);
      for (const d of code.dex) {
        const [outer, inner] = d.entry.split('!');
        let bytes = readEntry(zip, zip.get(outer!)!);
        if (inner !== undefined) {
          const nested = openZip(new BufferSource(bytes));
          bytes = readEntry(nested, nested.get(inner)!);
        }
        const file = join(tmp, `${apk}-${d.entry.replaceAll('/', '_')}`);
        writeFileSync(file, bytes);
        const dump = execFileSync('dexdump', ['-d', file], { maxBuffer: 1 << 30, stdio: ['ignore', 'pipe', 'ignore'] }).toString('latin1').split('\n');
        const o = oracleRefs(dump, rules);
        for (const [k, n] of o.counts) expectedCounts.set(k, (expectedCounts.get(k) ?? 0) + n);
        for (const [k, s] of o.callers) expectedCallers.set(k, new Set([...(expectedCallers.get(k) ?? []), ...s]));
        expect(d.classCount).toBe(o.classes.length);

        // SDK class counts in this dex: the most specific signature of each class, from dexdump's class list.
        const prefixes = rules.sdks.flatMap((s) => (s.android?.classPrefixes ?? []).map((p) => ({ p, id: s.id })));
        const expectedSdk = new Map<string, number>();
        for (const cls of o.classes) {
          const best = prefixes
            .filter(({ p }) => (p.endsWith('.') ? cls.startsWith(p) : cls === p || cls.startsWith(`${p}$`)))
            .sort((a, b) => b.p.length - a.p.length)[0];
          if (best) expectedSdk.set(best.id, (expectedSdk.get(best.id) ?? 0) + 1);
        }
        const ours = new Map<string, number>();
        for (const s of facts.sdks ?? []) {
          for (const e of s.evidence) if (e.kind === 'class' && e.location === d.entry) ours.set(s.id, (ours.get(s.id) ?? 0) + (e.count ?? 1));
        }
        expect(Object.fromEntries(ours), `${apk} ${d.entry}`).toEqual(Object.fromEntries(expectedSdk));
      }
      src.close();

      const ourCounts = new Map<string, number>();
      for (const a of code.sensitiveApis) {
        ourCounts.set(a.api, (ourCounts.get(a.api) ?? 0) + (a.count ?? 0));
        for (const e of a.evidence) expect(expectedCallers.get(a.api)?.has(e.value), `${apk}: ${a.api} from ${e.value}`).toBe(true);
        // The owner is the SDK whose signature covers the caller (and which is in the inventory), or 'app'.
        if (a.owner !== 'app') {
          expect(facts.sdks?.some((s) => s.id === a.owner), `${a.api} owner ${a.owner}`).toBe(true);
          const sigs = rules.sdks.find((s) => s.id === a.owner)!.android!.classPrefixes;
          for (const e of a.evidence) expect(sigs.some((p) => e.value.startsWith(p)), `${e.value} under ${a.owner}`).toBe(true);
        }
      }
      expect(Object.fromEntries(ourCounts), apk).toEqual(Object.fromEntries(expectedCounts));
    }, 60_000);
  }

  it('finds what the corpus is known to contain', async () => {
    const blood = await scanPackage(join(CORPUS!, 'apk', 'exoduscore__blooddonation.apk'));
    // AdMob classes per dexdump (com.google.android.gms.ads.*, not .identifier) and its manifest activity.
    expect(blood.sdks?.find((s) => s.id === 'google-ads')?.evidence.some((e) => e.kind === 'component' && e.value === 'com.google.android.gms.ads.AdActivity')).toBe(true);
    const dyn = await scanPackage(join(CORPUS!, 'apk', 'apktool__dynamic_dex.apk'));
    expect(dyn.code?.hiddenDex).toEqual(expect.arrayContaining(['assets/dynamic.dex']));
    expect(dyn.anomalies.some((a) => a.code === 'DEX_HIDDEN' && a.entry === 'assets/dynamic.dex')).toBe(true);
  });
});
