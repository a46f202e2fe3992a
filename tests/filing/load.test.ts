// Reading records: JSON and YAML, which form, and a typed one-line error for everything that is not a readable
// record. Then a seeded fuzz over mutated records: only EduscanError may come out, never a crash.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EduscanError, isEduscanError } from '../../src/errors.js';
import { MAX_RECORD_BYTES, parseFilingText, readFilingFile, type FilingFormat } from '../../src/filing/load.js';
import { fillApp, writeScanBlock } from '../../src/filing/write.js';
import { findApp } from '../../src/filing/match.js';
import { SCAN_BLOCK, smartclassFacts, stubDetect } from './helpers.js';
import { rng } from '../helpers/rng.js';

const ROOT = resolve(import.meta.dirname, '../..');
const SAMPLE = join(ROOT, 'samples', 'filing', 'smartclass.provider.yaml');
const dir = mkdtempSync(join(tmpdir(), 'eduscan-filing-load-'));

function tmp(name: string, content: string | Buffer): string {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
}

function errorOf(f: () => unknown): EduscanError {
  try {
    f();
  } catch (e) {
    if (isEduscanError(e)) return e;
    throw e;
  }
  throw new Error('expected an EduscanError');
}

describe('formats and forms', () => {
  it('reads the same record from YAML and JSON', () => {
    const y = readFilingFile(SAMPLE);
    const j = readFilingFile(tmp('sample.json', JSON.stringify(y.raw, null, 2)));
    expect(y.format).toBe('yaml');
    expect(j.format).toBe('json');
    expect(j.raw).toEqual(y.raw);
    expect(j.problems).toEqual([]);
    expect(readFilingFile(tmp('sample.yml', readFileSync(SAMPLE))).format).toBe('yaml');
  });

  it('tells the form by `kind`, else by its sections', () => {
    expect(parseFilingText('kind: use\n', { format: 'yaml' }).kind).toBe('use');
    expect(parseFilingText('apps: []\n', { format: 'yaml' }).kind).toBe('provider');
    expect(parseFilingText('{"unit": {}}', { format: 'json' }).kind).toBe('use');
    expect(errorOf(() => parseFilingText('name: x\n', { format: 'yaml' })).code).toBe('E_RECORD');
    expect(errorOf(() => parseFilingText('apps: []\nunit: {}\n', { format: 'yaml' })).message).toContain('kind: provider');
  });

  it('a UTF-8 byte-order mark is fine in both formats', () => {
    const text = readFileSync(SAMPLE, 'utf8');
    expect(readFilingFile(tmp('bom.yaml', `\ufeff${text}`)).problems).toEqual([]);
    expect(readFilingFile(tmp('bom.json', `\ufeff${JSON.stringify({ kind: 'use' })}`)).kind).toBe('use');
  });
});

