// Safety caps for hostile input. Every cap is configurable per scan (ScanOptions.limits); these are the
// defaults. Units are in the names.

export interface Limits {
  /** Central-directory records read at most (real APKs: < 20,000; a zip bomb can claim millions). */
  maxEntries: number;
  /** Bytes one entry may inflate to when eduscan reads it whole (manifest, resources, plist, profile). */
  maxEntryInflatedBytes: number;
  /** Bytes all entries read during one scan may inflate to in total. */
  maxTotalInflatedBytes: number;
  /** Highest compression ratio accepted for an entry that is read (deflate tops out near 1032:1). */
  maxCompressionRatio: number;
  /** Nesting depth for XML, binary XML and plists. */
  maxNestingDepth: number;
  /** Elements in one binary XML document. */
  maxXmlElements: number;
  /** Attributes in one binary XML document (each costs an object; a hostile 64 MiB manifest could hold 3 million). */
  maxXmlAttributes: number;
}

export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
  maxEntries: 200_000,
  maxEntryInflatedBytes: 64 * 1024 * 1024,
  maxTotalInflatedBytes: 256 * 1024 * 1024,
  maxCompressionRatio: 1100,
  maxNestingDepth: 256,
  maxXmlElements: 500_000,
  maxXmlAttributes: 1_000_000,
});

export function resolveLimits(partial?: Partial<Limits>): Limits {
  return { ...DEFAULT_LIMITS, ...(partial ?? {}) };
}
