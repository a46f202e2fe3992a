// A 10 MB resources.arsc (500,000 entries in 100 configurations): lookups across it resolve the right
// configuration. Its speed is measured in bench/ (npm run bench), not asserted here.
import { describe, expect, it } from 'vitest';
import { parseArsc } from '../../src/apk/arsc.js';
import { buildLargeArsc, localeOf, stringIndexOf } from './arsc-build.js';

const ENTRIES = 5000;
const CONFIGS = 100;
const STRINGS = 50_000;

describe('large table', () => {
  const buf = buildLargeArsc(ENTRIES, CONFIGS, STRINGS);

  it('is at least 10 MB', () => {
    expect(buf.length).toBeGreaterThan(10_000_000);
  });

  it('resolves lookups spread over the whole table', () => {
    const lookups: [number, number][] = [
      [0, 0],
      [1, 4999],
      [57, 1234],
      [99, 42],
      [98, 4000],
    ];
    const t = parseArsc(buf);
    for (const [config, entry] of lookups) {
      const v = t.resolve(0x7f010000 + entry, [localeOf(config), ''])!;
      expect(v.string).toBe(`s${stringIndexOf(config, entry, ENTRIES, STRINGS)}`);
    }
  });

  it('finds the default value when the locale is missing, and names entries', () => {
    const t = parseArsc(buf);
    expect(t.resolve(0x7f010000 + 17, ['xx-YY'])?.string).toBe(`s${stringIndexOf(0, 17, ENTRIES, STRINGS)}`);
    expect(t.nameOf(0x7f010000 + 4321)).toBe('string/k4321');
    expect(t.variants(0x7f010000 + 3)).toHaveLength(CONFIGS);
  });
});