describe('unreadable records are typed one-line errors', () => {
  const cases: [string, () => unknown, string, RegExp][] = [
    ['missing file', () => readFilingFile(join(dir, 'nope.yaml')), 'E_IO', /ENOENT/],
    ['a directory', () => readFilingFile((mkdirSync(join(dir, 'd.yaml'), { recursive: true }), join(dir, 'd.yaml'))), 'E_IO', /not a regular file/],
    ['empty file', () => readFilingFile(tmp('empty.yaml', '')), 'E_EMPTY', /empty/],
    ['only comments', () => readFilingFile(tmp('c.yaml', '# nothing\n')), 'E_RECORD', /expected a mapping/],
    ['binary (an APK passed as record)', () => readFilingFile(join(ROOT, 'samples', 'android', 'smartclass.apk')), 'E_RECORD', /binary|UTF-8/],
    ['GBK text', () => readFilingFile(tmp('gbk.yaml', Buffer.from([0x6e, 0x61, 0x6d, 0x65, 0x3a, 0x20, 0xd6, 0xc7, 0xbb, 0xdb, 0x0a]))), 'E_RECORD', /not UTF-8.*offset 6/],
    ['bad YAML', () => readFilingFile(tmp('bad.yaml', 'apps:\n  - name: [x\n')), 'E_RECORD', /not valid YAML.*line \d+, column \d+/],
    ['duplicate YAML key', () => readFilingFile(tmp('dup.yaml', 'apps: []\napps: []\n')), 'E_RECORD', /DUPLICATE_KEY/],
    ['two YAML documents', () => readFilingFile(tmp('two.yaml', 'apps: []\n---\napps: []\n')), 'E_RECORD', /not valid YAML/],
    ['alias bomb', () => readFilingFile(tmp('bomb.yaml', `a: &a [x, x, x, x, x, x, x, x, x, x]\n${Array.from({ length: 12 }, (_, i) => `b${i}: &b${i} [${Array(10).fill(i === 0 ? '*a' : `*b${i - 1}`).join(', ')}]`).join('\n')}\napps: *b11\n`)), 'E_RECORD', /not valid YAML/],
    ['bad JSON', () => readFilingFile(tmp('bad.json', '{\n  "apps": [1,]\n}\n')), 'E_RECORD', /not valid JSON.*line 2, column \d+/],
    ['a JSON list', () => readFilingFile(tmp('list.json', '[1, 2]')), 'E_RECORD', /is a list: expected a mapping/],
    ['a YAML scalar', () => readFilingFile(tmp('scalar.yaml', 'just text\n')), 'E_RECORD', /is a string: expected a mapping/],
    ['too large', () => readFilingFile(tmp('big.yaml', `apps: []\n#${'x'.repeat(MAX_RECORD_BYTES)}\n`)), 'E_LIMIT', /at most/],
  ];
  for (const [name, f, code, re] of cases) {
    it(name, () => {
      const e = errorOf(f);
      expect(e.code).toBe(code);
      expect(e.message).toMatch(re);
      expect(e.message).not.toContain('\n');
      expect(e.file).toBeDefined();
    });
  }

  it('deeply nested JSON is a problem list or an E_RECORD, not a stack overflow', () => {
    const deep = `{"kind":"provider","x":${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
    const d = parseFilingText(deep, { format: 'json' });
    expect(d.problems.map((p) => p.code)).toContain('UNKNOWN_KEY');
    const deepYaml = `kind: provider\nx: ${'['.repeat(20_000)}${']'.repeat(20_000)}\n`;
    try {
      const y = parseFilingText(deepYaml, { format: 'yaml' });
      expect(y.problems.map((p) => p.code)).toContain('UNKNOWN_KEY');
    } catch (e) {
      expect(isEduscanError(e)).toBe(true);
    }
  });
});

const YAML_BITS = [':', '-', ' ', '\n', '"', "'", '[', ']', '{', '}', '#', '&a', '*a', '!!str', '|', '>', '\t', '2.10', 'null', '\u0000', '？'];
const JSON_BITS = ['{', '}', '[', ']', ',', ':', '"', '\\', 'null', '1e999', '-', ' ', '\n', '"\\u0000"'];

function mutate(text: string, r: () => number, bits: readonly string[]): string {
  const at = Math.floor(r() * text.length);
  switch (Math.floor(r() * 4)) {
    case 0:
      return text.slice(0, at);
    case 1:
      return text.slice(0, at) + text.slice(at + 1 + Math.floor(r() * 20));
    case 2:
      return text.slice(0, at) + (bits[Math.floor(r() * bits.length)] ?? '') + text.slice(at);
    default: {
      const c = text.charCodeAt(at) ^ (1 << Math.floor(r() * 7));
      return text.slice(0, at) + String.fromCharCode(c) + text.slice(at + 1);
    }
  }
}

describe('seeded fuzz: mutated records read, validate, match and write without crashing', () => {
  const facts = smartclassFacts();
  const detected = stubDetect(facts);
  const yaml = readFileSync(SAMPLE, 'utf8');
  const json = JSON.stringify(parseFilingText(yaml, { format: 'yaml' }).raw, null, 2);

  for (const [format, seed, text, bits] of [['yaml', 1, yaml, YAML_BITS], ['json', 2, json, JSON_BITS]] as const) {
    it(`${format}: 1,500 mutants (seed ${seed})`, () => {
      const r = rng(seed);
      let parsed = 0;
      let written = 0;
      for (let i = 0; i < 1500; i++) {
        let t = text;
        const n = 1 + Math.floor(r() * 3);
        for (let k = 0; k < n; k++) t = mutate(t, r, bits);
        try {
          const doc = parseFilingText(t, { format: format as FilingFormat });
          parsed++;
          const loc = findApp(doc, facts);
          const filled = fillApp(doc, loc.index, facts, detected);
          writeScanBlock(parseFilingText(filled.text, { format: format as FilingFormat }), loc.index, SCAN_BLOCK);
          written++;
        } catch (e) {
          if (!isEduscanError(e)) throw new Error(`mutant ${i} threw ${(e as Error).name}: ${(e as Error).message}\n${t}`);
          expect(e.message).not.toContain('\n');
        }
      }
      // The fuzz reached every stage.
      expect(parsed).toBeGreaterThan(100);
      expect(written).toBeGreaterThan(50);
    });
  }
});
