// Reference following in resolve(): chains are followed per locale, at most 8 hops, cycles and dangling or
// framework references give undefined. The table is written by arsc-build.ts; every expectation follows
// from the references placed in it.
import { describe, expect, it } from 'vitest';
import { parseArsc } from '../../src/apk/arsc.js';
import { buildLargeArsc, localeOf, stringIndexOf } from './arsc-build.js';

const ENTRIES = 40;
const CONFIGS = 3; // default, 'ab', 'ac'
const STRINGS = 100;
const REF = 0x01;
const id = (entry: number): number => 0x7f010000 + entry;

// Entries 0..9: a chain 0 -> 1 -> ... -> 9, 9 is a string. Entry 20 <-> 21: a cycle. 22: itself.
// 23: a dangling reference. 24: a framework (0x01) reference. 25: @null (reference to 0).
// 30: refers to 31 in every config; 31 has a value per locale.
const table = parseArsc(
  buildLargeArsc(ENTRIES, CONFIGS, STRINGS, (_config, entry) => {
    if (entry < 9) return { type: REF, data: id(entry + 1) };
    if (entry === 20) return { type: REF, data: id(21) };
    if (entry === 21) return { type: REF, data: id(20) };
    if (entry === 22) return { type: REF, data: id(22) };
    if (entry === 23) return { type: REF, data: 0x7f050000 };
    if (entry === 24) return { type: REF, data: 0x01040000 };
    if (entry === 25) return { type: REF, data: 0 };
    if (entry === 30) return { type: REF, data: id(31) };
    return undefined;
  }),
);
const stringOf = (config: number, entry: number): string => `s${stringIndexOf(config, entry, ENTRIES, STRINGS)}`;

describe('resolve() follows references', () => {
  it('a chain of 8 references ends at its string', () => {
    // 1 -> 2 -> ... -> 9: eight hops.
    expect(table.resolve(id(1))?.string).toBe(stringOf(0, 9));
  });

  it('gives up after 8 hops', () => {
    // 0 -> ... -> 9: nine hops.
    expect(table.resolve(id(0))).toBeUndefined();
  });

  it('cycles, dangling and framework references give undefined', () => {
    expect(table.resolve(id(20))).toBeUndefined();
    expect(table.resolve(id(22))).toBeUndefined();
    expect(table.resolve(id(23))).toBeUndefined();
    expect(table.resolve(id(24))).toBeUndefined();
  });

  it('@null is returned as it is, not followed', () => {
    expect(table.resolve(id(25))).toEqual({ type: REF, data: 0 });
  });

  it('each hop uses the same locale preference', () => {
    expect(table.resolve(id(30), [localeOf(2)])?.string).toBe(stringOf(2, 31));
    expect(table.resolve(id(30), [localeOf(1), ''])?.string).toBe(stringOf(1, 31));
    expect(table.resolve(id(30), ['zz'])?.string).toBe(stringOf(0, 31));
  });

  it('variants() reports the stored references without following them', () => {
    expect(table.variants(id(30)).map((v) => v.value)).toEqual([
      { type: REF, data: id(31) },
      { type: REF, data: id(31) },
      { type: REF, data: id(31) },
    ]);
    expect(table.variants(id(30)).map((v) => v.config.locale)).toEqual(['', 'ab', 'ac']);
  });
});
