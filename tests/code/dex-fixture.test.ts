// The code pass on committed dex fixtures (no corpus needed), with signature data written for them:
// reference counts and callers must agree with the stored dexdump -d output, and every reference must be
// attributed to the "SDK" whose classes hold it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scanDex } from '../../src/code/dex-scan.js';
import { parseCodeRules } from '../../src/code/load.js';
import type { Anomaly } from '../../src/errors.js';
import { FIXTURES } from '../helpers/corpus.js';
import { oracleRefs } from './dexdump-refs.js';

const SDKS = `schemaVersion: 1
sdks:
  - id: tc-sdk
    name: TC test SDK
    vendor: test
    category: analytics
    android:
      classPrefixes: [org.t0t0.androguard.TC.TCA, org.t0t0.androguard.TC.TCB]
    source: test
`;
const APIS = `schemaVersion: 1
apis:
  - id: printing
    category: clipboard
    label: printing
    android:
      methods:
        - class: java.io.PrintStream
          names: [println, print]
      fields:
        - class: java.lang.System
          names: [out]
      stringPrefixes: [TCA TC]
      strings: [" OK ", " ---- "]
    source: test
`;
const PACKERS = `schemaVersion: 1
packers:
  - id: tc-packer
    name: TC packer
    vendor: test
    android:
      classes: [org.t0t0.androguard.TC.TCD]
    source: test
`;

describe('code pass on a committed dex fixture', () => {
  const rules = parseCodeRules(SDKS, APIS, PACKERS);
  const bytes = readFileSync(join(FIXTURES, 'dex', 'androguard-tc-debug.dex'));
  const oracle = oracleRefs(readFileSync(join(FIXTURES, 'dex', 'androguard-tc-debug.dexdump.txt'), 'latin1').split('\n'), rules);

  it('counts every reference dexdump shows, and names only callers dexdump shows', () => {
    const anomalies: Anomaly[] = [];
    const [scan] = scanDex(bytes, 'classes.dex', rules, anomalies);
    // Methods, a field, an exact string and a string prefix are all exercised.
    expect([...oracle.counts.keys()]).toEqual(expect.arrayContaining(['java.io.PrintStream.println', 'java.lang.System.out', '" OK "', '"TCA TC…"']));
    const counts = new Map<string, number>();
    for (const h of scan!.apiHits) {
      counts.set(h.ref.display, (counts.get(h.ref.display) ?? 0) + h.count);
      for (const c of h.callers) expect(oracle.callers.get(h.ref.display)?.has(c), `${h.ref.display} from ${c}`).toBe(true);
    }
    expect(Object.fromEntries(counts)).toEqual(Object.fromEntries(oracle.counts));
    expect(scan!.info.classCount).toBe(oracle.classes.length);
  });

  it('attributes references to the SDK whose classes hold them, the rest to the app', () => {
    const [scan] = scanDex(bytes, 'classes.dex', rules, []);
    const sdkClass = (c: string): boolean => /^org\.t0t0\.androguard\.TC\.TC[AB](\$.*)?$/.test(c);
    const owners = new Set(scan!.apiHits.map((h) => h.owner));
    expect(owners).toEqual(new Set([0, -1]));
    for (const h of scan!.apiHits) for (const c of h.callers) expect(sdkClass(c), `${c} owned by ${h.owner}`).toBe(h.owner === 0);
    const expectedClasses = oracle.classes.filter(sdkClass).length;
    expect(scan!.sdkClasses.get(0)?.count).toBe(expectedClasses);
    expect([...scan!.packerClasses.values()]).toEqual(oracle.classes.filter((c) => c === 'org.t0t0.androguard.TC.TCD'));
  });
});
