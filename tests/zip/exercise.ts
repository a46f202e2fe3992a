// Drives the zip reader the way a scan does, on hostile bytes: open, then read every entry with small caps.
// Returns the EduscanError code (or 'ok'); anything else escapes to the caller as a finding.
import { EduscanError } from '../../src/errors.js';
import { BufferSource, type ByteSource } from '../../src/io/source.js';
import { resolveLimits, type Limits } from '../../src/limits.js';
import { openZip, readEntry } from '../../src/zip/zip.js';

export const FUZZ_LIMITS: Limits = resolveLimits({
  maxEntries: 5000,
  maxEntryInflatedBytes: 2 * 1024 * 1024,
  maxTotalInflatedBytes: 8 * 1024 * 1024,
});

export function exercise(input: Buffer | ByteSource, limits: Limits = FUZZ_LIMITS): string {
  const source = Buffer.isBuffer(input) ? new BufferSource(input) : input;
  try {
    const zip = openZip(source, limits);
    let last = 'ok';
    for (const entry of zip.entries) {
      try {
        readEntry(zip, entry);
      } catch (e) {
        if (!(e instanceof EduscanError)) throw e;
        last = e.code;
      }
    }
    return last;
  } catch (e) {
    if (e instanceof EduscanError) return e.code;
    throw e;
  }
}
