// Shared set-up for the registry tests: temporary registries built from the committed sample (and corpus
// packages when EDUSCAN_CORPUS is set), records derived from the sample record, in-process re-scans.
import { copyFileSync, cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse, stringify } from 'yaml';
import { loadCalendar } from '../../src/calendar/calendar.js';
import { openRegistry, type Db } from '../../src/registry/db.js';
import { rescan, type RescanOptions } from '../../src/registry/rescan.js';
import { RULES_DIR, loadRuleSet } from '../../src/rules/load.js';
import { expect } from 'vitest';

export const ROOT = resolve(import.meta.dirname, '../..');
export const SAMPLE_APK = join(ROOT, 'samples/android/smartclass.apk');
export const SAMPLE_RECORD = join(ROOT, 'samples/filing/smartclass.provider.yaml');
/** The real command line (built dist/): the registry commands are wired into src/cli/main.ts. */
export const CLI_ENTRY = join(ROOT, 'bin/eduscan.js');

export function tempDir(tag: string): string {
  return mkdtempSync(join(tmpdir(), `eduscan-${tag}-`));
}

/** The sample provider record as an object (its provider/systems sections are valid and reused). */
export function sampleRecord(): Record<string, unknown> & { apps: Record<string, unknown>[] } {
  return parse(readFileSync(SAMPLE_RECORD, 'utf8'));
}

export function writeRecord(path: string, record: Record<string, unknown>): string {
  writeFileSync(path, path.endsWith('.json') ? JSON.stringify(record, null, 2) : stringify(record));
  return path;
}

/** A folder with the sample package and its record, as a reviewer would lay it out. */
export function sampleFolder(tag = 'reg'): { dir: string; apk: string; record: string } {
  const dir = tempDir(tag);
  const apk = join(dir, 'smartclass.apk');
  copyFileSync(SAMPLE_APK, apk);
  const record = join(dir, 'smartclass.provider.yaml');
  copyFileSync(SAMPLE_RECORD, record);
  return { dir, apk, record };
}

export function openTemp(dir: string): { db: Db; path: string } {
  const path = join(dir, 'registry.db');
  return { db: openRegistry(path), path };
}

export function run(db: Db, o: Partial<RescanOptions> & { today: string }, dbPath?: string) {
  return rescan(db, { mode: 'full', concurrency: 0, ruleSet: loadRuleSet(), calendar: loadCalendar(), ...(dbPath ? { dbPath } : {}), ...o });
}

/** A copy of the shipped rules with EDU-AND-MAN-001 (debuggable) turned off and EDU-AND-CMP-002 raised to high. */
export function changedRulesDir(): string {
  const rules = tempDir('rules');
  cpSync(RULES_DIR, rules, { recursive: true });
  const manifest = readFileSync(join(rules, 'android-manifest.yaml'), 'utf8');
  const debuggable = 'when: {path: facts.manifest.application.debuggable, eq: true}';
  expect(manifest).toContain(debuggable);
  writeFileSync(join(rules, 'android-manifest.yaml'), manifest.replace(debuggable, 'when: {path: facts.manifest.application.debuggable, eq: false}'));
  const components = readFileSync(join(rules, 'android-components.yaml'), 'utf8');
  const at = components.indexOf('id: EDU-AND-CMP-002');
  const sev = components.indexOf('severity: medium', at);
  expect(sev - at).toBeLessThan(80);
  writeFileSync(join(rules, 'android-components.yaml'), `${components.slice(0, sev)}severity: high${components.slice(sev + 'severity: medium'.length)}`);
  return rules;
}
