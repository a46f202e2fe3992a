// The job boundary of a re-scan: one package path in, its digests and facts (or an error) out. It touches no
// database: the caller says which contents already have cached facts (by SHA-256 + PARSER_VERSION), so the
// same job runs in a worker thread here, or on another machine behind a queue (docs/registry.md).
import { statSync } from 'node:fs';
import { isEduscanError } from '../errors.js';
import type { PackageFacts } from '../facts/schema.js';
import { HashError, startHash, takeHash } from '../hash/hash.js';
import type { Limits } from '../limits.js';
import { PARSER_VERSION, scanPackage } from '../scan.js';

export interface ScanJob {
  path: string;
  verify?: boolean;
  limits?: Partial<Limits>;
}

export interface JobError {
  code: string;
  message: string;
}

export interface ScanJobResult {
  path: string;
  parserVersion: string;
  size?: number;
  mtimeMs?: number;
  md5?: string;
  sha256?: string;
  /** Facts parsed by this job (absent when cached or failed). */
  facts?: PackageFacts;
  /** Facts (or a parse failure) for this content and parser version were already stored: nothing parsed. */
  cached: boolean;
  error?: JobError;
  /** Whether the error belongs to the content (cacheable by sha256) rather than to this attempt (I/O). */
  contentError?: boolean;
  ms: number;
}

/** Codes that describe this attempt, not the bytes: never cached against the content. */
const TRANSIENT_CODES = new Set(['E_IO', 'E_INTERNAL']);

function asJobError(e: unknown): JobError {
  if (isEduscanError(e)) return { code: e.code, message: e.message };
  if (e instanceof HashError) return { code: 'E_IO', message: `cannot hash the file: ${e.code}` };
  const err = e as NodeJS.ErrnoException;
  if (typeof err?.code === 'string' && /^E[A-Z]+$/.test(err.code)) return { code: 'E_IO', message: `cannot read the file: ${err.code}` };
  // A bug in a parser: recorded against the package (the run goes on) and visible in the log.
  return { code: 'E_INTERNAL', message: (err?.stack ?? String(e)).split('\n').slice(0, 3).join(' | ') };
}

export async function runScanJob(job: ScanJob, hasFacts: (sha256: string) => boolean): Promise<ScanJobResult> {
  const t0 = performance.now();
  const out: ScanJobResult = { path: job.path, parserVersion: PARSER_VERSION, cached: false, ms: 0 };
  try {
    const st = statSync(job.path);
    out.size = st.size;
    out.mtimeMs = st.mtimeMs;
    // Hash first: content already parsed by this parser version (a copy, a touched file) is not parsed again.
    const d = await startHash(job.path);
    out.md5 = d.md5;
    out.sha256 = d.sha256;
    out.size = d.size;
    if (hasFacts(d.sha256)) {
      void takeHash(job.path); // drop the memoized hash: the next job on this path must hash again
      out.cached = true;
    } else {
      // scanPackage takes the hash started above instead of reading the file once more.
      out.facts = await scanPackage(job.path, { ...(job.verify ? { verify: true } : {}), ...(job.limits ? { limits: job.limits } : {}) });
    }
  } catch (e) {
    void takeHash(job.path).catch(() => undefined);
    out.error = asJobError(e);
    out.contentError = out.sha256 !== undefined && !TRANSIENT_CODES.has(out.error.code);
  }
  out.ms = performance.now() - t0;
  return out;
}
