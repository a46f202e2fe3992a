// The three plist readers against python plistlib (committed fixtures), and against hostile inputs.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as plist from 'plist';
import { describe, expect, it } from 'vitest';
import { EduscanError, LimitError, type Anomaly } from '../../src/errors.js';
import { DEFAULT_LIMITS, resolveLimits } from '../../src/limits.js';
import { parsePlist, type PlistContext } from '../../src/ipa/plist.js';
import { parseStringsFile } from '../../src/ipa/strings.js';
import { FIXTURES } from '../helpers/corpus.js';
import { toOracleJson } from './helpers/oracle-json.js';

const dir = join(FIXTURES, 'ipa');
const expected = JSON.parse(readFileSync(join(dir, 'values.json'), 'utf8')) as Record<string, unknown>;
const ctx = (anomalies: Anomaly[] = [], limits = DEFAULT_LIMITS): PlistContext => ({ limits, anomalies, entry: 'test.plist' });

function code(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (e instanceof EduscanError) return e.code;
    throw e;
  }
  return 'no error';
}

describe('plist readers agree with python plistlib', () => {
  for (const name of ['values.bplist', 'values.xml']) {
    it(name, () => {
      const { value, format } = parsePlist(readFileSync(join(dir, name)), ctx());
      expect(format).toBe(name.endsWith('.xml') ? 'xml' : 'binary');
      expect(toOracleJson(value)).toEqual(expected[name]);
    });
  }

  it('keeps integers above 2^53 exact (binary and XML)', () => {
    for (const name of ['values.bplist', 'values.xml']) {
      const { value } = parsePlist(readFileSync(join(dir, name)), ctx());
      const d = value as Record<string, unknown>;
      expect(d.int_i64_max).toBe(2n ** 63n - 1n);
      expect(d.int_i64_min).toBe(-(2n ** 63n));
      expect(d.int_u64_max).toBe(2n ** 64n - 1n);
      expect(d.int_safe_max).toBe(Number.MAX_SAFE_INTEGER);
    }
  });

  it('"__proto__" is an ordinary key, not a prototype', () => {
    const { value } = parsePlist(readFileSync(join(dir, 'values.bplist')), ctx());
    expect(Object.getPrototypeOf(value)).toBeNull();
    expect(Object.keys(value as object)).toContain('__proto__');
  });

  it('reads what the plist package builds (XML and binary) back to the same object', () => {
    const obj = { CFBundleIdentifier: 'com.example.built', list: ['a', 'b', 3], nested: { t: true, f: false, r: 2.5 }, when: new Date('2020-01-02T03:04:05Z') };
    for (const bytes of [Buffer.from(plist.build(obj)), Buffer.from(plist.buildBinary(obj))]) {
      const { value } = parsePlist(bytes, ctx());
      expect(value).toEqual(obj);
    }
  });
});

describe('OpenStep text and .strings', () => {
  it('parses an OpenStep plist with comments, quoted and unquoted strings, arrays and data', () => {
    const text = '// top\n{ CFBundleIdentifier = com.example.os; /* c */ "Name" = "A \\"q\\" \\U4e2d\\n"; List = (1, two, "3",); Blob = <0001 ff>; Nested = { k = v; }; }';
    const { value, format } = parsePlist(Buffer.from(text), ctx());
    expect(format).toBe('openstep');
    expect(value).toEqual({ CFBundleIdentifier: 'com.example.os', Name: 'A "q" 中\n', List: ['1', 'two', '3'], Blob: Buffer.from([0, 1, 0xff]), Nested: { k: 'v' } });
  });

  const table = { CFBundleDisplayName: '教育应用', NSCameraUsageDescription: '扫描"作业"二维码\n第二行', 'key with = and ;': 'a\\b' };
  const escape = (s: string) => s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
  const text = `/* InfoPlist.strings */\n// line comment\n${Object.entries(table).map(([k, v]) => `"${escape(k)}" = "${escape(v)}";`).join('\n')}\n`;

  it('UTF-16LE with BOM', () => {
    const buf = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
    expect(Object.fromEntries(parseStringsFile(buf, ctx()))).toEqual(table);
  });
  it('UTF-16BE with BOM', () => {
    const buf = Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(text, 'utf16le').swap16()]);
    expect(Object.fromEntries(parseStringsFile(buf, ctx()))).toEqual(table);
  });
  it('UTF-8 with and without BOM, and UTF-16LE without BOM', () => {
    expect(Object.fromEntries(parseStringsFile(Buffer.from(text), ctx()))).toEqual(table);
    expect(Object.fromEntries(parseStringsFile(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]), ctx()))).toEqual(table);
    expect(Object.fromEntries(parseStringsFile(Buffer.from(text, 'utf16le'), ctx()))).toEqual(table);
  });
  it('binary and XML plist .strings', () => {
    expect(Object.fromEntries(parseStringsFile(Buffer.from(plist.buildBinary(table)), ctx()))).toEqual(table);
    expect(Object.fromEntries(parseStringsFile(Buffer.from(plist.build(table)), ctx()))).toEqual(table);
  });
  it('octal escapes, "key"; shorthand and an empty file', () => {
    expect(Object.fromEntries(parseStringsFile(Buffer.from('"a" = "\\101\\102";\n"Same";'), ctx()))).toEqual({ a: 'AB', Same: 'Same' });
    expect(parseStringsFile(Buffer.from('\n'), ctx()).size).toBe(0);
  });
  it('a missing semicolon or quote is E_BAD_PLIST', () => {
    expect(code(() => parseStringsFile(Buffer.from('"a" = "b"\n"c" = "d";'), ctx()))).toBe('E_BAD_PLIST');
    expect(code(() => parseStringsFile(Buffer.from('"a" = "b;'), ctx()))).toBe('E_BAD_PLIST');
  });
});

