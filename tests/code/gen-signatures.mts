// Writes rules/code-signatures.json from the three YAML signature files (run after editing them):
//   npx tsx tests/code/gen-signatures.mts
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CODE_RULES_DIR, COMPILED_FILE, compileCodeRules } from '../../src/code/load.js';

writeFileSync(join(CODE_RULES_DIR, COMPILED_FILE), compileCodeRules());
console.log(`wrote ${join(CODE_RULES_DIR, COMPILED_FILE)}`);
