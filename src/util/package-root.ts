// The installed package's root (where package.json names "eduscan"), found from this module whether it runs
// from src/ (tests) or dist/ (the CLI). Data folders such as rules/ are resolved from it.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export function packageRoot(from: string): string {
  let dir = from;
  for (;;) {
    const pj = join(dir, 'package.json');
    if (existsSync(pj)) {
      try {
        if ((JSON.parse(readFileSync(pj, 'utf8')) as { name?: string }).name === 'eduscan') return dir;
      } catch {
        // not ours: keep walking up
      }
    }
    const up = dirname(dir);
    if (up === dir) return resolve(from, '..', '..');
    dir = up;
  }
}

export const PACKAGE_ROOT: string = packageRoot(dirname(fileURLToPath(import.meta.url)));

/** The shipped rules/ folder: rules, permission map, SDK signatures, calendar. */
export const SHIPPED_RULES_DIR: string = join(PACKAGE_ROOT, 'rules');
