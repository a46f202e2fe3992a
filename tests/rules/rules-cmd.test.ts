// `eduscan rules list | show | validate` through registerRules on a fresh commander program.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, describe, expect, it } from 'vitest';
import { registerRules } from '../../src/cli/rules-cmd.js';
import { loadRuleSet, RULES_DIR } from '../../src/rules/load.js';

const set = loadRuleSet();
const temps: string[] = [];
afterAll(() => {
  for (const t of temps) rmSync(t, { recursive: true, force: true });
});

async function run(...args: string[]): Promise<{ out: string; err: string; code: number }> {
  let out = '';
  let err = '';
  let code = 0;
  const program = new Command().exitOverride().configureOutput({ writeOut: (s) => (out += s), writeErr: (s) => (err += s) });
  registerRules(program, { out: (s) => (out += s), err: (s) => (err += s), setExitCode: (c) => (code = c) });
  try {
    await program.parseAsync(args, { from: 'user' });
  } catch (e) {
    code = (e as { exitCode?: number }).exitCode ?? 70;
  }
  return { out, err, code };
}

describe('eduscan rules list', () => {
  it('lists every rule in Chinese by default, with the count by severity and the rules version', async () => {
    const { out, code } = await run('rules', 'list');
    expect(code).toBe(0);
    for (const r of set.rules) expect(out).toContain(`${r.id}`);
    expect(out).toContain(set.rules[0]!.title.zh);
    expect(out).toContain(`${set.rules.length} 条规则`);
    expect(out).toContain(`规则版本 ${set.version}`);
  });

  it('filters by platform and severity, in English', async () => {
    const { out } = await run('rules', 'list', '--lang', 'en', '--platform', 'ios', '--severity', 'high');
    const expected = set.rules.filter((r) => (r.platform === 'ios' || r.platform === 'both') && r.severity === 'high');
    expect(expected.length).toBeGreaterThan(3);
    for (const r of expected) expect(out).toContain(r.title.en);
    expect(out).not.toContain('EDU-AND-');
    expect(out).toContain(`${expected.length} rules`);
  });

  it('prints JSON with version, digest and the rules (test cases counted, not listed)', async () => {
    const { out } = await run('rules', 'list', '--format', 'json');
    const j = JSON.parse(out) as { version: string; digest: string; rules: { id: string; tests?: { trigger: number } }[] };
    expect(j.digest).toBe(set.digest);
    expect(j.rules.map((r) => r.id)).toEqual(set.rules.map((r) => r.id));
    expect(typeof j.rules[0]!.tests?.trigger).toBe('number');
  });
});

describe('eduscan rules show', () => {
  it('shows one rule (id case-insensitive) with its basis, condition and evidence', async () => {
    const r = set.rules.find((x) => x.id === 'EDU-AND-PRV-005')!;
    const zh = await run('rules', 'show', 'edu-and-prv-005');
    expect(zh.code).toBe(0);
    for (const s of [r.title.zh, r.rationale.zh, r.basis, 'android.permission.ACCESS_FINE_LOCATION', '学生-中小学', '级别调整']) expect(zh.out).toContain(s);
    const en = await run('rules', 'show', 'EDU-AND-PRV-005', '--lang', 'en');
    expect(en.out).toContain(r.title.en);
    expect(en.out).toContain('Severity override: → high');
  });

  it('exits 2 on an unknown id and names similar ones', async () => {
    const { err, code, out } = await run('rules', 'show', 'EDU-AND-MAN-999');
    expect(code).toBe(2);
    expect(out).toBe('');
    expect(err).toContain('EDU-AND-MAN-999');
    expect(err).toContain('EDU-AND-MAN-001');
  });
});

describe('eduscan rules validate', () => {
  it('says the shipped rules are valid', async () => {
    const { out, code } = await run('rules', 'validate');
    expect(code).toBe(0);
    expect(out).toContain(RULES_DIR);
    expect(out).toContain(`${set.rules.length} 条规则`);
  });

  it('lists every problem of a broken directory with file:line:col and exits 2', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'eduscan-rules-cli-'));
    temps.push(dir);
    cpSync(RULES_DIR, dir, { recursive: true });
    const f = join(dir, 'ios.yaml');
    writeFileSync(f, readFileSync(f, 'utf8').replace('severity: high\n    category: provisioning', 'severity: urgent\n    category: provisioning').replace('{path: facts.ios.macho.pie, eq: false}', '{path: facts.ios.macho.pi, eq: false}'));
    const { out, err, code } = await run('rules', 'validate', dir, '--lang', 'en');
    expect(code).toBe(2);
    const lines = out.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^ios\.yaml:\d+:\d+ rules\[0\]\.severity: /);
    expect(lines[1]).toMatch(/^ios\.yaml:\d+:\d+ rules\[\d+\]\.when\.path: path "facts\.ios\.macho\.pi": no field "pi"/);
    expect(err).toContain('2 problem(s)');
  });

  it('exits 2 for a directory that does not exist', async () => {
    const { err, code } = await run('rules', 'validate', join(tmpdir(), 'no-such-eduscan-rules'));
    expect(code).toBe(2);
    expect(err).toContain('[E_CONFIG]');
  });
});
