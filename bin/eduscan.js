#!/usr/bin/env node
// Start hashing the package arguments before anything else is loaded: for a large package the MD5 pass is
// the whole cost of a scan, and module loading and parsing then hide behind it. The dex worker starts here
// too (unless --no-code): it reads and scans the APKs' dex files on the other core meanwhile.
import { statSync } from 'node:fs';
import { startHashes } from '../dist/hash/hash.js';

/** APK bytes below which the dex worker is not worth its start-up (~30 ms of a core). */
const DEX_WORKER_MIN_BYTES = 2 * 1024 * 1024;

const args = process.argv.slice(2);
const sizes = new Map();
const packages = args.filter((a) => /\.(apk|ipa|aab|zip)$/i.test(a) && isFile(a));
if (packages.length > 0 && args[0] === 'scan') {
  startHashes(packages);
  // Custom limits (--max-*) are only known once the CLI has parsed them: the scan then reads dex itself.
  const apkBytes = packages.filter((p) => /\.apk$/i.test(p)).reduce((n, p) => n + sizes.get(p), 0);
  if (apkBytes >= DEX_WORKER_MIN_BYTES && !args.includes('--no-code') && !args.some((a) => a.startsWith('--max-'))) {
    const [{ startDexPool }, { DEFAULT_LIMITS }] = await Promise.all([import('../dist/code/dex-pool.js'), import('../dist/limits.js')]);
    startDexPool(packages, { ...DEFAULT_LIMITS });
  }
}

function isFile(p) {
  try {
    const st = statSync(p);
    sizes.set(p, st.size);
    return st.isFile();
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
