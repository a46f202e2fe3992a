// `eduscan tokens create|list|revoke` through commander, and `eduscan serve` options parsing.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { registerServe, registerTokens } from '../../src/cli/serve-cmd.js';
import { openServerDb } from '../../src/server/db.js';
import { principalForToken } from '../../src/server/tokens.js';

async function run(args: string[]): Promise<{ out: string; err: string; code: number }> {
  let code = 0;
  const program = new Command().exitOverride();
  registerServe(program, { setExitCode: (c) => { code = c; } });
  registerTokens(program, { setExitCode: (c) => { code = c; } });
  let out = '';
  let err = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((s) => { out += String(s); return true; });
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((s) => { err += String(s); return true; });
  try {
    await program.parseAsync(['node', 'eduscan', ...args]);
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
  return { out, err, code };
}

describe('tokens CLI', () => {
  const dir = mkdtempSync(join(tmpdir(), 'eduscan-tokens-'));
  const db = join(dir, 'eduscan.db');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('creates a token printed once, lists it without the secret, revokes it', async () => {
    const c = await run(['tokens', 'create', '--role', 'reviewer', '--name', 'Li Lei', '--db', db]);
    expect(c.code).toBe(0);
    const token = c.out.trim();
    expect(token).toMatch(/^edu_[A-Za-z0-9_-]{43}$/);
    const d = openServerDb(db);
    expect(principalForToken(d, token)).toMatchObject({ name: 'Li Lei', role: 'reviewer' });
    d.close();

    const l = await run(['tokens', 'list', '--db', db, '--json']);
    const rows = JSON.parse(l.out) as { name: string; role: string; prefix: string; revokedAt: string | null }[];
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ name: 'Li Lei', role: 'reviewer', revokedAt: null });
    expect(token.startsWith(rows[0]!.prefix)).toBe(true);
    expect(l.out).not.toContain(token);

    const r = await run(['tokens', 'revoke', 'Li Lei', '--db', db]);
    expect(r.code).toBe(0);
    const d2 = openServerDb(db);
    expect(principalForToken(d2, token)).toBeUndefined();
    d2.close();
    expect((await run(['tokens', 'revoke', 'nobody', '--db', db])).code).toBe(2);
  });

  it('refuses an unknown role', async () => {
    await expect(run(['tokens', 'create', '--role', 'root', '--name', 'x', '--db', db])).rejects.toThrow(/root/);
  });
});
