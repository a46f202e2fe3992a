// OpenStep ("old-style ASCII") property lists, and the .strings text format, which is an OpenStep
// dictionary body without the braces: `"key" = "value";` pairs with C comments and backslash escapes.
// Recursive descent, with the nesting depth capped by limits.maxNestingDepth before every descent.
import { PlistBudget, badPlist, newDict, type PlistContext, type PlistDict, type PlistValue } from './plist-value.js';

const OCTAL_MAX_DIGITS = 3;
const UNICODE_ESCAPE_MAX_DIGITS = 4;
/** Characters CoreFoundation accepts in an unquoted string. */
const UNQUOTED_RE = /[A-Za-z0-9_$/:.\-]/;
const HEX_DIGIT_RE = /[0-9a-fA-F]/;
const SIMPLE_ESCAPES: Record<string, string> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '"': '"', "'": "'", '\\': '\\', '\n': '\n' };

class OpenStepReader {
  p = 0;
  private readonly budget: PlistBudget;
  constructor(private readonly s: string, private readonly ctx: PlistContext) {
    this.budget = new PlistBudget(ctx);
  }

  fail(what: string, at = this.p): Error {
    return badPlist(this.ctx, `OpenStep plist: ${what} at character ${at}`, at);
  }

  /** Skips whitespace and comments; returns true when input remains. */
  skip(): boolean {
    const s = this.s;
    while (this.p < s.length) {
      const c = s[this.p] as string;
      if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f' || c === '\v' || c === '\ufeff') {
        this.p++;
      } else if (c === '/' && s[this.p + 1] === '/') {
        const e = s.indexOf('\n', this.p + 2);
        this.p = e < 0 ? s.length : e + 1;
      } else if (c === '/' && s[this.p + 1] === '*') {
        const e = s.indexOf('*/', this.p + 2);
        if (e < 0) throw this.fail('unterminated comment');
        this.p = e + 2;
      } else {
        return true;
      }
    }
    return false;
  }

  value(depth: number): PlistValue {
    if (!this.skip()) throw this.fail('expected a value, found the end of the text');
    const at = this.p;
    this.budget.node(at);
    const c = this.s[at] as string;
    if (c === '{') {
      this.budget.depth(depth + 1, at);
      this.p++;
      const d = this.dictBody(depth + 1, '}');
      return d;
    }
    if (c === '(') {
      this.budget.depth(depth + 1, at);
      this.p++;
      return this.array(depth + 1);
    }
    if (c === '<') return this.data();
    if (c === '"' || c === "'") return this.quoted(c);
    return this.unquoted();
  }

  /** `key = value;` pairs up to `close` ('}' or the end of a .strings file). */
  dictBody(depth: number, close: '}' | 'eof', stringsFile = false): PlistDict {
    const out = newDict();
    for (;;) {
      const more = this.skip();
      if (!more) {
        if (close === 'eof') return out;
        throw this.fail('expected "}", found the end of the text');
      }
      if (close === '}' && this.s[this.p] === '}') {
        this.p++;
        return out;
      }
      const keyAt = this.p;
      const key = this.value(depth);
      if (typeof key !== 'string') throw this.fail('expected a string key', keyAt);
      if (!this.skip()) throw this.fail(`expected "=" after key "${key}", found the end of the text`);
      // .strings files allow `"key";` as shorthand for `"key" = "key";`
      if (stringsFile && this.s[this.p] === ';') {
        this.p++;
        out[key] = key;
        continue;
      }
      if (this.s[this.p] !== '=') throw this.fail(`expected "=" after key "${key}", found "${this.s[this.p]}"`);
      this.p++;
      out[key] = this.value(depth);
      if (!this.skip() || this.s[this.p] !== ';') {
        throw this.fail(`expected ";" after the value of "${key}"`);
      }
      this.p++;
    }
  }

  array(depth: number): PlistValue[] {
    const out: PlistValue[] = [];
    for (;;) {
      if (!this.skip()) throw this.fail('expected ")", found the end of the text');
      if (this.s[this.p] === ')') {
        this.p++;
        return out;
      }
      out.push(this.value(depth));
      if (!this.skip()) throw this.fail('expected "," or ")", found the end of the text');
      const c = this.s[this.p];
      if (c === ',') {
        this.p++;
      } else if (c !== ')') {
        throw this.fail(`expected "," or ")" in an array, found "${c}"`);
      }
    }
  }

  data(): Buffer {
    const start = this.p;
    const e = this.s.indexOf('>', start + 1);
    if (e < 0) throw this.fail('unterminated <data>', start);
    const hex = this.s.slice(start + 1, e).replace(/\s+/g, '');
    if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) throw this.fail('expected hexadecimal digits in <data>', start);
    this.p = e + 1;
    return Buffer.from(hex, 'hex');
  }

  quoted(q: string): string {
    const s = this.s;
    const start = this.p;
    let p = start + 1;
    let out = '';
    let runStart = p;
    while (p < s.length) {
      const c = s[p];
      if (c === q) {
        this.p = p + 1;
        return out + s.slice(runStart, p);
      }
      if (c !== '\\') {
        p++;
        continue;
      }
      out += s.slice(runStart, p);
      const e = s[p + 1];
      if (e === undefined) break;
      p += 2;
      if (e >= '0' && e <= '7') {
        let digits = e;
        while (digits.length < OCTAL_MAX_DIGITS && (s[p] ?? '') >= '0' && (s[p] ?? '') <= '7') digits += s[p++];
        out += String.fromCharCode(parseInt(digits, 8) & 0xff);
      } else if (e === 'U' || e === 'u') {
        let digits = '';
        while (digits.length < UNICODE_ESCAPE_MAX_DIGITS && HEX_DIGIT_RE.test(s[p] ?? '')) digits += s[p++];
        if (digits.length === 0) throw this.fail('expected hexadecimal digits after \\U', p);
        out += String.fromCharCode(parseInt(digits, 16));
      } else {
        out += SIMPLE_ESCAPES[e] ?? e;
      }
      runStart = p;
    }
    throw this.fail('unterminated quoted string', start);
  }

  unquoted(): string {
    const start = this.p;
    while (this.p < this.s.length && UNQUOTED_RE.test(this.s[this.p] as string)) this.p++;
    if (this.p === start) throw this.fail(`unexpected character "${this.s[start]}"`, start);
    return this.s.slice(start, this.p);
  }
}

/** A whole OpenStep plist: one value, then only whitespace and comments. */
export function parseOpenStepPlist(text: string, ctx: PlistContext): PlistValue {
  const r = new OpenStepReader(text, ctx);
  const v = r.value(0);
  if (r.skip()) {
    // A brace-less `key = value;` list (the .strings layout) also parses as a dictionary, as CF does.
    if (typeof v === 'string' && (text[r.p] === '=' || text[r.p] === ';')) return parseStringsText(text, ctx);
    throw r.fail('expected the end of the text after the root value');
  }
  return v;
}

/** The text form of a .strings file: `"key" = "value";` pairs, optionally wrapped in braces. */
export function parseStringsText(text: string, ctx: PlistContext): PlistDict {
  const r = new OpenStepReader(text, ctx);
  if (!r.skip()) return newDict();
  if (text[r.p] === '{') {
    const v = r.value(0);
    if (r.skip()) throw r.fail('expected the end of the text after "}"');
    if (typeof v !== 'object' || v === null || Array.isArray(v) || Buffer.isBuffer(v)) throw r.fail('expected a dictionary', 0);
    return v as PlistDict;
  }
  return r.dictBody(0, 'eof', true);
}
