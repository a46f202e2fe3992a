// The command line: a thin shell over the library. Only this layer decides exit codes and writes to
// stdout/stderr. Exit codes never collide: 0 done, 1 findings that fail (check), 2 unreadable input or
// usage error, 70 a bug in eduscan.
import { createWriteStream } from 'node:fs';
import { Command, InvalidArgumentError, Option } from 'commander';
import { isEduscanError } from '../errors.js';
import { closeHashPool, startHashes } from '../hash/hash.js';
import type { CategoryDetection } from '../check/types.js';
import type { PackageFacts } from '../facts/schema.js';
import type { Limits } from '../limits.js';
import { renderFactsText, type Lang } from '../report/facts-text.js';
import { scanPackage } from '../scan.js';
import { VERSION } from '../version.js';
import { registerCheck } from './check-cmd.js';
import { registerFill } from './filing-cmd.js';
import { registerRegistry } from './registry-cmd.js';
import { registerRules } from './rules-cmd.js';
import { registerServe, registerTokens } from './serve-cmd.js';

export const EXIT = { OK: 0, FINDINGS: 1, INPUT: 2, BUG: 70 } as const;

function positiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n <= 0) throw new InvalidArgumentError('must be a positive whole number');
  return n;
}

interface Output {
  write(s: string): void;
  end(): Promise<void>;
}

function openOutput(path: string | undefined): Output {
  if (!path || path === '-') return { write: (s) => void process.stdout.write(s), end: async () => undefined };
  const stream = createWriteStream(path);
  return {
    write: (s) => void stream.write(s),
    end: () => new Promise((resolve, reject) => stream.end((err?: Error | null) => (err ? reject(err) : resolve()))),
  };
}

export async function main(argv: string[]): Promise<number> {
  let exitCode: number = EXIT.OK;
  const program = new Command()
    .name('eduscan')
    .description('APK/IPA compliance scanner for the education-app filing system (教育移动互联网应用程序备案)')
    .version(VERSION, '-V, --version')
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });

  program
    .command('scan')
    .description('read packages (.apk, .ipa) and print their facts: id, version, MD5/SHA-256, signer, permissions, components')
    .argument('<packages...>', 'package files')
    .addOption(new Option('-f, --format <format>', 'output format').choices(['text', 'json']).default('text'))
    .addOption(new Option('--lang <lang>', 'language of the text output').choices(['zh', 'en']).default('zh').env('EDUSCAN_LANG'))
    .option('-o, --out <file>', 'write to a file instead of stdout')
    .addOption(new Option('--output <file>', 'same as --out').hideHelp())
    .option('--verify', 'verify APK v2/v3 signature digests (reads the whole file once more)', false)
    .option('--no-code', 'do not read DEX code (no SDK inventory, sensitive APIs or packer detection; faster)')
    .option('--max-entries <n>', 'zip entries accepted at most', positiveInt)
    .option('--max-entry-bytes <n>', 'bytes one entry may inflate to', positiveInt)
    .option('--max-total-bytes <n>', 'bytes all entries read in one scan may inflate to', positiveInt)
    .action(async (packages: string[], o: { format: 'text' | 'json'; lang: Lang; out?: string; output?: string; verify: boolean; code: boolean; maxEntries?: number; maxEntryBytes?: number; maxTotalBytes?: number }) => {
      const limits: Partial<Limits> = {};
      if (o.maxEntries) limits.maxEntries = o.maxEntries;
      if (o.maxEntryBytes) limits.maxEntryInflatedBytes = o.maxEntryBytes;
      if (o.maxTotalBytes) limits.maxTotalInflatedBytes = o.maxTotalBytes;
      startHashes(packages);
      const out = openOutput(o.out ?? o.output);
      let first = true;
      for (const path of packages) {
        try {
          const facts = await scanPackage(path, { limits, verify: o.verify, code: o.code });
          if (o.format === 'json') out.write(packages.length === 1 ? `${JSON.stringify(facts, null, 2)}\n` : `${JSON.stringify(facts)}\n`);
          else out.write(`${first ? '' : '\n'}${renderFactsText(facts, o.lang)}`);
          first = false;
        } catch (e) {
          if (!isEduscanError(e)) throw e;
          exitCode = EXIT.INPUT;
          process.stderr.write(`eduscan: ${path}: ${e.message} [${e.code}]\n`);
          if (o.format === 'json') out.write(`${JSON.stringify({ error: { ...e.toJSON(), file: path } })}\n`);
        }
      }
      await out.end();
    });

  const setExitCode = (code: number) => {
    exitCode = Math.max(exitCode, code);
  };
  registerCheck(program, setExitCode);
  // fill needs the checkbox detection of the shipped rule set; it is loaded only when fill runs, so that
  // `eduscan scan` does not pay for zod and the rule files at start-up.
  let detect: ((facts: PackageFacts) => CategoryDetection[]) | undefined;
  registerFill(program, { detect: (facts) => detect!(facts), setExitCode }).hook('preAction', async () => {
    const [{ loadRuleSet }, { detectCategories }] = await Promise.all([import('../rules/load.js'), import('../rules/categories.js')]);
    const set = loadRuleSet();
    detect = (facts) => detectCategories(facts, set.permissionMap);
  });
  registerRules(program, { setExitCode });
  registerRegistry(program, { setExitCode });
  registerServe(program, { setExitCode });
  registerTokens(program, { setExitCode });

  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (e) {
    const err = e as { code?: string; exitCode?: number };
    if (typeof err.code === 'string' && err.code.startsWith('commander.')) {
      return err.code === 'commander.helpDisplayed' || err.code === 'commander.version' ? EXIT.OK : EXIT.INPUT;
    }
    throw e;
  } finally {
    await closeHashPool();
  }
  return exitCode;
}
