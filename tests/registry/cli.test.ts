// `eduscan registry …` and `eduscan rescan` as child processes (bin/eduscan.js, built dist/): outputs, exit codes, messages.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI_ENTRY, sampleFolder, sampleRecord } from './helpers.js';

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [CLI_ENTRY, ...args], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('registry CLI', () => {
  const { dir, apk } = sampleFolder('cli');
  const db = join(dir, 'reg.db');

  it('import, rescan (no progress bar without a TTY), list, show, export', () => {
    expect(cli('registry', 'import', dir, '--db', db).out).toMatch(/^records: 1 added.*\npackages: 1 added/);
    const r = cli('rescan', '--db', db, '--today', '2026-02-13', '--concurrency', '1');
    expect(r.code).toBe(0);
    expect(r.err).toBe(''); // no bar drawn: stderr is not a terminal
    expect(r.out).toMatch(/^复检 #1 \(full\)/);
    expect(r.out).toMatch(/新增不通过 1/);
    expect(existsSync(`${db}.log`)).toBe(true);

    const list = cli('registry', 'list', '--db', db, '--today', '2026-02-13', '--format', 'csv');
    expect(list.code).toBe(0);
    const [head, row] = list.out.trim().split('\r\n');
    expect(head).toBe('id,path,record,unit,app,platform,packageId,version,md5,sha256,status,verdict,high,medium,low,errorCode,scannedAt,openIssues,overdue,nextDeadline');
    expect(row).toContain(`,${apk},`);
    expect(row).toContain(',智慧课堂,android,cn.example.smartclass,2.3.1,');
    expect(row).toContain(',ok,fail,');
    expect(row).toMatch(/,2026-03-12$/);

    const overdue = cli('registry', 'list', '--db', db, '--today', '2026-03-13', '--state', 'overdue', '--format', 'json');
    const rows = JSON.parse(overdue.out) as { state: string; deadline: string }[];
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((x) => x.state === 'overdue' && x.deadline === '2026-03-12')).toBe(true);
    const black = cli('registry', 'list', '--blacklist', '--db', db, '--today', '2026-03-13', '--lang', 'en');
    expect(black.out).toContain((sampleRecord().provider as { name: string }).name);

    const show = cli('registry', 'show', 'cn.example.smartclass', '--db', db, '--today', '2026-02-13', '--format', 'json');
    expect(show.code).toBe(0);
    const detail = JSON.parse(show.out);
    expect(detail.entry).toMatchObject({ path: apk, verdict: 'fail' });
    expect(detail.findings.map((f: { rule: string }) => f.rule)).toContain('EDU-PKG-005'); // 短信 not ticked in the sample record
    const html = cli('registry', 'export', '--db', db, '--format', 'html', '--today', '2026-02-13', '-o', join(dir, 'r.html'));
    expect(html.code).toBe(0);
    const page = readFileSync(join(dir, 'r.html'), 'utf8');
    expect(page).toMatch(/^<!doctype html>/);
    expect(page).not.toMatch(/<script/i);
    expect(page).toContain('cn.example.smartclass');
    const json = JSON.parse(cli('registry', 'export', '--db', db, '--format', 'json', '--today', '2026-02-13').out);
    expect(json.entries).toHaveLength(1);
    expect(json.issues.length).toBe(json.entries[0].openIssues);
    const issues = cli('registry', 'export', '--db', db, '--issues', '--today', '2026-02-13');
    expect(issues.out.trim().split('\r\n')).toHaveLength(json.issues.length + 1);
  });

  it('errors are one line with a code and exit 2', () => {
    const both = cli('rescan', '--db', db, '--changed-only', '--rules-only', '--today', '2026-02-13');
    expect(both.code).toBe(2);
    expect(both.err).toMatch(/cannot be combined \[E_USAGE\]\n$/);
    const missing = cli('registry', 'list', '--db', join(dir, 'nope.db'));
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/no registry database here.*\[E_DB\]\n$/);
    const future = cli('rescan', '--db', db, '--today', '2027-03-01');
    expect(future.code).toBe(2);
    expect(future.err).toMatch(/2027-03-01: the working-day calendar covers 2024–2026.*\[E_CALENDAR\]\n$/);
    const which = cli('registry', 'show', 'no-such-app', '--db', db);
    expect(which.code).toBe(2);
    expect(which.err).toMatch(/\[E_USAGE\]\n$/);
  });
});
