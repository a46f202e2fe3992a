// Every corpus APK (EDUSCAN_CORPUS): the decoded AndroidManifest.xml must print exactly as the stored
// `aapt dump xmltree` output (tests/oracle/xmltree/, from tests/oracle/gen-xmltree.sh); labels and version
// names resolved through resources.arsc must equal `aapt dump badging` (tests/oracle/aapt/, from
// tests/oracle/gen-aapt.sh); and every resources.arsc value aapt can read must equal
// `aapt dump --values resources`, which is run here when aapt is installed (its output is 40 MB for the
// corpus, too much to store).
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseArsc, type ResourceTable } from '../../src/apk/arsc.js';
import { parseAxml } from '../../src/apk/axml.js';
import type { XmlElement } from '../../src/apk/xml-tree.js';
import { EduscanError, type Anomaly } from '../../src/errors.js';
import { FileSource } from '../../src/io/source.js';
import { resolveLimits } from '../../src/limits.js';
import { openZip, readEntry } from '../../src/zip/zip.js';
import { CORPUS, corpusFiles } from '../helpers/corpus.js';
import { hasTool } from '../helpers/tools.js';
import { AAPT_ORACLE_DIR, parseBadging } from '../oracle/aapt.js';
import { compareWithAapt, parseAaptValues } from './aapt-values.js';
import { firstDifference, formatLikeAapt, normalizeForOutput, parseAaptXmltree } from './aapt-xmltree.js';

const XMLTREE_DIR = join(import.meta.dirname, '..', 'oracle', 'xmltree');
const ANDROID_LABEL = 0x01010001;
const ANDROID_VERSION_NAME = 0x0101021c;

type Outcome =
  | { kind: 'tree'; root: XmlElement; anomalies: Anomaly[]; table?: ResourceTable; tableError?: EduscanError; arscMs?: number }
  | { kind: 'error'; error: EduscanError; stage: 'zip' | 'manifest' };

function decodeApk(file: string): Outcome {
  const limits = resolveLimits();
  let zip;
  try {
    zip = openZip(new FileSource(file), limits);
  } catch (e) {
    if (e instanceof EduscanError) return { kind: 'error', error: e, stage: 'zip' };
    throw e;
  }
  try {
    const entry = zip.get('AndroidManifest.xml');
    if (!entry) return { kind: 'error', error: new EduscanError('E_NO_MANIFEST', 'no AndroidManifest.xml'), stage: 'manifest' };
    const anomalies: Anomaly[] = [];
    const root = parseAxml(readEntry(zip, entry), { limits, anomalies });
    const out: Outcome = { kind: 'tree', root, anomalies };
    const arsc = zip.get('resources.arsc');
    if (arsc) {
      try {
        const buf = readEntry(zip, arsc);
        const t0 = performance.now();
        out.table = parseArsc(buf, { limits, anomalies });
        out.arscMs = performance.now() - t0;
      } catch (e) {
        if (!(e instanceof EduscanError)) throw e;
        out.tableError = e;
      }
    }
    return out;
  } catch (e) {
    if (e instanceof EduscanError) return { kind: 'error', error: e, stage: 'manifest' };
    throw e;
  } finally {
    zip.source.close();
  }
}

const files = corpusFiles('apk');
/** Values and names compared with aapt dump --values resources, over the whole corpus. */
const compared = { values: 0, names: 0 };
const outcomes = new Map<string, Outcome>();
const outcome = (file: string): Outcome => {
  let o = outcomes.get(file);
  if (!o) outcomes.set(file, (o = decodeApk(file)));
  return o;
};