describe('hostile XML plists', () => {
  it('rejects internal entity declarations (billion laughs) like plistlib', () => {
    const lol = '<?xml version="1.0"?><!DOCTYPE plist [<!ENTITY a "AAAAAAAAAA"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><plist><string>&b;</string></plist>';
    expect(code(() => parsePlist(Buffer.from(lol), ctx()))).toBe('E_BAD_PLIST');
  });
  it('ignores an internal subset without entities, with an anomaly', () => {
    const anomalies: Anomaly[] = [];
    const x = '<?xml version="1.0"?><!DOCTYPE plist [<!ATTLIST plist version CDATA "1.0">]><plist><string>ok</string></plist>';
    expect(parsePlist(Buffer.from(x), ctx(anomalies)).value).toBe('ok');
    expect(anomalies.map((a) => a.code)).toEqual(['PLIST_XML_INTERNAL_DTD']);
  });
  it('rejects undefined entities and decodes the predefined ones and character references', () => {
    expect(code(() => parsePlist(Buffer.from('<plist><string>&ext;</string></plist>'), ctx()))).toBe('E_BAD_PLIST');
    expect(parsePlist(Buffer.from('<plist><string>&lt;&amp;&#x4e2d;&#25991;<![CDATA[<raw>]]></string></plist>'), ctx()).value).toBe('<&中文<raw>');
  });
  it('caps nesting depth before the stack does', () => {
    const deep = '<plist>' + '<array>'.repeat(100_000) + '</array>'.repeat(100_000) + '</plist>';
    expect(() => parsePlist(Buffer.from(deep), ctx())).toThrow(LimitError);
  });
  it('caps the number of values', () => {
    const many = '<plist><array>' + '<true/>'.repeat(2000) + '</array></plist>';
    expect(() => parsePlist(Buffer.from(many), ctx([], resolveLimits({ maxXmlElements: 1000 })))).toThrow(LimitError);
  });
  it('blanks invalid base64 <data> with an anomaly and keeps the rest', () => {
    const anomalies: Anomaly[] = [];
    const x = '<plist><dict><key>bad</key><data>SampleDCC=x</data><key>good</key><string>kept</string></dict></plist>';
    const { value } = parsePlist(Buffer.from(x), ctx(anomalies));
    expect(value).toEqual({ bad: Buffer.alloc(0), good: 'kept' });
    expect(anomalies.map((a) => a.code)).toEqual(['PLIST_BAD_BASE64']);
  });
  it('rejects malformed documents with E_BAD_PLIST', () => {
    for (const bad of ['', '<plist>', '<plist></plist>', '<plist><dict><key>a</key></dict></plist>', '<plist><dict><string>x</string></dict></plist>',
      '<plist><integer>12x</integer></plist>', '<plist><date>yesterday</date></plist>', '<plist><string>a</plist>', '<plist><foo/></plist>',
      '<plist><string>a</string></plist><plist/>', '<?xml version="1.0"?>']) {
      expect(code(() => parsePlist(Buffer.from(bad), ctx())), bad).toBe('E_BAD_PLIST');
    }
  });
});

