// The validated rule set is kept on disk by digest (rules + loader code) so that `check` and every re-scan worker
// skip the YAML parse. The kept copy must be the same set, a damaged copy must be ignored, and "off" keeps nothing.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadRuleSet, RULES_DIR } from '../../src/rules/load.js';

const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin', 'eduscan.js');

function rulesList(cacheDir: string, rulesDir?: string) {
  const r = spawnSync(process.execPath, [BIN, 'rules', 'list', '--lang', 'en', ...(rulesDir ? ['--dir', rulesDir] : [])], { encoding: 'utf8', env: { ...process.env, EDUSCAN_CACHE_DIR: cacheDir } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('rule set kept on disk by digest', () => {
  it('the first run keeps the set, later runs read it; the kept set equals the parsed one', () => {
    const cache = mkdtempSync(join(tmpdir(), 'eduscan-rules-cache-'));
    const first = rulesList(cache);
    expect(first.code).toBe(0);
    const files = readdirSync(cache);
    expect(files).toEqual([expect.stringMatching(/^rules-[0-9a-f]{32}\.json$/)]);
    const kept = JSON.parse(readFileSync(join(cache, files[0]!), 'utf8'));
    expect(kept).toEqual(JSON.parse(JSON.stringify(loadRuleSet(RULES_DIR))));
    const second = rulesList(cache);
    expect(second.out).toBe(first.out);
    expect(readdirSync(cache)).toEqual(files);
  });

  it('a damaged kept file is ignored and replaced; a changed rule gets a new name', () => {
    const cache = mkdtempSync(join(tmpdir(), 'eduscan-rules-cache-'));
    const good = rulesList(cache);
    const [name] = readdirSync(cache);
    writeFileSync(join(cache, name!), '{"digest": "sha256:not-this", "rules": []');
    expect(rulesList(cache).out).toBe(good.out);
    expect(JSON.parse(readFileSync(join(cache, name!), 'utf8')).rules.length).toBeGreaterThan(100);

    const rules = mkdtempSync(join(tmpdir(), 'eduscan-rules-copy-'));
    cpSync(RULES_DIR, rules, { recursive: true });
    const sdk = readFileSync(join(rules, 'sdk.yaml'), 'utf8');
    writeFileSync(join(rules, 'sdk.yaml'), sdk.replace('title: {zh: 第三方 SDK 清单, en: Third-party SDK inventory}', 'title: {zh: 第三方 SDK 清单, en: SDK inventory (edited)}'));
    const edited = rulesList(cache, rules);
    expect(edited.out).toContain('SDK inventory (edited)');
    expect(readdirSync(cache)).toHaveLength(2);
  });

  it('EDUSCAN_CACHE_DIR=off keeps nothing, and an unwritable place only costs the parse', () => {
    const off = rulesList('off');
    expect(off.code).toBe(0);
    const blocker = join(mkdtempSync(join(tmpdir(), 'eduscan-rules-cache-')), 'file');
    writeFileSync(blocker, 'not a directory');
    const r = rulesList(join(blocker, 'sub'));
    expect(r.code).toBe(0);
    expect(r.out).toBe(off.out);
  });
});