describe.skipIf(!CORPUS)('corpus AndroidManifest.xml vs aapt dump xmltree', () => {
  it.each(files.map((f) => [basename(f), f]))('%s', (name, file) => {
    const oraclePath = join(XMLTREE_DIR, `${name}.txt`);
    expect(existsSync(oraclePath), `run tests/oracle/gen-xmltree.sh for ${name}`).toBe(true);
    const aapt = parseAaptXmltree(readFileSync(oraclePath, 'utf8'));
    const o = outcome(file);
    if (aapt.exit === 0) {
      // aapt read it: so must we, identically.
      expect(o.kind).toBe('tree');
      if (o.kind !== 'tree') return;
      expect(firstDifference(formatLikeAapt(o.root, aapt.namespaces), aapt.lines)).toBeUndefined();
    } else {
      // aapt could not read it (missing manifest, zip it refuses): a tree or a typed error, nothing else.
      if (o.kind === 'error') expect(o.error.code).toMatch(/^E_/);
      else expect(o.root.name).toBe('manifest');
    }
  });
});

describe.skipIf(!CORPUS)('corpus labels and version names vs aapt dump badging', () => {
  it.each(files.map((f) => [basename(f), f]))('%s', (name, file) => {
    const badgingPath = join(AAPT_ORACLE_DIR, `${name}.badging.txt`);
    expect(existsSync(badgingPath)).toBe(true);
    const badging = parseBadging(readFileSync(badgingPath, 'utf8'));
    const o = outcome(file);
    if (!badging.ok || o.kind !== 'tree' || !o.table) return;
    const table = o.table;
    const app = o.root.children.find((c) => c.name === 'application');
    const label = app?.attributes.find((a) => a.resourceId === ANDROID_LABEL)?.value;
    if (label?.type === 0x01) {
      expect(table.resolve(label.data, [''])?.string ?? '').toBe(badging.label ?? '');
      for (const [locale, value] of Object.entries(badging.labels)) {
        const lang = locale.split('-')[0]!;
        expect(table.resolve(label.data, [locale, lang, ''])?.string, locale).toBe(value);
      }
    }
    const versionName = o.root.attributes.find((a) => a.resourceId === ANDROID_VERSION_NAME)?.value;
    if (versionName?.type === 0x01) expect(table.resolve(versionName.data, [''])?.string).toBe(badging.versionName);
  });
});

describe.skipIf(!CORPUS || !hasTool('aapt'))('corpus resources.arsc vs aapt dump --values resources', () => {
  it.each(files.map((f) => [basename(f), f]))('%s', (_name, file) => {
    const o = outcome(file);
    if (o.kind !== 'tree' || !o.table) return;
    let stdout: string;
    try {
      stdout = execFileSync('aapt', ['dump', '--values', 'resources', file], { maxBuffer: 256 * 1024 * 1024, stdio: ['ignore', 'pipe', 'ignore'] }).toString('utf8');
    } catch (e) {
      stdout = ((e as { stdout?: Buffer }).stdout ?? Buffer.alloc(0)).toString('utf8');
    }
    const result = compareWithAapt(o.table, parseAaptValues(stdout), normalizeForOutput);
    expect(result.mismatches.slice(0, 5)).toEqual([]);
    compared.values += result.values;
    compared.names += result.names;
  });
});

describe.skipIf(!CORPUS)('corpus summary', () => {
  it('every APK gives a tree or a typed error, and tables index fast', () => {
    const lines: string[] = [];
    let trees = 0;
    let slowest = 0;
    for (const file of files) {
      const o = outcome(file);
      if (o.kind === 'tree') {
        trees++;
        slowest = Math.max(slowest, o.arscMs ?? 0);
        const codes = [...new Set(o.anomalies.map((a) => a.code))];
        if (codes.length || o.tableError) lines.push(`${basename(file)}: tree; ${[...codes, o.tableError?.code].filter(Boolean).join(', ')}`);
      } else {
        lines.push(`${basename(file)}: ${o.error.code} (${o.stage})`);
      }
    }
    console.log(
      `${trees}/${files.length} manifests decoded; slowest resources.arsc index ${slowest.toFixed(1)} ms; ` +
        `compared with aapt dump --values: ${compared.values} values, ${compared.names} names\n${lines.join('\n')}`,
    );
    // With aapt installed the run above compares ~146,000 values; make sure it really ran.
    if (hasTool('aapt')) expect(compared.values).toBeGreaterThan(100_000);
    expect(trees).toBeGreaterThan(files.length * 0.9);
    expect(slowest).toBeLessThan(200);
  });
});
