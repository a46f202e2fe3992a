// resources.arsc reader on committed fixtures. Expected values come from `aapt dump --values resources`
// and `aapt dump badging` (stored next to each fixture by tests/oracle/gen-xmltree.sh), and, for the
// 16-bit-offset table this aapt cannot read, from Apktool's own test of that file.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseArsc } from '../../src/apk/arsc.js';
import { parseAxml } from '../../src/apk/axml.js';
import { EduscanError, type Anomaly } from '../../src/errors.js';
import { FIXTURES } from '../helpers/corpus.js';
import { parseBadging } from '../oracle/aapt.js';
import { compareWithAapt, parseAaptValues } from './aapt-values.js';
import { normalizeForOutput } from './aapt-xmltree.js';

const DIR = join(FIXTURES, 'axml');
const ANDROID_LABEL = 0x01010001;
const ANDROID_VERSION_NAME = 0x0101021c;

const table = (name: string, anomalies: Anomaly[] = []) => parseArsc(readFileSync(join(DIR, name, 'resources.arsc')), { anomalies });
const values = (name: string) => parseAaptValues(readFileSync(join(DIR, name, 'values.txt'), 'utf8'));

describe('every value aapt can read matches aapt dump --values resources', () => {
  // compact-entry and offset16 use FLAG_OFFSET16 throughout, which this aapt misreads: nothing to compare.
  it.each([
    ['sparse', 12, 10],
    ['locales', 16, 8],
  ])('%s', (name, minValues, minNames) => {
    const anomalies: Anomaly[] = [];
    const result = compareWithAapt(table(name, anomalies), values(name), normalizeForOutput);
    expect(result.mismatches).toEqual([]);
    expect(result.values).toBeGreaterThanOrEqual(minValues);
    expect(result.names).toBeGreaterThanOrEqual(minNames);
    expect(anomalies).toEqual([]);
  });

  it('sparse: the FLAG_SPARSE v26 entries are found by binary search', () => {
    const t = table('sparse');
    const all = values('sparse');
    const sparse = all.filter((v) => v.config.flags & 0x01);
    expect(sparse.length).toBeGreaterThan(0);
    for (const v of sparse) {
      const got = t.variants(v.id).find((x) => x.config.sdkVersion === 26);
      expect(got?.value).toMatchObject({ type: v.type, data: v.data });
      // resolve() prefers the configuration with fewer qualifiers: the default one.
      const dflt = all.find((d) => d.id === v.id && d.config.name === '(default)')!;
      expect(t.resolve(v.id)).toMatchObject({ type: dflt.type, data: dflt.data });
    }
  });
});

describe('locales fixture (aapt2, sparse, packed language and region codes)', () => {
  const t = table('locales');
  const manifest = parseAxml(readFileSync(join(DIR, 'locales', 'AndroidManifest.xml')));
  const labelRef = manifest.children.find((c) => c.name === 'application')!.attributes.find((a) => a.resourceId === ANDROID_LABEL)!.value;
  const badging = parseBadging(readFileSync(join(DIR, 'locales', 'badging.txt'), 'utf8'));
  const aappValues = values('locales');

  it('resolves the application label like aapt dump badging, following a reference chain', () => {
    expect(labelRef.type).toBe(0x01);
    // values.txt: app_label is t=0x01 (a reference to app_name), so resolve() must follow it.
    const labelEntry = aappValues.find((v) => v.id === labelRef.data && v.config.name === '(default)')!;
    expect(labelEntry.type).toBe(0x01);
    expect(badging.label).toBeDefined();
    expect(t.resolve(labelRef.data, [''])?.string).toBe(badging.label);
    expect(t.resolve(labelRef.data)?.string).toBe(badging.label);
  });

  it.each(['zh-CN', 'zh-TW', 'zh-Hans', 'fil', 'es-419'])('application-label-%s', (locale) => {
    expect(badging.labels[locale]).toBeDefined();
    const lang = locale.split('-')[0]!;
    expect(t.resolve(labelRef.data, [locale, lang, ''])?.string).toBe(badging.labels[locale]);
  });

  it('zh-Hant-TW takes the exact b+zh+Hant+TW value', () => {
    // aapt's badging prints zh-TW's value for zh-Hant-TW (both configs match the request); Android ranks an
    // explicit script as more specific (ResTable_config::isLocaleMoreSpecificThan), as an exact match does.
    const exact = aappValues.find((v) => v.config.name === 'b+zh+Hant+TW' && v.name === 'string/app_name')!;
    expect(normalizeForOutput(t.resolve(labelRef.data, ['zh-Hant-TW', 'zh-TW', 'zh', ''])!.string!)).toBe(exact.string);
    expect(exact.string).not.toBe(badging.labels['zh-TW']);
  });

  it('falls back to the default configuration for a locale the table lacks', () => {
    expect(t.resolve(labelRef.data, ['de-DE', 'de'])?.string).toBe(badging.label);
  });

  it('prefers values/ over values-v28/ for the version name', () => {
    const ref = manifest.attributes.find((a) => a.resourceId === ANDROID_VERSION_NAME)!.value;
    expect(ref.type).toBe(0x01);
    const dflt = aappValues.find((v) => v.id === ref.data && v.config.name === '(default)')!;
    const v28 = aappValues.find((v) => v.id === ref.data && v.config.name.startsWith('v28'))!;
    expect(t.resolve(ref.data)?.string).toBe(dflt.string);
    // aapt's badging asks with the newest sdk, so it printed the v28 value.
    expect(badging.versionName).toBe(v28.string);
    expect(t.variants(ref.data).map((x) => x.value?.string)).toEqual([dflt.string, v28.string]);
  });

  it('names resources, keeps bags without a value, and rejects unknown ids', () => {
    const bag = aappValues.find((v) => v.bag)!;
    expect(t.nameOf(bag.id)).toBe(bag.name);
    expect(t.resolve(bag.id)).toBeUndefined();
    expect(t.variants(bag.id)).toEqual([{ config: { locale: '', density: 0, sdkVersion: 0, otherQualifiers: 0 }, value: undefined }]);
    expect(t.nameOf(0x7f7f0000)).toBeUndefined();
    expect(t.resolve(0x7f040fff)).toBeUndefined();
    expect(t.resolve(0x01040000)).toBeUndefined();
    expect(t.packages).toEqual([{ id: 0x7f, name: badging.package }]);
  });

  it('reads the packed 3-letter language and the numeric region', () => {
    const appName = aappValues.find((v) => v.name === 'string/app_name')!.id;
    const locales = new Set(t.variants(appName).map((v) => v.config.locale));
    // badging `locales:` line, minus aapt's '--_--' marker for the default configuration
    expect([...locales].filter((l) => l !== '').sort()).toEqual(
      ["es-419", 'fil', 'zh-CN', 'zh-Hans', 'zh-Hant-TW', 'zh-TW'].sort(),
    );
  });
});

