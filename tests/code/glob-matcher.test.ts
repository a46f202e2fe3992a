// GlobMatcher checks the literal ends of a glob before its RegExp: the answers must be those of the RegExp
// alone (globRegExp), on names built to hit the edges (empty middles, overlapping ends, line breaks that "."
// does not match, case), for case-sensitive and case-insensitive matchers.
import { describe, expect, it } from 'vitest';
import { GlobMatcher, globRegExp } from '../../src/code/match.js';
import { rng } from '../helpers/rng.js';

const GLOBS = ['libjiagu*.so', 'assets/jiagu_*', '*.wxapi.WXPayEntryActivity', 'a*a', '*', '**', 'x*y*z', 'lib*', '*.so', 'assets/ijm_lib/*', 'exact.so', 'ab*ba'];
const PIECES = ['lib', 'jiagu', '.so', 'assets/', 'a', 'b', 'x', 'y', 'z', '\n', '\r', '\u2028', '_', '.wxapi.', 'WXPayEntryActivity', 'A', 'LIB', 'ijm_lib/', 'exact'];

function naive(globs: string[], name: string, ci: boolean): number[] {
  const out: number[] = [];
  const exact = globs.findIndex((g) => !g.includes('*') && (ci ? g.toLowerCase() === name.toLowerCase() : g === name));
  if (exact >= 0) out.push(exact);
  globs.forEach((g, i) => {
    if (g.includes('*') && globRegExp(g, ci ? 'i' : '').test(name)) out.push(i);
  });
  return out;
}

describe('GlobMatcher', () => {
  for (const ci of [false, true]) {
    it(`gives the RegExp's answers (${ci ? 'case-insensitive' : 'case-sensitive'})`, () => {
      const m = new GlobMatcher<number>(ci);
      GLOBS.forEach((g, i) => m.add(g, i));
      const rnd = rng(ci ? 2 : 1);
      let hits = 0;
      for (let k = 0; k < 20_000; k++) {
        const n = Math.floor(rnd() * 6);
        let name = '';
        for (let j = 0; j < n; j++) name += PIECES[Math.floor(rnd() * PIECES.length)];
        const got = m.matchAll(name).map((x) => x.value);
        expect(got, JSON.stringify(name)).toEqual(naive(GLOBS, name, ci));
        if (got.length > 1) hits++;
      }
      expect(hits).toBeGreaterThan(1000);
    });
  }
});
