#!/usr/bin/env node
// `eduscan serve` and `eduscan tokens` as the CLI runs them, from the built dist/ (so the worker is the compiled
// pool/scan-worker.js), for the tests' child processes: the same commander shape as src/cli/main.ts.
import { Command } from 'commander';
import { registerServe, registerTokens } from '../../dist/cli/serve-cmd.js';

let exitCode = 0;
const program = new Command().name('eduscan').exitOverride().configureOutput({ writeErr: (s) => process.stderr.write(s) });
const io = { setExitCode: (c) => { exitCode = Math.max(exitCode, c); } };
registerServe(program, io);
registerTokens(program, io);
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