describe('Android 14 encodings this aapt cannot read', () => {
  it('compact entry in a 16-bit offset table (androguard compact-entry.apk)', () => {
    // The one entry sits at offset 0, so aapt's 32-bit read of the offsets array (0x0000 + 0x0000
    // padding) still lands on it, and a compact entry keeps type and data where a Res_value does:
    // values.txt's "INVALID RESOURCE ... t=0x03 d=0x00000000" and its string are right.
    const [v] = values('compact-entry').filter((x) => x.compact);
    expect(v).toBeDefined();
    const manifest = parseAxml(readFileSync(join(DIR, 'compact-entry', 'AndroidManifest.xml')));
    const ref = manifest.children.find((c) => c.name === 'application')!.attributes.find((a) => a.resourceId === ANDROID_LABEL)!.value;
    expect(ref.data).toBe(v!.id);
    const got = table('compact-entry').resolve(ref.data)!;
    expect({ type: got.type, data: got.data }).toEqual({ type: v!.type, data: v!.data });
    const strings = readFileSync(join(DIR, 'compact-entry', 'values.txt'), 'utf8');
    expect(strings).toContain(`(string8) "${got.string}"`);
  });

  it('16-bit offsets (Apktool issue3366.apk): 1002 strings, foo_N = "N"', () => {
    // Apktool's CompactResourceTest decodes this file and expects 1002 <string> resources.
    const t = table('offset16');
    let strings = 0;
    let foos = 0;
    for (let entry = 0; entry < 0x1000; entry++) {
      const id = 0x7f010000 + entry;
      const name = t.nameOf(id);
      if (name === undefined) continue;
      strings++;
      expect(name.startsWith('string/')).toBe(true);
      const m = /^string\/foo_(\d+)$/.exec(name);
      if (m) {
        foos++;
        expect(t.resolve(id)?.string).toBe(m[1]);
      }
    }
    expect(strings).toBe(1002);
    expect(foos).toBe(1001);
  });
});

describe('inputs without a table', () => {
  const real = readFileSync(join(DIR, 'locales', 'resources.arsc'));
  const cases: [string, Buffer][] = [
    ['empty', Buffer.alloc(0)],
    ['a binary XML document instead', readFileSync(join(DIR, 'locales', 'AndroidManifest.xml'))],
    ['the table header only', real.subarray(0, 12)],
    ['random text', Buffer.from('this is not a resource table at all')],
  ];
  for (const [name, buf] of cases) {
    it(name, () => {
      let err: unknown;
      try {
        parseArsc(buf);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(EduscanError);
      expect((err as EduscanError).code).toBe('E_BAD_ARSC');
    });
  }

  it('a truncated table drops the cut package, with anomalies', () => {
    const anomalies: Anomaly[] = [];
    const t = parseArsc(real.subarray(0, real.length - 100), { anomalies });
    expect(anomalies.map((a) => a.code)).toEqual(['ARSC_TABLE_SIZE', 'ARSC_BAD_CHUNK', 'ARSC_NO_PACKAGE']);
    expect(t.packages).toEqual([]);
    expect(t.resolve(0x7f040001)).toBeUndefined();
  });
});
