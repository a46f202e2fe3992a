// XML property list reader. The plist DTD is a tiny, fixed vocabulary, so this is a hand-written scanner
// rather than a general XML parser: no DTD processing at all (an internal subset declaring entities is
// rejected, as python's plistlib does, which rules out entity-expansion bombs), only the five predefined
// entities and character references, an explicit stack (no recursion), and the shared depth/value caps.
import { PlistBudget, badPlist, newDict, type PlistContext, type PlistDict, type PlistValue } from './plist-value.js';

const MAX_INTEGER_CHARS = 42; // sign + "0x" + 128 bits in decimal (39 digits): longer is not a CF integer
const MAX_ENTITY_CHARS = 12;
const PREDEFINED_ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };
const SCALAR_ELEMENTS = new Set(['key', 'string', 'integer', 'real', 'date', 'data', 'true', 'false']);
const BASE64_RE = /^[A-Za-z0-9+/]*={0,2}$/;
// plistlib's date grammar: YYYY[-MM[-DD[THH[:MM[:SS]]]]]Z
const DATE_RE = /^(\d{4})(?:-(\d\d)(?:-(\d\d)(?:T(\d\d)(?::(\d\d)(?::(\d\d))?)?)?)?)?Z$/;
const DECIMAL_RE = /^[+-]?\d+$/;
const HEX_RE = /^([+-]?)0[xX]([0-9a-fA-F]+)$/;
const REAL_RE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const NAME_RE = /[A-Za-z_:][\w.:-]*/y;

interface Frame {
  kind: 'plist' | 'dict' | 'array';
  start: number;
  dict?: PlistDict;
  array?: PlistValue[];
  key?: string;
  value?: PlistValue;
  hasValue?: boolean;
}

export function parseXmlPlist(s: string, ctx: PlistContext): PlistValue {
  const budget = new PlistBudget(ctx);
  const stack: Frame[] = [];
  let root: PlistValue | undefined;
  let rootDone = false;
  let p = 0;
  const n = s.length;
  const fail = (what: string, at: number) => badPlist(ctx, `XML plist: ${what} at character ${at}`, at);

  const deliver = (value: PlistValue, isKey: boolean, at: number): void => {
    budget.node(at);
    const top = stack[stack.length - 1];
    if (top === undefined) {
      if (isKey) throw fail('expected a value, found <key> outside a <dict>', at);
      root = value;
      rootDone = true;
      return;
    }
    if (top.kind === 'dict') {
      if (isKey) {
        if (top.key !== undefined) throw fail(`expected a value for key "${top.key}", found another <key>`, at);
        top.key = value as string;
      } else {
        if (top.key === undefined) throw fail('expected <key> in <dict>, found a value', at);
        (top.dict as PlistDict)[top.key] = value;
        top.key = undefined;
      }
    } else if (top.kind === 'array') {
      if (isKey) throw fail('expected a value in <array>, found <key>', at);
      (top.array as PlistValue[]).push(value);
    } else {
      if (isKey) throw fail('expected a value in <plist>, found <key>', at);
      if (top.hasValue) throw fail('expected one value in <plist>, found a second one', at);
      top.value = value;
      top.hasValue = true;
    }
  };

  while (p < n) {
    const lt = s.indexOf('<', p);
    const textEnd = lt < 0 ? n : lt;
    if (stack.length === 0 && textEnd > p && !/^\s*$/.test(s.slice(p, textEnd))) {
      throw fail(`expected markup, found text "${s.slice(p, Math.min(textEnd, p + 20))}"`, p);
    }
    if (lt < 0) break;
    if (s.startsWith('<!--', lt)) {
      const e = s.indexOf('-->', lt + 4);
      if (e < 0) throw fail('unterminated comment', lt);
      p = e + 3;
      continue;
    }
    if (s.startsWith('<?', lt)) {
      const e = s.indexOf('?>', lt + 2);
      if (e < 0) throw fail('unterminated processing instruction', lt);
      p = e + 2;
      continue;
    }
    if (s.startsWith('<!DOCTYPE', lt)) {
      if (stack.length > 0 || rootDone) throw fail('expected <!DOCTYPE> before the root element', lt);
      p = skipDoctype(s, lt, ctx, fail);
      continue;
    }
    if (s.startsWith('<![CDATA[', lt)) {
      // CDATA between container elements is whitespace-like noise for plistlib; outside a value we skip it.
      const e = s.indexOf(']]>', lt + 9);
      if (e < 0) throw fail('unterminated CDATA section', lt);
      p = e + 3;
      continue;
    }
    if (rootDone) throw fail('expected the end of the document, found more markup after the root value', lt);
    if (s[lt + 1] === '/') {
      const { name, end } = readEndTag(s, lt, fail);
      const top = stack.pop();
      if (top === undefined || top.kind !== name) throw fail(`expected </${top?.kind ?? '(none)'}>, found </${name}>`, lt);
      p = end;
      if (top.kind === 'dict') {
        if (top.key !== undefined) throw fail(`expected a value for key "${top.key}", found </dict>`, lt);
        deliver(top.dict as PlistDict, false, top.start);
      } else if (top.kind === 'array') {
        deliver(top.array as PlistValue[], false, top.start);
      } else {
        if (!top.hasValue) throw fail('expected a value in <plist>, found </plist>', lt);
        deliver(top.value as PlistValue, false, top.start);
      }
      continue;
    }
    const tag = readStartTag(s, lt, fail);
    p = tag.end;
    const { name } = tag;
    if (name === 'dict' || name === 'array' || name === 'plist') {
      if (name === 'plist' && stack.length > 0) throw fail('expected <plist> only as the root element', lt);
      if (tag.selfClosing) {
        if (name === 'plist') throw fail('expected a value in <plist/>, found none', lt);
        deliver(name === 'dict' ? newDict() : [], false, lt);
        continue;
      }
      budget.depth(stack.length + 1, lt);
      stack.push(name === 'dict' ? { kind: 'dict', start: lt, dict: newDict() } : name === 'array' ? { kind: 'array', start: lt, array: [] } : { kind: 'plist', start: lt });
      continue;
    }
    if (!SCALAR_ELEMENTS.has(name)) throw fail(`expected a plist element, found <${name}>`, lt);
    let text = '';
    if (!tag.selfClosing) {
      const r = readText(s, p, name, fail);
      text = r.text;
      p = r.end;
    }
    deliver(scalar(name, text, lt, ctx, fail), name === 'key', lt);
  }
  if (stack.length > 0) {
    const top = stack[stack.length - 1] as Frame;
    throw fail(`expected </${top.kind}> before the end of the document`, top.start);
  }
  if (!rootDone) throw fail('expected a root value, found none', 0);
  return root as PlistValue;
}

