// .strings localisation tables (InfoPlist.strings): a binary plist (what Xcode ships by default), an XML
// plist, or text `"key" = "value";` in UTF-16 with a BOM or UTF-8.
import { LimitError } from '../errors.js';
import { BPLIST_MAGIC, parseBinaryPlist } from './plist-binary.js';
import { parseStringsText } from './plist-openstep.js';
import { MAX_PLIST_BYTES, decodeText, isDict, type PlistContext } from './plist.js';
import { badPlist } from './plist-value.js';
import { parseXmlPlist } from './plist-xml.js';

export type StringsTable = Map<string, string>;

export function parseStringsFile(buf: Buffer, ctx: PlistContext): StringsTable {
  if (buf.length > MAX_PLIST_BYTES) {
    throw new LimitError('maxEntryInflatedBytes', `${ctx.entry ?? '.strings'}: ${buf.length} bytes, .strings files are read up to ${MAX_PLIST_BYTES}`);
  }
  let dict;
  if (buf.length >= BPLIST_MAGIC.length && buf.subarray(0, BPLIST_MAGIC.length).equals(BPLIST_MAGIC)) {
    dict = parseBinaryPlist(buf, ctx);
  } else {
    const text = decodeStringsText(buf);
    const t = text.trimStart();
    dict = t.startsWith('<') ? parseXmlPlist(text, ctx) : parseStringsText(text, ctx);
  }
  if (!isDict(dict)) throw badPlist(ctx, '.strings: expected a dictionary at the top level', 0);
  const out: StringsTable = new Map();
  for (const [k, v] of Object.entries(dict)) if (typeof v === 'string') out.set(k, v);
  return out;
}

/** UTF-16 without a BOM exists too (old Xcode exports): recognised by NUL bytes in every other position. */
function decodeStringsText(buf: Buffer): string {
  if (buf.length >= 4 && !(buf[0] === 0xff && buf[1] === 0xfe) && !(buf[0] === 0xfe && buf[1] === 0xff)) {
    const probe = Math.min(buf.length & ~1, 512);
    let evenZero = 0;
    let oddZero = 0;
    for (let i = 0; i < probe; i += 2) {
      if (buf[i] === 0) evenZero++;
      if (buf[i + 1] === 0) oddZero++;
    }
    const half = probe / 2;
    if (oddZero > half * 0.4 && evenZero === 0) return buf.subarray(0, buf.length & ~1).toString('utf16le');
    if (evenZero > half * 0.4 && oddZero === 0) return Buffer.from(buf.subarray(0, buf.length & ~1)).swap16().toString('utf16le');
  }
  return decodeText(buf).text;
}
