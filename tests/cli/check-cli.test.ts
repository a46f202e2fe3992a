// `eduscan check` and `eduscan fill` as a user runs them: the built bin, exit codes, the record written back.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { CORPUS } from '../helpers/corpus.js';

const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin', 'eduscan.js');
const SAMPLE = join(ROOT, 'samples', 'android', 'smartclass.apk');
const RECORD = join(ROOT, 'samples', 'filing', 'smartclass.provider.yaml');

function run(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', cwd: ROOT });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('eduscan check', () => {
  it('the README sample: verdict first, 不通过, exit 1', () => {
    const r = run('check', SAMPLE, '--filing', RECORD);
    expect(r.code).toBe(1);
    expect(r.out.split('\n')[0]).toMatch(/^检测结论：不通过/);
    expect(r.out).toContain('短信');
  });

  it('JSON and SARIF are machine-readable; --lang en switches the text', () => {
    const json = JSON.parse(run('check', SAMPLE, '--filing', RECORD, '-f', 'json').out);
    expect(json.verdict).toBe('fail');
    expect(json.undeclared.map((u: { label: string }) => u.label)).toEqual(['短信']);
    expect(json.package.file.md5).toMatch(/^[0-9a-f]{32}$/);
    const sarif = JSON.parse(run('check', SAMPLE, '--filing', RECORD, '-f', 'sarif').out);
    expect(sarif.version).toBe('2.1.0');
    expect(sarif.runs[0].results.length).toBe(json.findings.length);
    expect(run('check', SAMPLE, '--filing', RECORD, '--lang', 'en').out.split('\n')[0]).toMatch(/^Verdict: fail/i);
  });

  it('--write stores the 检测结果 block and changes nothing else in the record', () => {
    const dir = mkdtempSync(join(tmpdir(), 'eduscan-check-'));
    const copy = join(dir, 'record.yaml');
    copyFileSync(RECORD, copy);
    const before = readFileSync(copy, 'utf8');
    const r = run('check', SAMPLE, '--filing', copy, '--write', '-f', 'json');
    expect(r.code).toBe(1);
    const after = readFileSync(copy, 'utf8');
    const a = parse(before);
    const b = parse(after);
    expect(b.apps[0].scan.verdict).toBe('fail');
    expect(b.apps[0].scan.md5).toBe(JSON.parse(r.out).package.file.md5);
    delete b.apps[0].scan;
    delete a.apps[0].scan;
    expect(b).toEqual(a);
    // Comments survive: every comment line of the original is still there.
    for (const line of before.split('\n').filter((l) => l.trim().startsWith('#'))) expect(after).toContain(line);
  });

  it('an unreadable record or package exits 2 with one line per problem, never a stack trace', () => {
    const dir = mkdtempSync(join(tmpdir(), 'eduscan-check-'));
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'provider: {name: 1}\napps: []\n');
    const r = run('check', SAMPLE, '--filing', bad);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/\[E_RECORD\]/);
    expect(r.err.trim().split('\n').length).toBeGreaterThan(2);
    expect(r.err).not.toMatch(/\n\s+at /);
    const notZip = join(dir, 'x.apk');
    writeFileSync(notZip, 'nope');
    expect(run('check', notZip).code).toBe(2);
  });

  it('an ignore file suppresses with a reason; --fail-on medium is stricter', () => {
    const dir = mkdtempSync(join(tmpdir(), 'eduscan-check-'));
    const json = JSON.parse(run('check', SAMPLE, '--filing', RECORD, '-f', 'json').out);
    const highs = [...new Set(json.findings.filter((f: { severity: string }) => f.severity === 'high').map((f: { rule: string }) => f.rule))];
    const ignore = join(dir, 'ignore.yaml');
    writeFileSync(ignore, `suppress:\n${highs.map((h) => `  - {rule: ${h}, reason: 审核确认, by: reviewer}\n`).join('')}`);
    const r = run('check', SAMPLE, '--filing', RECORD, '--ignorefile', ignore, '-f', 'json');
    expect(JSON.parse(r.out).verdict).toBe('explain');
    expect(r.code).toBe(0);
    expect(run('check', SAMPLE, '--filing', RECORD, '--ignorefile', ignore, '--fail-on', 'medium').code).toBe(1);
    writeFileSync(ignore, 'suppress:\n  - {rule: EDU-PKG-005, by: reviewer}\n');
    const noReason = run('check', SAMPLE, '--filing', RECORD, '--ignorefile', ignore);
    expect(noReason.code).toBe(2);
    expect(noReason.err).toMatch(/reason/);
  });
});

