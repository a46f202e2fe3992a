#!/usr/bin/env node
// Start hashing the package arguments before anything else is loaded: for a large package the MD5 pass is
// the whole cost of a scan, and module loading and parsing then hide behind it.
import { statSync } from 'node:fs';
import { startHashes } from '../dist/hash/hash.js';

const packages = process.argv.slice(2).filter((a) => /\.(apk|ipa|aab|zip)$/i.test(a) && isFile(a));
if (packages.length > 0 && process.argv[2] === 'scan') startHashes(packages);

function isFile(p) {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

const { main } = await import('../dist/cli/main.js');
try {
  process.exitCode = await main(process.argv.slice(2));
} catch (e) {
  process.stderr.write(`eduscan: internal error (please report it): ${e && e.stack ? e.stack : e}\n`);
  process.exitCode = 70;
}
