// Our plist values in the JSON form that tests/oracle/ipa/make-oracle.py writes for python plistlib.
import { createHash } from 'node:crypto';
import { PlistUid, type PlistValue } from '../../../src/ipa/plist.js';

export type OracleJson = string | number | boolean | null | OracleJson[] | { [k: string]: OracleJson };

export function toOracleJson(v: PlistValue): OracleJson {
  if (v === null) return null;
  if (typeof v === 'bigint') return { $int: v.toString() };
  if (typeof v === 'number') {
    if (Number.isNaN(v)) return { $real: 'nan' };
    if (!Number.isFinite(v)) return { $real: v > 0 ? 'inf' : '-inf' };
    return v;
  }
  if (typeof v === 'string' || typeof v === 'boolean') return v;
  if (v instanceof Date) return { $date: v.toISOString().replace('.000Z', 'Z') };
  if (Buffer.isBuffer(v)) return { $data: v.length, sha256: createHash('sha256').update(v).digest('hex') };
  if (v instanceof PlistUid) return { $uid: v.uid };
  if (Array.isArray(v)) return v.map(toOracleJson);
  const out: { [k: string]: OracleJson } = {};
  // defineProperty, so that a "__proto__" key stays a key as it does in JSON.parse output.
  for (const k of Object.keys(v)) Object.defineProperty(out, k, { value: toOracleJson(v[k] as PlistValue), enumerable: true, writable: true, configurable: true });
  return out;
}
