// Property lists: one value model for the three formats iOS reads (binary "bplist00", XML, OpenStep text),
// a dispatcher on the first bytes, and helpers that turn values into JSON-safe facts.
//
// All three readers are our own, bounded ones. The packaged parsers were measured and rejected for hostile
// input: bplist-parser 0.5 follows object references without cycle or fan-out checks (a 40-byte file
// recurses until the stack overflows, a DAG of shared arrays expands exponentially) and keys a plain object
// with attacker strings; plist 5 recurses without a depth cap (RangeError at ~10k levels), rounds integers
// above 2^53, throws a DOMException on bad base64 and lets @xmldom/xmldom print to the console.
import { LimitError } from '../errors.js';
import { PlistUid, badPlist, type PlistContext, type PlistDict, type PlistFormat, type PlistValue } from './plist-value.js';
import { parseBinaryPlist, BPLIST_MAGIC } from './plist-binary.js';
import { parseXmlPlist } from './plist-xml.js';
import { parseOpenStepPlist } from './plist-openstep.js';

export { PlistUid, PlistBudget, badPlist, newDict } from './plist-value.js';
export type { PlistDict, PlistFormat, PlistValue, PlistContext } from './plist-value.js';

/** Plists larger than this are refused before parsing: real Info.plists are a few KB, profiles < 1 MB. */
export const MAX_PLIST_BYTES = 16 * 1024 * 1024;

export function detectPlistFormat(buf: Buffer): PlistFormat {
  if (buf.length >= BPLIST_MAGIC.length && buf.subarray(0, BPLIST_MAGIC.length).equals(BPLIST_MAGIC)) return 'binary';
  const head = decodeHead(buf);
  const t = head.trimStart();
  if (t.startsWith('<')) return 'xml';
  return 'openstep';
}

/** First characters of the text, whatever its encoding, for format sniffing. */
function decodeHead(buf: Buffer): string {
  const head = buf.subarray(0, 256);
  return decodeText(head).text;
}

/** Text decoding as CoreFoundation does it for plists and .strings: BOM first, else UTF-8. */
export function decodeText(buf: Buffer): { text: string; encoding: 'utf8' | 'utf16le' | 'utf16be' } {
  if (buf.length >= 2 && buf[0] === 0xff && buf[1] === 0xfe) return { text: buf.subarray(2).toString('utf16le'), encoding: 'utf16le' };
  if (buf.length >= 2 && buf[0] === 0xfe && buf[1] === 0xff) {
    const body = Buffer.from(buf.subarray(2, 2 + ((buf.length - 2) & ~1)));
    return { text: body.swap16().toString('utf16le'), encoding: 'utf16be' };
  }
  if (buf.length >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) return { text: buf.subarray(3).toString('utf8'), encoding: 'utf8' };
  return { text: buf.toString('utf8'), encoding: 'utf8' };
}

export function parsePlist(buf: Buffer, ctx: PlistContext): { value: PlistValue; format: PlistFormat } {
  if (buf.length > MAX_PLIST_BYTES) {
    throw new LimitError('maxEntryInflatedBytes', `${ctx.entry ?? 'plist'}: ${buf.length} bytes, plists are read up to ${MAX_PLIST_BYTES}`);
  }
  if (buf.length === 0) throw badPlist(ctx, 'empty property list: expected XML, binary or OpenStep data, found 0 bytes', 0);
  const format = detectPlistFormat(buf);
  if (format === 'binary') return { value: parseBinaryPlist(buf, ctx), format };
  const { text } = decodeText(buf);
  if (format === 'xml') return { value: parseXmlPlist(text, ctx), format };
  return { value: parseOpenStepPlist(text, ctx), format };
}

export function isDict(v: PlistValue | undefined): v is PlistDict {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date) && !Buffer.isBuffer(v) && !(v instanceof PlistUid);
}

/** A string value, or undefined for anything else (wrong types in Info.plist are ignored by iOS too). */
export function str(v: PlistValue | undefined): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** CF's boolean coercion for Info.plist flags: <true/>, 1, or the strings YES/true. */
export function bool(v: PlistValue | undefined): boolean | undefined {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v !== 0;
  if (typeof v === 'bigint') return v !== 0n;
  if (typeof v === 'string') {
    const s = v.trim().toLowerCase();
    if (s === 'yes' || s === 'true' || s === '1') return true;
    if (s === 'no' || s === 'false' || s === '0') return false;
  }
  return undefined;
}

/** Strings of an array value; a lone string counts as a one-element array (seen in hand-edited plists). */
export function strArray(v: PlistValue | undefined): string[] {
  if (typeof v === 'string') return [v];
  if (!Array.isArray(v)) return [];
  return v.filter((x): x is string => typeof x === 'string');
}

/** A scalar rendered as a string (CFBundleVersion is sometimes an integer or real in the wild). */
export function scalarString(v: PlistValue | undefined): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  if (typeof v === 'bigint') return v.toString();
  return undefined;
}

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/**
 * JSON form used in facts and by the plistlib oracle: integers beyond 2^53 and non-finite reals become
 * strings, dates ISO-8601 strings, data {"$data": base64} (or a length and SHA-256 with `dataDigest`).
 */
export function plistToJson(v: PlistValue, opts: { dataDigest?: (b: Buffer) => JsonValue } = {}): JsonValue {
  // Recursion is safe here: every reader caps nesting at limits.maxNestingDepth.
  if (Array.isArray(v)) return v.map((x) => plistToJson(x, opts));
  if (v === null) return null;
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number') return Number.isFinite(v) ? v : String(v);
  if (typeof v === 'string' || typeof v === 'boolean') return v;
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? 'invalid-date' : v.toISOString().replace('.000Z', 'Z');
  if (Buffer.isBuffer(v)) return opts.dataDigest ? opts.dataDigest(v) : { $data: v.toString('base64') };
  if (v instanceof PlistUid) return { $uid: v.uid };
  const out: { [key: string]: JsonValue } = Object.create(null) as { [key: string]: JsonValue };
  for (const k of Object.keys(v)) out[k] = plistToJson(v[k] as PlistValue, opts);
  return out;
}