describe('eduscan fill', () => {
  it('ticks what the package takes without removing anything, and reports the change', () => {
    const dir = mkdtempSync(join(tmpdir(), 'eduscan-fill-'));
    const copy = join(dir, 'record.yaml');
    copyFileSync(RECORD, copy);
    const r = run('fill', SAMPLE, '--filing', copy, '--write');
    expect(r.code).toBe(0);
    const before = parse(readFileSync(RECORD, 'utf8')).apps[0].permissions as string[];
    const after = parse(readFileSync(copy, 'utf8')).apps[0].permissions as string[];
    for (const p of before) expect(after).toContain(p);
    expect(after).toContain('短信');
    expect(r.out).toContain('短信');
  });
});

describe('eduscan check --use (使用者备案)', () => {
  const USE = join(ROOT, 'samples', 'filing', 'use-filing.yaml');
  const useCopy = (edit: (text: string) => string): string => {
    const dir = mkdtempSync(join(tmpdir(), 'eduscan-use-'));
    const p = join(dir, 'use.yaml');
    writeFileSync(p, edit(readFileSync(USE, 'utf8')));
    return p;
  };

  it('a school\'s use filing as --filing: a package-only check that names the school and its usage', () => {
    const r = run('check', SAMPLE, '--filing', USE, '-f', 'json');
    const json = JSON.parse(r.out);
    expect(json.record).toBeUndefined();
    expect(json.uses).toEqual([{ unit: parse(readFileSync(USE, 'utf8')).unit.name, usage: '要求使用', users: ['学生-中小学', '教师'], file: USE }]);
    expect(run('check', SAMPLE, '--filing', USE).out).toContain('使用者备案');
  });

  it('--use next to the provider filing: taken when it is about the filed app, refused (exit 2) when it is not', () => {
    const ok = run('check', SAMPLE, '--filing', RECORD, '--use', USE, '-f', 'json');
    expect(JSON.parse(ok.out).uses).toHaveLength(1);
    const other = useCopy((t) => t.replace('name: 智慧课堂\n', 'name: 别的应用\n'));
    const r = run('check', SAMPLE, '--filing', RECORD, '--use', other);
    expect(r.code).toBe(2);
    expect(r.err).toContain('[E_NO_APP]');
    const provider = run('check', SAMPLE, '--use', RECORD);
    expect(provider.code).toBe(2);
    expect(provider.err).toContain('[E_RECORD]');
  });

  describe.skipIf(!CORPUS)('on a real package with an ad SDK (corpus)', () => {
    const ADS = join(CORPUS ?? '', 'apk', 'exoduscore__blooddonation.apk');
    const sdk002 = (...extra: string[]) => JSON.parse(run('check', ADS, '-f', 'json', ...extra).out).findings.find((f: { rule: string }) => f.rule === 'EDU-SDK-002');

    it('EDU-SDK-002 is medium alone, medium when a university recommends it, high when a school requires it', () => {
      expect(sdk002().severity).toBe('medium');
      const recommend = useCopy((t) => t.replace('usage: 要求使用', 'usage: 推荐使用').replace('users: [学生-中小学, 教师]', 'users: [学生-高等院校]'));
      expect(sdk002('--use', recommend).severity).toBe('medium');
      const required = useCopy((t) => t.replace('users: [学生-中小学, 教师]', 'users: [学生-高等院校]'));
      expect(sdk002('--use', required).severity).toBe('high');
    });
  });
});
