// `eduscan fill` as a command: stdout/stderr split, --write, exit codes, languages; registered on a commander
// program the way the lead wires it.
import { copyFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { registerFill, runFill } from '../../src/cli/filing-cmd.js';
import { ROOT, SAMPLE_APK, stubDetect } from './helpers.js';

const SAMPLE_RECORD = join(ROOT, 'samples', 'filing', 'smartclass.provider.yaml');
const dir = mkdtempSync(join(tmpdir(), 'eduscan-fill-'));

async function fill(args: { pkg?: string; filing?: string; app?: string; write?: boolean; lang?: 'zh' | 'en' }) {
  let out = '';
  let err = '';
  const code = await runFill(args.pkg ?? SAMPLE_APK, {
    ...(args.filing === undefined ? {} : { filing: args.filing }),
    ...(args.app === undefined ? {} : { app: args.app }),
    write: args.write ?? false,
    lang: args.lang ?? 'zh',
  }, { detect: stubDetect, out: (s) => void (out += s), err: (s) => void (err += s) });
  return { code, out, err };
}

describe('eduscan fill', () => {
  it('without --write: the would-be record on stdout, the Chinese summary on stderr, the file untouched', async () => {
    const before = readFileSync(SAMPLE_RECORD, 'utf8');
    const r = await fill({ filing: SAMPLE_RECORD });
    expect(r.code).toBe(0);
    expect(r.out).toBe(before.replace('      - 读取应用数据\n', '      - 读取应用数据\n      - 短信\n'));
    expect(r.err).toContain('按包名匹配');
    expect(r.err).toContain('修改 1 处：');
    expect(r.err).toContain('apps[0].permissions: 新增 短信 (android.permission.READ_SMS)');
    expect(r.err).toContain('未写入文件；加 --write 写回');
    expect(readFileSync(SAMPLE_RECORD, 'utf8')).toBe(before);
  });

  it('--write replaces the record, adding one line; a second run has nothing to do', async () => {
    const rec = join(dir, 'w.yaml');
    copyFileSync(SAMPLE_RECORD, rec);
    const r = await fill({ filing: rec, write: true });
    expect(r.code).toBe(0);
    expect(r.err).toBe('');
    expect(r.out).toContain(`已写入 ${rec}`);
    expect(readFileSync(rec, 'utf8')).toBe(readFileSync(SAMPLE_RECORD, 'utf8').replace('      - 读取应用数据\n', '      - 读取应用数据\n      - 短信\n'));
    const again = await fill({ filing: rec, write: true, lang: 'en' });
    expect(again.out).toContain('nothing to change: the record agrees with the package');
    expect(again.out).toContain(`File left as it was: ${rec}`);
  });

  it('--write to a new file creates a skeleton and lists what a person must still fill in', async () => {
    const rec = join(dir, 'new.json');
    const r = await fill({ filing: rec, write: true, lang: 'en' });
    expect(r.code).toBe(0);
    const written = JSON.parse(readFileSync(rec, 'utf8'));
    expect(written.apps[0]).toMatchObject({ packageId: 'cn.example.smartclass', version: '2.3.1', platform: 'android' });
    expect(r.out).toContain('(new record)');
    expect(r.out).toMatch(/Still to fill in or correct \(\d+\):\n {2}provider\.name: provider name: must not be empty/);
  });

  it('without a record: a YAML skeleton on stdout', async () => {
    const r = await fill({});
    expect(r.code).toBe(0);
    const rec = parse(r.out);
    expect(rec.kind).toBe('provider');
    expect(rec.apps[0].md5).toMatch(/^[0-9a-f]{32}$/);
    expect(r.err).toContain('未写入文件；用 --filing FILE --write 保存');
  });

  it('errors are one line with a code, exit 2', async () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'apps: [\n');
    const cases = [
      [await fill({ write: true }), 'E_USAGE'],
      [await fill({ pkg: join(dir, 'missing.apk') }), 'E_IO'],
      [await fill({ filing: bad }), 'E_RECORD'],
      [await fill({ filing: SAMPLE_RECORD, app: '没有这个应用' }), 'E_NO_APP'],
      [await fill({ filing: join(dir, 'no-such-dir', 'r.yaml'), write: true }), 'E_IO'],
    ] as const;
    for (const [r, code] of cases) {
      expect(r.code).toBe(2);
      expect(r.out).toBe('');
      expect(r.err).toMatch(new RegExp(`^eduscan: .+ \\[${code}\\]\\n$`));
    }
  });

  it('an ambiguous record is an error, not a guess', async () => {
    const rec = join(dir, 'two.yaml');
    const raw = parse(readFileSync(SAMPLE_RECORD, 'utf8'));
    const a = { ...raw.apps[0], packageId: undefined, name: '学生版' };
    delete a.packageId;
    raw.apps = [a, { ...a, name: '教师版' }];
    writeFileSync(rec, JSON.stringify(raw));
    const r = await fill({ filing: rec });
    expect(r.code).toBe(2);
    expect(r.err).toContain('[E_APP_AMBIGUOUS]');
    expect((await fill({ filing: rec, app: '教师版' })).code).toBe(0);
  });

  it('registers as a commander subcommand and reports exit 2 through setExitCode', async () => {
    const codes: number[] = [];
    let err = '';
    const program = new Command().exitOverride();
    registerFill(program, { detect: stubDetect, setExitCode: (c) => codes.push(c), out: () => undefined, err: (s) => void (err += s) });
    await program.parseAsync(['fill', join(dir, 'missing.apk'), '--lang', 'en'], { from: 'user' });
    expect(codes).toEqual([2]);
    expect(err).toContain('[E_IO]');
    const ok = new Command().exitOverride();
    registerFill(ok, { detect: stubDetect, setExitCode: (c) => codes.push(c), out: () => undefined, err: () => undefined });
    await ok.parseAsync(['fill', SAMPLE_APK, '--filing', SAMPLE_RECORD], { from: 'user' });
    expect(codes).toEqual([2]);
    expect(existsSync(SAMPLE_RECORD)).toBe(true);
  });
});
