// The value model shared by the three property-list readers, and the caps they all apply.
import { EduscanError, LimitError, type Anomaly } from '../errors.js';
import type { Limits } from '../limits.js';

/** A CoreFoundation keyed-archiver reference (binary plists only). */
export class PlistUid {
  constructor(readonly uid: number) {}
}

/** Dictionaries have no prototype, so keys such as "__proto__" or "constructor" are plain data. */
export interface PlistDict {
  [key: string]: PlistValue;
}

/** Integers beyond ±(2^53-1) stay exact as bigint; <real> and <integer> both map to number otherwise. */
export type PlistValue = string | number | bigint | boolean | Date | Buffer | PlistUid | null | PlistValue[] | PlistDict;

export type PlistFormat = 'binary' | 'xml' | 'openstep';

export interface PlistContext {
  limits: Limits;
  anomalies: Anomaly[];
  /** Zip entry (or file) the plist came from, for anomalies and messages. */
  entry?: string;
}

export function newDict(): PlistDict {
  return Object.create(null) as PlistDict;
}

export function badPlist(ctx: PlistContext, what: string, offset?: number): EduscanError {
  const where = ctx.entry === undefined ? '' : `${ctx.entry}: `;
  return new EduscanError('E_BAD_PLIST', `${where}${what}`, offset === undefined ? {} : { offset });
}

/** Counts values and nesting so that every reader stops at the same caps. */
export class PlistBudget {
  private nodes = 0;
  constructor(private readonly ctx: PlistContext) {}
  node(offset?: number): void {
    this.nodes++;
    if (this.nodes > this.ctx.limits.maxXmlElements) {
      throw new LimitError('maxXmlElements', `${this.ctx.entry ?? 'plist'}: more than ${this.ctx.limits.maxXmlElements} values`, offset === undefined ? {} : { offset });
    }
  }
  depth(depth: number, offset?: number): void {
    if (depth > this.ctx.limits.maxNestingDepth) {
      throw new LimitError('maxNestingDepth', `${this.ctx.entry ?? 'plist'}: nesting deeper than ${this.ctx.limits.maxNestingDepth} levels`, offset === undefined ? {} : { offset });
    }
  }
}
