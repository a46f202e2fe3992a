// Binary XML decoder on committed fixtures: trees must print exactly as `aapt dump xmltree` printed them
// (stored by tests/oracle/gen-xmltree.sh), hardened rewrites of those files must decode to the same tree
// with an anomaly, and inputs with no tree must fail with E_BAD_AXML or a LimitError.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAxml } from '../../src/apk/axml.js';
import type { XmlElement } from '../../src/apk/xml-tree.js';
import { EduscanError, LimitError, type Anomaly } from '../../src/errors.js';
import { resolveLimits } from '../../src/limits.js';
import { FIXTURES } from '../helpers/corpus.js';
import { firstDifference, formatLikeAapt, parseAaptXmltree } from './aapt-xmltree.js';
import {
  chunk,
  END_ELEMENT,
  END_NAMESPACE,
  growNodeHeader,
  isNode,
  joinAxml,
  padAttributes,
  setAttributeName,
  splitAxml,
  START_ELEMENT,
  typeOf,
} from './axml-edit.js';

const DIR = join(FIXTURES, 'axml');
/** Fixture directories: UTF-16 pools (compact-entry, offset16), UTF-8 (sparse, locales, built by aapt2). */
const FIXTURE_DIRS = ['compact-entry', 'offset16', 'sparse', 'locales'];
const DOCUMENTS = [
  ...FIXTURE_DIRS.map((d) => ({ name: d, file: join(DIR, d, 'AndroidManifest.xml'), oracle: join(DIR, d, 'xmltree.txt') })),
  {
    name: 'locales res/xml/network_security_config.xml',
    file: join(DIR, 'locales', 'res', 'xml', 'network_security_config.xml'),
    oracle: join(DIR, 'locales', 'xmltree-network_security_config.xml.txt'),
  },
];

function aaptLines(oracle: string): { lines: string[]; namespaces: [string, string][] } {
  const a = parseAaptXmltree(readFileSync(oracle, 'utf8'));
  expect(a.exit).toBe(0);
  expect(a.lines.length).toBeGreaterThan(0);
  return a;
}

function decode(buf: Buffer, anomalies: Anomaly[] = []): XmlElement {
  return parseAxml(buf, { anomalies });
}

describe('binary XML fixtures match aapt dump xmltree', () => {
  for (const d of DOCUMENTS) {
    it(d.name, () => {
      const aapt = aaptLines(d.oracle);
      const anomalies: Anomaly[] = [];
      const root = decode(readFileSync(d.file), anomalies);
      expect(firstDifference(formatLikeAapt(root, aapt.namespaces), aapt.lines)).toBeUndefined();
      expect(anomalies).toEqual([]);
    });
  }

  it('keeps typed values raw and sets resource ids from the resource map', () => {
    const root = decode(readFileSync(join(DIR, 'locales', 'AndroidManifest.xml')));
    const app = root.children.find((c) => c.name === 'application')!;
    const label = app.attributes.find((a) => a.name === 'label')!;
    // aapt: A: android:label(0x01010001)=@0x7f040000
    expect(label.resourceId).toBe(0x01010001);
    expect(label.value.type).toBe(0x01);
    expect(label.namespace).toBe('http://schemas.android.com/apk/res/android');
    const text = decode(readFileSync(join(DIR, 'locales', 'res', 'xml', 'network_security_config.xml')));
    const domains = text.children[1]!.children.map((c) => c.text);
    expect(domains).toEqual(['example.edu.cn', 'cdn.example.com']);
  });
});

/** A hardened rewrite must print exactly like the original, which aapt vouches for. */
function expectSameTree(original: Buffer, rewritten: Buffer, anomalyCode: string | undefined, oracle: string): void {
  const aapt = aaptLines(oracle);
  const anomalies: Anomaly[] = [];
  const root = decode(rewritten, anomalies);
  expect(firstDifference(formatLikeAapt(root, aapt.namespaces), aapt.lines)).toBeUndefined();
  expect(formatLikeAapt(root, aapt.namespaces)).toEqual(formatLikeAapt(decode(original), aapt.namespaces));
  if (anomalyCode) expect(anomalies.map((a) => a.code)).toContain(anomalyCode);
  else expect(anomalies).toEqual([]);
}

