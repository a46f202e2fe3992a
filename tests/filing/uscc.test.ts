// 统一社会信用代码 (GB 32100-2015) and the organisation code inside it (GB 11714). Expected values come from
// published codes and from an independent Python implementation of the standard's formula, never from ours.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { checkOrgCode, checkUscc, orgCodeCheckChar, USCC_CHARSET, usccCheckChar } from '../../src/filing/uscc.js';
import { usccDetails } from '../../src/filing/field-checks.js';
import { hasTool } from '../helpers/tools.js';
import { rng } from '../helpers/rng.js';

// Real codes "found online" in python-stdnum's test suite: arthurdejong/python-stdnum
// tests/test_cn_uscc.doctest @ 1ccbd3c434f5 (one per authority/category/region shape; 12 = 事业单位,
// 91 = 企业, 92 = 个体工商户; letters in the body; check characters 0-9 and letters).
const PUBLISHED = [
  '121200004013590816', '91110000600037341L', '91110000710926094P', '91120224064012553U', '911522010783710635',
  '91152201078371135X', '9115220107837941X1', '91310000631696382C', '91310115MA1K3BTP2B', '9131012056010553X5',
  '91340600MA2PBM9HXD', '91340600MA2PBNE723', '91420684MA4927PJ7B', '9144030071526726XG', '91620105L015101280',
  '91620105MA71T4YW8Q', '92340602MA2PBMEM24', '92340603MA2UK2ECXU', '92340621MA2UK3PJXE', '913505007821784439',
];
// The worked example of the standard's check computation as reproduced in "统一社会信用代码唯一性校验规则"
// (renrendoc.com/p-47802332.html, yc00.com/web/1713075042a2177900.html): body 91350100M000100Y4, weights
// 1 3 9 27 19 26 16 17 20 29 25 13 8 24 10 30 28, sum 1640, 1640 mod 31 = 28, check 31 - 28 = 3.
const WORKED_EXAMPLE = { body: '91350100M000100Y4', check: '3', wrong: '91350100M000100Y4Z' };

// GB 32100 §5.2 in Python, written from the formula, for check characters of arbitrary bodies.
const PY_USCC = `
import sys
CH = '0123456789ABCDEFGHJKLMNPQRTUWXY'
for body in sys.stdin.read().split():
    s = sum(CH.index(c) * pow(3, i, 31) for i, c in enumerate(body))
    print(CH[(31 - s % 31) % 31])
`;

