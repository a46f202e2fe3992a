// Every corpus package gives schema-valid facts or a typed error, and the digests match coreutils.
import { execFileSync } from 'node:child_process';
import { basename } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isEduscanError } from '../../src/errors.js';
import { PackageFactsSchema } from '../../src/facts/schema.js';
import { closeHashPool } from '../../src/hash/hash.js';
import { scanPackage } from '../../src/scan.js';
import { CORPUS, corpusFiles } from '../helpers/corpus.js';

afterAll(() => closeHashPool());

function md5sums(files: string[]): Map<string, string> {
  const out = execFileSync('md5sum', files, { maxBuffer: 64 * 1024 * 1024 }).toString();
  return new Map(out.trim().split('\n').map((l) => [l.slice(34), l.slice(0, 32)]));
}

describe.skipIf(!CORPUS)('whole corpus', () => {
  const files = [...corpusFiles('apk'), ...corpusFiles('ipa')];

  it('scans every package into schema-valid facts or a typed error', async () => {
    const sums = md5sums(files);
    const outcome: Record<string, string> = {};
    for (const f of files) {
      try {
        const facts = await scanPackage(f);
        const parsed = PackageFactsSchema.safeParse(facts);
        expect(parsed.success ? 'valid' : `${basename(f)}: ${JSON.stringify(parsed.error?.issues.slice(0, 3))}`).toBe('valid');
        expect(facts.file.md5).toBe(sums.get(f));
        outcome[basename(f)] = facts.platform;
      } catch (e) {
        if (!isEduscanError(e)) throw new Error(`${basename(f)}: not a typed error: ${(e as Error)?.stack}`);
        expect(e.file).toBe(f);
        expect(e.message).not.toContain('\n');
        outcome[basename(f)] = e.code;
      }
    }
    // Which files fail, and how, is part of the contract: a change here is a change in behaviour.
    const failures = Object.entries(outcome).filter(([, v]) => v.startsWith('E_'));
    expect(Object.fromEntries(failures)).toMatchSnapshot();
  }, 180_000);
});
