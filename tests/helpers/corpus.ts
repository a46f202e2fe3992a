// The full corpus (../shared/corpus) is not part of a clone. Its suites run when EDUSCAN_CORPUS names it;
// .ci/run always sets it and fails when it is missing.
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const CORPUS: string | undefined = process.env.EDUSCAN_CORPUS ? resolve(process.env.EDUSCAN_CORPUS) : undefined;

if (CORPUS && !existsSync(join(CORPUS, 'apk'))) {
  throw new Error(`EDUSCAN_CORPUS=${CORPUS} has no apk/ folder`);
}

export function corpusFiles(kind: 'apk' | 'ipa' | 'plist'): string[] {
  if (!CORPUS) return [];
  return readdirSync(join(CORPUS, kind)).sort().map((f) => join(CORPUS!, kind, f));
}

export const FIXTURES = resolve(import.meta.dirname, '..', 'fixtures');