type Fail = (what: string, at: number) => Error;

function readStartTag(s: string, lt: number, fail: Fail): { name: string; end: number; selfClosing: boolean } {
  NAME_RE.lastIndex = lt + 1;
  const m = NAME_RE.exec(s);
  if (m === null) throw fail(`expected an element name after "<", found "${s.slice(lt + 1, lt + 10)}"`, lt);
  let q = lt + 1 + m[0].length;
  // Attributes (version="1.0") are ignored, but quoted values may contain '>'.
  let quote = '';
  for (; q < s.length; q++) {
    const c = s[q];
    if (quote) {
      if (c === quote) quote = '';
    } else if (c === '"' || c === "'") {
      quote = c;
    } else if (c === '>') {
      return { name: m[0], end: q + 1, selfClosing: s[q - 1] === '/' };
    } else if (c === '<') {
      break;
    }
  }
  throw fail(`unterminated start tag <${m[0]}`, lt);
}

function readEndTag(s: string, lt: number, fail: Fail): { name: string; end: number } {
  NAME_RE.lastIndex = lt + 2;
  const m = NAME_RE.exec(s);
  if (m === null) throw fail('expected an element name after "</"', lt);
  let q = lt + 2 + m[0].length;
  while (q < s.length && /\s/.test(s[q] as string)) q++;
  if (s[q] !== '>') throw fail(`unterminated end tag </${m[0]}`, lt);
  return { name: m[0], end: q + 1 };
}

/** Character data of a scalar element up to its end tag; comments and CDATA are allowed inside. */
function readText(s: string, from: number, name: string, fail: Fail): { text: string; end: number } {
  let out = '';
  let p = from;
  for (;;) {
    const lt = s.indexOf('<', p);
    if (lt < 0) throw fail(`expected </${name}>, found the end of the document`, from);
    out += decodeEntities(normalizeNewlines(s.slice(p, lt)), p, fail);
    if (s.startsWith('<!--', lt)) {
      const e = s.indexOf('-->', lt + 4);
      if (e < 0) throw fail('unterminated comment', lt);
      p = e + 3;
    } else if (s.startsWith('<![CDATA[', lt)) {
      const e = s.indexOf(']]>', lt + 9);
      if (e < 0) throw fail('unterminated CDATA section', lt);
      out += normalizeNewlines(s.slice(lt + 9, e));
      p = e + 3;
    } else if (s.startsWith('<?', lt)) {
      const e = s.indexOf('?>', lt + 2);
      if (e < 0) throw fail('unterminated processing instruction', lt);
      p = e + 2;
    } else if (s[lt + 1] === '/') {
      const end = readEndTag(s, lt, fail);
      if (end.name !== name) throw fail(`expected </${name}>, found </${end.name}>`, lt);
      return { text: out, end: end.end };
    } else {
      throw fail(`expected text inside <${name}>, found an element`, lt);
    }
  }
}

function normalizeNewlines(t: string): string {
  return t.includes('\r') ? t.replace(/\r\n?/g, '\n') : t;
}

