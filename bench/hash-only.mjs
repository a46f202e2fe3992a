#!/usr/bin/env node
// The floor of a one-call corpus scan in Node here: start Node, hash every file given (MD5 + SHA-256, through
// eduscan's own hash module, as `eduscan scan` does) and nothing else. bench/run.mjs times it beside the scan.
import { closeHashPool, startHashes, takeHash } from '../dist/hash/hash.js';

const files = process.argv.slice(2);
startHashes(files);
for (const f of files) await takeHash(f);
await closeHashPool();