/** A binary plist from raw object bytes: offsets are computed, the trailer appended. */
function bplist(objects: Buffer[], opts: { top?: number; refSize?: number; offsetSize?: number; trailerOffsetSize?: number; numObjects?: bigint; tableOffset?: bigint } = {}): Buffer {
  const parts: Buffer[] = [Buffer.from('bplist00', 'latin1')];
  const offsets: number[] = [];
  let at = 8;
  for (const o of objects) {
    offsets.push(at);
    parts.push(o);
    at += o.length;
  }
  const offsetSize = opts.offsetSize ?? 2;
  const table = Buffer.alloc(offsets.length * offsetSize);
  offsets.forEach((o, i) => table.writeUIntBE(o, i * offsetSize, offsetSize));
  const trailer = Buffer.alloc(32);
  trailer[6] = opts.trailerOffsetSize ?? offsetSize;
  trailer[7] = opts.refSize ?? 1;
  trailer.writeBigUInt64BE(opts.numObjects ?? BigInt(objects.length), 8);
  trailer.writeBigUInt64BE(BigInt(opts.top ?? 0), 16);
  trailer.writeBigUInt64BE(opts.tableOffset ?? BigInt(at), 24);
  return Buffer.concat([...parts, table, trailer]);
}

describe('hostile binary plists', () => {
  it('a reference cycle is E_BAD_PLIST, not a stack overflow', () => {
    // object 0: array [0]
    expect(code(() => parsePlist(bplist([Buffer.from([0xa1, 0x00])]), ctx()))).toBe('E_BAD_PLIST');
    // object 0: dict { "k": 0 }
    expect(code(() => parsePlist(bplist([Buffer.from([0xd1, 0x01, 0x00]), Buffer.from([0x51, 0x6b])]), ctx()))).toBe('E_BAD_PLIST');
  });
  it('a DAG of shared arrays (2^60 leaves) stops at the value cap', () => {
    // object i = [i+1, i+1] for i < 60; object 60 = true
    const objs: Buffer[] = [];
    for (let i = 0; i < 60; i++) objs.push(Buffer.from([0xa2, i + 1, i + 1]));
    objs.push(Buffer.from([0x09]));
    expect(() => parsePlist(bplist(objs), ctx())).toThrow(LimitError);
  });
  it('trailer values that do not fit the file are E_BAD_PLIST', () => {
    const ok = [Buffer.from([0x09])];
    expect(parsePlist(bplist(ok), ctx()).value).toBe(true);
    expect(code(() => parsePlist(bplist(ok, { numObjects: 2n ** 62n }), ctx()))).toBe('E_BAD_PLIST');
    expect(code(() => parsePlist(bplist(ok, { tableOffset: 2n ** 63n }), ctx()))).toBe('E_BAD_PLIST');
    expect(code(() => parsePlist(bplist(ok, { top: 5 }), ctx()))).toBe('E_BAD_PLIST');
    expect(code(() => parsePlist(bplist(ok, { refSize: 0 }), ctx()))).toBe('E_BAD_PLIST');
    expect(code(() => parsePlist(bplist(ok, { trailerOffsetSize: 9 }), ctx()))).toBe('E_BAD_PLIST');
  });
  it('lengths past the object area and references past the object count are E_BAD_PLIST', () => {
    // string claiming 2^31 characters
    expect(code(() => parsePlist(bplist([Buffer.from([0x5f, 0x12, 0x80, 0, 0, 0, 0x41])]), ctx()))).toBe('E_BAD_PLIST');
    // array of 3 refs to object 7
    expect(code(() => parsePlist(bplist([Buffer.from([0xa3, 7, 7, 7])]), ctx()))).toBe('E_BAD_PLIST');
    // dictionary key that is not a string
    expect(code(() => parsePlist(bplist([Buffer.from([0xd1, 1, 1]), Buffer.from([0x10, 0x05])]), ctx()))).toBe('E_BAD_PLIST');
  });
  it('the plists of size cap is enforced before parsing', () => {
    expect(() => parsePlist(Buffer.alloc(17 * 1024 * 1024, 0x20), ctx())).toThrow(LimitError);
  });
});
