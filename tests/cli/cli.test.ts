// The command line as a user runs it: the built bin, real files, exit codes, stdout/stderr split.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PackageFactsSchema } from '../../src/facts/schema.js';

const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin', 'eduscan.js');
const SAMPLE = join(ROOT, 'samples', 'android', 'smartclass.apk');

function run(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', cwd: ROOT });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function aaptBadging(path: string): string {
  return spawnSync('aapt', ['dump', 'badging', path], { encoding: 'utf8' }).stdout;
}

describe('eduscan scan', () => {
  it('prints the sample in Chinese by default and exits 0', () => {
    const r = run('scan', SAMPLE);
    expect(r.code).toBe(0);
    expect(r.err).toBe('');
    expect(r.out).toMatch(/^文件\s+smartclass\.apk/m);
    expect(r.out).toMatch(/^包名\s+cn\.example\.smartclass$/m);
    expect(r.out).toMatch(/^应用名称\s+Smart Class \/ 智慧课堂$/m);
  });

  it('--lang en switches the labels', () => {
    const r = run('scan', SAMPLE, '--lang', 'en');
    expect(r.out).toMatch(/^Package\s+cn\.example\.smartclass$/m);
    expect(r.out).not.toMatch(/包名/);
  });

  it('--format json is the PackageFacts contract and agrees with aapt', () => {
    const r = run('scan', SAMPLE, '--format', 'json');
    expect(r.code).toBe(0);
    const facts = PackageFactsSchema.parse(JSON.parse(r.out));
    const badging = aaptBadging(SAMPLE);
    expect(badging).toContain(`package: name='${facts.id}' versionCode='${facts.versionCode}' versionName='${facts.versionName}'`);
    expect(badging).toContain(`application-label-zh-CN:'${facts.labelZh}'`);
  });

  it('several files give JSON Lines in input order; a bad one gives an error line and exit 2', () => {
    const dir = mkdtempSync(join(tmpdir(), 'eduscan-cli-'));
    const bad = join(dir, 'bad.apk');
    writeFileSync(bad, 'this is not a zip');
    const r = run('scan', SAMPLE, bad, SAMPLE, '--format', 'json');
    expect(r.code).toBe(2);
    const lines = r.out.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(3);
    expect(lines[0].id).toBe('cn.example.smartclass');
    expect(lines[1]).toEqual({ error: expect.objectContaining({ code: 'E_NOT_ZIP', file: bad }) });
    expect(lines[2].file.md5).toBe(lines[0].file.md5);
    expect(r.err.trim().split('\n')).toEqual([expect.stringMatching(/^eduscan: .*bad\.apk: .*\[E_NOT_ZIP\]$/)]);
  });

  it('a missing file, a bad option and no argument are usage/input errors (2), never a stack trace', () => {
    const missing = run('scan', join(ROOT, 'nope.apk'));
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/\[E_IO\]/);
    expect(missing.err).not.toMatch(/\n\s+at /);
    expect(run('scan', SAMPLE, '--format', 'xml').code).toBe(2);
    expect(run('scan').code).toBe(2);
  });

  it('the text shows the code\'s sensitive APIs by category and owner, and says when code was not read', () => {
    const ipa = join(ROOT, 'samples', 'ios', 'eduscan-sample.ipa');
    const facts = PackageFactsSchema.parse(JSON.parse(run('scan', ipa, '--format', 'json').out));
    const categories = [...new Set((facts.code?.sensitiveApis ?? []).map((a) => a.category))];
    expect(categories.length).toBeGreaterThan(0);
    const line = run('scan', ipa, '--lang', 'en').out.split('\n').find((l) => l.startsWith('Sensitive APIs'))!;
    for (const c of categories) expect(line).toContain(c);
    expect(run('scan', ipa, '--lang', 'en', '--no-code').out).toMatch(/^Code +not assessable: code was not scanned \(--no-code\)$/m);
  });

  it('a cap given on the command line applies', () => {
    const r = run('scan', SAMPLE, '--max-entry-bytes', '100');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/\[E_LIMIT\]/);
  });
});