describe('USCC check character (GB 32100-2015)', () => {
  it('accepts every published code, and computes its printed check character', () => {
    for (const code of PUBLISHED) {
      expect(checkUscc(code), code).toEqual([]);
      expect(usccCheckChar(code.slice(0, 17)), code).toBe(code[17]);
    }
  });

  it('reproduces the standard\'s worked example (sum 1640 → check 3) and rejects its wrong code', () => {
    expect(usccCheckChar(WORKED_EXAMPLE.body)).toBe(WORKED_EXAMPLE.check);
    // Z is not even in the character set; with the computed check character the code is well formed.
    expect(checkUscc(WORKED_EXAMPLE.wrong)).toEqual([{ kind: 'charset', position: 18, char: 'Z' }]);
    expect(checkUscc(WORKED_EXAMPLE.body + WORKED_EXAMPLE.check)).toEqual([]);
  });

  it.skipIf(!hasTool('python3'))('agrees with an independent Python implementation on 2,000 seeded random bodies', () => {
    const r = rng(32100);
    const bodies: string[] = [];
    for (let i = 0; i < 2000; i++) {
      let b = '';
      for (let j = 0; j < 17; j++) b += USCC_CHARSET[Math.floor(r() * USCC_CHARSET.length)];
      bodies.push(b);
    }
    const py = execFileSync('python3', ['-c', PY_USCC], { input: bodies.join('\n'), encoding: 'utf8' }).trim().split('\n');
    expect(py).toHaveLength(bodies.length);
    expect(bodies.map((b) => usccCheckChar(b))).toEqual(py);
  });

  it('detects every single-character substitution of a published code', () => {
    for (const code of PUBLISHED.slice(0, 6)) {
      for (let i = 0; i < 18; i++) {
        const alphabet = i >= 2 && i < 8 ? '0123456789' : USCC_CHARSET;
        for (const c of alphabet) {
          if (c === code[i]) continue;
          const mutated = code.slice(0, i) + c + code.slice(i + 1);
          const kinds = checkUscc(mutated).map((x) => x.kind);
          // A wrong character anywhere in 1-17 moves the weighted sum (31 is prime, no weight is 0 mod 31); a
          // wrong check character is the check failing directly.
          expect(kinds, mutated).toContain('check');
        }
      }
    }
  });

  it('detects every adjacent transposition of a published code', () => {
    for (const code of PUBLISHED) {
      for (let i = 0; i < 17; i++) {
        if (code[i] === code[i + 1]) continue;
        const swapped = code.slice(0, i) + code[i + 1] + code[i] + code.slice(i + 2);
        expect(checkUscc(swapped).length, swapped).toBeGreaterThan(0);
      }
    }
  });

  it('reports length, forbidden letters, region and check together', () => {
    expect(checkUscc('12345')).toEqual([{ kind: 'length', found: 5 }]);
    expect(checkUscc('91110000600037341')).toEqual([{ kind: 'length', found: 17 }]);
    // I, O, Z, S, V are not in the character set; positions 3-8 must be digits.
    const bad = checkUscc('9111000060003IOZSV');
    expect(bad.map((x) => x.kind)).toEqual(['charset', 'charset', 'charset', 'charset', 'charset']);
    expect(checkUscc('91A10000600037341L')).toContainEqual({ kind: 'charset', position: 3, char: 'A' });
    // 99xxxx is no GB/T 2260 province: reported besides the (now wrong) check character.
    const region = checkUscc('91990000600037341L').map((x) => x.kind);
    expect(region).toContain('region');
    expect(region).toContain('check');
  });

  it('lowercase is not the code (the form asks for capitals)', () => {
    expect(checkUscc('91310115ma1k3btp2b').map((x) => x.kind)).toContain('charset');
  });

  it('bilingual details name the expected check character', () => {
    const d = usccDetails('91110000600037341N');
    expect(d).toHaveLength(1);
    expect(d[0]?.code).toBe('USCC_CHECK');
    expect(d[0]?.zh).toContain('应为 L');
    expect(d[0]?.en).toContain('should be L');
  });
});

describe('organisation code (GB 11714) inside the credit code', () => {
  it('the embedded organisation codes of the published credit codes pass their own check', () => {
    for (const code of PUBLISHED) {
      const org = code.slice(8, 17);
      expect(orgCodeCheckChar(org.slice(0, 8)), code).toBe(org[8]);
      expect(checkOrgCode(org)).toEqual([]);
      expect(checkOrgCode(`${org.slice(0, 8)}-${org[8]}`)).toEqual([]);
    }
  });

  it('detects substitutions in the organisation code body', () => {
    const org = '60003734'; // from 91110000600037341L
    for (let i = 0; i < 8; i++) {
      for (const c of '0123456789') {
        if (c === org[i]) continue;
        const m = org.slice(0, i) + c + org.slice(i + 1);
        // Mod 11 with weights < 11: a digit change never leaves the sum unchanged.
        expect(checkOrgCode(`${m}-1`).map((x) => x.kind), m).toEqual(['check']);
      }
    }
  });

  it('a credit code whose organisation part was mistyped fails both checks', () => {
    // 91110000600037341L with position 12 changed 0 → 1 and the printed check characters kept.
    const kinds = checkUscc('91110000601037341L').map((x) => x.kind);
    expect(kinds).toEqual(['org-check', 'check']);
  });

  it('rejects malformed organisation codes', () => {
    expect(checkOrgCode('6000373')).toEqual([{ kind: 'format' }]);
    expect(checkOrgCode('60003734-Y')).toEqual([{ kind: 'format' }]);
  });
});