describe.each(['compact-entry', 'locales'])('hardened rewrites of %s decode to the aapt tree', (name) => {
  const file = join(DIR, name, 'AndroidManifest.xml');
  const oracle = join(DIR, name, 'xmltree.txt');
  const original = readFileSync(file);
  const doc = splitAxml(original);

  it('document header type 0 (Android never checks it)', () => {
    expectSameTree(original, joinAxml({ ...doc, type: 0 }), 'AXML_HEADER_TYPE', oracle);
  });

  it('the unmodified split/join round trip is byte-identical', () => {
    expect(joinAxml(doc).equals(original)).toBe(true);
  });

  it('unknown chunks before and between the nodes are skipped by size', () => {
    const junk = (type: number): Buffer => chunk(type, 8, Buffer.alloc(12, 0x5a));
    const chunks = [...doc.chunks];
    const firstNode = chunks.findIndex(isNode);
    chunks.splice(firstNode + 2, 0, junk(0x0000), junk(0x0177));
    chunks.splice(1, 0, junk(0x7777));
    expectSameTree(original, joinAxml({ ...doc, chunks }), 'AXML_UNKNOWN_CHUNK', oracle);
  });

  it('attributes stored 24 bytes apart (attributeSize honoured)', () => {
    const chunks = doc.chunks.map((c) => (typeOf(c) === START_ELEMENT ? padAttributes(c, 24) : c));
    expectSameTree(original, joinAxml({ ...doc, chunks }), 'AXML_ATTRIBUTE_SIZE', oracle);
  });

  it('node headers larger than 16 bytes (the extension is found at headerSize)', () => {
    const chunks = doc.chunks.map((c) => (isNode(c) ? growNodeHeader(c, 8) : c));
    expectSameTree(original, joinAxml({ ...doc, chunks }), 'AXML_NODE_HEADER_SIZE', oracle);
  });

  it('bytes after the document', () => {
    expectSameTree(original, joinAxml(doc, Buffer.from('trailing junk')), 'AXML_TRAILING_BYTES', oracle);
  });

  it('an end tag without a start tag', () => {
    const end = doc.chunks.find((c) => typeOf(c) === END_ELEMENT)!;
    const chunks = [...doc.chunks];
    const at = chunks.findIndex((c) => typeOf(c) === END_NAMESPACE);
    chunks.splice(at, 0, end);
    expectSameTree(original, joinAxml({ ...doc, chunks }), 'AXML_UNBALANCED_END', oracle);
  });

  it('an attribute name index outside the string pool becomes "" without a resource id', () => {
    const i = doc.chunks.findIndex((c) => typeOf(c) === START_ELEMENT);
    const chunks = [...doc.chunks];
    chunks[i] = setAttributeName(chunks[i]!, 0, 0x7fffffff);
    const anomalies: Anomaly[] = [];
    const root = decode(joinAxml({ ...doc, chunks }), anomalies);
    const before = decode(original);
    expect(root.attributes[0]!.name).toBe('');
    expect(root.attributes[0]!.resourceId).toBeUndefined();
    expect(root.attributes[0]!.value).toEqual(before.attributes[0]!.value);
    expect(root.attributes.slice(1)).toEqual(before.attributes.slice(1));
    expect(root.children).toEqual(before.children);
    expect(anomalies.map((a) => a.code)).toContain('AXML_STRING_INDEX');
  });
});

describe('inputs without a tree', () => {
  const original = readFileSync(join(DIR, 'locales', 'AndroidManifest.xml'));
  const cases: [string, Buffer][] = [
    ['empty', Buffer.alloc(0)],
    ['shorter than a chunk header', original.subarray(0, 7)],
    ['a text XML document', readFileSync(join(DIR, 'locales-src', 'AndroidManifest.xml'))],
    ['a header and nothing else', original.subarray(0, 8)],
    ['a resources.arsc instead', readFileSync(join(DIR, 'locales', 'resources.arsc'))],
    ['only the string pool', joinAxml({ type: 3, chunks: splitAxml(original).chunks.slice(0, 1) })],
    ['no string pool', joinAxml({ type: 3, chunks: splitAxml(original).chunks.slice(2) })],
    ['a PNG', Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489', 'hex')],
  ];
  for (const [name, buf] of cases) {
    it(name, () => {
      let err: unknown;
      try {
        parseAxml(buf);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(EduscanError);
      expect((err as EduscanError).code).toBe('E_BAD_AXML');
      expect((err as EduscanError).message).not.toContain('\n');
    });
  }

  it('nesting deeper than limits.maxNestingDepth is a LimitError', () => {
    // manifest > application > activity > intent-filter > action: depth 5.
    expect(() => parseAxml(original, { limits: resolveLimits({ maxNestingDepth: 5 }) })).not.toThrow();
    const err = (() => {
      try {
        parseAxml(original, { limits: resolveLimits({ maxNestingDepth: 4 }) });
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(LimitError);
    expect((err as LimitError).limit).toBe('maxNestingDepth');
  });

  it('more elements than limits.maxXmlElements is a LimitError', () => {
    const count = aaptLines(join(DIR, 'locales', 'xmltree.txt')).lines.filter((l) => l.trimStart().startsWith('E:')).length;
    expect(() => parseAxml(original, { limits: resolveLimits({ maxXmlElements: count }) })).not.toThrow();
    expect(() => parseAxml(original, { limits: resolveLimits({ maxXmlElements: count - 1 }) })).toThrow(LimitError);
  });

  it('more attributes than limits.maxXmlAttributes is a LimitError', () => {
    const count = aaptLines(join(DIR, 'locales', 'xmltree.txt')).lines.filter((l) => l.trimStart().startsWith('A:')).length;
    expect(() => parseAxml(original, { limits: resolveLimits({ maxXmlAttributes: count }) })).not.toThrow();
    expect(() => parseAxml(original, { limits: resolveLimits({ maxXmlAttributes: count - 1 }) })).toThrow(/more than \d+ attributes/);
  });
});
