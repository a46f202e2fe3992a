// Every plist-like file of the corpus (loose ones and those inside the IPAs) against python plistlib's
// reading, stored by tests/oracle/ipa/make-oracle.py in tests/oracle/ipa/plists.json.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EduscanError, type Anomaly } from '../../src/errors.js';
import { FileSource } from '../../src/io/source.js';
import { extractProfilePlist } from '../../src/ipa/mobileprovision.js';
import { parsePlist } from '../../src/ipa/plist.js';
import { parseStringsFile } from '../../src/ipa/strings.js';
import { DEFAULT_LIMITS } from '../../src/limits.js';
import { openZip, readEntry } from '../../src/zip/zip.js';
import { CORPUS } from '../helpers/corpus.js';
import { toOracleJson, type OracleJson } from './helpers/oracle-json.js';

interface OracleItem {
  size: number;
  format?: 'binary' | 'xml' | 'text';
  envelope?: 'cms' | 'sliced';
  value?: OracleJson;
  error?: string;
  blankedData?: number;
}

const oracle = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'oracle', 'ipa', 'plists.json'), 'utf8')) as { items: Record<string, OracleItem> };

function bytesOf(key: string): Buffer {
  if (key.startsWith('plist/')) return readFileSync(join(CORPUS as string, key));
  const [zipName, entryName] = key.slice('ipa/'.length).split('!') as [string, string];
  const zip = openZip(new FileSource(join(CORPUS as string, 'ipa', zipName)), DEFAULT_LIMITS);
  const entry = zip.get(entryName);
  if (!entry) throw new Error(`${entryName} missing from ${zipName}`);
  return readEntry(zip, entry);
}

describe.skipIf(!CORPUS)('corpus plists vs python plistlib', () => {
  const keys = Object.keys(oracle.items);
  it('covers the 26 loose files and every plist inside the IPAs', () => {
    expect(keys.filter((k) => k.startsWith('plist/')).length).toBe(26);
    expect(keys.filter((k) => k.startsWith('ipa/')).length).toBeGreaterThan(100);
  });
  for (const key of keys) {
    const item = oracle.items[key] as OracleItem;
    it(key, () => {
      const buf = bytesOf(key);
      expect(buf.length).toBe(item.size);
      const anomalies: Anomaly[] = [];
      const ctx = { limits: DEFAULT_LIMITS, anomalies, entry: key };
      const read = () => {
        const isProfile = key.endsWith('.mobileprovision');
        const { plist, envelope } = isProfile ? extractProfilePlist(buf, ctx) : { plist: buf, envelope: 'none' };
        if (isProfile) expect(envelope).toBe(item.envelope ?? 'none');
        return parsePlist(plist, ctx);
      };
      if (item.format === 'text') {
        // plistlib has no reader for OpenStep text: .strings texts must read, the empty profile must fail.
        if (key.endsWith('.strings')) expect(parseStringsFile(buf, ctx)).toBeInstanceOf(Map);
        else expect(read).toThrow(EduscanError);
        return;
      }
      if (item.error !== undefined) {
        let err: unknown;
        try {
          read();
        } catch (e) {
          err = e;
        }
        expect(err, `plistlib: ${item.error}`).toBeInstanceOf(EduscanError);
        return;
      }
      const { value, format } = read();
      expect(format).toBe(item.format);
      expect(toOracleJson(value)).toEqual(item.value);
      expect(anomalies.filter((a) => a.code === 'PLIST_BAD_BASE64').length).toBe(item.blankedData ?? 0);
    });
  }
});
