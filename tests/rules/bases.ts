// Real packages the rule tests start from: `sample:` (samples/, in every clone), `fixture:` (tests/fixtures/,
// in every clone) and `corpus:` (EDUSCAN_CORPUS, skipped without it). Each is scanned once per test file.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { PackageFacts } from '../../src/facts/schema.js';
import { scanPackage } from '../../src/scan.js';
import { CORPUS, FIXTURES } from '../helpers/corpus.js';

export const REPO = resolve(import.meta.dirname, '..', '..');

/** File of a test base, or undefined when it is a corpus file and the corpus is absent. */
export function basePath(base: string): string | undefined {
  const colon = base.indexOf(':');
  const kind = base.slice(0, colon);
  const rest = base.slice(colon + 1);
  if (kind === 'sample') return join(REPO, 'samples', rest);
  if (kind === 'fixture') return join(FIXTURES, rest);
  if (kind === 'corpus') return CORPUS ? join(CORPUS, rest) : undefined;
  throw new Error(`unknown test base ${base}`);
}

const scans = new Map<string, Promise<PackageFacts>>();

export function scanBase(base: string): Promise<PackageFacts> {
  const path = basePath(base);
  if (!path) throw new Error(`${base}: corpus not available`);
  if (!existsSync(path)) throw new Error(`${base}: no file ${path}`);
  let p = scans.get(path);
  if (!p) {
    p = scanPackage(path);
    scans.set(path, p);
  }
  return p;
}
