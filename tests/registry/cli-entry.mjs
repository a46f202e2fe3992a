#!/usr/bin/env node
// The registry commands as `eduscan` runs them, from the built dist/, for the tests' child processes: the same
// commander program shape as src/cli/main.ts (exit codes 0 / 2 / 70), with only the registry commands.
import { Command } from 'commander';
import { registerRegistry } from '../../dist/cli/registry-cmd.js';

let exitCode = 0;
const program = new Command().name('eduscan').exitOverride().configureOutput({ writeErr: (s) => process.stderr.write(s) });
registerRegistry(program, { setExitCode: (c) => { exitCode = Math.max(exitCode, c); } });
try {
  await program.parseAsync(process.argv.slice(2), { from: 'user' });
} catch (e) {
  if (typeof e?.code === 'string' && e.code.startsWith('commander.')) exitCode = e.code === 'commander.helpDisplayed' ? 0 : 2;
  else {
    process.stderr.write(`eduscan: internal error: ${e?.stack ?? e}\n`);
    exitCode = 70;
  }
}
process.exitCode = exitCode;