function decodeEntities(t: string, at: number, fail: Fail): string {
  if (!t.includes('&')) return t;
  let out = '';
  let p = 0;
  for (;;) {
    const amp = t.indexOf('&', p);
    if (amp < 0) return out + t.slice(p);
    out += t.slice(p, amp);
    const semi = t.indexOf(';', amp + 1);
    if (semi < 0 || semi - amp > MAX_ENTITY_CHARS) throw fail('expected an entity reference "&name;", found a bare "&"', at + amp);
    const ref = t.slice(amp + 1, semi);
    let ch: string | undefined;
    if (ref.startsWith('#')) {
      const hex = ref[1] === 'x' || ref[1] === 'X';
      const digits = ref.slice(hex ? 2 : 1);
      const cp = (hex ? /^[0-9a-fA-F]+$/ : /^\d+$/).test(digits) ? parseInt(digits, hex ? 16 : 10) : NaN;
      if (!(cp > 0 && cp <= 0x10ffff) || (cp >= 0xd800 && cp <= 0xdfff)) throw fail(`invalid character reference "&${ref};"`, at + amp);
      ch = String.fromCodePoint(cp);
    } else {
      ch = PREDEFINED_ENTITIES[ref];
      if (ch === undefined) throw fail(`undefined entity "&${ref};" (plists have no DTD entities)`, at + amp);
    }
    out += ch;
    p = semi + 1;
  }
}

function skipDoctype(s: string, lt: number, ctx: PlistContext, fail: Fail): number {
  let quote = '';
  for (let q = lt + 9; q < s.length; q++) {
    const c = s[q];
    if (quote) {
      if (c === quote) quote = '';
    } else if (c === '"' || c === "'") {
      quote = c;
    } else if (c === '[') {
      const close = findSubsetEnd(s, q + 1);
      if (close < 0) throw fail('unterminated DOCTYPE internal subset', q);
      const subset = s.slice(q + 1, close);
      if (/<!ENTITY/i.test(subset)) throw fail('XML entity declarations are not supported in plists (entity expansion)', q);
      ctx.anomalies.push({ code: 'PLIST_XML_INTERNAL_DTD', detail: 'the DOCTYPE has an internal subset; it was ignored', ...(ctx.entry === undefined ? {} : { entry: ctx.entry }) });
      q = close;
    } else if (c === '>') {
      return q + 1;
    }
  }
  throw fail('unterminated DOCTYPE', lt);
}

function findSubsetEnd(s: string, from: number): number {
  let quote = '';
  for (let q = from; q < s.length; q++) {
    const c = s[q];
    if (quote) {
      if (c === quote) quote = '';
    } else if (c === '"' || c === "'") {
      quote = c;
    } else if (c === ']') {
      return q;
    }
  }
  return -1;
}

function scalar(name: string, text: string, at: number, ctx: PlistContext, fail: Fail): PlistValue {
  switch (name) {
    case 'key':
    case 'string':
      return text;
    case 'true':
    case 'false':
      if (text.trim() !== '') throw fail(`expected <${name}/> to be empty, found text`, at);
      return name === 'true';
    case 'integer': {
      const t = text.trim();
      if (t.length > MAX_INTEGER_CHARS) throw fail(`integer of ${t.length} characters is too long`, at);
      let v: bigint;
      const hex = HEX_RE.exec(t);
      if (hex) {
        v = BigInt('0x' + (hex[2] as string));
        if (hex[1] === '-') v = -v;
      } else if (DECIMAL_RE.test(t)) {
        v = BigInt(t);
      } else {
        throw fail(`expected an integer, found "${t.slice(0, 20)}"`, at);
      }
      return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
    }
    case 'real': {
      const t = text.trim();
      if (REAL_RE.test(t)) return Number(t);
      const special = t.toLowerCase().replace(/^\+/, '');
      if (special === 'nan' || special === '-nan') return Number.NaN;
      if (special === 'inf' || special === 'infinity') return Number.POSITIVE_INFINITY;
      if (special === '-inf' || special === '-infinity') return Number.NEGATIVE_INFINITY;
      throw fail(`expected a real number, found "${t.slice(0, 20)}"`, at);
    }
    case 'date': {
      const m = DATE_RE.exec(text.trim());
      if (m === null) throw fail(`expected an ISO 8601 date like 2020-01-31T12:00:00Z, found "${text.trim().slice(0, 30)}"`, at);
      const [, y, mo, d, h, mi, sec] = m;
      const ms = Date.UTC(Number(y), Number(mo ?? 1) - 1, Number(d ?? 1), Number(h ?? 0), Number(mi ?? 0), Number(sec ?? 0));
      return new Date(ms);
    }
    case 'data': {
      const b64 = text.replace(/\s+/g, '');
      if (b64.length % 4 === 0 && BASE64_RE.test(b64)) return Buffer.from(b64, 'base64');
      // Two real provisioning profiles carry such <data>; iOS never reads it, so keep the rest of the plist.
      ctx.anomalies.push({
        code: 'PLIST_BAD_BASE64',
        detail: `invalid base64 in <data> (${b64.length} characters at character ${at}); the value was replaced by empty data`,
        ...(ctx.entry === undefined ? {} : { entry: ctx.entry }),
      });
      return Buffer.alloc(0);
    }
    default:
      throw fail(`unexpected element <${name}>`, at);
  }
}
